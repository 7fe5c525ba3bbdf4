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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.ThreeSites;
import net.palisade.controlplane.lab.ThreeSites.Site;
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
 * A hub with a pair key survives {@code kill -9} without any site renegotiating: {@code palisade run} in gw-a's
 * namespace serves three strongSwan sites (gw-b, gw-c and gw-d, a namespace this test adds on the lab's internet)
 * through one any-peer passive tunnel ({@code ike passive ... psk}, no peer), one IKE SA per site; a ping crosses to
 * each. The process is killed with SIGKILL and started again on the same data directory: every site's IKE SA is
 * resumed, each in its site's session, strongSwan keeps each (same SPIs in {@code swanctl --list-sas}, and it answered
 * our message ID sync), no IKE_SA_INIT crosses the wire after the restart, each site pings again, and no (SPI,
 * sequence number) pair of ours is seen twice (tshark on the bridge judges). Needs root, strongSwan, tcpdump and
 * tshark; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("RunResumeAnyPeerStrongSwanTest")
class RunResumeAnyPeerStrongSwanTest {
    private static final String PSK = "resume-any-peer-lab-psk-not-for-production";
    private static final String LABEL = "sites";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(RunResumeAnyPeerStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String GWA = PREFIX + "-gwa";

    @Test
    void killNineAndStartAgainKeepsEverySitesIkeSa(@TempDir Path dir) throws Exception {
        try (ThreeSites three = ThreeSites.set(PREFIX)) {
            run(dir, three.sites());
        }
    }

    private static void run(Path dir, List<Site> all) throws Exception {
        Path data = dir.resolve("data");
        assertThat(Main.commandLine().execute("ha", "init", "--data", data.toString())).isZero();
        Path config = Files.writeString(dir.resolve("palisade.conf"), "ike passive from 10.1.0.0/16 to 10.2.0.0/16"
                + " psk \"" + PSK + "\" label " + LABEL + "\n");
        Path pcap = dir.resolve("wire.pcap");
        Path firstLog = dir.resolve("node-1.log");
        Path secondLog = dir.resolve("node-2.log");
        StrongSwan[] sites = new StrongSwan[all.size()];
        Process first = null;
        Process second = null;
        try (Tshark.Capture capture = Tshark.capture(PREFIX + "-inet", "br0", pcap)) {
            first = runIn(GWA, config, data, "ikap1", firstLog);
            Process node = first;
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(node.isAlive()).as(read(firstLog)).isTrue();
                assertThat(read(firstLog)).contains(" up: API ").contains("pair key ");
            });
            for (int i = 0; i < all.size(); i++) {
                Site s = all.get(i);
                sites[i] = StrongSwan.psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1",
                        s.network(), "10.1.0.0/16", PSK).start();
                sites[i].initiate();
            }
            for (Site s : all) {
                awaitPing(s, firstLog);
            }
            List<String> before = new ArrayList<>();
            for (StrongSwan s : sites) {
                before.add(ikeSpis(s.listSas()));
            }
            // the journal has each IKE SA's state and each Child SA's before we kill (asked through the CLI)
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                String events = cli(GWA, data, "events", LABEL, "--type", "takeover-state").output();
                assertThat(count(events, "scope=ike-sa")).as(events).isGreaterThanOrEqualTo(3);
                assertThat(count(events, "scope=child-sa")).as(events).isGreaterThanOrEqualTo(3);
            });

            java.time.Instant killed = java.time.Instant.now();
            first.destroyForcibly(); // SIGKILL: no Delete, no shutdown hook
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

            second = runIn(GWA, config, data, "ikap1", secondLog);
            Process restarted = second;
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(restarted.isAlive()).as(read(secondLog)).isTrue();
                assertThat(read(secondLog)).contains(" up: API ");
                assertThat(count(read(secondLog), "resuming IKE SA")).as(read(secondLog)).isEqualTo(3);
            });
            for (Site s : all) {
                awaitPing(s, secondLog);
            }
            // for docs/status.md: from the kill to every site pinging again (a new JVM's start included; each
            // site's ping polled every 0.5 s)
            System.out.println("RunResumeAnyPeerStrongSwanTest: all three sites ping again "
                    + Duration.between(killed, java.time.Instant.now()).toMillis() + " ms after kill -9");
            for (int i = 0; i < sites.length; i++) {
                // each site kept its IKE SA, and synchronised message IDs with the session that resumed it
                assertThat(ikeSpis(sites[i].listSas())).as(all.get(i).namespace()).isEqualTo(before.get(i));
                StrongSwan site = sites[i];
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(site.log()).as(site.log()).contains("requested MID sync"));
            }
            // each resumed IKE SA went to the session of the identity it authenticated (the sites' addresses)
            for (Site s : all) {
                assertThat(read(secondLog)).containsPattern("resuming IKE SA \\S+ with /" + Pattern.quote(s.address())
                        + ":\\d+ \\(1:" + Pattern.quote(s.address()) + "\\)");
            }
            assertThat(read(secondLog)).doesNotContain(PSK);
            String resumed = cli(GWA, data, "events", LABEL, "--type", "resumed").output();
            assertThat(count(resumed, "ikeSa=")).as(resumed).isEqualTo(3);
            assertThat(cli(GWA, data, "events", LABEL, "--type", "phase1-down").output()).doesNotContain("phase1-down");
        } finally {
            for (StrongSwan s : sites) {
                if (s != null) {
                    s.close();
                }
            }
            if (first != null) {
                first.destroyForcibly();
            }
            RunProcess.stop(second);
        }
        // after the capture: the three IKE_SA_INITs of before (requests and answers) and none after; no (SPI,
        // sequence) pair of ours twice
        assertThat(Tshark.fields(pcap, "isakmp.exchangetype == 34", "frame.number")).hasSize(6);
        RunProcess.EspSent sent = RunProcess.espSent(pcap, "192.0.2.1");
        assertThat(sent.spis()).hasSizeGreaterThan(12);
        assertThat(sent.repeated()).isEmpty();
        // one outbound SPI per site, the same before and after the restart
        assertThat(new HashSet<>(sent.spis())).hasSize(3);
    }

    private static void awaitPing(Site s, Path log) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Lab.Result r = Lab.in(PREFIX + "-ha", "ping", "-c", "3", "-i", "0.2", "-W", "1", s.host());
            assertThat(r.exit()).as("ping " + s.host() + ": " + r.output() + "\nnode log:\n" + read(log)).isZero();
        });
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }
}
