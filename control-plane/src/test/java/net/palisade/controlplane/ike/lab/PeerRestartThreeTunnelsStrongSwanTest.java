package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A peer gateway with three connections to three {@code passive} tunnels of one node restarts (charon killed with
 * signal 9, no Delete sent) and brings all three up again at the same moment, as a gateway does when it boots:
 * three IKE_SA_INITs from one address at once, while the node still holds the three old IKE SAs. Each new IKE SA
 * must come up in its own tunnel within strongSwan's first attempt (its default {@code keyingtries} is 1: an
 * IKE_AUTH left unanswered is a connection that stays down), and a ping must cross each tunnel. Needs root and
 * strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("PeerRestartThreeTunnelsStrongSwanTest")
class PeerRestartThreeTunnelsStrongSwanTest {
    private static final String PSK = "peer-restart-lab-psk-not-for-production";
    private static final List<String> LABELS = List.of("one", "two", "three");

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(PeerRestartThreeTunnelsStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    /** Connection {@code name}: its own identity and network 10.2.{@code net}.0/24. */
    private static String connection(String name, int net) {
        return """
                  %1$s {
                    version = 2
                    local_addrs = 192.0.2.2
                    remote_addrs = 192.0.2.1
                    encap = yes
                    local {
                      auth = psk
                      id = site-%1$s.example
                    }
                    remote {
                      auth = psk
                      id = 192.0.2.1
                    }
                    children {
                      %1$s {
                        local_ts = 10.2.%2$d.0/24
                        remote_ts = 10.1.0.0/16
                        start_action = none
                      }
                    }
                  }
                """.formatted(name, net);
    }

    @Test
    void threeConnectionsComingBackAtOnceAfterThePeerRestartedEachComeUpInTheirTunnel(@TempDir Path dir)
            throws Exception {
        for (int i = 0; i < LABELS.size(); i++) {
            sh("ip", "netns", "exec", PREFIX + "-gwb", "ip", "addr", "replace", "10.2." + (10 + i) + ".1/24", "dev",
                    "lan");
        }
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/24",
                "10.1.0.0/16", PSK);
        // strongSwan's default proposals, lifetimes and keyingtries: what a peer has
        StringBuilder conf = new StringBuilder("connections {\n");
        for (int i = 0; i < LABELS.size(); i++) {
            conf.append(connection(LABELS.get(i), 10 + i));
        }
        conf.append("}\nsecrets {\n  ike-lab {\n    id-1 = site-one.example\n    id-2 = site-two.example\n"
                + "    id-3 = site-three.example\n    id-4 = 192.0.2.1\n    secret = \"" + PSK + "\"\n  }\n}\n");
        ss.editSwanctl(c -> conf.toString());
        StringBuilder config = new StringBuilder();
        for (int i = 0; i < LABELS.size(); i++) {
            config.append("ike passive from 10.1.0.0/16 to 10.2.").append(10 + i).append(".0/24 peer 192.0.2.2")
                    .append(" psk \"").append(PSK).append("\" label ").append(LABELS.get(i)).append('\n');
        }
        try (LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(config.toString());
            for (String label : LABELS) {
                node.awaitEvents(label, Duration.ofSeconds(30), () -> "", "configured");
            }
            try (StrongSwan peer = ss.start()) {
                initiateAllAtOnce(peer);
                awaitChildSas(node, peer, 1);
                pingEach(node, peer);
            }
            // the peer gateway restarts: no Delete, the node still holds the three IKE SAs
            sh("sh", "-c", "kill -9 $(cat " + dir.resolve("ss").resolve("charon.pid") + ")");
            Files.deleteIfExists(dir.resolve("ss").resolve("charon.pid"));
            try (StrongSwan peer = ss.start()) {
                initiateAllAtOnce(peer);
                awaitChildSas(node, peer, 2);
                pingEach(node, peer);
                String sas = peer.listSas();
                for (String label : LABELS) {
                    assertThat(sas).as("charon log:\n" + peer.log()).containsPattern(label + ": #\\d+, ESTABLISHED");
                    assertThat(node.eventTypes(label)).as(label).doesNotContain("negotiation-failed");
                }
                System.out.printf("peer restart, three tunnels: IKE_SA_INITs answered by spare responders: %d%n",
                        node.ike().dispatchCounters().getOrDefault("ikev2.dispatch.spare-responder", 0L));
            }
        }
    }

    /** All three children initiated by three swanctl processes at once, each waiting for its result. */
    private static void initiateAllAtOnce(StrongSwan peer) throws Exception {
        StringBuilder script = new StringBuilder();
        for (String label : LABELS) {
            script.append("(").append(String.join(" ", Lab.strongswanScript(), "swanctl", PREFIX + "-gwb",
                    peer.dir().toString(), "--initiate", "--child", label)).append(") & ");
        }
        Lab.Result all = Lab.sh("sh", "-c", script + "wait");
        assertThat(all.exit()).as(all.output() + "\ncharon log:\n" + peer.log()).isZero();
    }

    private static void awaitChildSas(LabNode node, StrongSwan peer, int n) {
        for (String label : LABELS) {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(label)).as(label + " dispatch " + node.ike().dispatchCounters()
                            + " charon log:\n" + peer.log())
                            .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(n));
            // (ikev2.dispatch.spare-responder in the message: how many IKE_SA_INITs were answered in actors of
            // their own; how many depends on the timing of strongSwan's requests, so it is not asserted)
        }
    }

    private static void pingEach(LabNode node, StrongSwan peer) throws Exception {
        for (int i = 0; i < LABELS.size(); i++) {
            Lab.Result r = Lab.ping(PREFIX + "-ha", "10.2." + (10 + i) + ".1");
            assertThat(r.exit()).as("ping through " + LABELS.get(i) + ": " + r.output() + "\nevents "
                    + node.eventTypes(LABELS.get(i)) + "\ncharon log:\n" + peer.log()).isZero();
        }
    }
}
