package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
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
 * Two strongSwan sites behind one NAT address against one any-peer passive tunnel on the node (gw-a, 192.0.2.1).
 * The test adds a masquerading NAT box (nftables) on the lab's internet at 192.0.2.5 and, behind it on links of
 * their own, site 1 (172.16.5.2, network 10.2.5.0/24) and site 2 (172.16.6.2, network 10.2.6.0/24). Both come from
 * 192.0.2.5; the NAT leaves the first its ports 500 and 4500 and gives the second others (as a home router does when
 * they clash). Each site must keep its own IKE SA and SA pair, journaled under its IKE SA, a ping crossing to each;
 * one site ending its IKE SA leaves the other's. IKEv2, and IKEv1 aggressive mode. Needs root, strongSwan and
 * nftables; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("AnyPeerNatSitesStrongSwanTest")
class AnyPeerNatSitesStrongSwanTest {
    private static final String PSK = "any-peer-nat-sites-lab-psk-not-for-production";
    private static final String LABEL = "sites";
    private static final String NAT_ADDRESS = "192.0.2.5";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(AnyPeerNatSitesStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String NAT = PREFIX + "-natn";

    /** A site behind the NAT: its namespace, its address on its link to the NAT, its network and its .1 there. */
    private record Site(String namespace, String address, String network, String host) {}

    private static final List<Site> SITES = List.of(
            new Site(PREFIX + "-s1", "172.16.5.2", "10.2.5.0/24", "10.2.5.1"),
            new Site(PREFIX + "-s2", "172.16.6.2", "10.2.6.0/24", "10.2.6.1"));

    @BeforeAll
    static void natAndSites() throws Exception {
        AnyPeerLab.addGateway(PREFIX, NAT, "wan-n", NAT_ADDRESS + "/24");
        Lab.Result nft = Lab.sh("ip", "netns", "exec", NAT, "nft", "add table ip nat;"
                + " add chain ip nat postrouting { type nat hook postrouting priority srcnat; policy accept; };"
                + " add rule ip nat postrouting oifname \"wan\" masquerade");
        assertThat(nft.exit()).as("nft: " + nft.output()).isZero();
        for (int i = 0; i < SITES.size(); i++) {
            Site s = SITES.get(i);
            String link = "s" + (i + 1);
            String net = s.address().substring(0, s.address().lastIndexOf('.'));
            Lab.sh("ip", "netns", "del", s.namespace());
            AnyPeerLab.must("ip", "netns", "add", s.namespace());
            AnyPeerLab.must("ip", "-n", s.namespace(), "link", "set", "lo", "up");
            AnyPeerLab.must("ip", "link", "add", "wan", "netns", s.namespace(), "type", "veth", "peer", "name", link,
                    "netns", NAT);
            AnyPeerLab.must("ip", "-n", s.namespace(), "link", "set", "wan", "up");
            AnyPeerLab.must("ip", "-n", NAT, "link", "set", link, "up");
            AnyPeerLab.must("ip", "-n", NAT, "addr", "add", net + ".1/24", "dev", link);
            AnyPeerLab.must("ip", "-n", s.namespace(), "addr", "add", s.address() + "/24", "dev", "wan");
            AnyPeerLab.must("ip", "-n", s.namespace(), "route", "add", "default", "via", net + ".1");
            AnyPeerLab.must("ip", "-n", s.namespace(), "addr", "add", s.host() + "/24", "dev", "lo");
        }
        // the underlay: each site reaches the node through the NAT
        for (Site s : SITES) {
            Lab.Result r = Lab.in(s.namespace(), "ping", "-c", "1", "-W", "2", "192.0.2.1");
            assertThat(r.exit()).as("underlay ping from " + s.namespace() + ": " + r.output()).isZero();
        }
    }

    @AfterAll
    static void removeNatAndSites() throws Exception {
        for (Site s : SITES) {
            Lab.sh("ip", "netns", "del", s.namespace());
        }
        Lab.sh("ip", "netns", "del", NAT);
    }

    @Test
    void ikev2TwoSitesBehindOneNatEachKeepTheirIkeSa(@TempDir Path dir) throws Exception {
        StrongSwan[] peers = new StrongSwan[SITES.size()];
        for (int i = 0; i < SITES.size(); i++) {
            Site s = SITES.get(i);
            peers[i] = StrongSwan.psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1", s.network(),
                    "10.1.0.0/16", PSK);
        }
        run(dir, "ike passive from 10.1.0.0/16 to 10.2.0.0/16 psk \"" + PSK + "\" label " + LABEL + "\n", peers,
                false);
    }

