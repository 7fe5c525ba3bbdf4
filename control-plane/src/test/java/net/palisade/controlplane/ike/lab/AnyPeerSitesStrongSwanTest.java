package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.ThreeSites;
import net.palisade.controlplane.lab.ThreeSites.Site;
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
 * One any-peer passive tunnel ({@code ike passive from 10.1.0.0/16 to 10.2.0.0/16 psk ...}, no peer, no dstid) and
 * three strongSwan sites, each with a network of its own inside 10.2.0.0/16 (gw-b 10.2.1.0/24, gw-c 10.2.2.0/24, and
 * gw-d 10.2.3.0/24, a namespace this test adds on the lab's internet): all three IKE SAs up at once, one Child SA
 * pair each (narrowed to the site's network), a ping crossing to each; one site ending its IKE SA leaves the other
 * two up and pinging, and one restarting replaces only its own IKE SA. Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("AnyPeerSitesStrongSwanTest")
class AnyPeerSitesStrongSwanTest {
    private static final String PSK = "any-peer-sites-lab-psk-not-for-production";
    private static final String LABEL = "sites";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(AnyPeerSitesStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void threeSitesUpAtOnceEachPingsAndOneGoingLeavesTheOthers(@TempDir Path dir) throws Exception {
        try (ThreeSites three = ThreeSites.set(PREFIX)) {
            run(dir, three.sites());
        }
    }

    private void run(Path dir, List<Site> sites) throws Exception {
        StrongSwan[] peers = new StrongSwan[sites.size()];
        try (LabNode node = LabNode.start(PREFIX, dir)) {
            for (int i = 0; i < sites.size(); i++) {
                Site s = sites.get(i);
                peers[i] = StrongSwan.psk(s.namespace(), dir.resolve("ss" + i), s.address(), "192.0.2.1",
                        s.network(), "10.1.0.0/16", PSK).start();
            }
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/16 psk \"" + PSK + "\" label " + LABEL + "\n");
            node.awaitEvents(LABEL, Duration.ofSeconds(30), () -> "", "configured");
            for (StrongSwan p : peers) {
                p.initiate();
            }
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).as(logs(peers))
                            .filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance).hasSize(3));
            // all three at once: three IKE SAs, none taken for another's duplicate, one SA pair per site
            assertThat(node.eventTypes(LABEL)).doesNotContain("phase1-down", "negotiation-failed");
            assertThat(node.phase1Peers(LABEL)).containsExactlyInAnyOrder("192.0.2.2", "192.0.2.3", "192.0.2.4");
            assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.ChildSaInstalled.class::isInstance)
                    .extracting(e -> ((TunnelEvent.ChildSaInstalled) e).sa().ikeSa().isPresent())
                    .containsOnly(true);
            for (Site s : sites) {
                ping(node, s.host(), peers);
            }
            assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(3)
                    .allMatch(p -> p.out().packets() > 0 && p.in().packets() > 0);
            for (StrongSwan p : peers) {
                assertThat(p.listSas()).containsPattern("lab: #\\d+, ESTABLISHED");
            }

            // site c ends its IKE SA (a Delete): only its SAs go
            Lab.Result t = peers[1].swanctl("--terminate", "--ike", "lab");
            assertThat(t.exit()).as(t.output()).isZero();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).filteredOn(TunnelEvent.Phase1Down.class::isInstance)
                            .singleElement().satisfies(e -> assertThat(((TunnelEvent.Phase1Down) e).ikeSa())
                                    .isPresent()));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(2));
            ping(node, sites.get(0).host(), peers);
            ping(node, sites.get(2).host(), peers);
            assertThat(Lab.ping(PREFIX + "-ha", sites.get(1).host()).exit()).as("site c is gone").isNotZero();
            assertThat(peers[0].listSas()).containsPattern("lab: #\\d+, ESTABLISHED");
            assertThat(peers[2].listSas()).containsPattern("lab: #\\d+, ESTABLISHED");
            assertThat(node.eventTypes(LABEL)).doesNotContain("negotiation-failed", "dpd-lost");

            // site b restarts (no Delete) and connects again with N(INITIAL_CONTACT): its new IKE SA replaces its
            // old one, and site d's stays
            peers[0].close();
            peers[0].start();
            peers[0].initiate();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal(LABEL)).as(logs(peers))
                            .filteredOn(TunnelEvent.Phase1Down.class::isInstance).hasSize(2));
            ping(node, sites.get(0).host(), peers);
            ping(node, sites.get(2).host(), peers);
            assertThat(node.phase1Peers(LABEL)).filteredOn("192.0.2.2"::equals).hasSize(2);
            assertThat(node.dataplane().counters().tunnel(LABEL).orElseThrow().pairs()).hasSize(2);
            assertThat(peers[2].listSas()).containsPattern("lab: #\\d+, ESTABLISHED");
        } finally {
            for (StrongSwan p : peers) {
                if (p != null) {
                    p.close();
                }
            }
        }
    }

    private static void ping(LabNode node, String to, StrongSwan[] peers) throws Exception {
        Lab.Result r = Lab.ping(PREFIX + "-ha", to);
        assertThat(r.exit()).as("ping " + to + ": " + r.output() + "\n" + node.eventTypes(LABEL) + logs(peers))
                .isZero();
    }

    private static String logs(StrongSwan[] peers) {
        StringBuilder b = new StringBuilder();
        for (StrongSwan p : peers) {
            if (p != null) {
                b.append("\ncharon log of ").append(p.namespace()).append(":\n").append(p.log());
            }
        }
        return b.toString();
    }
}
