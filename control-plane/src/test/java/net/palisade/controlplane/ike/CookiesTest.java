package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.palisade.controlplane.MutableClock;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import org.junit.jupiter.api.Test;

/** Stateless cookies (RFC 7296 section 2.6) with a fake clock. */
class CookiesTest {
    private static final InetAddress IPI = InetAddress.ofLiteral("192.0.2.1");
    private static final long SPI = 0x1122334455667788L;
    private static final byte[] NI = new byte[32];
    private static final Duration ROTATION = Duration.ofMinutes(2);

    static {
        Arrays.fill(NI, (byte) 0x5a);
    }

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
    private final Random random = new Random(7);

    private Cookies cookies(int threshold) {
        return new Cookies(clock, random::nextBytes, ROTATION, threshold);
    }

    @Test
    void cookieIsTheSecretVersionThenTheRfcHash() throws Exception {
        Cookies c = cookies(0);
        // replay the injected randomness: first the version (8 octets, low 32 bits kept), then the secret
        Random replay = new Random(7);
        byte[] v = new byte[8];
        replay.nextBytes(v);
        byte[] secret = new byte[32];
        replay.nextBytes(secret);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(NI);
        sha.update(IPI.getAddress());
        sha.update(ByteBuffer.allocate(8).putLong(SPI).array());
        sha.update(secret);
        byte[] expected = ByteBuffer.allocate(36).put(v, 4, 4).put(sha.digest()).array();
        assertThat(c.cookie(NI, IPI, SPI)).isEqualTo(expected);
        assertThat(c.verify(expected, NI, IPI, SPI)).isTrue();
    }

    @Test
    void anotherAddressSpiOrNonceIsRefused() {
        Cookies c = cookies(0);
        byte[] cookie = c.cookie(NI, IPI, SPI);
        byte[] otherNonce = NI.clone();
        otherNonce[31] ^= 1;
        assertThat(c.verify(cookie, NI, InetAddress.ofLiteral("192.0.2.9"), SPI)).isFalse();
        assertThat(c.verify(cookie, NI, IPI, SPI + 1)).isFalse();
        assertThat(c.verify(cookie, otherNonce, IPI, SPI)).isFalse();
        byte[] tampered = cookie.clone();
        tampered[20] ^= 1;
        assertThat(c.verify(tampered, NI, IPI, SPI)).isFalse();
        assertThat(c.verify(Arrays.copyOf(cookie, 35), NI, IPI, SPI)).isFalse();
        assertThat(c.verify(cookie, NI, IPI, SPI)).isTrue();
    }

    @Test
    void previousSecretIsAcceptedAndTheOneBeforeIsNot() {
        Cookies c = cookies(0);
        byte[] first = c.cookie(NI, IPI, SPI);
        clock.advance(ROTATION.minusSeconds(1));
        assertThat(c.cookie(NI, IPI, SPI)).as("same secret within the period").isEqualTo(first);
        clock.advance(Duration.ofSeconds(2));
        byte[] second = c.cookie(NI, IPI, SPI);
        assertThat(second).as("rotated").isNotEqualTo(first);
        assertThat(ByteBuffer.wrap(second).getInt()).isEqualTo(ByteBuffer.wrap(first).getInt() + 1);
        assertThat(c.verify(first, NI, IPI, SPI)).as("previous secret").isTrue();
        assertThat(c.verify(second, NI, IPI, SPI)).isTrue();
        clock.advance(ROTATION);
        byte[] third = c.cookie(NI, IPI, SPI);
        assertThat(c.verify(first, NI, IPI, SPI)).as("two secrets ago").isFalse();
        assertThat(c.verify(second, NI, IPI, SPI)).isTrue();
        assertThat(c.verify(third, NI, IPI, SPI)).isTrue();
    }

    @Test
    void aLongSilenceRetiresBothSecrets() {
        Cookies c = cookies(0);
        byte[] first = c.cookie(NI, IPI, SPI);
        clock.advance(ROTATION.multipliedBy(2).plusSeconds(1));
        assertThat(c.verify(first, NI, IPI, SPI)).isFalse();
    }

    @Test
    void thresholdDecidesWhenCookiesAreDemanded() {
        Cookies c = cookies(2);
        assertThat(c.required(0)).isFalse();
        assertThat(c.required(1)).isFalse();
        assertThat(c.required(2)).isTrue();
        assertThat(cookies(0).required(0)).isTrue();
        assertThat(Cookies.DEFAULT_THRESHOLD).isEqualTo(30);
    }

    @Test
    void admitChallengesThenAcceptsTheReturnedCookie() {
        Ikev2Codec codec = Ikev2Codec.standard();
        Cookies c = cookies(1);
        byte[] request = initRequest(codec, List.of());
        assertThat(c.admit(codec, request, IPI, 0)).isInstanceOf(Cookies.Verdict.Proceed.class);
        Cookies.Verdict v = c.admit(codec, request, IPI, 1);
        assertThat(v).isInstanceOf(Cookies.Verdict.Challenge.class);
        IkeMessage answer = ((DecodeResult.Ok<IkeMessage>) codec.decode(((Cookies.Verdict.Challenge) v).response()))
                .value();
        assertThat(answer.header().response()).isTrue();
        assertThat(answer.header().initiatorSpi()).isEqualTo(SPI);
        assertThat(answer.header().responderSpi()).isZero();
        assertThat(answer.header().exchangeType()).isEqualTo(ExchangeType.Known.IKE_SA_INIT);
        assertThat(answer.payloads()).singleElement().isInstanceOf(NotifyPayload.class);
        Octets cookie = answer.notify(NotifyType.Known.COOKIE).orElseThrow().data();

        byte[] retry = initRequest(codec, List.of(NotifyPayload.of(NotifyType.Known.COOKIE, cookie)));
        assertThat(c.admit(codec, retry, IPI, 5)).isInstanceOf(Cookies.Verdict.Proceed.class);
        assertThat(c.admit(codec, retry, InetAddress.ofLiteral("192.0.2.77"), 5))
                .as("the cookie from another address").isInstanceOf(Cookies.Verdict.Challenge.class);
        assertThat(c.admit(codec, new byte[40], IPI, 5)).isInstanceOf(Cookies.Verdict.Drop.class);
        assertThat(c.counters()).containsEntry("ikev2.cookie.sent", 2L).containsEntry("ikev2.cookie.accepted", 1L)
                .containsEntry("ikev2.cookie.rejected", 1L);
    }

    private static byte[] initRequest(Ikev2Codec codec, List<Payload> first) {
        List<Payload> p = new java.util.ArrayList<>(first);
        p.add(KePayload.of(DhGroup.ECP256, Octets.of(new byte[64])));
        p.add(new NoncePayload(Octets.of(NI)));
        return codec.encode(new IkeMessage(IkeHeader.request(SPI, 0, ExchangeType.Known.IKE_SA_INIT, 0, true), p));
    }
}
