package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.SkfPayload;
import org.junit.jupiter.api.Test;

/** Two engines in memory with a tiny fragment size: IKE_AUTH and later exchanges travel as SKF fragments. */
class FragmentSessionTest {
    private static final int PACKET = 200;
    /** PACKET less IPv4 20, UDP 8 and the non-ESP marker 4 (IKE_AUTH is on port 4500). */
    private static final int MESSAGE = PACKET - 32;
    private static final IkeSettings TINY = IkeSettings.FORCED.withFragmentPacketLimit(PACKET);

    private static IkeMessage decode(byte[] d) {
        return ((DecodeResult.Ok<IkeMessage>) Ikev2Codec.standard().decode(d)).value();
    }

    private static boolean skf(byte[] d, ExchangeType exchange, boolean response) {
        IkeMessage m = decode(d);
        return m.header().exchangeType().equals(exchange) && m.header().response() == response
                && m.payloads().getLast() instanceof SkfPayload;
    }

    private static long count(List<IkeLoop.Flight> flights, boolean toB, ExchangeType exchange, boolean response) {
        return flights.stream().filter(f -> f.toB() == toB && skf(f.datagram(), exchange, response)).count();
    }

    private static IkeTunnel tunnel() {
        return IkeLoop.gcm("fragments", DhGroup.ECP256);
    }

    @Test
    void ikeAuthAndRekeyTravelAsFragmentsBothWays() {
        // without fragmentation the IKE_AUTH messages are larger than the limit
        IkeLoop plain = IkeSessionTest.up(tunnel(), IkeLoop.mirror(tunnel()));
        assertThat(plain.delivered.get(2).datagram().length).isGreaterThan(MESSAGE);
        assertThat(plain.delivered.get(3).datagram().length).isGreaterThan(MESSAGE);

        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), TINY).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        IkeSessionTest.assertChildPair(loop);
        assertThat(count(loop.delivered, true, ExchangeType.Known.IKE_AUTH, false)).isGreaterThanOrEqualTo(2);
        assertThat(count(loop.delivered, false, ExchangeType.Known.IKE_AUTH, true)).isGreaterThanOrEqualTo(2);
        assertThat(loop.delivered.subList(2, loop.delivered.size()))
                .allSatisfy(f -> assertThat(f.datagram().length).isLessThanOrEqualTo(MESSAGE));

        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        assertThat(count(loop.delivered, true, ExchangeType.Known.CREATE_CHILD_SA, false)).isGreaterThanOrEqualTo(2);
        assertThat(count(loop.delivered, false, ExchangeType.Known.CREATE_CHILD_SA, true)).isGreaterThanOrEqualTo(2);
        assertThat(loop.a.counters().get("ikev2.fragment.reassembled")).isEqualTo(2);
        assertThat(loop.b.counters().get("ikev2.fragment.reassembled")).isEqualTo(2);
        assertThat(loop.a.counters().get("ikev2.engine.fragmented")).isEqualTo(2);
    }

    @Test
    void aLostRequestFragmentIsResentWithTheWholeRequest() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), TINY);
        boolean[] dropped = {false};
        loop.network = (f, l) -> {
            if (!dropped[0] && f.toB() && skf(f.datagram(), ExchangeType.Known.IKE_AUTH, false)
                    && ((SkfPayload) decode(f.datagram()).payloads().getLast()).fragmentNumber() == 2) {
                dropped[0] = true;
                return 0;
            }
            return 1;
        };
        loop.start();
        assertThat(loop.b.state()).isEqualTo(IkeState.SETUP_REMOTE_INIT);
        long fragments = count(loop.delivered, true, ExchangeType.Known.IKE_AUTH, false) + 1;
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.counters().get("ikev2.engine.retransmitted")).isEqualTo(1);
        // the retransmission carried every fragment; the ones B already held were duplicates
        assertThat(count(loop.delivered, true, ExchangeType.Known.IKE_AUTH, false)).isEqualTo(2 * fragments - 1);
        assertThat(loop.b.counters().get("ikev2.fragment.duplicate")).isEqualTo(fragments - 1);
    }

    @Test
    void aLostResponseFragmentIsResentFromTheCacheOnFragmentOne() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), TINY);
        boolean[] dropped = {false};
        loop.network = (f, l) -> {
            if (!dropped[0] && !f.toB() && skf(f.datagram(), ExchangeType.Known.IKE_AUTH, true)
                    && ((SkfPayload) decode(f.datagram()).payloads().getLast()).fragmentNumber() == 2) {
                dropped[0] = true;
                return 0;
            }
            return 1;
        };
        loop.start();
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.state()).isEqualTo(IkeState.SETUP_LOCAL_AUTH);
        long requestFragments = count(loop.delivered, true, ExchangeType.Known.IKE_AUTH, false);
        long responseFragments = count(loop.delivered, false, ExchangeType.Known.IKE_AUTH, true) + 1;
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(1);
        assertThat(loop.b.counters().get("ikev2.engine.fragment_retransmission_ignored"))
                .isEqualTo(requestFragments - 1);
        assertThat(count(loop.delivered, false, ExchangeType.Known.IKE_AUTH, true))
                .isEqualTo(2 * responseFragments - 1);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        IkeSessionTest.assertChildPair(loop);
    }

    @Test
    void aLimitTooSmallForTheSuiteSendsWholeMessages() {
        // 128 octets of packet leave 96 of message (encapsulation forced: IPv4 20, UDP 8, non-ESP marker 4): AES-CBC with a 32-octet HMAC-SHA2-512 ICV has no room left
        IkeTunnel cbc = IkeLoop.tunnel("fragments", List.of(EncryptionAlgorithm.AES_256),
                List.of(AuthAlgorithm.HMAC_SHA2_512), List.of(DhGroup.ECP256), List.of(EncryptionAlgorithm.AES_128_GCM),
                List.of(), IkeLoop.SITE_A, IkeLoop.SITE_B);
        IkeLoop loop = new IkeLoop(cbc, IkeLoop.mirror(cbc), IkeSettings.FORCED.withFragmentPacketLimit(128)).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.counters().get("ikev2.engine.fragment_limit_too_small")).isEqualTo(1);
        assertThat(loop.delivered).noneMatch(f -> decode(f.datagram()).payloads().getLast() instanceof SkfPayload);
    }

    @Test
    void messagesUnderTheLimitAreNotFragmented() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel())).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.delivered).noneMatch(f -> decode(f.datagram()).payloads().getLast() instanceof SkfPayload);
        assertThat(loop.a.counters().get("ikev2.engine.fragmented")).isZero();
    }
}
