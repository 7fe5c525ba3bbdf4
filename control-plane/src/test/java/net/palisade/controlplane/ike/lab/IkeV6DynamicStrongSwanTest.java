package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.ike.lab.StrongSwanLab.sh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.tunnel.DataplanePorts;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node (control plane, dataplane, {@link IkeManager} in gw-a's namespace; lab prefix "ikv6") against Debian's
 * strongSwan on gw-b: an IKEv2 tunnel over IPv6 with IPv6 networks inside, both ways (the node initiating, and
 * strongSwan initiating to a passive tunnel); and a {@code dynamic} tunnel to a peer given by host name that
 * survives gw-a's address changing under it. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class IkeV6DynamicStrongSwanTest {
    private static final String PREFIX = "ikv6";
    private static final String PSK = "v6-dynamic-lab-psk-not-for-production";
    private static final Path NETNS_ETC = Path.of("/etc/netns", PREFIX + "-gwa");

    @BeforeAll
    static void lab() throws Exception {
        StrongSwanLab.up(PREFIX);
        // the lab's IPv6 plan: 2001:db8:2::/64 on the inet, fd00:1::/64 behind gw-a, fd00:2::/64 behind gw-b
        assertThat(sh(StrongSwanLab.LAB.resolve("netns.sh").toString(), "ipv6", PREFIX).exit()).isZero();
    }

    @AfterAll
    static void down() throws Exception {
        StrongSwanLab.down(PREFIX);
        sh("rm", "-rf", NETNS_ETC.toString());
    }

    @Test
    void theNodeInitiatesOverIpv6WithIpv6NetworksAndPing6Crosses(@TempDir Path dir) throws Exception {
        ipv6Tunnel(dir, "ike from fd00:1::/64 to fd00:2::/64 peer 2001:db8:2::2 psk \"" + PSK + "\" label to-b\n",
                false);
    }

    @Test
    void strongSwanInitiatesOverIpv6ToAPassiveTunnelAndPing6Crosses(@TempDir Path dir) throws Exception {
        ipv6Tunnel(dir, "ike passive from fd00:1::/64 to fd00:2::/64 peer 2001:db8:2::2 psk \"" + PSK
                + "\" label to-b\n", true);
    }

    private static void ipv6Tunnel(Path dir, String config, boolean strongSwanInitiates) throws Exception {
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        assertThat(sh(strongswan, "conf", ss.toString(), "2001:db8:2::2", "2001:db8:2::1", "fd00:2::/64",
                "fd00:1::/64", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit()).isZero();
        flushLog(ss);
        try (Node node = Node.start(dir, IkeManager.Resolver.SYSTEM)) {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            node.commit(config);
            if (strongSwanInitiates) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node.events())
                        .contains("configured"));
                StrongSwanLab.Result r = sh(strongswan, "swanctl", PREFIX + "-gwb", ss.toString(), "--initiate",
                        "--child", "net");
                assertThat(r.exit()).as(r.output()).isZero();
            }
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.events()).as("journal; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));
            assertThat(node.phase1Peers()).containsExactly("2001:db8:2::2");
            // strongSwan's own view: an IKE SA between the two IPv6 addresses, a Child SA of the IPv6 networks
            StrongSwanLab.Result sas = sh(strongswan, "swanctl", PREFIX + "-gwb", ss.toString(), "--list-sas");
            assertThat(sas.output()).contains("local  '2001:db8:2::2' @ 2001:db8:2::2[4500]",
                    "remote '2001:db8:2::1' @ 2001:db8:2::1[4500]", "local  fd00:2::/64", "remote fd00:1::/64");

            StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-6", "-c", "3", "-W", "2",
                    "fd00:2::10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss) + "\ncounters "
                    + node.dp.counters()).isZero();
        } finally {
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
        }
    }

    @Test
    void ipv4AndIpv6NetworksTogetherOverAnIpv4IkeSa(@TempDir Path dir) throws Exception {
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        assertThat(sh(strongswan, "conf", ss.toString(), "192.0.2.2", "192.0.2.1", "10.2.0.0/24,fd00:2::/64",
                "10.1.0.0/24,fd00:1::/64", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit())
                .isZero();
        flushLog(ss);
        try (Node node = Node.start(dir, IkeManager.Resolver.SYSTEM)) {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            node.commit("ike from 10.1.0.0/24 fd00:1::/64 to 10.2.0.0/24 fd00:2::/64 peer 192.0.2.2 psk \"" + PSK
                    + "\" label to-b\n");
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.events()).as("journal; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));
            assertThat(sas(ss)).contains("local  10.2.0.0/24 fd00:2::/64", "remote 10.1.0.0/24 fd00:1::/64");
            for (String target : List.of("10.2.0.10", "fd00:2::10")) {
                StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2",
                        target);
                assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss) + "\ncounters "
                        + node.dp.counters()).isZero();
            }
        } finally {
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
        }
    }

    @Test
    void aPassiveTunnelWithAPeerByNameAcceptsStrongSwanFromTheNamesAddress(@TempDir Path dir) throws Exception {
        Files.createDirectories(NETNS_ETC);
        Files.writeString(NETNS_ETC.resolve("hosts"), "127.0.0.1 localhost\n192.0.2.2 gw-b.lab\n");
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        assertThat(sh(strongswan, "conf", ss.toString(), "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16",
                PSK).exit()).isZero();
        flushLog(ss);
        try (Node node = Node.start(dir, NAMESPACE_HOSTS)) {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            node.commit("ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer gw-b.lab psk \"" + PSK
                    + "\" label to-b\n");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node.events())
                    .contains("configured"));
            StrongSwanLab.Result r = sh(strongswan, "swanctl", PREFIX + "-gwb", ss.toString(), "--initiate",
                    "--child", "net");
            assertThat(r.exit()).as(r.output() + "\ncharon log:\n" + log(ss)).isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.events()).as("journal; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));
            assertThat(node.phase1Peers()).containsExactly("192.0.2.2");
            StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2",
                    "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss)).isZero();
        } finally {
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
        }
    }

    /** Names as gw-a's namespace resolves them: libc's getent, with /etc/netns/NAME/hosts mounted by ip netns exec. */
    private static final IkeManager.Resolver NAMESPACE_HOSTS = IkeV6DynamicStrongSwanTest::resolveInGwA;

    private static List<InetAddress> resolveInGwA(String name) throws java.io.IOException {
        StrongSwanLab.Result r;
        try {
            r = sh("ip", "netns", "exec", PREFIX + "-gwa", "getent", "ahostsv4", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException("interrupted", e);
        }
        if (r.exit() != 0 || r.output().isBlank()) {
            throw new UnknownHostException(name);
        }
        List<InetAddress> out = new ArrayList<>();
        for (String line : r.output().strip().split("\n")) {
            InetAddress a = InetAddress.ofLiteral(line.split("\\s+")[0]);
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }

    @Test
    void aDynamicTunnelToAPeerByNameComesBackFromGwAsNewAddress(@TempDir Path dir) throws Exception {
        // the peer's name as gw-a's namespace resolves it: /etc/netns/NAME/hosts, which ip netns exec mounts
        Files.createDirectories(NETNS_ETC);
        // at first the name is unknown there
        Files.writeString(NETNS_ETC.resolve("hosts"), "127.0.0.1 localhost\n");
        String fqdn = sh("hostname", "-f").output().strip();
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        dynamicPeerConf(ss, fqdn);
        try (Node node = Node.start(dir, NAMESPACE_HOSTS)) {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            node.commit("ike dynamic from 10.1.0.0/24 to 10.2.0.0/24 peer gw-b.lab psk \"" + PSK
                    + "\" label to-b\n");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal()).filteredOn(TunnelEvent.NegotiationFailed.class::isInstance)
                            .map(e -> (TunnelEvent.NegotiationFailed) e)
                            .anySatisfy(f -> {
                                assertThat(f.reason()).isEqualTo(FailureReason.OTHER);
                                assertThat(f.detail()).isEqualTo("peer gw-b.lab: the name does not resolve");
                            }));
            // the name appears: the next attempt (the usual retry pause) resolves it and comes up
            Files.writeString(NETNS_ETC.resolve("hosts"), "127.0.0.1 localhost\n192.0.2.2 gw-b.lab\n");
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.events()).as("journal; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));
            assertThat(log(ss)).contains("authentication of '" + fqdn + "' with pre-shared key successful");
            assertThat(node.journal()).filteredOn(TunnelEvent.Configured.class::isInstance)
                    .map(e -> ((net.palisade.model.IkeTunnel) ((TunnelEvent.Configured) e).spec()).dpd())
                    .as("DPD is on for dynamic tunnels").containsOnly(Optional.of(Duration.ofSeconds(30)));
            assertThat(sas(ss)).contains("remote '" + fqdn + "' @ 192.0.2.1[4500]");
            StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2",
                    "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss)).isZero();

            // gw-a's address changes under the established IKE SA
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.1/24", "dev", "wan").exit()).isZero();
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "add", "192.0.2.11/24", "dev", "wan").exit())
                    .isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(node.events()).as("journal; charon log:\n" + log(ss)).containsSubsequence("phase1-up",
                        "child-sa-installed", "phase1-down", "phase1-up", "child-sa-installed");
                // the IKE SA from the old address is gone at strongSwan too (our Delete, or replaced by the new one)
                assertThat(sas(ss)).contains("remote '" + fqdn + "' @ 192.0.2.11[4500]")
                        .doesNotContain("@ 192.0.2.1[");
            });
            assertThat(node.journal().stream().filter(TunnelEvent.Phase1Down.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Down) e).reason()).toList())
                    .anyMatch(r -> r.contains("192.0.2.1 ") && r.contains("now 192.0.2.11"));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                StrongSwanLab.Result again = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "2", "-W", "2",
                        "10.2.0.10");
                assertThat(again.exit()).as("after the address change: " + again.output() + "\ncharon log:\n"
                        + log(ss) + "\ncounters " + node.dp.counters()).isZero();
            });
        } finally {
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
            sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.11/24", "dev", "wan");
            sh("ip", "-n", PREFIX + "-gwa", "addr", "replace", "192.0.2.1/24", "dev", "wan");
        }
    }

    @Test
    void aDynamicTunnelWhoseAddressIsGoneIsDpdLostAndComesBackWhenANewAddressAppears(@TempDir Path dir)
            throws Exception {
        String fqdn = sh("hostname", "-f").output().strip();
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        dynamicPeerConf(ss, fqdn);
        try (Node node = Node.start(dir, IkeManager.Resolver.SYSTEM)) {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            node.commit("ike dynamic from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK
                    + "\" dpd 2 label to-b\n");
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.events()).as("journal; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));

            // gw-a loses its only address on the inet: nothing reaches gw-b; DPD (2 s + 31 s of retransmissions)
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.1/24", "dev", "wan").exit()).isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(node.events()).containsSubsequence("phase1-up", "dpd-lost", "negotiation-failed"));
            assertThat(node.journal()).filteredOn(TunnelEvent.NegotiationFailed.class::isInstance)
                    .map(e -> ((TunnelEvent.NegotiationFailed) e).detail())
                    .allMatch(d -> d.startsWith("peer 192.0.2.2: no local address to reach it from ("), "no route");

            // a new address: the next retry comes up from it
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "add", "192.0.2.11/24", "dev", "wan").exit())
                    .isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(node.events()).containsSubsequence("phase1-up", "dpd-lost", "phase1-up",
                        "child-sa-installed");
                assertThat(sas(ss)).contains("remote '" + fqdn + "' @ 192.0.2.11[4500]");
            });
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                StrongSwanLab.Result again = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "2", "-W", "2",
                        "10.2.0.10");
                assertThat(again.exit()).as("from the new address: " + again.output()).isZero();
            });
        } finally {
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
            sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.11/24", "dev", "wan");
            sh("ip", "-n", PREFIX + "-gwa", "addr", "replace", "192.0.2.1/24", "dev", "wan");
        }
    }

    /** strongSwan on gw-b accepting a dynamic peer from any address, known by its host name {@code fqdn}. */
    private static void dynamicPeerConf(Path ss, String fqdn) throws Exception {
        String strongswan = StrongSwanLab.strongswanScript();
        assertThat(sh(strongswan, "conf", ss.toString(), "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16",
                PSK).exit()).isZero();
        flushLog(ss);
        // strongSwan accepts the dynamic peer from any address, known by its host name
        Files.writeString(ss.resolve("swanctl.conf"), """
                connections {
                  lab {
                    version = 2
                    local_addrs = 192.0.2.2
                    remote_addrs = %any
                    encap = yes
                    proposals = aes128gcm16-prfsha256-x25519
                    local {
                      auth = psk
                      id = 192.0.2.2
                    }
                    remote {
                      auth = psk
                      id = FQDN
                    }
                    children {
                      net {
                        local_ts = 10.2.0.0/16
                        remote_ts = 10.1.0.0/16
                        esp_proposals = aes128gcm16-x25519
                        start_action = none
                      }
                    }
                  }
                }
                secrets {
                  ike-lab {
                    id-1 = 192.0.2.2
                    id-2 = FQDN
                    secret = "PSK"
                  }
                }
                """.replace("FQDN", fqdn).replace("PSK", PSK));
    }

    /** A node in gw-a's namespace: dataplane, IKE, control plane. */
    private record Node(IkeManager ike, Dataplane dp, ControlPlane cp) implements AutoCloseable {
        static Node start(Path dir, IkeManager.Resolver resolver) throws Exception {
            Optional<Path> netns = Optional.of(NetNamespace.named(PREFIX + "-gwa"));
            IkeManager ike = new IkeManager(netns, 500, IkeSettings.DEFAULT,
                    Cookies.standard(Cookies.DEFAULT_THRESHOLD), resolver, IkeManager::systemHostName);
            Dataplane dp = null;
            try {
                dp = Dataplane.start(Dataplane.Settings.defaults().withTunName("ikv60").withWorkers(1)
                        .withCpus(List.of(0)).withNetns(netns.get()).withIkeSink(ike.sink()));
                ike.open(dp);
                ControlPlane cp = ControlPlane.start(Settings.defaults(dir.resolve("data"))
                        .withCluster("127.0.0.1", 0, List.of()), new DataplanePorts(dp, Optional.of(ike)));
                cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
                ike.attach(cp);
                return new Node(ike, dp, cp);
            } catch (Exception | Error e) {
                ike.close();
                if (dp != null) {
                    dp.close();
                }
                throw e;
            }
        }

        void commit(String config) throws Exception {
            cp.commit(config, "test", "ikv6 lab", Optional.empty()).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }

        List<TunnelEvent> journal() throws Exception {
            return cp.events("to-b", Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).stream().map(JournalEvent::event).toList();
        }

        List<String> events() throws Exception {
            return journal().stream().map(TunnelEvent::type).toList();
        }

        List<String> phase1Peers() throws Exception {
            return journal().stream().filter(TunnelEvent.Phase1Up.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Up) e).peer()).toList();
        }

        @Override
        public void close() {
            ike.close();
            cp.close();
            dp.close();
        }
    }

    /** charon writes its log line by line (the log is read while it runs). */
    private static void flushLog(Path ss) throws java.io.IOException {
        Path conf = ss.resolve("strongswan.conf");
        Files.writeString(conf, Files.readString(conf).replace("      ike = 2\n", "      ike = 2\n      flush_line = yes\n"));
    }

    private static String sas(Path ss) throws Exception {
        return sh(StrongSwanLab.strongswanScript(), "swanctl", PREFIX + "-gwb", ss.toString(), "--list-sas")
                .output();
    }

    private static String log(Path ss) {
        try {
            return Files.readString(ss.resolve("charon.log"));
        } catch (java.io.IOException e) {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }
}
