package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.dataplane.Dataplane;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node — control plane, dataplane and {@link IkeManager} in gw-a's namespace of the lab ({@code ops/lab/netns.sh},
 * its own prefix) — configured with an {@code ike} tunnel negotiates it with Debian's strongSwan on gw-b (PSK, UDP
 * encapsulation, the lab's default proposals), journals phase1-up and child-sa-installed, and carries host-a's ping
 * to host-b. Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkeNodeStrongSwanTest")
class IkeNodeStrongSwanTest {
    private static final String PSK = "node-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeNodeStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void nodeInitiatesToStrongSwanCarriesPingAcrossARekeyAndDeletesOnAdminDown(@TempDir Path dir)
            throws Exception {
        runNode(dir, "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n", false);
    }

    @Test
    void strongSwanInitiatesToAPassiveTunnelAndTheNodeDeletesOnShutdown(@TempDir Path dir) throws Exception {
        runNode(dir, "ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n",
                true);
    }

    /** strongSwan on {@code gw} ({@code gwb} or {@code gwc}, at {@code address}) for the lab's tunnel to gw-a. */
    private static StrongSwan strongSwan(Path ss, String gw, String address) throws Exception {
        return StrongSwan.psk(PREFIX + "-" + gw, ss, address, "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", PSK,
                "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519"); // PFS: our default
    }

    /** Starts strongSwan on gw-b and a node on gw-a with {@code config}; checks events, SAs, ping, then
     * (node initiating) a rekey by strongSwan and admin-down, or (strongSwan initiating) the node's shutdown. */
    private static void runNode(Path dir, String config, boolean strongSwanInitiates) throws Exception {
        try (StrongSwan ss = strongSwan(dir.resolve("ss"), "gwb", "192.0.2.2").start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(config);
            Dataplane dp = node.dataplane();
            if (strongSwanInitiates) {
                ss.initiateOnceConfigured(node, "to-b");
            }

            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            assertThat(dp.tunnels()).containsExactly("to-b");
            assertThat(ss.log()).contains("CHILD_SA net{1} established");

            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters " + dp.counters())
                    .isZero();

            if (!strongSwanInitiates) {
                // strongSwan rekeys the Child SA: the node installs the new pair, journals "rekeyed", keeps carrying
                Lab.Result r = ss.swanctl("--rekey", "--child", "net");
                assertThat(r.exit()).as(r.output()).isZero();
                node.awaitEvents("to-b", Duration.ofSeconds(30), () -> "charon log:\n" + ss.log(), "rekeyed");
                Lab.Result again = Lab.ping(PREFIX + "-ha", "10.2.0.10");
                assertThat(again.exit()).as("after rekey: " + again.output() + "\ncharon log:\n" + ss.log()
                        + "\ncounters " + dp.counters()).isZero();
                assertThat(node.eventTypes("to-b")).doesNotContain("child-sa-deleted", "phase1-down");
            }

            if (strongSwanInitiates) {
                // the node stops: it deletes the IKE SA at the peer before its sockets close
                node.ike().close();
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(ss.log()).contains("received DELETE for IKE_SA"));
            } else {
                // admin down: the node deletes the IKE SA at the peer and removes the SAs from the dataplane
                node.controlPlane().adminDown("to-b", "test").toCompletableFuture().get(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(dp.tunnels()).isEmpty();
                    assertThat(ss.log()).contains("received DELETE for IKE_SA");
                });
            }
        }
    }

    @Test
    void deadPeerIsDetectedTheNextPeerTakesOverAndTheFirstPeerIsTakenBackWhenItAnswers(@TempDir Path dir)
            throws Exception {
        try (StrongSwan ssB = strongSwan(dir.resolve("ss-b"), "gwb", "192.0.2.2").start();
                StrongSwan ssC = strongSwan(dir.resolve("ss-c"), "gwc", "192.0.2.3").start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 peer 192.0.2.3 psk \"" + PSK
                    + "\" dpd 2 label to-b\n");
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.phase1Peers("to-b")).as("charon log of gw-b:\n" + ssB.log()).containsExactly(
                            "192.0.2.2"));

            // gw-b goes silent (its WAN link down: stopping charon would send a Delete): after dpd (2 s) and the
            // liveness check's retransmissions (31 s), dpd-lost, then gw-c
            assertThat(sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "down").exit()).isZero();
            await().atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(node.eventTypes("to-b")).containsSubsequence("phase1-up", "dpd-lost", "peer-switched",
                        "phase1-up");
                assertThat(node.phase1Peers("to-b")).as("charon log of gw-c:\n" + ssC.log())
                        .containsExactly("192.0.2.2", "192.0.2.3");
            });
            assertThat(switches(node)).containsExactly("192.0.2.2 -> 192.0.2.3");

            // gw-b is back: within a dpd interval the node tries it again and switches back
            assertThat(sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "up").exit()).isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(node.phase1Peers("to-b")).as("charon log of gw-b:\n" + ssB.log())
                            .containsExactly("192.0.2.2", "192.0.2.3", "192.0.2.2"));
            assertThat(switches(node)).containsExactly("192.0.2.2 -> 192.0.2.3", "192.0.2.3 -> 192.0.2.2");
        } finally {
            sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "up");
        }
    }

    private static List<String> switches(LabNode node) throws Exception {
        return node.journal("to-b").stream().filter(TunnelEvent.PeerSwitched.class::isInstance)
                .map(e -> (TunnelEvent.PeerSwitched) e).map(e -> e.from().orElse("-") + " -> " + e.to()).toList();
    }
}
