package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extended sequence numbers in the namespace lab: Palisade offers ESN first and no-ESN second in every Child SA
 * proposal and, as responder, takes ESN when offered.
 * <ul>
 *   <li>strongSwan 5.9.8 with its default {@code esp_proposals} (no ESN) chooses no-ESN from our offer, and as
 *       initiator offering only no-ESN it is answered with no-ESN: ping crosses, {@code swanctl --list-sas} shows no
 *       ESN.</li>
 *   <li>strongSwan with {@code esp_proposals = aes128gcm16-esn} selects ESN from our offer ({@code EXT_SEQ}), but the
 *       only ESP it has here, kernel-libipsec (this kernel has no ESP), cannot install ESN SAs ("IPsec SA: ESN not
 *       supported") and refuses the Child SA: a limit of strongSwan's user-space ESP, not of the negotiation. The
 *       same when it initiates offering ESN and no-ESN: we answer with ESN, and it deletes the Child SA.</li>
 *   <li>Two Palisade nodes negotiate ESN both ways, journal it on the Child SA, and ping crosses; the dataplane's
 *       soft-limit report for an outbound SA has the IKE session rekey that Child SA, journaled as {@code rekeyed}
 *       with cause {@code dataplane:...}.</li>
 * </ul>
 * Lab prefix of this class; needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("EsnStrongSwanTest")
class EsnStrongSwanTest {
    private static final String PSK = "esn-lab-psk-not-for-production";
    private static final String ACTIVE = "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK
            + "\" label to-b\n";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(EsnStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void strongSwanWithDefaultProposalsChoosesNoEsnFromOurOfferAndPingCrosses(@TempDir Path dir) throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "default");
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(ACTIVE);
            TunnelEvent.ChildSaInstalled installed = awaitInstalled(node, peer);
            assertThat(installed.sa().esn()).as(peer.log()).isFalse();
            assertThat(peer.log()).as("our offer carries both ESN values, strongSwan takes no-ESN")
                    .contains("selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output()).isZero();
            String sas = peer.listSas();
            assertThat(childLine(sas)).as(sas).contains("INSTALLED", "ESP:AES_GCM_16-128").doesNotContain("ESN");
        }
    }

    @Test
    void strongSwanOfferingOnlyNoEsnToOurPassiveTunnelIsAnsweredWithNoEsn(@TempDir Path dir) throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "aes128gcm16-noesn");
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n");
            peer.initiateOnceConfigured(node, "to-b");
            TunnelEvent.ChildSaInstalled installed = awaitInstalled(node, peer);
            assertThat(installed.sa().esn()).isFalse();
            assertThat(peer.log()).contains("selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output()).isZero();
            assertThat(childLine(peer.listSas())).doesNotContain("ESN");
        }
    }

    @Test
    void strongSwanWithEsnSelectsItFromOurOfferButItsUserSpaceEspCannotInstallIt(@TempDir Path dir)
            throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "aes128gcm16-esn");
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(ACTIVE);
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(types(events(node))).as(peer.log()).contains("phase1-up", "negotiation-failed"));
            // the ESN transform of our offer is understood and chosen ...
            assertThat(peer.log()).contains("selected proposal: ESP:AES_GCM_16_128/EXT_SEQ")
                    // ... and refused by kernel-libipsec, which has no ESN
                    .contains("IPsec SA: ESN not supported", "failed to establish CHILD_SA, keeping IKE_SA");
            assertThat(types(events(node))).doesNotContain("child-sa-installed", "phase1-down");
        }
    }

    @Test
    void strongSwanInitiatingWithEsnAndNoEsnIsAnsweredWithEsnWhichItsUserSpaceEspCannotInstall(@TempDir Path dir)
            throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "aes128gcm16-esn-noesn");
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n");
            peer.swanctl("--initiate", "--child", "net");
            TunnelEvent.ChildSaInstalled installed = awaitInstalled(node, peer);
            assertThat(installed.sa().esn()).as("a responder prefers ESN when offered").isTrue();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(peer.log()).contains("IPsec SA: ESN not supported"));
            // strongSwan deletes the Child SA it could not install; the IKE SA stays, with no Child SA (a passive
            // tunnel waits for the peer to create one): the reason the docs say not to offer ESN from libipsec
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(types(events(node))).contains("child-sa-deleted"));
            assertThat(types(events(node))).doesNotContain("phase1-down");
            assertThat(childLine(peer.listSas())).startsWith("(no Child SA");
        }
    }

    @Test
    void twoPalisadeNodesNegotiateEsnAndPingCrosses(@TempDir Path dir) throws Exception {
        try (LabNode b = node(dir, "gwb"); LabNode a = node(dir, "gwa")) {
            b.commit("ike passive from 10.2.0.0/24 to 10.1.0.0/24 peer 192.0.2.1 psk \"" + PSK + "\" label t\n");
            a.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label t\n");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertThat(types(a.journal("t"))).as("a: %s\nb: %s", a.journal("t"), b.journal("t"))
                        .contains("child-sa-installed");
                assertThat(types(b.journal("t"))).as("b: %s", b.journal("t")).contains("child-sa-installed");
            });
            for (LabNode n : List.of(a, b)) {
                assertThat(n.journal("t")).filteredOn(e -> e instanceof TunnelEvent.ChildSaInstalled)
                        .singleElement().satisfies(e -> assertThat(((TunnelEvent.ChildSaInstalled) e).sa().esn())
                                .isTrue());
            }
            // a mismatch (one side without ESN) would fail every ICV: the GCM AAD differs (RFC 4106 section 5)
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\na " + a.dataplane().counters() + "\nb "
                    + b.dataplane().counters()).isZero();

            // the dataplane's report that a's outbound SA nears the end of its sequence numbers (what OutboundSa
            // calls at its soft limit), through the node's own SaEvents: a's IKE session rekeys that Child SA
            TunnelEvent.ChildSaInstalled first = (TunnelEvent.ChildSaInstalled) a.journal("t").stream()
                    .filter(e -> e instanceof TunnelEvent.ChildSaInstalled).findFirst().orElseThrow();
            a.dataplane().settings().events().outboundSoftLimit("t", first.sa().spi().outbound().value());
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(a.journal("t")).as("a: %s", a.journal("t"))
                            .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(TunnelEvent.Rekeyed.class, k -> {
                                assertThat(k.replaced()).isEqualTo(first.sa().id());
                                assertThat(k.cause().value())
                                        .isEqualTo("dataplane:outbound sequence numbers near exhaustion");
                                assertThat(k.esn()).isTrue();
                            })));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(types(b.journal("t"))).contains("rekeyed"));
            Lab.Result after = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(after.exit()).as(after.output()).isZero();
            assertThat(a.journal("t")).noneMatch(e -> e instanceof TunnelEvent.SaExpired
                    || e instanceof TunnelEvent.NegotiationFailed);
        }
    }

    private static LabNode node(Path dir, String gw) throws Exception {
        return LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX).withGateway(gw).withTunName(PREFIX + gw)
                .withDataDir("data-" + gw));
    }

    private static TunnelEvent.ChildSaInstalled awaitInstalled(LabNode node, StrongSwan peer) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(types(events(node))).as("charon log:\n" + peer.log()).contains("child-sa-installed"));
        try {
            return events(node).stream().filter(e -> e instanceof TunnelEvent.ChildSaInstalled)
                    .map(TunnelEvent.ChildSaInstalled.class::cast).findFirst().orElseThrow();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Child SA's line of {@code swanctl --list-sas}: {@code net: #1, reqid 1, INSTALLED, ..., ESP:...}. */
    private static String childLine(String sas) {
        return sas.lines().filter(l -> l.contains("reqid")).findFirst().orElse("(no Child SA in: " + sas + ")");
    }

    private static List<TunnelEvent> events(LabNode node) throws Exception {
        return node.events("to-b").stream().map(JournalEvent::event).toList();
    }

    private static List<String> types(List<TunnelEvent> events) {
        return events.stream().map(TunnelEvent::type).toList();
    }
}
