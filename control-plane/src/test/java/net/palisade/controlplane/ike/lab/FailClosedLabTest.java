package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.worker.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A tunnel fails closed: gw-a has a default route out of its WAN (via gw-c, "the internet"), and while its IKE
 * tunnel to gw-b has no Child SA — the peer absent, then gone again after its Delete — host-a's packets for the
 * tunnel's remote network go into the TUN device and are dropped by the workers ({@code no_sa}, the counter behind
 * {@code palisade_drops_total{reason="no_sa"}}), not out of the WAN in clear (a capture on gw-a's WAN is the judge).
 * Between, with strongSwan on gw-b up, they cross the tunnel; IKEv2 and IKEv1. Needs root, strongSwan, tcpdump and
 * tshark.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("FailClosedLabTest") // its tests share gw-a's default route and TUN device: one at a time
class FailClosedLabTest {
    private static final String PSK = "fail-closed-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(FailClosedLabTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String GWA = PREFIX + "-gwa";

    @Test
    void trafficForTheRemoteNetworkIsDroppedNotSentInClearWhileTheTunnelHasNoSa(@TempDir Path dir) throws Exception {
        failsClosed(dir, StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519"), "");
    }

    @Test
    void anIkev1TunnelFailsClosedToo(@TempDir Path dir) throws Exception {
        failsClosed(dir, StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode()), " main");
    }

    /** The story of the class comment, with {@code peer} (configured, not started) and the node's exchange words. */
    private static void failsClosed(Path dir, StrongSwan peer, String exchange) throws Exception {
        Lab.Result route = sh("ip", "-n", GWA, "route", "add", "default", "via", "192.0.2.3", "dev", "wan");
        assertThat(route.exit()).as(route.output()).isZero();
        try (StrongSwan ss = peer; LabNode node = LabNode.start(PREFIX, dir)) {
            Dataplane dp = node.dataplane();
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2" + exchange + " psk \"" + PSK
                    + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(30), () -> "", "configured");
            awaitRouteOrTimeout();

            // the peer is absent: nothing for 10.2.0.0/16 leaves in clear, the workers drop and count it
            noClearPacketLeaves(dp, dir.resolve("before.pcap"), "before the first SA");

            // the peer comes up and initiates: host-a's traffic crosses the tunnel
            ss.start();
            ss.initiate();
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncounters " + dp.counters().describe()).isZero();

            // the peer deletes its IKE SA (and with it the Child SA): closed again
            Lab.Result down = ss.swanctl("--terminate", "--ike", "lab");
            assertThat(down.exit()).as(down.output()).isZero();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(dp.tunnels()).isEmpty());
            noClearPacketLeaves(dp, dir.resolve("after.pcap"), "after the peer's Delete");

            // the tunnel is stopped (admin down): its route goes, the host's own routes apply again
            node.controlPlane().adminDown("to-b", "test").toCompletableFuture().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(tunRoute()).isEmpty());
        } finally {
            sh("ip", "-n", GWA, "route", "del", "default");
        }
    }

    /** gw-a's route to 10.2.0.0/16 through the node's TUN device (empty: none). */
    private static String tunRoute() throws Exception {
        return sh("ip", "-n", GWA, "route", "show", "10.2.0.0/16", "dev", PREFIX + "0").output().trim();
    }

    /**
     * Waits (at most 10 s) for the held route, and goes on without it: then the capture below is what fails, as it
     * did before routes were held.
     */
    private static void awaitRouteOrTimeout() {
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !tunRoute().isEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // no route: the capture's assertion says what that means
        }
    }

    /** host-a pings 10.2.0.10 (three echoes, no answer); none leaves gw-a's WAN in clear, all count as no_sa. */
    private static void noClearPacketLeaves(Dataplane dp, Path pcap, String when) throws Exception {
        long noSaBefore = dp.counters().total(Counter.NO_SA);
        try (Tshark.Capture c = Tshark.capture(GWA, "wan", pcap, "ip and dst net 10.2.0.0/16")) {
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(when + ": no answer expected: " + ping.output()).isNotZero();
        }
        assertThat(Tshark.fields(pcap, "ip.dst == 10.2.0.0/16", "ip.dst"))
                .as(when + ": packets for the remote network that left gw-a's WAN in clear").isEmpty();
        assertThat(dp.counters().total(Counter.NO_SA) - noSaBefore)
                .as(when + ": no_sa drops; counters " + dp.counters().describe()).isGreaterThanOrEqualTo(3);
    }
}
