package net.palisade.controlplane.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.Fragments;
import net.palisade.controlplane.ike.IkeCounters;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.PayloadType;
import org.junit.jupiter.api.Test;

/**
 * IKE fragment reassembly (RFC 7383) driven by a fuzzer, with the SA's real keys: a script chooses, step by step, a
 * fragment sealed with the keys (any message ID, direction, number, total and content, the fuzzer's choice), a
 * datagram of its own under an IKE header, a sealed fragment with one octet flipped, or time passing. Whatever comes,
 * the reassembler never throws, holds no more than its limits allow, and completes a message only from fragments that
 * passed their integrity check. In the suite the kept inputs replay
 * ({@code src/test/resources/net/palisade/controlplane/fuzz/FragmentFuzzTestInputs/reassembly/}); {@code
 * ops/bench/fuzz.sh 10 IkeFragments} runs it coverage-guided.
 */
class FragmentFuzzTest {
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();
    private static final Fragments.Limits LIMITS = new Fragments.Limits(16, 4096, Duration.ofSeconds(30));
    private static final long SPI_I = 0x1122334455667788L;
    private static final long SPI_R = 0x0102030405060708L;
    private static final PayloadType[] FIRST = {PayloadType.Known.NO_NEXT_PAYLOAD, PayloadType.Known.NONCE,
            PayloadType.Known.NOTIFY, PayloadType.Known.DELETE, PayloadType.Known.IDI, PayloadType.of(200)};

    private static SkCipher cipher() {
        byte[] km = new byte[EncryptionAlgorithm.AES_256_GCM.keyMaterialBytes()];
        for (int i = 0; i < km.length; i++) {
            km[i] = (byte) (i * 7 + 1);
        }
        return new SkCipher(EncryptionAlgorithm.AES_256_GCM, Optional.empty(), km, new byte[0]);
    }

    @FuzzTest(maxDuration = "10s")
    void reassembly(byte[] script) {
        if (script == null) {
            return;
        }
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
        IkeCounters counters = new IkeCounters();
        Fragments.Reassembler r = new Fragments.Reassembler(CODEC, clock, counters, LIMITS);
        SkCipher cipher = cipher();
        Random iv = new Random(1);
        Set<ByteBuffer> sealed = new HashSet<>();
        ByteBuffer in = ByteBuffer.wrap(script);
        int steps = 0;
        while (in.hasRemaining() && steps++ < 96) {
            int op = (in.get() & 0xff) % 4;
            switch (op) {
                case 0, 2 -> {
                    int shape = next(in);
                    IkeHeader h = header(shape);
                    int total = 1 + next(in) % 20; // beyond the limit of 16 too
                    int number = next(in) % (total + 1); // 0 too
                    byte[] chunk = new byte[Math.min(next(in) * 2, in.remaining())];
                    in.get(chunk);
                    PayloadType first = FIRST[next(in) % FIRST.length];
                    byte[] d;
                    try {
                        d = cipher.sealFragment(CODEC, h, first, number, total, chunk, iv::nextBytes);
                    } catch (IllegalArgumentException e) {
                        continue; // our own sender refuses such a fragment; the receiver is what is fuzzed
                    }
                    if (op == 2 && d.length > 0) {
                        int at = next(in) * 7 % d.length;
                        d[at] ^= (byte) (1 + next(in) % 255);
                    } else {
                        sealed.add(ByteBuffer.wrap(d.clone()));
                    }
                    offer(r, d, sealed);
                }
                case 1 -> {
                    IkeHeader h = header(next(in));
                    byte[] body = new byte[Math.min(next(in) * 2, in.remaining())];
                    in.get(body);
                    // an SKF payload claimed (next payload 53) over the fuzzer's octets
                    byte[] d = ByteBuffer.allocate(IkeHeader.LENGTH + body.length).putLong(h.initiatorSpi())
                            .putLong(h.responderSpi()).put((byte) 53).put((byte) 0x20)
                            .put((byte) h.exchangeType().value()).put((byte) h.flags()).putInt((int) h.messageId())
                            .putInt(IkeHeader.LENGTH + body.length).put(body).array();
                    offer(r, d, sealed);
                }
                default -> clock.advance(Duration.ofSeconds(next(in) % 40));
            }
            assertThat(r.held()).as("fragments held").isLessThanOrEqualTo(2 * LIMITS.maxFragments());
        }
    }

    private static void offer(Fragments.Reassembler r, byte[] d, Set<ByteBuffer> sealed) {
        if (!(CODEC.decodeHeader(d) instanceof DecodeResult.Ok<IkeHeader> h)) {
            return;
        }
        Fragments.Offer o = r.offer(d, h.value(), cipher());
        if (o instanceof Fragments.Offer.Complete c) {
            assertThat(sealed).as("a message completed from a fragment that failed its integrity check")
                    .contains(ByteBuffer.wrap(c.firstFragment()));
        }
    }

    /** Message ID 0–3, request or response, IKE_AUTH or INFORMATIONAL: from one octet. */
    private static IkeHeader header(int shape) {
        ExchangeType x = (shape & 8) == 0 ? ExchangeType.Known.IKE_AUTH : ExchangeType.Known.INFORMATIONAL;
        return (shape & 4) == 0 ? IkeHeader.request(SPI_I, SPI_R, x, shape & 3, true)
                : IkeHeader.response(SPI_I, SPI_R, x, shape & 3, true);
    }

    private static int next(ByteBuffer in) {
        return in.hasRemaining() ? in.get() & 0xff : 0;
    }

    /** The harness reaches reassembly: a real message cut into fragments, offered out of order, comes back whole. */
    @Test
    void aRealFragmentedMessageOfferedOutOfOrderIsReassembledWhole() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
        IkeCounters counters = new IkeCounters();
        Fragments.Reassembler r = new Fragments.Reassembler(CODEC, clock, counters, LIMITS);
        Random random = new Random(2);
        List<Payload> inner = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] nonce = new byte[200];
            random.nextBytes(nonce);
            inner.add(new NoncePayload(Octets.of(nonce)));
        }
        IkeHeader h = IkeHeader.request(SPI_I, SPI_R, ExchangeType.Known.INFORMATIONAL, 2, true);
        List<byte[]> parts = Fragments.split(cipher(), CODEC, h, inner, 200, new Random(3)::nextBytes);
        assertThat(parts).hasSizeGreaterThan(3);
        Fragments.Offer last = null;
        for (int i = parts.size() - 1; i >= 0; i--) {
            last = r.offer(parts.get(i), h, cipher());
        }
        assertThat(last).isInstanceOf(Fragments.Offer.Complete.class);
        DecodeResult<List<Payload>> whole = ((Fragments.Offer.Complete) last).inner();
        assertThat(whole.toOptional()).contains(inner);
        assertThat(counters.get("ikev2.fragment.reassembled")).isEqualTo(1);
    }
}
