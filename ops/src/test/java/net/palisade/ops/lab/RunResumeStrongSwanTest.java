package net.palisade.ops.lab;

import static net.palisade.ops.lab.RunProcess.cli;
import static net.palisade.ops.lab.RunProcess.ikeSpis;
import static net.palisade.ops.lab.RunProcess.read;
import static net.palisade.ops.lab.RunProcess.runIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.ops.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A node with a pair key survives {@code kill -9} without renegotiating: {@code palisade run} runs as a process in
 * gw-a's namespace with a PSK tunnel to strongSwan 5.9 on gw-b, a ping crosses; the process is killed with SIGKILL
 * and started again on the same data directory. With a passive tunnel (strongSwan initiated, and announced RFC 6311
 * support) strongSwan keeps its IKE SA (same SPIs in {@code swanctl --list-sas}) and answers our message ID sync;
 * with an active one (strongSwan, as responder, does not announce it) the resumed node rekeys the IKE SA instead. In
 * both no IKE_SA_INIT crosses the wire after the restart, the ping crosses again, and no (SPI, sequence number) pair
 * of ours is seen twice (tshark on the bridge judges). Needs root, strongSwan, tcpdump and tshark; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("RunResumeStrongSwanTest")
class RunResumeStrongSwanTest {
    private static final String PSK = "resume-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(RunResumeStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String GWA = PREFIX + "-gwa";

    @Test
    void killNineAndStartAgainKeepsStrongSwansIkeSaAndNeverRepeatsASequenceNumber(@TempDir Path dir)
            throws Exception {
        killAndResume(dir, "passive");
    }

    @Test
    void theSameWhenPalisadeInitiatedTheIkeSa(@TempDir Path dir) throws Exception {
        killAndResume(dir, "active");
    }

    /** The tunnel in {@code mode}: passive (strongSwan initiates) or active (the node does). */
    private static void killAndResume(Path dir, String mode) throws Exception {
        Path data = dir.resolve("data");
        assertThat(Main.commandLine().execute("ha", "init", "--data", data.toString())).isZero();
        StrongSwan conf = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
        Path config = Files.writeString(dir.resolve("palisade.conf"), "ike " + mode + " from 10.1.0.0/24 to 10.2.0.0/24"
                + " peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n");
        Path pcap = dir.resolve("wire.pcap");
        Path firstLog = dir.resolve("node-1.log");
        Path secondLog = dir.resolve("node-2.log");
        try (StrongSwan ss = conf.start(); Tshark.Capture capture = Tshark.capture(PREFIX + "-inet", "br0", pcap)) {
            Process first = runIn(GWA, config, data, "ikst1", firstLog);
            Process second = null;
            try {
                RunProcess.awaitUp(first, firstLog, "pair key ");
                if (mode.equals("passive")) {
                    Lab.Result initiate = ss.swanctl("--initiate", "--child", "net");
                    assertThat(initiate.exit()).as(initiate.output() + "\nnode log:\n" + read(firstLog)).isZero();
                }
                RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 2, firstLog);
                Lab.Result ping = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();
                String before = ikeSpis(ss.listSas());
                // the journal has the IKE SA's and the Child SA's state before we kill (asked through the CLI)
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    Lab.Result events = cli(GWA, data, "events", "to-b", "--type", "takeover-state");
                    assertThat(events.output()).as(events.output()).contains("scope=ike-sa").contains("scope=child-sa");
                });

                first.destroyForcibly(); // SIGKILL: no Delete, no shutdown hook
                assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

                second = runIn(GWA, config, data, "ikst1", secondLog);
                RunProcess.awaitUp(second, secondLog, "resuming IKE SA");
                RunProcess.awaitPing(PREFIX + "-ha", "10.2.0.10", 3, secondLog);
                Lab.Result more = Lab.in(PREFIX + "-ha", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.2.0.10");
                assertThat(more.exit()).as(more.output()).isZero();

                if (mode.equals("passive")) {
                    // strongSwan initiated and announced RFC 6311 support: it kept its IKE SA and synchronised
                    // message IDs with us
                    assertThat(ikeSpis(ss.listSas())).isEqualTo(before);
                    assertThat(ss.log()).as(ss.log()).contains("requested MID sync");
                } else {
                    // as the responder strongSwan does not announce RFC 6311 support in IKE_AUTH: the resumed node
                    // rekeys the IKE SA with it at once instead (CREATE_CHILD_SA, no new IKE_SA_INIT: see below)
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(read(secondLog))
                            .contains("rekeyed to"));
                    assertThat(ikeSpis(ss.listSas())).isNotEqualTo(before);
                    assertThat(ss.log()).doesNotContain("requested MID sync");
                }
                assertThat(read(secondLog)).doesNotContain(PSK);
                // the journal says which node resumed it
                Lab.Result resumed = cli(GWA, data, "events", "to-b", "--type", "resumed");
                assertThat(resumed.output()).as(resumed.output()).contains("resumed").contains("ikeSa=");
                assertThat(cli(GWA, data, "events", "to-b", "--type", "phase1-down").output())
                        .doesNotContain("phase1-down");
            } finally {
                first.destroyForcibly();
                RunProcess.stop(second);
            }
        }
        // after the capture: no new IKE_SA_INIT, and no (SPI, sequence) pair of ours twice
        assertThat(Tshark.fields(pcap, "isakmp.exchangetype == 34", "frame.number")).hasSize(2);
        RunProcess.EspSent sent = RunProcess.espSent(pcap, "192.0.2.1");
        assertThat(sent.spis()).hasSizeGreaterThan(40);
        assertThat(sent.repeated()).isEmpty();
        // the same outbound SPI before and after the restart, its numbers jumped above the reservation
        assertThat(new HashSet<>(sent.spis())).hasSize(1);
    }

}
