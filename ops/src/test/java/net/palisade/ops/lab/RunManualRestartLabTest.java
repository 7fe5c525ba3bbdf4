package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.model.keys.KeyTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A manually keyed SA's outbound sequence numbers are reserved in the journal now (not in files): two
 * {@code palisade run} processes, gw-a and gw-b, joined by a manual AES-GCM tunnel, ping across; gw-a is killed with
 * SIGKILL and started again on the same data directory (no pair key: manual SAs reserve whatever happens). The ping
 * crosses again, and tshark on the bridge never sees gw-a send one (SPI, sequence number) pair twice — which, with the
 * same static key, would repeat an AES-GCM nonce. Needs root, tcpdump and tshark; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("RunManualRestartLabTest")
class RunManualRestartLabTest {
    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(RunManualRestartLabTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void aKilledNodeGoesOnAboveItsJournaledReservationWithTheSameKey(@TempDir Path dir) throws Exception {
        String kab = KeyTools.generate("aes-128-gcm");
        String kba = KeyTools.generate("aes-128-gcm");
        Path a = Files.writeString(dir.resolve("a.conf"), "manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1"
                + " peer 192.0.2.2 spi 0x2001:0x2002 enc aes-128-gcm enckey " + kba + ":" + kab
                + " udpencap label site-b\n");
        Path b = Files.writeString(dir.resolve("b.conf"), "manual from 10.2.0.0/24 to 10.1.0.0/24 local 192.0.2.2"
                + " peer 192.0.2.1 spi 0x2002:0x2001 enc aes-128-gcm enckey " + kab + ":" + kba
                + " udpencap label site-a\n");
        Path pcap = dir.resolve("wire.pcap");
        Process gwa = null;
        Process gwb = null;
        try (Tshark.Capture capture = Tshark.capture(PREFIX + "-inet", "br0", pcap)) {
            gwb = RunProcess.runIn(PREFIX + "-gwb", b, dir.resolve("data-b"), "mrst1", dir.resolve("b.log"));
            gwa = RunProcess.runIn(PREFIX + "-gwa", a, dir.resolve("data-a"), "mrst1", dir.resolve("a-1.log"));
            RunProcess.awaitUp(gwb, dir.resolve("b.log"));
            RunProcess.awaitUp(gwa, dir.resolve("a-1.log"));
            RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 2, dir.resolve("a-1.log"));
            Lab.Result ping = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output()).isZero();
            Path dataA = dir.resolve("data-a");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                Lab.Result events = RunProcess.cli(PREFIX + "-gwa", dataA, "events", "site-b", "--type",
                        "sequence-reserved");
                assertThat(events.output()).as(events.output()).contains("spi=0x2002");
            });

            gwa.destroyForcibly(); // SIGKILL
            assertThat(gwa.waitFor(30, TimeUnit.SECONDS)).isTrue();
            gwa = RunProcess.runIn(PREFIX + "-gwa", a, dataA, "mrst1", dir.resolve("a-2.log"));
            RunProcess.awaitUp(gwa, dir.resolve("a-2.log"));
            RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 2, dir.resolve("a-2.log"));
            Lab.Result more = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
            assertThat(more.exit()).as(more.output()).isZero();
        } finally {
            RunProcess.stop(gwa, gwb);
        }
        List<String> spi = Tshark.fields(pcap, "esp && ip.src == 192.0.2.1", "esp.spi");
        List<String> seq = Tshark.fields(pcap, "esp && ip.src == 192.0.2.1", "esp.sequence");
        // two runs of 20 echoes (ping exits 0 with one reply: a first echo after the restart can be dropped while
        // the SA's first reservation is journaled): enough of them on the wire to judge the numbers
        assertThat(spi).hasSameSizeAs(seq).hasSizeGreaterThanOrEqualTo(30);
        assertThat(new HashSet<>(spi)).containsExactly("0x00002002");
        Set<String> seen = new HashSet<>();
        List<String> repeated = new ArrayList<>();
        for (int i = 0; i < spi.size(); i++) {
            if (!seen.add(spi.get(i) + "/" + seq.get(i))) {
                repeated.add(spi.get(i) + "/" + seq.get(i));
            }
        }
        assertThat(repeated).isEmpty();
        // after the restart the numbers went on above the journaled reservation (at least one block up)
        long last = Long.parseLong(seq.getLast());
        assertThat(last).isGreaterThan(1L << 20);
    }
}
