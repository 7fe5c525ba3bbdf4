package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Child SA is never silently missing, between two engines in memory: when the tunnel's Child SA is deleted and the
 * IKE SA stays, the {@code active} or {@code dynamic} side creates a new one by CREATE_CHILD_SA (as the IKE SA's
 * initiator or its responder), the {@code passive} side only accepts it; lost and duplicated messages change nothing.
 */
class ChildCreationTest {

    private static IkeTunnel mode(IkeTunnel t, IkeMode mode) {
        return new IkeTunnel(t.label(), mode, t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), t.srcId(), t.dstId(), t.authentication(), t.dpd(), t.ping());
    }

    private static IkeTunnel pfs(IkeTunnel t) {
        ChildSaSpec c = t.childSa();
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                new ChildSaSpec(c.enc(), c.auth(), t.ikeSa().groups(), c.lifetime()), t.srcId(), t.dstId(),
                t.authentication(), t.dpd(), t.ping());
    }

    private static final IkeTunnel BASE = pfs(IkeLoop.gcm("s", DhGroup.CURVE25519));

    private static boolean createChildSa(IkeLoop.Flight f) {
        IkeHeader h = Ikev2Codec.standard().decodeHeader(f.datagram()).toOptional().orElseThrow();
        return h.exchangeType() == ExchangeType.Known.CREATE_CHILD_SA;
    }

    private static void seconds(IkeLoop loop, int n) {
        for (int s = 0; s < n; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
    }

    @Test
    void theActiveInitiatorCreatesANewChildSaWhenThePassivePeerDeletedIt() {
        IkeLoop loop = IkeSessionTest.up(mode(BASE, IkeMode.ACTIVE), IkeLoop.mirror(mode(BASE, IkeMode.PASSIVE)));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(false, new IkeInput.DeleteChild());
        loop.run();
        assertThat(IkeRekeyTest.live(loop, true)).isEmpty();
        // the peer deleted it: a moment for the peer's own CREATE_CHILD_SA, then ours
        seconds(loop, 2);
        List<IkeOutput.ChildSaInstalled> a = loop.events(true, IkeOutput.ChildSaInstalled.class);
        assertThat(a).hasSize(2);
        assertThat(a.getLast().inboundSpi()).isNotEqualTo(first.inboundSpi());
        assertThat(a.getLast().localSelectors()).isEqualTo(first.localSelectors());
        assertThat(a.getLast().pfs()).contains(DhGroup.CURVE25519);
        assertThat(loop.a.counters().get("ikev2.engine.child_created")).isEqualTo(1);
        assertThat(loop.b.counters().get("ikev2.engine.child_created_by_peer")).isEqualTo(1);
        assertThat(loop.b.counters().get("ikev2.engine.child_create_sent")).isZero();
        IkeRekeyTest.assertInAgreement(loop, 1);
        // the new Child SA is one like any other: it rekeys with the same keys on both sides
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, a.getLast());
    }

    @Test
    void theActiveResponderCreatesANewChildSaAtOnceWhenItDeletedItself() {
        // B answered the IKE SA; its own delete leaves its tunnel without a Child SA: it creates one at once
        IkeLoop loop = IkeSessionTest.up(mode(BASE, IkeMode.DYNAMIC), IkeLoop.mirror(mode(BASE, IkeMode.ACTIVE)));
        loop.feed(false, new IkeInput.DeleteChild());
        loop.run();
        assertThat(loop.b.counters().get("ikev2.engine.child_create_sent")).isEqualTo(1);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(2);
        assertThat(loop.a.counters().get("ikev2.engine.child_created_by_peer")).isEqualTo(1);
        // A (dynamic) would have created one after its grace; B's came first, so A sends none
        seconds(loop, 3);
        assertThat(loop.a.counters().get("ikev2.engine.child_create_sent")).isZero();
        IkeRekeyTest.assertInAgreement(loop, 1);
    }

    @Test
    void aPassiveTunnelDoesNotCreateOne() {
        IkeLoop loop = IkeSessionTest.up(mode(BASE, IkeMode.PASSIVE), IkeLoop.mirror(mode(BASE, IkeMode.PASSIVE)));
        loop.feed(true, new IkeInput.DeleteChild());
        loop.run();
        seconds(loop, 10);
        assertThat(loop.a.counters().get("ikev2.engine.child_create_sent")
                + loop.b.counters().get("ikev2.engine.child_create_sent")).isZero();
        assertThat(IkeRekeyTest.live(loop, true)).isEmpty();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void reCreationSurvivesLostAndDuplicatedMessages(long seed) {
        IkeLoop loop = new IkeLoop(mode(BASE, IkeMode.ACTIVE), IkeLoop.mirror(mode(BASE, IkeMode.ACTIVE)),
                IkeSettings.DEFAULT, seed).start();
        java.util.Random chance = new java.util.Random(seed * 31);
        int[] lostCreates = {0};
        loop.network = (f, l) -> {
            if (createChildSa(f) && lostCreates[0] < 2 && chance.nextBoolean()) {
                lostCreates[0]++;
                return 0;
            }
            return chance.nextInt(3) == 0 ? 2 : 1;
        };
        loop.feed(seed % 2 == 0, new IkeInput.DeleteChild());
        loop.run();
        seconds(loop, 40);
        loop.network = (f, l) -> 1;
        // two Child SAs made at once by both sides: the IKE SA's initiator deletes the redundant one
        seconds(loop, 40);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).hasSizeGreaterThanOrEqualTo(2);
        IkeRekeyTest.assertInAgreement(loop, 1);
    }

    @Test
    void theCreationIsRetriedWithAGrowingPauseWhileThePeerRefuses() {
        // the peer insists on a PFS group we do not have: every attempt fails, and the attempts slow down
        IkeTunnel ours = mode(BASE, IkeMode.ACTIVE);
        ChildSaSpec c = BASE.childSa();
        IkeTunnel theirs = IkeLoop.mirror(new IkeTunnel(BASE.label(), IkeMode.PASSIVE, BASE.exchange(), BASE.from(),
                BASE.to(), BASE.local(), BASE.peers(), BASE.ikeSa(), new ChildSaSpec(c.enc(), c.auth(),
                List.of(DhGroup.ECP384), c.lifetime(), true), BASE.srcId(), BASE.dstId(), BASE.authentication(),
                BASE.dpd(), BASE.ping()));
        IkeLoop loop = IkeSessionTest.up(ours, theirs);
        loop.feed(false, new IkeInput.DeleteChild());
        loop.run();
        seconds(loop, 30);
        long first30 = loop.a.counters().get("ikev2.engine.child_create_sent");
        seconds(loop, 120);
        long next120 = loop.a.counters().get("ikev2.engine.child_create_sent") - first30;
        assertThat(first30).isBetween(3L, 8L);
        // at most one attempt a minute once the pause has grown
        assertThat(next120).isBetween(1L, 4L);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).isNotEmpty()
                .allMatch(f -> f.reason() == FailureReason.INVALID_KE_PAYLOAD);
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
    }
}
