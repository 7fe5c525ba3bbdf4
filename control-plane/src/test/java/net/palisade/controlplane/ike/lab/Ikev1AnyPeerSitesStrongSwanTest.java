package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.ike.IkeSettings;
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
 * The documentation's IKEv1 fixed side serving many dynamic sites at once: one any-peer passive tunnel
 * ({@code ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive quick psk "..." dpd 2 ping}, no peer, no dstid) and
 * three strongSwan sites initiating IKEv1 aggressive mode with that PSK, each naming itself by host name and with a
 * network of its own inside 10.2.0.0/16 (gw-b 10.2.0.0/24, which holds the tunnel's ping target 10.2.0.1, gw-c
 * 10.2.2.0/24, and gw-d 10.2.3.0/24, a namespace this test adds on the lab's internet). All three ISAKMP SAs are up
 * at once, each with its quick mode's SA pair (the site's own network), each journaled with its peer; a ping
 * crosses to each. One site deleting its ISAKMP SA, and another killed (found by our DPD), leave the third up and
 * pinging. Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("Ikev1AnyPeerSitesStrongSwanTest")
class Ikev1AnyPeerSitesStrongSwanTest {
    private static final String PSK = "ikev1-any-peer-sites-lab-psk-not-for-production";
    private static final String LABEL = "sites";
    /** Short retransmissions: a killed site's DPD loss within seconds, not half a minute. */
    private static final IkeSettings SETTINGS = new IkeSettings(false, List.of(Duration.ofMillis(500),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(1)));

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1AnyPeerSitesStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();
    private static final String GWD = PREFIX + "-gwd";

    /** A site: its gateway's namespace, address and host name, its network and an address in it to ping. */
    private record Site(String namespace, String address, String id, String network, String host) {}

    private static final List<Site> SITES = List.of(
            new Site(PREFIX + "-gwb", "192.0.2.2", "site-b.example", "10.2.0.0/24", "10.2.0.1"),
            new Site(PREFIX + "-gwc", "192.0.2.3", "site-c.example", "10.2.2.0/24", "10.2.2.1"),
            new Site(GWD, "192.0.2.4", "site-d.example", "10.2.3.0/24", "10.2.3.1"));

    @Test
    void threeAggressiveModeSitesUpAtOnceEachPingsAndSitesGoingLeaveTheOthers(@TempDir Path dir) throws Exception {
        AnyPeerLab.addGateway(PREFIX, GWD, "wan-d", "192.0.2.4/24");
        try {
            AnyPeerLab.must("ip", "netns", "exec", SITES.get(1).namespace(), "ip", "addr", "replace", "10.2.2.1/24",
                    "dev", "lan");
            AnyPeerLab.must("ip", "netns", "exec", GWD, "ip", "addr", "replace", "10.2.3.1/24", "dev", "lo");
            run(dir);
        } finally {
            Lab.sh("ip", "netns", "del", GWD);
        }
    }

