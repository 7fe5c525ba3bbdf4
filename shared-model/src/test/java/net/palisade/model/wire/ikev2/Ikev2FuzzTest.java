package net.palisade.model.wire.ikev2;

import static net.palisade.model.wire.ikev2.Samples.CODEC;
import static net.palisade.model.wire.ikev2.Samples.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 100,000 random and mutated datagrams (a fixed number, from a fixed seed unless {@code -Dpalisade.fuzz.seed=N})
 * through every decoding entry point: no exception may escape, every result is Ok or a reject with a reason, and
 * whatever decodes re-encodes to something that decodes to the same value. Seeds are the strongSwan captures and the
 * built sample messages; mutations flip bits, overwrite octets with boundary values, cut, grow, splice, and usually
 * repair the header's Length so that the damage reaches the payloads.
 */
class Ikev2FuzzTest {
    /** Fixed by default; {@code -Dpalisade.fuzz.iterations=N} runs longer by hand. */
    private static final int ITERATIONS = Integer.getInteger("palisade.fuzz.iterations", 100_000);

    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        for (String s : StrongSwanCaptureTest.SCENARIOS) {
            for (JsonNode p : StrongSwanCaptureTest.capture(s).get("packets")) {
                seeds.add(hex(p.get("hex").asText()));
            }
        }
        for (Samples.Named n : Samples.messages()) {
            seeds.add(CODEC.encode(n.message()));
            List<Payload> payloads = n.message().payloads();
            if (!n.message().encrypted()) {
                seeds.add(CODEC.encodeInner(payloads, 16));
            }
        }
        return seeds;
    }

    static final int[] INTERESTING = {0, 1, 2, 3, 4, 7, 8, 0x0c, 0x10, 0x14, 0x1f, 0x20, 0x21, 0x22, 0x28, 0x2e, 0x35,
        0x7f, 0x80, 0x81, 0xfe, 0xff};

    static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n && b.length > 0; i++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(8)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) rnd.nextInt(256);
                case 2 -> b[at] = (byte) INTERESTING[rnd.nextInt(INTERESTING.length)];
                case 3 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                case 4 -> {
                    byte[] grown = Arrays.copyOf(b, b.length + 1 + rnd.nextInt(64));
                    for (int k = b.length; k < grown.length; k++) {
                        grown[k] = (byte) rnd.nextInt(256);
                    }
                    b = grown;
                }
                case 5 -> {
                    int len = 1 + rnd.nextInt(Math.min(32, b.length - at));
                    byte[] spliced = new byte[b.length + len];
                    System.arraycopy(b, 0, spliced, 0, at + len);
                    System.arraycopy(b, at, spliced, at + len, b.length - at);
                    b = spliced;
                }
                case 6 -> {
                    int len = 1 + rnd.nextInt(Math.min(32, b.length - at));
                    byte[] cut = new byte[b.length - len];
                    System.arraycopy(b, 0, cut, 0, at);
                    System.arraycopy(b, at + len, cut, at, b.length - at - len);
                    b = cut;
                }
                default -> {
                    if (at + 1 < b.length) {
                        int v = rnd.nextInt(0x200);
                        b[at] = (byte) (v >>> 8);
                        b[at + 1] = (byte) v;
                    }
                }
            }
        }
        if (b.length >= 28 && rnd.nextInt(10) < 7) {
            b[24] = (byte) (b.length >>> 24);
            b[25] = (byte) (b.length >>> 16);
            b[26] = (byte) (b.length >>> 8);
            b[27] = (byte) b.length;
        }
        return b;
    }

    static byte[] random(Random rnd) {
        byte[] b = new byte[rnd.nextInt(600)];
        rnd.nextBytes(b);
        if (b.length >= 28 && rnd.nextBoolean()) {
            b[0] |= 1;
            b[17] = 0x20;
            b[24] = 0;
            b[25] = 0;
            b[26] = (byte) (b.length >>> 8);
            b[27] = (byte) b.length;
        }
        return b;
    }

    @Test
    void noExceptionEscapesAndDecodedValuesRoundTrip() {
        long seed = Long.getLong("palisade.fuzz.seed", 0x1ce5eedL);
        Random rnd = new Random(seed);
        List<byte[]> seeds = seeds();
        Map<RejectReason, Integer> rejects = new EnumMap<>(RejectReason.class);
        int ok = 0;
        int innerOk = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = rnd.nextInt(10) == 0 ? random(rnd) : mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            try {
                DecodeResult<IkeMessage> r = CODEC.decode(input);
                assertThat(r).isNotNull();
                if (r instanceof DecodeResult.Ok<IkeMessage>(IkeMessage m)) {
                    ok++;
                    byte[] again = CODEC.encode(m);
                    assertThat(CODEC.decode(again).orElseThrow()).isEqualTo(m);
                    assertThat(CODEC.decodeHeader(input).orElseThrow()).isEqualTo(m.header());
                } else {
                    DecodeResult.Rejected<IkeMessage> rej = (DecodeResult.Rejected<IkeMessage>) r;
                    assertThat(rej.detail()).isNotEmpty();
                    rejects.merge(rej.reason(), 1, Integer::sum);
                }
                CODEC.decodeHeader(input);
                CODEC.encryptedRegions(input, rnd.nextInt(17), rnd.nextInt(17));
                IkeHeader h = new IkeHeader(1, 2, 0, ExchangeType.Known.IKE_AUTH, rnd.nextBoolean() ? 0x20 : 0x08, 1);
                PayloadType first = PayloadType.of(rnd.nextInt(10) < 8 ? 33 + rnd.nextInt(21) : rnd.nextInt(256));
                DecodeResult<List<Payload>> inner = CODEC.decodeInner(h, first, input);
                if (inner instanceof DecodeResult.Ok<List<Payload>>(List<Payload> payloads)) {
                    innerOk++;
                    byte[] chain = CODEC.encodeChain(payloads);
                    assertThat(CODEC.decodeInnerChain(h, first, chain, chain.length).orElseThrow()).isEqualTo(payloads);
                } else {
                    DecodeResult.Rejected<List<Payload>> rej = (DecodeResult.Rejected<List<Payload>>) inner;
                    rejects.merge(rej.reason(), 1, Integer::sum);
                    assertThat(inner).isInstanceOf(DecodeResult.ProtectedError.class);
                }
                int off = input.length > 28 ? 28 : 0;
                CODEC.decodeInnerChain(h, first, Arrays.copyOfRange(input, off, input.length), input.length - off);
            } catch (Throwable t) {
                fail("seed " + seed + ", iteration " + i + ", input " + hex(input) + ": " + t, t);
            }
        }
        assertThat(ok).as("mutated messages that still decode").isGreaterThan(ITERATIONS / 50);
        assertThat(innerOk).as("inner chains that decode").isPositive();
        assertThat(rejects.keySet()).as("reject branches reached: " + rejects).hasSizeGreaterThan(25);
    }
}