    @Test
    void ikev1AggressiveTwoSitesBehindOneNatEachKeepTheirIsakmpSa(@TempDir Path dir) throws Exception {
        StrongSwan[] peers = new StrongSwan[SITES.size()];
        for (int i = 0; i < SITES.size(); i++) {
            Site s = SITES.get(i);
            peers[i] = StrongSwan.ikev1Psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1",
                    s.network(), "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode().aggressive().pfs("modp2048")
                            .localId("site-" + (i + 1) + ".example"));
        }
        run(dir, "ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive quick psk \"" + PSK + "\" label " + LABEL
                + "\n", peers, true);
    }

    @Test
    void ikev2ASiteOnThePortAnotherSiteUsedGetsItsOwnIkeSaAndASiteBackThroughANewMappingReplacesItsOwn(
            @TempDir Path dir) throws Exception {
        StrongSwan[] peers = new StrongSwan[SITES.size()];
        for (int i = 0; i < SITES.size(); i++) {
            Site s = SITES.get(i);
            peers[i] = StrongSwan.psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1", s.network(),
                    "10.1.0.0/16", PSK);
        }
        portReuse(dir, "ike passive from 10.1.0.0/16 to 10.2.0.0/16 psk \"" + PSK + "\" label " + LABEL + "\n",
                peers, false);
    }

    @Test
    void ikev1MainModeASiteOnThePortAnotherSiteUsedGetsItsOwnIsakmpSaAndASiteBackReplacesItsOwn(
            @TempDir Path dir) throws Exception {
        StrongSwan[] peers = new StrongSwan[SITES.size()];
        for (int i = 0; i < SITES.size(); i++) {
            Site s = SITES.get(i);
            peers[i] = StrongSwan.ikev1Psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1",
                    s.network(), "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode().pfs("modp2048")
                            .localId("site-" + (i + 1) + ".example"));
        }
        portReuse(dir, "ike passive from 10.1.0.0/16 to 10.2.0.0/16 main quick psk \"" + PSK + "\" label " + LABEL
                + "\n", peers, true);
    }

    /**
     * Site 1 up (the NAT leaves it its ports 500 and 4500); the NAT forgets site 1's mapping of port 500 (as it
     * does a while after IKE moved to 4500); site 2 then starts from the NAT's port 500, the one site 1's IKE SA
     * came from: both must be up, each with its own IKE SA, site 1's never replaced. Then site 1 restarts (killed:
     * no Delete) on other ports, so the NAT maps it anew: its new IKE SA replaces its own old one (IKEv2: it carries
     * INITIAL_CONTACT; IKEv1: the same identity authenticated again), site 2's stays, one IKE SA per site.
     */
    private void portReuse(Path dir, String config, StrongSwan[] configured, boolean ikev1) throws Exception {
        conntrack("-F"); // no mapping of an earlier test
        StrongSwan[] peers = new StrongSwan[configured.length];
        try (LabNode node = LabNode.start(PREFIX, dir)) {
            for (int i = 0; i < configured.length; i++) {
                peers[i] = configured[i].start();
            }
            node.commit(config);
            node.awaitEvents(LABEL, Duration.ofSeconds(30), () -> "", "configured");
            peers[0].initiate();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).as(AnyPeerLab.logs(peers))
                            .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(1));
            String site1 = isakmpSa(peers[0].listSas());
            Lab.Result forgot = conntrack("-D", "-p", "udp", "--orig-port-src", "500");
            assertThat(forgot.output()).as("site 1's mapping of port 500").containsPattern("[1-9]\\d* flow entr");
            peers[1].initiate();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).as(AnyPeerLab.logs(peers))
                            .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(2));
            // site 2's first message came from the NAT's port 500, as site 1's had
            String mapped = conntrack("-L", "-p", "udp", "-s", SITES.get(1).address(), "--orig-port-src", "500")
                    .output();
            assertThat(mapped).contains("src=192.0.2.1 dst=" + NAT_ADDRESS + " sport=500 dport=500");
            assertThat(node.eventTypes(LABEL)).doesNotContain("phase1-down", "negotiation-failed", "rekeyed");
            assertThat(isakmpSa(peers[0].listSas())).as("site 1's IKE SA").isEqualTo(site1);
            String site2 = isakmpSa(peers[1].listSas());
            assertThat(ikeSas(node)).containsExactlyInAnyOrder(site1, site2);
            for (Site s : SITES) {
                ping(node, s.host(), peers);
            }

            // site 1 restarts on ports 1500/4501: through new mappings, its new IKE SA replaces its old one
            AnyPeerLab.restartOnOtherPorts(peers[0]);
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(ikeSas(node)).as(AnyPeerLab.logs(peers)).hasSize(2).doesNotContain(site1)
                            .contains(site2));
            String again = isakmpSa(peers[0].listSas());
            assertThat(ikeSas(node)).containsExactlyInAnyOrder(again, site2);
            if (ikev1) {
                // IKEv1 journals the replacement of an ISAKMP SA by the same peer as its rekey
                assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.Rekeyed.class::isInstance)
                        .map(TunnelEvent.Rekeyed.class::cast).filteredOn(r -> r.spi().isEmpty())
                        .singleElement().satisfies(r -> assertThat(r.replaced().value()).isEqualTo(site1));
            } else {
                assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.Phase1Down.class::isInstance)
                        .map(e -> ((TunnelEvent.Phase1Down) e).ikeSa().orElse("")).containsExactly(site1);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(2));
            for (Site s : SITES) {
                ping(node, s.host(), peers);
            }
            assertThat(isakmpSa(peers[1].listSas())).as("site 2's IKE SA").isEqualTo(site2);
            assertThat(node.eventTypes(LABEL)).doesNotContain("negotiation-failed", "dpd-lost");
        } finally {
            for (StrongSwan p : peers) {
                if (p != null) {
                    p.close();
                }
            }
            conntrack("-F"); // the next test's sites get the NAT's ports as on a fresh NAT
        }
    }

    /** The names of the tunnel's IKE SAs as the API shows them. */
    private static List<String> ikeSas(LabNode node) throws Exception {
        return node.controlPlane().tunnel(LABEL).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS)
                .ikeSas().stream().map(net.palisade.controlplane.tunnel.TunnelState.IkeSa::name).toList();
    }

    /** Runs conntrack in the NAT box. */
    private static Lab.Result conntrack(String... args) throws Exception {
        net.palisade.dataplane.testkit.TestPrograms.require("conntrack");
        List<String> command = new java.util.ArrayList<>(List.of("ip", "netns", "exec", NAT, "conntrack"));
        command.addAll(List.of(args));
        return Lab.sh(command.toArray(String[]::new));
    }

    /**
     * Both sites up and pinging, then (with {@code restartFromAnotherPort}, IKEv1 aggressive mode) site 2 restarted
     * on other ports, so that it comes back through other NAT mappings, then site 2's IKE SA deleted.
     */
    private void run(Path dir, String config, StrongSwan[] configured, boolean restartFromAnotherPort)
            throws Exception {
        StrongSwan[] peers = new StrongSwan[configured.length];
        try (LabNode node = LabNode.start(PREFIX, dir)) {
            for (int i = 0; i < configured.length; i++) {
                peers[i] = configured[i].start();
            }
            node.commit(config);
            node.awaitEvents(LABEL, Duration.ofSeconds(30), () -> "", "configured");
            for (StrongSwan p : peers) {
                p.initiate();
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).as(AnyPeerLab.logs(peers))
                            .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(2));
            // both from the NAT's address, neither taken for the other's duplicate or replacement
            assertThat(node.eventTypes(LABEL)).doesNotContain("phase1-down", "negotiation-failed", "rekeyed");
            assertThat(node.phase1Peers(LABEL)).containsExactly(NAT_ADDRESS, NAT_ADDRESS);
            List<String> ikeSas = node.journal(LABEL).stream().filter(TunnelEvent.Phase1Up.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Up) e).ikeSa()).toList();
            assertThat(ikeSas).doesNotHaveDuplicates();
            assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance)
                    .extracting(e -> ((TunnelEvent.ChildSaInstalled) e).sa().ikeSa().orElseThrow())
                    .containsExactlyInAnyOrderElementsOf(ikeSas);
            for (StrongSwan p : peers) {
                assertThat(p.log()).as("strongSwan saw the NAT").contains("local host is behind NAT");
            }
            for (Site s : SITES) {
                ping(node, s.host(), peers);
            }
            assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(2)
                    .allMatch(p -> p.out().packets() > 0 && p.in().packets() > 0);

            if (restartFromAnotherPort) {
                // site 2 restarts (killed: no Delete) with charon on ports 1500/4501: the NAT maps it anew, and its
                // new ISAKMP SA (found by its ID) replaces its own old one, not site 1's
                String site2 = isakmpSa(peers[1].listSas());
                assertThat(ikeSas).contains(site2);
                AnyPeerLab.restartOnOtherPorts(peers[1]);
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(node.journal(LABEL)).as(AnyPeerLab.logs(peers))
                                .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(3));
                assertThat(node.eventTypes(LABEL)).doesNotContain("phase1-down", "negotiation-failed");
                List<TunnelEvent.Rekeyed> replaced = node.journal(LABEL).stream()
                        .filter(TunnelEvent.Rekeyed.class::isInstance).map(TunnelEvent.Rekeyed.class::cast)
                        .filter(r -> r.spi().isEmpty()).toList();
                assertThat(replaced).singleElement().satisfies(r -> assertThat(r.replaced().value())
                        .isEqualTo(site2));
                for (Site s : SITES) {
                    ping(node, s.host(), peers);
                }
                // the new Child SA is journaled under site 2's new ISAKMP SA
                TunnelEvent.ChildSaInstalled last = node.journal(LABEL).stream()
                        .filter(TunnelEvent.ChildSaInstalled.class::isInstance)
                        .map(TunnelEvent.ChildSaInstalled.class::cast).toList().getLast();
                assertThat(last.sa().ikeSa()).contains(replaced.getFirst().replacement().value());
            }

            // site 2 ends its IKE SA (a Delete): only its SAs go, site 1 keeps pinging
            Lab.Result t = peers[1].swanctl("--terminate", "--ike", "lab");
            assertThat(t.exit()).as(t.output()).isZero();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.Phase1Down.class::isInstance)
                            .singleElement().satisfies(e -> assertThat(((TunnelEvent.Phase1Down) e).ikeSa())
                                    .isPresent()));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(1));
            ping(node, SITES.get(0).host(), peers);
            assertThat(Lab.ping(PREFIX + "-ha", SITES.get(1).host()).exit()).as("site 2 is gone").isNotZero();
            assertThat(peers[0].listSas()).contains("ESTABLISHED");
            assertThat(node.eventTypes(LABEL)).doesNotContain("negotiation-failed", "dpd-lost");
        } finally {
            for (StrongSwan p : peers) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    /** The ISAKMP SA in {@code swanctl --list-sas} as the journal names it: initiator and responder cookies. */
    private static String isakmpSa(String listSas) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9a-f]{16})_i\\*? ([0-9a-f]{16})_r")
                .matcher(listSas);
        assertThat(m.find()).as(listSas).isTrue();
        return m.group(1) + ":" + m.group(2);
    }

    private static void ping(LabNode node, String to, StrongSwan[] peers) throws Exception {
        Lab.Result r = Lab.ping(PREFIX + "-ha", to);
        assertThat(r.exit()).as("ping " + to + ": " + r.output() + "\n" + node.eventTypes(LABEL)
                + AnyPeerLab.logs(peers)).isZero();
    }
}
