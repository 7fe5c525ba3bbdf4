package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * The PFS rule between two engines in memory: groups that are only the defaults (the IKE groups) are proposed, but
 * a peer that rekeys without a key exchange — strongSwan's default {@code esp_proposals} — is accepted and the new
 * Child SA says {@code pfs: none}; groups written in the config ({@code childsa group X}) make PFS required, and a
 * rekey without it is refused with a failure naming the group.
 */
class PfsPolicyTest {

    /** A peer configured without PFS (its Child SA proposals carry no group), like strongSwan by default. */
    private static final IkeTunnel NO_PFS = IkeLoop.gcm("s", DhGroup.CURVE25519);

    private static IkeTunnel childGroups(IkeTunnel t, boolean required, Duration lifetime, DhGroup... groups) {
        ChildSaSpec c = t.childSa();
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                new ChildSaSpec(c.enc(), c.auth(), List.of(groups), lifetime, required), t.srcId(), t.dstId(),
                t.authentication(), t.dpd(), t.ping());
    }

    /** Palisade with no {@code childsa group}: the IKE group is its PFS group, not required. */
    private static IkeTunnel defaults(IkeTunnel t) {
        return childGroups(t, false, Duration.ofHours(1), DhGroup.CURVE25519);
    }

    private static boolean createChildSaRequest(IkeLoop.Flight f) {
        IkeHeader h = Ikev2Codec.standard().decodeHeader(f.datagram()).toOptional().orElseThrow();
        return !h.response() && h.exchangeType() == ExchangeType.Known.CREATE_CHILD_SA;
    }

    @Test
    void aPeerRekeyWithoutKeyExchangeIsAcceptedWhenTheGroupsAreOnlyDefaults() {
        IkeLoop loop = IkeSessionTest.up(defaults(NO_PFS), IkeLoop.mirror(NO_PFS));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, first);
        IkeOutput.ChildSaInstalled fresh = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement();
        assertThat(fresh.pfs()).contains(DhGroup.NONE);
        assertThat(loop.a.counters().get("ikev2.engine.child_without_pfs")).isEqualTo(1);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).isEmpty();
        IkeRekeyTest.assertInAgreement(loop, 1);
    }

    @Test
    void ourPfsRekeyAnsweredWithoutKeyExchangeIsAcceptedWhenTheGroupsAreOnlyDefaults() {
        IkeLoop loop = IkeSessionTest.up(defaults(NO_PFS), IkeLoop.mirror(NO_PFS));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, first);
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement().pfs())
                .contains(DhGroup.NONE);
        IkeRekeyTest.assertInAgreement(loop, 1);
    }

    @Test
    void twoPalisadesWithDefaultGroupsRekeyWithPfs() {
        IkeLoop loop = IkeSessionTest.up(defaults(NO_PFS), IkeLoop.mirror(defaults(NO_PFS)));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(first.pfs()).isEmpty();
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, first);
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement().pfs())
                .contains(DhGroup.CURVE25519);
        assertThat(loop.a.counters().get("ikev2.engine.child_without_pfs")).isZero();
    }

    @Test
    void aGroupWrittenInTheConfigRequiresPfsAndTheRefusalNamesIt() {
        IkeTunnel required = childGroups(NO_PFS, true, Duration.ofHours(1), DhGroup.ECP256, DhGroup.CURVE25519);
        IkeLoop loop = IkeSessionTest.up(required, IkeLoop.mirror(NO_PFS));
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        List<IkeOutput.NegotiationFailed> failed = loop.events(true, IkeOutput.NegotiationFailed.class);
        assertThat(failed).hasSize(1);
        assertThat(failed.getFirst().reason()).isEqualTo(FailureReason.INVALID_KE_PAYLOAD);
        assertThat(failed.getFirst().detail()).contains("ecp256,curve25519").contains("no key exchange");
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        // only the rekey failed: the IKE SA and the first Child SA stay
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(IkeRekeyTest.live(loop, true)).hasSize(1);
    }

    @Test
    void requiredPfsRefusesAnAnswerWithoutKeyExchange() {
        IkeTunnel required = childGroups(NO_PFS, true, Duration.ofHours(1), DhGroup.CURVE25519);
        IkeLoop loop = IkeSessionTest.up(required, IkeLoop.mirror(NO_PFS));
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class))
                .singleElement().satisfies(f -> assertThat(f.detail()).contains("curve25519"));
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).isEmpty();
    }

    @Test
    void rekeysWithoutPfsEveryMinuteSurviveLostAndDuplicatedMessages() {
        // the peer rekeys on its own short lifetime, as strongSwan with rekey_time = 15s does; its first
        // CREATE_CHILD_SA request is lost, every later datagram arrives twice
        IkeTunnel peer = childGroups(NO_PFS, false, Duration.ofSeconds(60), DhGroup.NONE);
        IkeLoop loop = IkeSessionTest.up(defaults(NO_PFS), IkeLoop.mirror(peer));
        boolean[] lost = {false};
        loop.network = (f, l) -> {
            if (!lost[0] && !f.toB() && createChildSaRequest(f)) {
                lost[0] = true;
                return 0;
            }
            return 2;
        };
        for (int s = 0; s < 300; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        loop.network = (f, l) -> 1;
        for (int s = 0; s < 45; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        assertThat(lost[0]).isTrue();
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).hasSizeGreaterThanOrEqualTo(4)
                .allMatch(r -> r.replacement().pfs().equals(Optional.of(DhGroup.NONE)));
        assertThat(loop.a.counters().get("ikev2.engine.child_expired")).isZero();
        IkeRekeyTest.assertInAgreement(loop, 1);
    }
}