    private void run(Path dir) throws Exception {
        StrongSwan[] peers = new StrongSwan[SITES.size()];
        try (LabNode node = LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX).withSettings(SETTINGS))) {
            for (int i = 0; i < SITES.size(); i++) {
                Site s = SITES.get(i);
                // a dynamic site as the documentation's other line makes it: aggressive mode, its host name as ID
                peers[i] = StrongSwan.ikev1Psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1",
                        s.network(), "10.1.0.0/16", PSK,
                        StrongSwan.Ikev1.mainMode().aggressive().pfs("modp2048").localId(s.id())).start();
            }
            // the documentation's fixed side, but for our networks, the label and a short DPD
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive quick psk \"" + PSK
                    + "\" dpd 2 ping label " + LABEL + "\n");
            node.awaitEvents(LABEL, Duration.ofSeconds(30), () -> "", "configured");
            for (StrongSwan p : peers) {
                p.initiate();
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).as(AnyPeerLab.logs(peers))
                            .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(3));
            // all three at once: three ISAKMP SAs, none taken for another's replacement, one SA pair per site
            assertThat(node.eventTypes(LABEL)).doesNotContain("phase1-down", "negotiation-failed", "rekeyed");
            assertThat(node.phase1Peers(LABEL)).containsExactlyInAnyOrder("192.0.2.2", "192.0.2.3", "192.0.2.4");
            List<TunnelEvent.Phase1Up> ups = node.journal(LABEL).stream()
                    .filter(TunnelEvent.Phase1Up.class::isInstance).map(TunnelEvent.Phase1Up.class::cast).toList();
            assertThat(ups).extracting(TunnelEvent.Phase1Up::ikeSa).doesNotHaveDuplicates();
            // each Child SA under its own site's ISAKMP SA
            assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance)
                    .extracting(e -> ((TunnelEvent.ChildSaInstalled) e).sa().ikeSa().orElseThrow())
                    .containsExactlyInAnyOrderElementsOf(ups.stream().map(TunnelEvent.Phase1Up::ikeSa).toList());
            for (Site s : SITES) {
                ping(node, s.host(), peers);
            }
            assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(3)
                    .allMatch(p -> p.out().packets() > 0 && p.in().packets() > 0);
            for (StrongSwan p : peers) {
                assertThat(p.listSas()).contains("ESTABLISHED, IKEv1").contains("INSTALLED, TUNNEL-in-UDP");
            }
            // the tunnel's own ping (10.1.0.1 to 10.2.0.1) reaches site b through site b's SA
            node.awaitEvents(LABEL, Duration.ofSeconds(20), () -> AnyPeerLab.logs(peers), "ping-ok");

            // site c deletes its ISAKMP SA: only its SAs go
            Lab.Result t = peers[1].swanctl("--terminate", "--ike", "lab");
            assertThat(t.exit()).as(t.output()).isZero();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.Phase1Down.class::isInstance)
                            .singleElement().satisfies(e -> assertThat(((TunnelEvent.Phase1Down) e).ikeSa())
                                    .contains(ikeSaOf(ups, "192.0.2.3"))));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(2));
            ping(node, SITES.get(0).host(), peers);
            ping(node, SITES.get(2).host(), peers);
            assertThat(Lab.ping(PREFIX + "-ha", SITES.get(1).host()).exit()).as("site c is gone").isNotZero();

            // site d is killed (no Delete): our R-U-THEREs go unanswered, dpd-lost names its ISAKMP SA
            String pid = Files.readString(peers[2].dir().resolve("charon.pid")).strip();
            assertThat(Lab.sh("kill", "-9", pid).exit()).isZero();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.DpdLost.class::isInstance)
                            .singleElement().satisfies(e -> {
                                assertThat(((TunnelEvent.DpdLost) e).ikeSa()).contains(ikeSaOf(ups, "192.0.2.4"));
                                assertThat(((TunnelEvent.DpdLost) e).peer()).isEqualTo("192.0.2.4");
                            }));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(1));
            // site b never noticed: its ISAKMP SA and SA pair are the first ones, and it still pings
            ping(node, SITES.get(0).host(), peers);
            assertThat(peers[0].listSas()).contains("ESTABLISHED, IKEv1").contains("INSTALLED, TUNNEL-in-UDP");
            assertThat(node.eventTypes(LABEL)).doesNotContain("negotiation-failed", "rekeyed");
        } finally {
            for (StrongSwan p : peers) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    private static String ikeSaOf(List<TunnelEvent.Phase1Up> ups, String peer) {
        return ups.stream().filter(u -> u.peer().equals(peer)).map(TunnelEvent.Phase1Up::ikeSa).findFirst()
                .orElseThrow();
    }

    private static void ping(LabNode node, String to, StrongSwan[] peers) throws Exception {
        Lab.Result r = Lab.ping(PREFIX + "-ha", to);
        assertThat(r.exit()).as("ping " + to + ": " + r.output() + "\n" + node.eventTypes(LABEL)
                + AnyPeerLab.logs(peers)).isZero();
    }
}
