package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import org.junit.jupiter.api.Test;

/** Two engines in memory with the network playing the responder's manager: IKE_SA_INIT requests meet cookies. */
class CookieSessionTest {
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();

    /** Every IKE_SA_INIT request the initiator sent, in order. */
    private final List<IkeMessage> initRequests = new ArrayList<>();
    /** Every cookie the guard handed out. */
    private final List<byte[]> handedOut = new ArrayList<>();

    private static boolean initRequest(byte[] d) {
        return d.length >= 28 && (d[18] & 0xff) == 34 && (d[19] & 0x20) == 0;
    }

    /**
     * Puts {@code cookies} in front of B as IkeManager does: a challenge goes back to A and B never sees the
     * request; {@code skew} moves the clock before each request (past two rotations, no cookie verifies).
     */
    private Cookies guard(IkeLoop loop, int threshold, Duration skew) {
        Cookies c = new Cookies(loop.clock, new Random(9)::nextBytes, Cookies.DEFAULT_ROTATION, threshold);
        loop.network = (f, l) -> {
            if (!f.toB() || !initRequest(f.datagram())) {
                return 1;
            }
            initRequests.add(((DecodeResult.Ok<IkeMessage>) CODEC.decode(f.datagram())).value());
            loop.clock.advance(skew);
            Cookies.Verdict v = c.admit(CODEC, f.datagram(), f.from().getAddress(), 0);
            if (v instanceof Cookies.Verdict.Challenge ch) {
                IkeMessage answer = ((DecodeResult.Ok<IkeMessage>) CODEC.decode(ch.response())).value();
                handedOut.add(answer.notify(NotifyType.Known.COOKIE).orElseThrow().data().toByteArray());
                l.inFlight.add(new IkeLoop.Flight(false, ch.response(), -1, f.to(), f.from()));
                return 0;
            }
            return v instanceof Cookies.Verdict.Proceed ? 1 : 0;
        };
        return c;
    }

    private static byte[] cookieOf(IkeMessage m) {
        Payload first = m.payloads().getFirst();
        assertThat(first).as("N(COOKIE) is the first payload").isInstanceOf(NotifyPayload.class);
        assertThat(((NotifyPayload) first).notifyType()).isEqualTo(NotifyType.Known.COOKIE);
        return ((NotifyPayload) first).data().toByteArray();
    }

    @Test
    void initiatorRepeatsItsRequestWithTheCookieAndTheSaComesUp() {
        IkeLoop loop = new IkeLoop(IkeLoop.gcm("cookie psk", DhGroup.ECP256),
                IkeLoop.mirror(IkeLoop.gcm("cookie psk", DhGroup.ECP256)));
        Cookies cookies = guard(loop, 0, Duration.ZERO);
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        IkeSessionTest.assertChildPair(loop);
        assertThat(initRequests).hasSize(2);
        IkeMessage first = initRequests.get(0);
        IkeMessage second = initRequests.get(1);
        assertThat(first.notify(NotifyType.Known.COOKIE)).isEmpty();
        assertThat(cookieOf(second)).isEqualTo(handedOut.getFirst());
        // the same request: SPI, nonce and key exchange unchanged
        assertThat(second.header().initiatorSpi()).isEqualTo(first.header().initiatorSpi());
        assertThat(second.first(NoncePayload.class)).isEqualTo(first.first(NoncePayload.class));
        assertThat(second.first(KePayload.class)).isEqualTo(first.first(KePayload.class));
        assertThat(cookies.counters()).containsEntry("ikev2.cookie.sent", 1L)
                .containsEntry("ikev2.cookie.accepted", 1L).doesNotContainKey("ikev2.cookie.rejected");
        assertThat(loop.a.counters().get("ikev2.engine.cookie_retry")).isEqualTo(1);
    }

    @Test
    void theCookieIsKeptWhenAnInvalidKeRetryFollows() {
        IkeLoop loop = new IkeLoop(IkeLoop.gcm("cookie psk", DhGroup.ECP256, DhGroup.MODP2048),
                IkeLoop.mirror(IkeLoop.gcm("cookie psk", DhGroup.MODP2048)));
        Cookies cookies = guard(loop, 0, Duration.ZERO);
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.Phase1Up.class).getFirst().group()).isEqualTo(DhGroup.MODP2048);
        assertThat(initRequests).hasSize(3);
        assertThat(handedOut).hasSize(1);
        assertThat(cookieOf(initRequests.get(1))).isEqualTo(handedOut.getFirst());
        assertThat(cookieOf(initRequests.get(2))).isEqualTo(handedOut.getFirst());
        assertThat(initRequests.get(2).first(KePayload.class).orElseThrow().group())
                .isEqualTo(DhGroup.MODP2048.ikev2Id());
        assertThat(initRequests.get(2).first(NoncePayload.class)).isEqualTo(initRequests.get(0)
                .first(NoncePayload.class));
        assertThat(cookies.counters()).containsEntry("ikev2.cookie.sent", 1L)
                .containsEntry("ikev2.cookie.accepted", 2L);
    }

    @Test
    void initiatorGivesUpAfterAFewCookieRounds() {
        IkeLoop loop = new IkeLoop(IkeLoop.gcm("cookie psk", DhGroup.ECP256),
                IkeLoop.mirror(IkeLoop.gcm("cookie psk", DhGroup.ECP256)));
        // the responder's secrets change faster than the initiator answers: the returned cookie never verifies
        Cookies cookies = guard(loop, 0, Cookies.DEFAULT_ROTATION.multipliedBy(3));
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.b.state()).isEqualTo(IkeState.IDLE);
        assertThat(initRequests).hasSize(IkeSession.MAX_COOKIE_ROUNDS + 1);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).isEqualTo(FailureReason.PROTOCOL_ERROR));
        assertThat(cookies.counters()).containsEntry("ikev2.cookie.rejected", (long) IkeSession.MAX_COOKIE_ROUNDS);
    }

    @Test
    void belowTheThresholdNoCookieIsAsked() {
        IkeLoop loop = new IkeLoop(IkeLoop.gcm("cookie psk", DhGroup.ECP256),
                IkeLoop.mirror(IkeLoop.gcm("cookie psk", DhGroup.ECP256)));
        Cookies cookies = guard(loop, 1, Duration.ZERO);
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(initRequests).hasSize(1);
        assertThat(cookies.counters()).isEmpty();
    }
}
