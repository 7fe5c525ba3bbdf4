package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.dataplane.TunnelCounters;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tunnel whose flows are negotiated as SA pairs of their own, against Debian's strongSwan in the namespace lab: an
 * IKEv1 tunnel {@code from A to B C} runs one quick mode per from/to pair, and strongSwan with two IKEv2
 * {@code children} creates a Child SA for each. Every pair must stay installed and carry its own flow: a ping to
 * host-b (10.2.0.10, the first flow) and one to strongSwan's second network (10.2.9.1, the second flow) both cross,
 * and each pair counts its own packets. The third case is ours: an IKEv2 tunnel with {@code sa-per-flow} makes a
 * Child SA per flow with strongSwan (its default proposals) answering. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("SaPerFlowStrongSwanTest")
class SaPerFlowStrongSwanTest {
    private static final String PSK = "per-flow-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(SaPerFlowStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void anIkev1TunnelWithTwoFlowsRunsTwoQuickModesAndBothFlowsCross(@TempDir Path dir) throws Exception {
        secondNetworkAtB();
        try (StrongSwan peer = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/24,10.2.9.0/24", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode()).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/24 10.2.9.0/24 peer 192.0.2.2 psk \"" + PSK
                    + "\" label to-b\n");
            awaitChildSas(node, peer, 2);
            pingBothFlows(node, peer);
            // strongSwan holds one ESP SA pair per quick mode, each with the IDs of one flow, each carrying packets
            String sas = peer.listSas();
            String pair = "in  \\p{XDigit}{8}, +\\d+ bytes, +[1-9]\\d* packets.*\\n.*\\n +local  %s\\n"
                    + " +remote 10\\.1\\.0\\.0/16";
            assertThat(sas).contains("ESTABLISHED, IKEv1").containsPattern(pair.formatted("10\\.2\\.0\\.0/24"))
                    .containsPattern(pair.formatted("10\\.2\\.9\\.0/24"));
            // our quick modes went one after the other (strongSwan's refusal of our PFS names no SA)
            assertThat(peer.log()).contains("no matching proposal found, sending NO_PROPOSAL_CHOSEN")
                    .doesNotContain("processing failed");
        }
    }

    @Test
    void strongSwanCreatesASecondIkev2ChildSaForItsOtherNetworkAndBothFlowsCross(@TempDir Path dir)
            throws Exception {
        secondNetworkAtB();
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/24",
                "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
        // a second child with strongSwan's other network, as a Cisco or FortiGate peer with two phase-2 entries
        ss.editSwanctl(c -> c.replace("    children {\n", """
                    children {
                      net2 {
                        local_ts = 10.2.9.0/24
                        remote_ts = 10.1.0.0/16
                        esp_proposals = aes128gcm16-x25519
                        start_action = none
                      }
                """));
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/24 10.2.9.0/24 peer 192.0.2.2 psk \"" + PSK
                    + "\" label to-b\n");
            peer.initiateOnceConfigured(node, "to-b");
            awaitChildSas(node, peer, 1);
            Lab.Result second = peer.swanctl("--initiate", "--child", "net2");
            assertThat(second.exit()).as(second.output() + "\ncharon log:\n" + peer.log()).isZero();
            awaitChildSas(node, peer, 2);
            pingBothFlows(node, peer);
            assertThat(peer.log()).contains("CHILD_SA net2{").doesNotContain("NO_ADDITIONAL_SAS");
        }
    }

    @Test
    void ourSaPerFlowTunnelMakesAnIkev2ChildSaPerFlowWithStrongSwanAsResponder(@TempDir Path dir) throws Exception {
        secondNetworkAtB();
        // one strongSwan child with both networks, and its default proposals: it narrows each of our
        // CREATE_CHILD_SAs to the pair we ask for
        try (StrongSwan peer = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/24,10.2.9.0/24", "10.1.0.0/16", PSK).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike active from 10.1.0.0/16 to 10.2.0.0/24 10.2.9.0/24 peer 192.0.2.2 psk \"" + PSK
                    + "\" sa-per-flow label to-b\n");
            awaitChildSas(node, peer, 2);
            pingBothFlows(node, peer);
            // strongSwan holds two Child SAs on one IKE SA, each with the selectors of one flow
            String sas = peer.listSas();
            assertThat(sas).as(sas).containsOnlyOnce("ESTABLISHED, IKEv2")
                    .containsPattern("local +10\\.2\\.0\\.0/24\\n +remote 10\\.1\\.0\\.0/16")
                    .containsPattern("local +10\\.2\\.9\\.0/24\\n +remote 10\\.1\\.0\\.0/16");
            assertThat(sas.split("INSTALLED, TUNNEL", -1)).as(sas).hasSize(3);
        }
    }

    /** strongSwan's second network: an address of its own on gw-b's inside, which it routes the flow from. */
    private static void secondNetworkAtB() throws Exception {
        sh("ip", "netns", "exec", PREFIX + "-gwb", "ip", "addr", "replace", "10.2.9.1/24", "dev", "lan");
    }

    private static void awaitChildSas(LabNode node, StrongSwan peer, int n) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(node.journal("to-b")).as("charon log:\n" + peer.log())
                        .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSizeGreaterThanOrEqualTo(n));
    }

    /** Pings host-b (first flow) and strongSwan's second network (second flow); each pair counts its own. */
    private static void pingBothFlows(LabNode node, StrongSwan peer) throws Exception {
        for (String to : List.of("10.2.0.10", "10.2.9.1")) {
            Lab.Result r = Lab.ping(PREFIX + "-ha", to);
            assertThat(r.exit()).as("ping " + to + ": " + r.output() + "\nevents " + node.eventTypes("to-b")
                    + "\ncounters " + node.dataplane().counters().describe() + "\ncharon log:\n" + peer.log()).isZero();
        }
        TunnelCounters c = node.dataplane().counters().tunnel("to-b").orElseThrow();
        assertThat(c.pairs()).as("one pair per flow, both installed: " + c).hasSize(2)
                .allMatch(p -> p.sending() && p.out().packets() > 0 && p.in().packets() > 0);
    }
}
