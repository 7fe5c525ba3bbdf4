package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * An IKE SA replaced by a rekey keeps its own message window: a request the peer sent on it before the switch, and
 * retransmits after, is answered once and its duplicate from the cache, while the new IKE SA carries on.
 */
class OldIkeSaTest {
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();

    private static IkeHeader header(IkeLoop.Flight f) {
        return CODEC.decodeHeader(f.datagram()).toOptional().orElseThrow();
    }

    @Test
    void requestRetransmittedOnTheOldSaIsAnsweredFromItsCache() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        IkeSaId old = loop.a.id();

        // B's liveness check on the current IKE SA is lost
        loop.network = (f, l) -> 0;
        loop.feed(false, new IkeInput.CheckLiveness());
        loop.run();
        // A rekeys the IKE SA; its Delete of the old one never arrives, so B keeps the old SA (and its request)
        loop.network = (f, l) -> f.toB() && !header(f).response()
                && header(f).exchangeType() == ExchangeType.Known.INFORMATIONAL ? 0 : 1;
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        assertThat(loop.a.id()).isNotEqualTo(old).isEqualTo(loop.b.id());
        assertThat(loop.a.initiatorSpis()).contains(old.initiatorSpi());

        // B retransmits its request on the old IKE SA, and the network delivers it twice
        int delivered = loop.delivered.size();
        int sentByA = loop.aOutputs.size();
        loop.network = (f, l) -> f.toB() ? 0 : 2;
        loop.advance(Duration.ofSeconds(1));

        List<IkeLoop.Flight> requests = loop.delivered.subList(delivered, loop.delivered.size()).stream()
                .filter(f -> !f.toB() && header(f).initiatorSpi() == old.initiatorSpi()).toList();
        assertThat(requests).hasSize(2);
        long requestId = header(requests.getFirst()).messageId();
        List<byte[]> answers = loop.aOutputs.subList(sentByA, loop.aOutputs.size()).stream()
                .filter(IkeOutput.Send.class::isInstance).map(o -> ((IkeOutput.Send) o).datagram())
                .filter(d -> {
                    IkeHeader h = CODEC.decodeHeader(d).toOptional().orElseThrow();
                    return h.response() && h.initiatorSpi() == old.initiatorSpi() && h.messageId() == requestId;
                })
                .toList();
        assertThat(answers).hasSize(2);
        assertThat(answers.get(1)).isEqualTo(answers.get(0));
        assertThat(loop.a.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(1);
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }
}
