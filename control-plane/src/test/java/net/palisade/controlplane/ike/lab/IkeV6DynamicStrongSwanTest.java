package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
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
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * A real node (control plane, dataplane, {@link IkeManager} in gw-a's namespace; lab its own prefix) against Debian's
 * strongSwan on gw-b: an IKEv2 tunnel over IPv6 with IPv6 networks inside, both ways (the node initiating, and
 * strongSwan initiating to a passive tunnel); and a {@code dynamic} tunnel to a peer given by host name that
 * survives gw-a's address changing under it. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkeV6DynamicStrongSwanTest")
class IkeV6DynamicStrongSwanTest {
    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeV6DynamicStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String PSK = "v6-dynamic-lab-psk-not-for-production";
    private static final Path NETNS_ETC = Path.of("/etc/netns", PREFIX + "-gwa");

    @BeforeAll
    static void lab() throws Exception {
        // the lab's IPv6 plan: 2001:db8:2::/64 on the inet, fd00:1::/64 behind gw-a, fd00:2::/64 behind gw-b
        assertThat(sh(Lab.netnsScript(), "ipv6", PREFIX).exit()).isZero();
    }

    @AfterAll
    static void down() throws Exception {
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
        try (StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "2001:db8:2::2",
                "2001:db8:2::1", "fd00:2::/64", "fd00:1::/64", PSK, "aes128gcm16-prfsha256-x25519",
                "aes128gcm16-x25519");
                LabNode node = node(dir, IkeManager.Resolver.SYSTEM)) {
            ss.start();
            node.commit(config);
            if (strongSwanInitiates) {
                ss.initiateOnceConfigured(node, "to-b");
            }
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            assertThat(node.phase1Peers("to-b")).containsExactly("2001:db8:2::2");
            // strongSwan's own view: an IKE SA between the two IPv6 addresses, a Child SA of the IPv6 networks
            Lab.Result sas = ss.swanctl("--list-sas");
            assertThat(sas.output()).contains("local  '2001:db8:2::2' @ 2001:db8:2::2[4500]",
                    "remote '2001:db8:2::1' @ 2001:db8:2::1[4500]", "local  fd00:2::/64", "remote fd00:1::/64");

            Lab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-6", "-c", "3", "-W", "2",
                    "fd00:2::10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters()).isZero();
        }
    }

    @Test
    void ipv4AndIpv6NetworksTogetherOverAnIpv4IkeSa(@TempDir Path dir) throws Exception {
        try (StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2",
                "192.0.2.1", "10.2.0.0/24,fd00:2::/64", "10.1.0.0/24,fd00:1::/64", PSK, "aes128gcm16-prfsha256-x25519",
                "aes128gcm16-x25519");
                LabNode node = node(dir, IkeManager.Resolver.SYSTEM)) {
            ss.start();
            node.commit("ike from 10.1.0.0/24 fd00:1::/64 to 10.2.0.0/24 fd00:2::/64 peer 192.0.2.2 psk \"" + PSK
                    + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            assertThat(ss.listSas()).contains("local  10.2.0.0/24 fd00:2::/64", "remote 10.1.0.0/24 fd00:1::/64");
            for (String target : List.of("10.2.0.10", "fd00:2::10")) {
                Lab.Result ping = Lab.ping(PREFIX + "-ha", target);
                assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                        + node.dataplane().counters()).isZero();
            }
        }
    }

    @Test
    void aPassiveTunnelWithAPeerByNameAcceptsStrongSwanFromTheNamesAddress(@TempDir Path dir) throws Exception {
        Files.createDirectories(NETNS_ETC);
        Files.writeString(NETNS_ETC.resolve("hosts"), "127.0.0.1 localhost\n192.0.2.2 gw-b.lab\n");
        try (StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2",
                "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", PSK);
                LabNode node = node(dir, NAMESPACE_HOSTS)) {
            ss.start();
            node.commit("ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer gw-b.lab psk \"" + PSK
                    + "\" label to-b\n");
            ss.initiateOnceConfigured(node, "to-b");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            assertThat(node.phase1Peers("to-b")).containsExactly("192.0.2.2");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();
        }
    }

    /** Names as gw-a's namespace resolves them: libc's getent, with /etc/netns/NAME/hosts mounted by ip netns exec. */
    private static final IkeManager.Resolver NAMESPACE_HOSTS = IkeV6DynamicStrongSwanTest::resolveInGwA;

    private static List<InetAddress> resolveInGwA(String name) throws java.io.IOException {
        Lab.Result r;
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
        try (StrongSwan ss = dynamicPeerConf(dir, fqdn); LabNode node = node(dir, NAMESPACE_HOSTS)) {
            ss.start();
            node.commit("ike dynamic from 10.1.0.0/24 to 10.2.0.0/24 peer gw-b.lab psk \"" + PSK
                    + "\" label to-b\n");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal("to-b")).filteredOn(TunnelEvent.NegotiationFailed.class::isInstance)
                            .map(e -> (TunnelEvent.NegotiationFailed) e)
                            .anySatisfy(f -> {
                                assertThat(f.reason()).isEqualTo(FailureReason.ADDRESS_UNAVAILABLE);
                                assertThat(f.detail()).isEqualTo("peer gw-b.lab: the name does not resolve");
                            }));
            // the name appears: the next attempt (the usual retry pause) resolves it and comes up
            Files.writeString(NETNS_ETC.resolve("hosts"), "127.0.0.1 localhost\n192.0.2.2 gw-b.lab\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            assertThat(ss.log()).contains("authentication of '" + fqdn + "' with pre-shared key successful");
            assertThat(node.journal("to-b")).filteredOn(TunnelEvent.Configured.class::isInstance)
                    .map(e -> ((net.palisade.model.IkeTunnel) ((TunnelEvent.Configured) e).spec()).dpd())
                    .as("DPD is on for dynamic tunnels").containsOnly(Optional.of(Duration.ofSeconds(30)));
            assertThat(ss.listSas()).contains("remote '" + fqdn + "' @ 192.0.2.1[4500]");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();

            // gw-a's address changes under the established IKE SA
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.1/24", "dev", "wan").exit()).isZero();
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "add", "192.0.2.11/24", "dev", "wan").exit())
                    .isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(node.eventTypes("to-b")).as("journal; charon log:\n" + ss.log()).containsSubsequence(
                        "phase1-up",
                        "child-sa-installed", "phase1-down", "phase1-up", "child-sa-installed");
                // the IKE SA from the old address is gone at strongSwan too (our Delete, or replaced by the new one)
                assertThat(ss.listSas()).contains("remote '" + fqdn + "' @ 192.0.2.11[4500]")
                        .doesNotContain("@ 192.0.2.1[");
            });
            assertThat(node.journal("to-b").stream().filter(TunnelEvent.Phase1Down.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Down) e).reason()).toList())
                    .anyMatch(r -> r.contains("192.0.2.1 ") && r.contains("now 192.0.2.11"));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                Lab.Result again = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "2", "-W", "2",
                        "10.2.0.10");
                assertThat(again.exit()).as("after the address change: " + again.output() + "\ncharon log:\n"
                        + ss.log() + "\ncounters " + node.dataplane().counters()).isZero();
            });
        } finally {
            sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.11/24", "dev", "wan");
            sh("ip", "-n", PREFIX + "-gwa", "addr", "replace", "192.0.2.1/24", "dev", "wan");
        }
    }

    @Test
    void aDynamicTunnelWhoseAddressIsGoneIsDpdLostAndComesBackWhenANewAddressAppears(@TempDir Path dir)
            throws Exception {
        String fqdn = sh("hostname", "-f").output().strip();
        try (StrongSwan ss = dynamicPeerConf(dir, fqdn); LabNode node = node(dir, IkeManager.Resolver.SYSTEM)) {
            ss.start();
            node.commit("ike dynamic from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK
                    + "\" dpd 2 label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");

            // gw-a loses its only address on the inet: nothing reaches gw-b; DPD (2 s + 31 s of retransmissions)
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.1/24", "dev", "wan").exit()).isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(node.eventTypes("to-b")).containsSubsequence("phase1-up", "dpd-lost",
                            "negotiation-failed"));
            assertThat(node.journal("to-b")).filteredOn(TunnelEvent.NegotiationFailed.class::isInstance)
                    .map(e -> ((TunnelEvent.NegotiationFailed) e).detail())
                    .allMatch(d -> d.startsWith("peer 192.0.2.2: no local address to reach it from ("), "no route");

            // a new address: the next retry comes up from it
            assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "add", "192.0.2.11/24", "dev", "wan").exit())
                    .isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(node.eventTypes("to-b")).containsSubsequence("phase1-up", "dpd-lost", "phase1-up",
                        "child-sa-installed");
                assertThat(ss.listSas()).contains("remote '" + fqdn + "' @ 192.0.2.11[4500]");
            });
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                Lab.Result again = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "2", "-W", "2",
                        "10.2.0.10");
                assertThat(again.exit()).as("from the new address: " + again.output()).isZero();
            });
        } finally {
            sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.11/24", "dev", "wan");
            sh("ip", "-n", PREFIX + "-gwa", "addr", "replace", "192.0.2.1/24", "dev", "wan");
        }
    }

    /** strongSwan on gw-b accepting a dynamic peer from any address, known by its host name {@code fqdn}. */
    private static StrongSwan dynamicPeerConf(Path dir, String fqdn) throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK);
        // strongSwan accepts the dynamic peer from any address, known by its host name
        return ss.editSwanctl(c -> """
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

    /** A node in gw-a's namespace: dataplane, IKE, control plane; peer names resolved by {@code resolver}. */
    private static LabNode node(Path dir, IkeManager.Resolver resolver) throws Exception {
        return LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX).withResolver(resolver));
    }
}
