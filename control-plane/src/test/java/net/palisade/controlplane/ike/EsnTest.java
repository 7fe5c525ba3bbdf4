package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * Extended sequence numbers between two engines in memory: offered and chosen in IKE_AUTH and in rekeys either way,
 * and a Child SA whose outbound SA the dataplane reports near the end of its sequence numbers is rekeyed at once by
 * the same exchange as a lifetime rekey, the rekey saying why. (The choice against a peer that offers only 32-bit
 * numbers is in {@code PolicyTest}; against strongSwan's defaults in {@code EsnStrongSwanTest}.)
 */
class EsnTest {
    private static final IkeTunnel T = IkeLoop.gcm("s", DhGroup.CURVE25519);

    private static long createChildRequests(IkeLoop loop, boolean fromA) {
        return loop.delivered.stream().filter(f -> f.toB() == fromA).filter(f -> {
            IkeHeader h = Ikev2Codec.standard().decodeHeader(f.datagram()).toOptional().orElseThrow();
            return !h.response() && h.exchangeType() == ExchangeType.Known.CREATE_CHILD_SA;
        }).count();
    }

    @Test
    void theFirstChildSaAndEveryRekeyUseEsnOnBothSides() {
        IkeLoop loop = IkeSessionTest.up(T, IkeLoop.mirror(T));
        IkeOutput.ChildSaInstalled a = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeOutput.ChildSaInstalled b = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(a.esn()).isTrue();
        assertThat(b.esn()).isTrue();

        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, a);
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement().esn()).isTrue();
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast().replacement().esn()).isTrue();

        IkeOutput.ChildSaInstalled second = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement();
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        IkeSessionTest.assertRekeyed(loop, second);
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement().esn()).isTrue();
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast().replacement().esn()).isTrue();
        // lifetime and operator rekeys are not blamed on the sequence numbers
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).noneMatch(IkeOutput.ChildSaRekeyed::sequenceNumbers);
        IkeRekeyTest.assertInAgreement(loop, 1);
    }

    @Test
    void aSoftLimitFromTheDataplaneRekeysThatChildSaAndSaysWhy() {
        IkeLoop loop = IkeSessionTest.up(T, IkeLoop.mirror(T));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();

        // the dataplane names the SA by the SPI it sends to: the peer's inbound SPI
        loop.feed(true, new IkeInput.SequenceSoftLimit(first.outboundSpi()));
        // reported again while the rekey is in flight (another worker, or exhaustion): no second rekey
        loop.feed(true, new IkeInput.SequenceSoftLimit(first.outboundSpi()));
        loop.run();

        IkeSessionTest.assertRekeyed(loop, first);
        assertThat(createChildRequests(loop, true)).isEqualTo(1);
        IkeOutput.ChildSaRekeyed ours = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast();
        assertThat(ours.sequenceNumbers()).isTrue();
        assertThat(ours.switchOutbound()).as("the new SA sends at once: the old one is running out").isTrue();
        assertThat(ours.replacement().esn()).isTrue();
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast().sequenceNumbers()).isFalse();
        assertThat(loop.a.counters().get("ikev2.engine.child_rekey_sequence_soft_limit")).isEqualTo(1);
        assertThat(loop.a.counters().get("ikev2.engine.soft_limit_rekey_under_way")).isEqualTo(1);
        IkeRekeyTest.assertInAgreement(loop, 1);
    }

    @Test
    void aSoftLimitOfAnSpiTheSessionDoesNotKnowChangesNothing() {
        IkeLoop loop = IkeSessionTest.up(T, IkeLoop.mirror(T));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        // our own inbound SPI is not the SPI of an outbound SA
        loop.feed(true, new IkeInput.SequenceSoftLimit(first.inboundSpi()));
        loop.run();
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        assertThat(createChildRequests(loop, true)).isZero();
        assertThat(loop.a.counters().get("ikev2.engine.soft_limit_unknown_child")).isEqualTo(1);
        assertThat(IkeRekeyTest.live(loop, true)).containsOnlyKeys(List.of(first.inboundSpi()));
    }

    @Test
    void theResponderOfTheIkeSaRekeysOnItsSoftLimitToo() {
        IkeLoop loop = IkeSessionTest.up(T, IkeLoop.mirror(T));
        IkeOutput.ChildSaInstalled firstB = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(false, new IkeInput.SequenceSoftLimit(firstB.outboundSpi()));
        loop.run();
        assertThat(createChildRequests(loop, false)).isEqualTo(1);
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class)).singleElement()
                .satisfies(r -> assertThat(r.sequenceNumbers()).isTrue());
        IkeRekeyTest.assertInAgreement(loop, 1);
    }
}
