package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
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
 * Two tunnels of one node to the same strongSwan, which runs two connections with their own identities and
 * networks (10.2.0.0/24 as {@code site-one.example}, 10.2.9.0/24 as {@code site-two.example}) and initiates both:
 * each IKE SA must land in the tunnel its identity and selectors name — whichever tunnel's actor answered its
 * IKE_SA_INIT — both must be up at once, and a ping must cross each. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("TwoTunnelsOnePeerStrongSwanTest")
class TwoTunnelsOnePeerStrongSwanTest {
    private static final String PSK = "two-tunnels-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(TwoTunnelsOnePeerStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    /** strongSwan's two connections: one IKE SA each, told apart by their IDs and their networks. */
    private static final String SWANCTL = """
            connections {
              one {
                version = 2
                local_addrs = 192.0.2.2
                remote_addrs = 192.0.2.1
                encap = yes
                proposals = aes128gcm16-prfsha256-x25519
                local {
                  auth = psk
                  id = site-one.example
                }
                remote {
                  auth = psk
                  id = 192.0.2.1
                }
                children {
                  net {
                    local_ts = 10.2.0.0/24
                    remote_ts = 10.1.0.0/16
                    esp_proposals = aes128gcm16
                    start_action = none
                  }
                }
              }
              two {
                version = 2
                local_addrs = 192.0.2.2
                remote_addrs = 192.0.2.1
                encap = yes
                proposals = aes128gcm16-prfsha256-x25519
                local {
                  auth = psk
                  id = site-two.example
                }
                remote {
                  auth = psk
                  id = 192.0.2.1
                }
                children {
                  net2 {
                    local_ts = 10.2.9.0/24
                    remote_ts = 10.1.0.0/16
                    esp_proposals = aes128gcm16
                    start_action = none
                  }
                }
              }
            }
            secrets {
              ike-lab {
                id-1 = site-one.example
                id-2 = site-two.example
                id-3 = 192.0.2.1
                secret = "%s"
              }
            }
            """.formatted(PSK);

    @Test
    void eachIkeSaLandsInItsTunnelAndBothFlowsCross(@TempDir Path dir) throws Exception {
        sh("ip", "netns", "exec", PREFIX + "-gwb", "ip", "addr", "replace", "10.2.9.1/24", "dev", "lan");
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/24",
                "10.1.0.0/16", PSK);
        ss.editSwanctl(c -> SWANCTL);
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/24 peer 192.0.2.2 dstid site-one.example psk \""
                    + PSK + "\" label one\n"
                    + "ike passive from 10.1.0.0/16 to 10.2.9.0/24 peer 192.0.2.2 dstid site-two.example psk \""
                    + PSK + "\" label two\n");
            node.awaitEvents("two", Duration.ofSeconds(30), peer::log, "configured");
            node.awaitEvents("one", Duration.ofSeconds(30), peer::log, "configured");
            // the second first: its IKE_SA_INIT reaches tunnel one's responder (the first candidate), and is
            // handed to tunnel two at IKE_AUTH; then the first, while the second's IKE SA is up
            initiate(peer, "net2");
            initiate(peer, "net");
            for (String label : new String[] {"one", "two"}) {
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(node.journal(label)).as("charon log:\n" + peer.log())
                                .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(1));
            }
            for (String to : new String[] {"10.2.0.10", "10.2.9.1"}) {
                Lab.Result r = Lab.ping(PREFIX + "-ha", to);
                assertThat(r.exit()).as("ping " + to + ": " + r.output() + "\none " + node.eventTypes("one")
                        + "\ntwo " + node.eventTypes("two") + "\ncharon log:\n" + peer.log()).isZero();
            }
            // both IKE SAs are still up, each in its own tunnel, and nothing was refused or replaced on the way
            for (String label : new String[] {"one", "two"}) {
                assertThat(node.eventTypes(label)).as(label).contains("phase1-up", "child-sa-installed")
                        .doesNotContain("phase1-down", "negotiation-failed");
                assertThat(node.dataplane().counters().tunnel(label).orElseThrow().pairs()).as(label).hasSize(1)
                        .allMatch(p -> p.out().packets() > 0 && p.in().packets() > 0);
            }
            String sas = peer.listSas();
            assertThat(sas).containsPattern("one: #\\d+, ESTABLISHED").containsPattern("two: #\\d+, ESTABLISHED");
        }
    }

    @Test
    void bothConnectionsStartingAtOnceComeUpInTheirTunnels(@TempDir Path dir) throws Exception {
        sh("ip", "netns", "exec", PREFIX + "-gwb", "ip", "addr", "replace", "10.2.9.1/24", "dev", "lan");
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/24",
                "10.1.0.0/16", PSK);
        // no dstid on our side this time: the networks alone tell the two IKE SAs apart
        ss.editSwanctl(c -> SWANCTL);
        try (LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label one\n"
                    + "ike passive from 10.1.0.0/16 to 10.2.9.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label two\n");
            node.awaitEvents("one", Duration.ofSeconds(30), () -> "", "configured");
            node.awaitEvents("two", Duration.ofSeconds(30), () -> "", "configured");
            try (StrongSwan peer = ss.start()) {
                // both children at once, as a gateway that boots with two connections: two IKE_SA_INITs together
                Lab.Result both = Lab.sh("sh", "-c", String.join(" ", "(" + swanctl(peer, "net") + ") & ("
                        + swanctl(peer, "net2") + ") & wait"));
                assertThat(both.exit()).as(both.output() + "\ncharon log:\n" + peer.log()).isZero();
                for (String label : new String[] {"one", "two"}) {
                    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                            assertThat(node.journal(label)).as("charon log:\n" + peer.log())
                                    .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(1));
                }
                for (String to : new String[] {"10.2.0.10", "10.2.9.1"}) {
                    Lab.Result r = Lab.ping(PREFIX + "-ha", to);
                    assertThat(r.exit()).as("ping " + to + ": " + r.output() + "\none " + node.eventTypes("one")
                            + "\ntwo " + node.eventTypes("two") + "\ncharon log:\n" + peer.log()).isZero();
                }
                for (String label : new String[] {"one", "two"}) {
                    assertThat(node.eventTypes(label)).as(label).doesNotContain("phase1-down", "negotiation-failed");
                }
            }
        }
    }

    /** The shell words that have strongSwan initiate {@code child} (for running two at once). */
    private static String swanctl(StrongSwan peer, String child) {
        return String.join(" ", Lab.strongswanScript(), "swanctl", PREFIX + "-gwb", peer.dir().toString(),
                "--initiate", "--child", child);
    }

    private static void initiate(StrongSwan peer, String child) throws Exception {
        Lab.Result r = peer.swanctl("--initiate", "--child", child);
        assertThat(r.exit()).as(r.output() + "\ncharon log:\n" + peer.log()).isZero();
    }
}
