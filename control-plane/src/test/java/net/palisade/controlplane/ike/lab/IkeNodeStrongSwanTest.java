package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.ike.lab.StrongSwanLab.sh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.tunnel.DataplanePorts;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node — control plane, dataplane and {@link IkeManager} in gw-a's namespace of the lab ({@code ops/lab/netns.sh},
 * prefix "iknd") — configured with an {@code ike} tunnel negotiates it with Debian's strongSwan on gw-b (PSK, UDP
 * encapsulation, the lab's default proposals), journals phase1-up and child-sa-installed, and carries host-a's ping
 * to host-b. Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeNodeStrongSwanTest {
    private static final String PREFIX = "iknd";
    private static final String PSK = "node-lab-psk-not-for-production";

    @BeforeAll
    static void lab() throws Exception {
        StrongSwanLab.up(PREFIX);
    }

    @AfterAll
    static void down() throws Exception {
        StrongSwanLab.down(PREFIX);
    }

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

    /** Starts strongSwan on gw-b and a node on gw-a with {@code config}; checks events, SAs, ping, then
     * (node initiating) a rekey by strongSwan and admin-down, or (strongSwan initiating) the node's shutdown. */
    private static void runNode(Path dir, String config, boolean strongSwanInitiates) throws Exception {
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        assertThat(sh(strongswan, "conf", ss.toString(), "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16",
                PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit()).isZero(); // PFS: our default
        Path conf = ss.resolve("strongswan.conf");
        Files.writeString(conf, Files.readString(conf).replace("      ike = 2\n", "      ike = 2\n      flush_line = yes\n"));
        Optional<Path> netns = Optional.of(NetNamespace.named(PREFIX + "-gwa"));
        IkeManager ike = new IkeManager(netns, 500);
        Dataplane dp = null;
        ControlPlane cp = null;
        try {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            dp = Dataplane.start(Dataplane.Settings.defaults().withTunName("iknd0").withWorkers(1)
                    .withCpus(List.of(0)).withNetns(netns.get()).withIkeSink(ike.sink()));
            ike.open(dp);
            cp = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()),
                    new DataplanePorts(dp, Optional.of(ike)));
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            ike.attach(cp);
            cp.commit(config, "test", "ike with strongSwan", Optional.empty()).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            ControlPlane node = cp;
            if (strongSwanInitiates) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events(node))
                        .contains("configured"));
                StrongSwanLab.Result r = sh(strongswan, "swanctl", PREFIX + "-gwb", ss.toString(), "--initiate", "--child", "net");
                assertThat(r.exit()).as(r.output()).isZero();
            }

            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(events(node)).as("journal of to-b; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));
            assertThat(dp.tunnels()).containsExactly("to-b");
            assertThat(Files.readString(ss.resolve("charon.log"))).contains("CHILD_SA net{1} established");

            StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss) + "\ncounters " + dp.counters())
                    .isZero();

            if (!strongSwanInitiates) {
                // strongSwan rekeys the Child SA: the node installs the new pair, journals "rekeyed", keeps carrying
                StrongSwanLab.Result r = sh(strongswan, "swanctl", PREFIX + "-gwb", ss.toString(), "--rekey", "--child", "net");
                assertThat(r.exit()).as(r.output()).isZero();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(events(node)).as("journal of to-b; charon log:\n" + log(ss)).contains("rekeyed"));
                StrongSwanLab.Result again = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2", "10.2.0.10");
                assertThat(again.exit()).as("after rekey: " + again.output() + "\ncharon log:\n" + log(ss)
                        + "\ncounters " + dp.counters()).isZero();
                assertThat(events(node)).doesNotContain("child-sa-deleted", "phase1-down");
            }

            Dataplane d = dp;
            if (strongSwanInitiates) {
                // the node stops: it deletes the IKE SA at the peer before its sockets close
                ike.close();
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(log(ss)).contains("received DELETE for IKE_SA"));
            } else {
                // admin down: the node deletes the IKE SA at the peer and removes the SAs from the dataplane
                cp.adminDown("to-b", "test").toCompletableFuture().get(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(d.tunnels()).isEmpty();
                    assertThat(log(ss)).contains("received DELETE for IKE_SA");
                });
            }
        } finally {
            ike.close();
            if (cp != null) {
                cp.close();
            }
            if (dp != null) {
                dp.close();
            }
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
        }
    }

    @Test
    void deadPeerIsDetectedTheNextPeerTakesOverAndTheFirstPeerIsTakenBackWhenItAnswers(@TempDir Path dir)
            throws Exception {
        String strongswan = StrongSwanLab.strongswanScript();
        Path ssB = dir.resolve("ss-b");
        Path ssC = dir.resolve("ss-c");
        assertThat(sh(strongswan, "conf", ssB.toString(), "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16",
                PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit()).isZero();
        assertThat(sh(strongswan, "conf", ssC.toString(), "192.0.2.3", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16",
                PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit()).isZero();
        Optional<Path> netns = Optional.of(NetNamespace.named(PREFIX + "-gwa"));
        IkeManager ike = new IkeManager(netns, 500);
        Dataplane dp = null;
        ControlPlane cp = null;
        try {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ssB.toString()).exit()).isZero();
            assertThat(sh(strongswan, "start", PREFIX + "-gwc", ssC.toString()).exit()).isZero();
            dp = Dataplane.start(Dataplane.Settings.defaults().withTunName("iknd0").withWorkers(1)
                    .withCpus(List.of(0)).withNetns(netns.get()).withIkeSink(ike.sink()));
            ike.open(dp);
            cp = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()),
                    new DataplanePorts(dp, Optional.of(ike)));
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            ike.attach(cp);
            cp.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 peer 192.0.2.3 psk \"" + PSK
                    + "\" dpd 2 label to-b\n", "test", "failover", Optional.empty()).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            ControlPlane node = cp;
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(phase1Peers(node)).as("charon log of gw-b:\n" + log(ssB)).containsExactly(
                            "192.0.2.2"));

            // gw-b goes silent (its WAN link down: stopping charon would send a Delete): after dpd (2 s) and the
            // liveness check's retransmissions (31 s), dpd-lost, then gw-c
            assertThat(sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "down").exit()).isZero();
            await().atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(events(node)).containsSubsequence("phase1-up", "dpd-lost", "peer-switched",
                        "phase1-up");
                assertThat(phase1Peers(node)).as("charon log of gw-c:\n" + log(ssC))
                        .containsExactly("192.0.2.2", "192.0.2.3");
            });
            assertThat(switches(node)).containsExactly("192.0.2.2 -> 192.0.2.3");

            // gw-b is back: within a dpd interval the node tries it again and switches back
            assertThat(sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "up").exit()).isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(phase1Peers(node)).as("charon log of gw-b:\n" + log(ssB))
                            .containsExactly("192.0.2.2", "192.0.2.3", "192.0.2.2"));
            assertThat(switches(node)).containsExactly("192.0.2.2 -> 192.0.2.3", "192.0.2.3 -> 192.0.2.2");
        } finally {
            ike.close();
            if (cp != null) {
                cp.close();
            }
            if (dp != null) {
                dp.close();
            }
            sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "up");
            sh(strongswan, "stop", PREFIX + "-gwb", ssB.toString());
            sh(strongswan, "stop", PREFIX + "-gwc", ssC.toString());
        }
    }

    private static List<TunnelEvent> journal(ControlPlane node) throws Exception {
        return node.events("to-b", Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS).stream().map(JournalEvent::event).toList();
    }

    private static List<String> phase1Peers(ControlPlane node) throws Exception {
        return journal(node).stream().filter(TunnelEvent.Phase1Up.class::isInstance)
                .map(e -> ((TunnelEvent.Phase1Up) e).peer()).toList();
    }

    private static List<String> switches(ControlPlane node) throws Exception {
        return journal(node).stream().filter(TunnelEvent.PeerSwitched.class::isInstance)
                .map(e -> (TunnelEvent.PeerSwitched) e).map(e -> e.from().orElse("-") + " -> " + e.to()).toList();
    }

    private static List<String> events(ControlPlane node) throws Exception {
        return node.events("to-b", Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS).stream().map(JournalEvent::event).map(TunnelEvent::type).toList();
    }

    private static String log(Path ss) {
        try {
            return Files.readString(ss.resolve("charon.log"));
        } catch (java.io.IOException e) {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }

}
