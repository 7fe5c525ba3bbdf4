package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.dataplane.worker.Counter;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tunnel's {@code ping} against Debian's strongSwan on gw-b: the node on gw-a pings from 10.1.0.1 (the first
 * address of its local network) to 10.2.0.1 (the first of the remote one, gw-b's inside address) through the
 * tunnel; gw-b's kernel answers, so the tunnel is {@code reachable} and {@code ping-ok} is journaled. Then gw-b stops
 * answering echoes (the IKE SA stays healthy: only the far side is gone): after three echoes lost the
 * tunnel journals {@code ping-lost}, and, being {@code active}, restarts its IKE SA ({@code phase1-down} saying why,
 * a new {@code phase1-up}). Answering again, the next Child SA's ping is answered again. With two peers (gw-b,
 * gw-c) and no DPD, the lost ping moves the tunnel to gw-c at once, as DPD would. Needs root and strongSwan; skipped
 * with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkePingStrongSwanTest")
class IkePingStrongSwanTest {
    private static final String PSK = "ping-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkePingStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void pingGoesReachableThenLostWhenTheFarSideIsGoneAndTheActiveTunnelRestarts(@TempDir Path dir)
            throws Exception {
        try (StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" ping label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed", "ping-ok");
            assertThat(view(node).reachability()).contains("reachable");
            TunnelEvent.PingOk ok = (TunnelEvent.PingOk) node.journal("to-b").stream()
                    .filter(TunnelEvent.PingOk.class::isInstance).findFirst().orElseThrow();
            assertThat(ok.from()).isEqualTo("10.1.0.1");
            assertThat(ok.to()).isEqualTo("10.2.0.1");
            // the replies were ours: kept from the TUN device, counted
            assertThat(replies(node)).isPositive();

            // gw-b's inside host stops answering echoes (its kernel ignores them): strongSwan still decrypts them,
            // IKE stays healthy, only the far side is gone
            assertThat(sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
                    .exit()).isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.eventTypes("to-b")).as("charon log:\n" + ss.log()).containsSubsequence(
                            "phase1-up", "child-sa-installed", "ping-ok", "ping-lost", "phase1-down", "phase1-up"));
            List<TunnelEvent> journal = node.journal("to-b");
            TunnelEvent.PingLost lost = (TunnelEvent.PingLost) journal.stream()
                    .filter(TunnelEvent.PingLost.class::isInstance).findFirst().orElseThrow();
            assertThat(lost.lost()).isEqualTo(3);
            assertThat(lost.to()).isEqualTo("10.2.0.1");
            assertThat(journal.stream().filter(TunnelEvent.Phase1Down.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Down) e).reason()).toList()).contains("timeout: ping lost");
            assertThat(node.eventTypes("to-b")).doesNotContain("dpd-lost");

            // it answers again: the restarted tunnel's ping is answered again
            assertThat(sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0")
                    .exit()).isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                List<String> types = node.eventTypes("to-b");
                assertThat(types.lastIndexOf("ping-ok")).as(types.toString())
                        .isGreaterThan(types.lastIndexOf("ping-lost"));
                assertThat(view(node).reachability()).contains("reachable");
            });
        } finally {
            sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0");
        }
    }

    @Test
    void anIkev1TunnelsPingToo(@TempDir Path dir) throws Exception {
        // the documentation's IKEv1 lines carry ping: a lost ping restarts an initiating IKEv1 tunnel as well
        try (StrongSwan ss = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode()).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike main from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" ping label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed", "ping-ok");
            assertThat(sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
                    .exit()).isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.eventTypes("to-b")).as("charon log:\n" + ss.log()).containsSubsequence(
                            "phase1-up", "child-sa-installed", "ping-ok", "ping-lost", "phase1-down", "phase1-up"));
            assertThat(node.journal("to-b").stream().filter(TunnelEvent.Phase1Down.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Down) e).reason()).toList()).contains("timeout: ping lost");
        } finally {
            sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0");
        }
    }

    @Test
    void aLostPingMovesAnActiveTunnelToTheNextPeerLikeDpd(@TempDir Path dir) throws Exception {
        try (StrongSwan ssB = strongSwan(dir.resolve("ss-b"), "gwb", "192.0.2.2").start();
                StrongSwan ssC = strongSwan(dir.resolve("ss-c"), "gwc", "192.0.2.3").start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            // no dpd: without ping nothing would notice that the far side is gone while gw-b's IKE still answers
            node.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 peer 192.0.2.3 psk \"" + PSK
                    + "\" ping label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log of gw-b:\n" + ssB.log(), "ping-ok");
            assertThat(sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
                    .exit()).isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(node.eventTypes("to-b")).containsSubsequence("phase1-up", "ping-ok", "ping-lost",
                        "phase1-down", "peer-switched", "phase1-up");
                assertThat(node.phase1Peers("to-b")).as("charon log of gw-c:\n" + ssC.log())
                        .containsSubsequence("192.0.2.2", "192.0.2.3");
            });
            List<TunnelEvent> journal = node.journal("to-b");
            TunnelEvent.PeerSwitched sw = (TunnelEvent.PeerSwitched) journal.stream()
                    .filter(TunnelEvent.PeerSwitched.class::isInstance).findFirst().orElseThrow();
            assertThat(sw.from()).contains("192.0.2.2");
            assertThat(sw.to()).isEqualTo("192.0.2.3");
            assertThat(node.eventTypes("to-b")).doesNotContain("dpd-lost");
        } finally {
            sh("ip", "netns", "exec", PREFIX + "-gwb", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0");
        }
    }

    private static StrongSwan strongSwan(Path ss, String gw, String address) throws Exception {
        return StrongSwan.psk(PREFIX + "-" + gw, ss, address, "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", PSK,
                "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
    }

    private static TunnelView view(LabNode node) throws Exception {
        return node.controlPlane().tunnels().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
                .filter(v -> v.label().equals("to-b")).findFirst().orElseThrow();
    }

    private static long replies(LabNode node) {
        return node.dataplane().counters().workers().stream().mapToLong(w -> w.get(Counter.PING_REPLIES))
                .sum();
    }
}
