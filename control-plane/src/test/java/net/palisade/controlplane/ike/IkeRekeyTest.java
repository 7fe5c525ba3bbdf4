package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * IKE SA and Child SA rekeying between two engines in memory (RFC 7296 sections 1.3.2, 2.8, 2.18, 2.25): on
 * demand, from lifetimes, with collisions, with loss; after every scenario both sides must agree on the IKE SA and
 * the Child SAs, and keep working (a liveness check and a Child SA rekey on the new IKE SA prove the keys match).
 */
class IkeRekeyTest {

    static IkeTunnel lifetimes(IkeTunnel t, Duration ike, Duration child) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(),
                new IkeSaSpec(t.ikeSa().enc(), t.ikeSa().auth(), t.ikeSa().prf(), t.ikeSa().groups(), ike),
                new ChildSaSpec(t.childSa().enc(), t.childSa().auth(), t.childSa().groups(), child,
                        t.childSa().pfsRequired()), t.srcId(),
                t.dstId(), t.authentication(), t.dpd(), t.ping(), t.encap(), t.saPerFlow());
    }

    private static IkeTunnel pfs(IkeTunnel t, DhGroup group) {
        return IkeSessionTest.withChildGroups(t, group);
    }

    /**
     * The Child SAs a side considers alive (inbound SPI -> outbound SPI), from its events: installed or rekeyed in,
     * deleted out.
     */
    static Map<Long, Long> live(IkeLoop loop, boolean ofA) {
        Map<Long, Long> out = new LinkedHashMap<>();
        for (IkeOutput o : ofA ? loop.aOutputs : loop.bOutputs) {
            switch (o) {
                case IkeOutput.ChildSaInstalled c -> out.put(c.inboundSpi(), c.outboundSpi());
                case IkeOutput.ChildSaRekeyed r -> out.put(r.replacement().inboundSpi(),
                        r.replacement().outboundSpi());
                case IkeOutput.ChildSaDeleted d -> out.remove(d.inboundSpi());
                default -> { }
            }
        }
        return out;
    }

    /** Both sides agree: same IKE SA, no old one left, the same Child SAs (mirrored), none failed, still usable. */
    static void assertInAgreement(IkeLoop loop, int children) {
        assertInAgreement(loop, children, children);
    }

    /**
     * As {@link #assertInAgreement(IkeLoop, int)}, with between {@code min} and {@code max} Child SAs (a collision
     * that only one side saw, because the other side's request was lost, leaves two redundant pairs, both usable).
     */
    static void assertInAgreement(IkeLoop loop, int min, int max) {
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.id()).isEqualTo(loop.b.id());
        assertThat(loop.a.initiatorSpis()).containsExactly(loop.a.id().initiatorSpi());
        assertThat(loop.b.initiatorSpis()).containsExactly(loop.b.id().initiatorSpi());
        Map<Long, Long> a = live(loop, true);
        Map<Long, Long> b = live(loop, false);
        assertThat(a.size()).isBetween(min, max);
        Map<Long, Long> bMirrored = new LinkedHashMap<>();
        b.forEach((in, out) -> bMirrored.put(out, in));
        assertThat(a).isEqualTo(bMirrored);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).isEmpty();
        // the keys of the current IKE SA match: a liveness check each way is answered
        int aliveA = loop.events(true, IkeOutput.PeerAlive.class).size();
        int aliveB = loop.events(false, IkeOutput.PeerAlive.class).size();
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.feed(false, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(aliveA + 1);
        assertThat(loop.events(false, IkeOutput.PeerAlive.class)).hasSize(aliveB + 1);
    }

    @Test
    void ikeSaRekeyByTheOriginalInitiatorKeepsTheChildSasAndDeletesTheOldSa() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        IkeSaId before = loop.a.id();
        Map<Long, Long> children = live(loop, true);
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        IkeOutput.IkeSaRekeyed ra = loop.events(true, IkeOutput.IkeSaRekeyed.class).getFirst();
        IkeOutput.IkeSaRekeyed rb = loop.events(false, IkeOutput.IkeSaRekeyed.class).getFirst();
        assertThat(ra.replaced()).isEqualTo(before).isEqualTo(rb.replaced());
        assertThat(ra.replacement()).isEqualTo(rb.replacement()).isEqualTo(loop.a.id());
        assertThat(ra.replacement().initiatorSpi()).isNotEqualTo(before.initiatorSpi());
        assertThat(ra.replacement().responderSpi()).isNotEqualTo(before.responderSpi());
        assertThat(ra.byUs()).isTrue();
        assertThat(rb.byUs()).isFalse();
        // the Child SAs moved: nothing deleted, nothing new
        assertThat(live(loop, true)).isEqualTo(children);
        assertThat(loop.events(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(loop.a.counters().get("ikev2.engine.old_sa_deleted")).isEqualTo(1);
        assertThat(loop.b.counters().get("ikev2.engine.old_sa_deleted_by_peer")).isEqualTo(1);
        assertInAgreement(loop, 1);
        // a Child SA rekey under the new IKE SA derives the same keys on both sides (SK_d of the new SA)
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, first);
        assertInAgreement(loop, 1);
    }

    @Test
    void ikeSaRekeyByTheResponderSwapsTheRolesOfTheNewSa() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.ECP256);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        loop.feed(false, new IkeInput.RekeyIke());
        loop.run();
        assertThat(loop.events(false, IkeOutput.IkeSaRekeyed.class).getFirst().byUs()).isTrue();
        // B initiated the new IKE SA: its requests carry the Initiator flag now, A's do not
        int sent = loop.delivered.size();
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        IkeHeader request = Ikev2Codec.standard().decodeHeader(loop.delivered.get(sent).datagram()).toOptional()
                .orElseThrow();
        assertThat(request.initiator()).isFalse();
        assertThat(request.initiatorSpi()).isEqualTo(loop.b.id().initiatorSpi());
        assertInAgreement(loop, 1);
        // and the new roles rekey again, both ways
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        loop.feed(false, new IkeInput.RekeyIke());
        loop.run();
        assertThat(loop.events(true, IkeOutput.IkeSaRekeyed.class)).hasSize(3);
        assertInAgreement(loop, 1);
    }

    @Test
    void lifetimesRekeyChildAndIkeSasBeforeTheyExpireAgainAndAgain() {
        IkeTunnel t = lifetimes(pfs(IkeLoop.gcm("s", DhGroup.CURVE25519), DhGroup.CURVE25519),
                Duration.ofSeconds(300), Duration.ofSeconds(60));
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT, 7).start();
        for (int s = 0; s < 1200; s++) {
            loop.advance(Duration.ofSeconds(1));
            // never without a Child SA, never with an expired one
            assertThat(live(loop, true)).isNotEmpty();
        }
        // 20 minutes: a Child SA rekey every 48-54 s and an IKE SA rekey every 240-270 s, by either side
        // (when both sides start in the same second, that is a collision: two rekeys, one of them deleted)
        long collisions = loop.a.counters().get("ikev2.engine.child_rekey_collision_lost")
                + loop.b.counters().get("ikev2.engine.child_rekey_collision_lost");
        long ikeCollisions = loop.a.counters().get("ikev2.engine.ike_rekey_collision_lost")
                + loop.b.counters().get("ikev2.engine.ike_rekey_collision_lost");
        long childRekeys = loop.events(true, IkeOutput.ChildSaRekeyed.class).size() - collisions;
        long ikeRekeys = loop.events(true, IkeOutput.IkeSaRekeyed.class).size() - ikeCollisions;
        assertThat(childRekeys).isBetween(20L, 26L);
        assertThat(ikeRekeys).isBetween(4L, 5L);
        assertThat(loop.a.counters().get("ikev2.engine.child_expired")).isZero();
        assertThat(loop.b.counters().get("ikev2.engine.child_expired")).isZero();
        assertThat(loop.a.counters().get("ikev2.engine.ike_expired")).isZero();
        assertInAgreement(loop, 1);
    }

    @Test
    void simultaneousChildSaRekeysLeaveOneChildSaOnBothSides() {
        for (long round = 0; round < 8; round++) {
            IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
            IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT, 10 * round).start();
            // both requests are in flight before either is answered
            loop.feed(true, new IkeInput.RekeyChild());
            loop.feed(false, new IkeInput.RekeyChild());
            loop.run();
            assertThat(loop.a.counters().get("ikev2.engine.child_rekey_collision")
                    + loop.b.counters().get("ikev2.engine.child_rekey_collision")).isEqualTo(2);
            assertThat(loop.a.counters().get("ikev2.engine.child_rekey_collision_lost")
                    + loop.b.counters().get("ikev2.engine.child_rekey_collision_lost")).isEqualTo(1);
            assertInAgreement(loop, 1);
        }
    }

    @Test
    void simultaneousIkeSaRekeysEndOnOneIkeSa() {
        for (long round = 0; round < 8; round++) {
            IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
            IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT, 10 * round).start();
            loop.feed(true, new IkeInput.RekeyIke());
            loop.feed(false, new IkeInput.RekeyIke());
            loop.run();
            assertThat(loop.a.counters().get("ikev2.engine.ike_rekey_collision_lost")
                    + loop.b.counters().get("ikev2.engine.ike_rekey_collision_lost")).isEqualTo(1);
            assertThat(loop.a.counters().get("ikev2.engine.ike_rekey_collision_won")
                    + loop.b.counters().get("ikev2.engine.ike_rekey_collision_won")).isEqualTo(1);
            assertInAgreement(loop, 1);
        }
    }

    @Test
    void childRekeyDuringAnIkeSaRekeyIsDeferredWithTemporaryFailureThenDone() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        loop.feed(true, new IkeInput.RekeyChild());
        loop.feed(false, new IkeInput.RekeyIke());
        loop.run();
        assertThat(loop.a.counters().get("ikev2.engine.temporary_failure_sent")
                + loop.b.counters().get("ikev2.engine.temporary_failure_sent")).isEqualTo(2);
        assertThat(loop.a.counters().get("ikev2.engine.child_rekey_deferred")).isEqualTo(1);
        assertThat(loop.b.counters().get("ikev2.engine.ike_rekey_deferred")).isEqualTo(1);
        // the deferred rekeys run 2 to 5 seconds later (one each, maybe deferred once more if they meet again)
        for (int s = 0; s < 30; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).isNotEmpty();
        assertThat(loop.events(true, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertInAgreement(loop, 1);
    }

    @Test
    void aLostDeleteOfTheOldIkeSaIsRetransmittedOnTheOldSa() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        IkeSaId old = loop.a.id();
        int[] informationalFromA = {0};
        loop.network = (f, l) -> {
            IkeHeader h = Ikev2Codec.standard().decodeHeader(f.datagram()).toOptional().orElseThrow();
            boolean deleteOfOld = f.toB() && !h.response() && h.initiatorSpi() == old.initiatorSpi()
                    && h.exchangeType() == ExchangeType.Known.INFORMATIONAL;
            return deleteOfOld && informationalFromA[0]++ == 0 ? 0 : 1;
        };
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        assertThat(loop.a.initiatorSpis()).hasSize(2);
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.counters().get("ikev2.engine.old_sa_deleted")).isEqualTo(1);
        assertThat(informationalFromA[0]).isEqualTo(2);
        assertInAgreement(loop, 1);
    }

    @Test
    void aChildSaThatCannotBeRekeyedIsDeletedWhenItExpiresAndTheIkeSaStays() {
        // A insists on PFS with a group B does not have: every rekey A starts fails; B's lifetime is long
        IkeTunnel base = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeTunnel a = lifetimes(pfs(base, DhGroup.ECP384), Duration.ofHours(4), Duration.ofSeconds(60));
        IkeTunnel b = IkeLoop.mirror(lifetimes(pfs(base, DhGroup.CURVE25519), Duration.ofHours(4),
                Duration.ofHours(1)));
        IkeLoop loop = IkeSessionTest.up(a, b);
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        for (int s = 0; s < 61; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).isNotEmpty()
                .allMatch(f -> f.reason() == FailureReason.INVALID_KE_PAYLOAD
                        || f.reason() == FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.a.counters().get("ikev2.engine.child_expired")).isEqualTo(1);
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class)).containsExactly(
                new IkeOutput.ChildSaDeleted(first.inboundSpi(), first.outboundSpi()));
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class)).containsExactly(
                new IkeOutput.ChildSaDeleted(first.outboundSpi(), first.inboundSpi()));
        assertThat(live(loop, true)).isEmpty();
        assertThat(live(loop, false)).isEmpty();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123})
    void rekeysSurviveALossyNetworkThatDropsAndDuplicates(long seed) {
        IkeTunnel t = lifetimes(IkeLoop.gcm("s", DhGroup.CURVE25519), Duration.ofSeconds(120),
                Duration.ofSeconds(60));
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT, seed).start();
        java.util.Random chance = new java.util.Random(seed * 7);
        loop.network = (f, l) -> {
            int r = chance.nextInt(100);
            return r < 8 ? 0 : r < 14 ? 2 : 1;
        };
        for (int s = 0; s < 1200; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        loop.network = (f, l) -> 1;
        // let retransmissions and old SAs settle (at most the retransmission budget), then compare
        for (int s = 0; s < 45; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        assertThat(loop.events(true, IkeOutput.IkeSaRekeyed.class)).hasSizeGreaterThanOrEqualTo(8);
        assertThat(loop.events(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(loop.a.counters().get("ikev2.engine.retransmitted")
                + loop.b.counters().get("ikev2.engine.retransmitted")).isPositive();
        assertInAgreement(loop, 1, 2);
    }

    @Test
    void lowestNonceComparesAsUnsignedNumbers() {
        byte[] small = {0x01, 0x00};
        byte[] big = {(byte) 0x80, 0x00};
        byte[] bigger = {(byte) 0xff, 0x00};
        assertThat(EngineContext.lowest(big, bigger, small, big)).isEqualTo(2);
        assertThat(EngineContext.lowest(small, bigger, big, big)).isZero();
        assertThat(List.of(EngineContext.lowest(bigger, big, bigger, bigger))).containsExactly(1);
    }

    @Test
    void aesCbcIkeSaRekeysToo() {
        IkeTunnel t = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_256),
                List.of(net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_256), List.of(DhGroup.MODP2048),
                List.of(EncryptionAlgorithm.AES_128), List.of(net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_256),
                IkeLoop.SITE_A, IkeLoop.SITE_B);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        assertThat(loop.events(true, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertInAgreement(loop, 1);
    }
}
