package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.dataplane.testkit.TestPrograms;
import net.palisade.model.keys.KeyTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A manual SA's keys outlive the process, and so does its replay window's high-water mark: two {@code palisade run}
 * processes joined by a manual AES-GCM tunnel (no pair key), pings cross while the bridge is captured; gw-a is
 * killed with SIGKILL and started again on its data directory, and the ESP packets gw-b had sent it are injected
 * again on the bridge: every one at or below the recorded mark is dropped as a replay, fresh traffic crosses (see
 * {@link RunReplayMarkStrongSwanTest#replayedEspIsDropped}). Needs root, tcpdump, tshark and scapy; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("RunManualReplayMarkLabTest")
class RunManualReplayMarkLabTest {
    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(RunManualReplayMarkLabTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void espRecordedBeforeAKillIsDroppedAsAReplayByTheRestartedManualSa(@TempDir Path dir) throws Exception {
        TestPrograms.require("/usr/bin/python3");
        TestPrograms.require("/usr/lib/python3/dist-packages/scapy/__init__.py");
        String kab = KeyTools.generate("aes-128-gcm");
        String kba = KeyTools.generate("aes-128-gcm");
        Path a = Files.writeString(dir.resolve("a.conf"), "manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1"
                + " peer 192.0.2.2 spi 0x3001:0x3002 enc aes-128-gcm enckey " + kba + ":" + kab
                + " udpencap label site-b\n");
        Path b = Files.writeString(dir.resolve("b.conf"), "manual from 10.2.0.0/24 to 10.1.0.0/24 local 192.0.2.2"
                + " peer 192.0.2.1 spi 0x3002:0x3001 enc aes-128-gcm enckey " + kab + ":" + kba
                + " udpencap label site-a\n");
        Path recorded = dir.resolve("recorded.pcap");
        Path dataA = dir.resolve("data-a");
        Path secondLog = dir.resolve("a-2.log");
        Process gwa = null;
        Process gwb = null;
        try {
            gwb = RunProcess.runIn(PREFIX + "-gwb", b, dir.resolve("data-b"), "mrpl1", dir.resolve("b.log"));
            gwa = RunProcess.runIn(PREFIX + "-gwa", a, dataA, "mrpl1", dir.resolve("a-1.log"));
            RunProcess.awaitUp(gwb, dir.resolve("b.log"));
            RunProcess.awaitUp(gwa, dir.resolve("a-1.log"));
            RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 2, dir.resolve("a-1.log"));
            try (Tshark.Capture capture = Tshark.capture(PREFIX + "-inet", "br0", recorded)) {
                Lab.Result ping = Lab.in(PREFIX + "-ha", "ping", "-c", "30", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output()).isZero();
            }
            gwa.destroyForcibly(); // SIGKILL
            assertThat(gwa.waitFor(30, TimeUnit.SECONDS)).isTrue();
            gwa = RunProcess.runIn(PREFIX + "-gwa", a, dataA, "mrpl1", secondLog);
            RunProcess.awaitUp(gwa, secondLog);
            RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 2, secondLog);
            RunReplayMarkStrongSwanTest.replayedEspIsDropped(PREFIX, PREFIX + "-gwa", dataA, recorded, secondLog);
        } finally {
            RunProcess.stop(gwa, gwb);
        }
    }
}
