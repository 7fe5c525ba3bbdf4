package net.palisade.model.wire.ikev1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** IKEv1 codec: builders round-trip, one hand-assembled input per reject branch, and a bounded fuzz run. */
class Ikev1CodecTest {
    static final Ikev1Codec CODEC = Ikev1Codec.standard();
    static final HexFormat HEX = HexFormat.of();
    static final long ICOOKIE = 0x0123456789abcdefL;

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] h(String hex) {
        return HEX.parseHex(hex.replace(" ", ""));
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    /** ISAKMP header (RFC 2408 figure 2) with correct length, then payloads. */
    static byte[] message(int first, int exchange, int flags, byte[]... payloads) {
        byte[] body = cat(payloads);
        int len = 28 + body.length;
        return cat(h("0123456789abcdef 0000000000000000"), new byte[] {(byte) first, 0x10, (byte) exchange,
                (byte) flags}, h("00000000"), new byte[] {0, 0, (byte) (len >>> 8), (byte) len}, body);
    }

    /** Generic payload header (RFC 2408 figure 3) with correct length. */
    static byte[] payload(int next, byte[] body) {
        return cat(new byte[] {(byte) next, 0}, u16(4 + body.length), body);
    }

    static byte[] one(int type, byte[] body) {
        return message(type, 2, 0, payload(0, body));
    }

    static Ikev1Message.Plain sample() {
        Ikev1Header header = new Ikev1Header(ICOOKIE, 0, 0, Ikev1ExchangeType.Known.IDENTITY_PROTECTION, 0, 0);
        return new Ikev1Message.Plain(header, List.of(
                new Ikev1Payload.Sa(1, 1, List.of(new Ikev1Proposal(1, Ikev1ProtocolId.Known.ISAKMP, Octets.empty(),
                        List.of(new Ikev1Transform(1, 1, List.of(DataAttribute.tv(1, 7), DataAttribute.tv(14, 128),
                                DataAttribute.tv(2, 4), DataAttribute.tv(4, 14), DataAttribute.tv(3, 1),
                                DataAttribute.tv(11, 1), DataAttribute.tlv(12, Octets.fromHex("00015180")))))))),
                new Ikev1Payload.Ke(Octets.of(new byte[256])),
                new Ikev1Payload.Nonce(Octets.of(new byte[32])),
                new Ikev1Payload.Id(Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET, 17, 500, Octets.fromHex("0a010000ffffff00")),
                new Ikev1Payload.Cert(4, net.palisade.model.wire.ikev2.Samples.SAMPLE_CERT),
                new Ikev1Payload.CertRequest(4, Octets.empty()),
                new Ikev1Payload.Signature(Octets.fromHex("aa")),
                new Ikev1Payload.Hash(Octets.of(new byte[20])),
                new Ikev1Payload.Notify(1, Ikev1ProtocolId.Known.ISAKMP, Octets.of(new byte[16]),
                        Ikev1NotifyType.Known.R_U_THERE, Octets.fromHex("00000001")),
                new Ikev1Payload.Delete(1, Ikev1ProtocolId.Known.IPSEC_ESP, 4, List.of(Octets.fromHex("c0ffee01"))),
                new Ikev1Payload.VendorId(Octets.fromHex("4a131c81070358455c5728f20e95452f")),
                new Ikev1Payload.NatD(false, Octets.of(new byte[32])),
                new Ikev1Payload.NatOa(false, Ikev1IdType.Known.ID_IPV4_ADDR, Octets.fromHex("0a000001")),
                new Ikev1Payload.Attributes(1, 7, List.of(DataAttribute.tlv(1, Octets.empty()))),
                new Ikev1Payload.Unsupported(Ikev1PayloadType.Known.FRAGMENT, Octets.fromHex("0001020301"))));
    }

    @Test
    void everyPayloadTypeRoundTrips() {
        Ikev1Message.Plain m = sample();
        byte[] bytes = CODEC.encode(m);
        assertThat(CODEC.decode(bytes).orElseThrow()).isEqualTo(m);
        Ikev1Payload.Id id = m.first(Ikev1Payload.Id.class).orElseThrow();
        assertThat(id.address().orElseThrow().getHostAddress()).isEqualTo("10.1.0.0");
        assertThat(id.second().orElseThrow().getHostAddress()).isEqualTo("255.255.255.0");
        Ikev1Transform t = m.first(Ikev1Payload.Sa.class).orElseThrow().proposals().getFirst().transforms().getFirst();
        assertThat(t.attribute(Ikev1Transform.P1_LIFE_DURATION)).hasValue(86_400);
        assertThat(t.attribute(Ikev1Transform.P1_KEY_LENGTH)).hasValue(128);
        assertThat(t.attribute(99)).isEmpty();
        assertThat(m.all(Ikev1Payload.NatD.class)).hasSize(1);
    }

    @Test
    void encryptedMessagesKeepTheirCiphertext() {
        Ikev1Header header = new Ikev1Header(ICOOKIE, 5, 0, Ikev1ExchangeType.Known.QUICK_MODE, 1, 0x07bc08a4L);
        Ikev1Message.Encrypted e = new Ikev1Message.Encrypted(header, Ikev1PayloadType.Known.HASH,
                Octets.of(new byte[48]));
        byte[] bytes = CODEC.encode(e);
        assertThat(HEX.formatHex(bytes, 0, 28)).isEqualTo("0123456789abcdef0000000000000005" + "08" + "10" + "20" + "01"
                + "07bc08a4" + "0000004c");
        assertThat(CODEC.decode(bytes).orElseThrow()).isEqualTo(e);
        assertThat(header.encrypted()).isTrue();
        assertThat(header).hasToString("QUICK_MODE E 0123456789abcdef:0000000000000005 #129763492");
        assertThatThrownBy(() -> new Ikev1Message.Plain(header, List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decryptedPayloadsMayBeFollowedByPadding() {
        byte[] chain = CODEC.encodePayloads(List.of(new Ikev1Payload.Hash(Octets.of(new byte[20]))));
        byte[] padded = Arrays.copyOf(chain, chain.length + 8);
        assertThat(CODEC.decodePayloads(Ikev1PayloadType.Known.HASH, padded).orElseThrow()).hasSize(1);
        byte[] tooMuch = Arrays.copyOf(chain, chain.length + 256);
        assertThat(CODEC.decodePayloads(Ikev1PayloadType.Known.HASH, tooMuch))
                .isEqualTo(new Ikev1DecodeResult.Rejected<>(Ikev1RejectReason.TRAILING_BYTES,
                        "256 octets after the last payload"));
    }

    record Case(Ikev1RejectReason reason, String name, Supplier<Ikev1DecodeResult<?>> run) {
        @Override
        public String toString() {
            return reason + ": " + name;
        }
    }

    static Case c(Ikev1RejectReason reason, String name, byte[] datagram) {
        return new Case(reason, name, () -> CODEC.decode(datagram));
    }

    static byte[] proposal(int marker, int protocol, byte[] spi, int count, byte[]... transforms) {
        byte[] t = cat(transforms);
        return cat(new byte[] {(byte) marker, 0}, u16(8 + spi.length + t.length),
                new byte[] {1, (byte) protocol, (byte) spi.length, (byte) count}, spi, t);
    }

    static byte[] transform(int marker, byte[] attrs) {
        return cat(new byte[] {(byte) marker, 0}, u16(8 + attrs.length), h("0101 0000"), attrs);
    }

    static final byte[] DOI_SIT = h("00000001 00000001");

    static Stream<Case> cases() {
        List<Case> l = new ArrayList<>();
        l.add(c(Ikev1RejectReason.DATAGRAM_TOO_LONG, "65536 octets", new byte[65_536]));
        l.add(c(Ikev1RejectReason.DATAGRAM_TOO_SHORT, "27 octets", new byte[27]));
        byte[] lying = message(0, 2, 0);
        lying[27] = 40;
        l.add(c(Ikev1RejectReason.LENGTH_MISMATCH, "length 40 in 28", lying));
        byte[] v2 = message(0, 2, 0);
        v2[17] = 0x20;
        l.add(c(Ikev1RejectReason.UNSUPPORTED_MAJOR_VERSION, "IKEv2 header", v2));
        byte[] zero = message(0, 2, 0);
        Arrays.fill(zero, 0, 8, (byte) 0);
        l.add(c(Ikev1RejectReason.ZERO_INITIATOR_COOKIE, "cookie 0", zero));
        l.add(c(Ikev1RejectReason.ENCRYPTED_EMPTY, "E flag, no body", message(8, 32, 1)));
        byte[][] vids = new byte[65][];
        for (int i = 0; i < vids.length; i++) {
            vids[i] = payload(i == vids.length - 1 ? 0 : 13, new byte[0]);
        }
        l.add(c(Ikev1RejectReason.TOO_MANY_PAYLOADS, "65 payloads", message(13, 2, 0, vids)));
        l.add(c(Ikev1RejectReason.PAYLOAD_TRUNCATED, "no payload after the header", message(1, 2, 0)));
        l.add(c(Ikev1RejectReason.PAYLOAD_TRUNCATED, "length past the end", message(13, 2, 0, h("0000 0040"))));
        l.add(c(Ikev1RejectReason.PAYLOAD_TOO_SHORT, "length 2", message(13, 2, 0, h("0000 0002"))));
        l.add(c(Ikev1RejectReason.PAYLOAD_TOO_SHORT, "notify of 5 octets", one(11, new byte[5])));
        l.add(c(Ikev1RejectReason.TRAILING_BYTES, "4 octets after the chain", message(13, 2, 0, payload(0, new byte[0]),
                new byte[4])));
        l.add(c(Ikev1RejectReason.MISPLACED_SUBSTRUCTURE, "proposal at top level", one(2, new byte[8])));
        l.add(c(Ikev1RejectReason.UNSUPPORTED_DOI, "DOI 2", one(1, h("00000002 00000001"))));
        l.add(c(Ikev1RejectReason.UNSUPPORTED_SITUATION, "SIT_SECRECY", one(1, h("00000001 00000003"))));
        l.add(c(Ikev1RejectReason.SA_EMPTY, "no proposals", one(1, DOI_SIT)));
        byte[][] many = new byte[65][];
        for (int i = 0; i < many.length; i++) {
            many[i] = proposal(i == many.length - 1 ? 0 : 2, 1, new byte[0], 1, transform(0, new byte[0]));
        }
        l.add(c(Ikev1RejectReason.TOO_MANY_PROPOSALS, "65 proposals", one(1, cat(DOI_SIT, cat(many)))));
        l.add(c(Ikev1RejectReason.PROPOSAL_MALFORMED, "marker 2 on the last", one(1, cat(DOI_SIT,
                proposal(2, 1, new byte[0], 1, transform(0, new byte[0]))))));
        l.add(c(Ikev1RejectReason.PROPOSAL_MALFORMED, "ESP with 8-octet SPI", one(1, cat(DOI_SIT,
                proposal(0, 3, new byte[8], 1, transform(0, new byte[0]))))));
        l.add(c(Ikev1RejectReason.PROPOSAL_MALFORMED, "7 octets", one(1, cat(DOI_SIT, new byte[7]))));
        l.add(c(Ikev1RejectReason.TOO_MANY_TRANSFORMS, "count 65", one(1, cat(DOI_SIT,
                proposal(0, 1, new byte[0], 65, transform(0, new byte[0]))))));
        l.add(c(Ikev1RejectReason.TRANSFORM_MALFORMED, "marker 3 on the last", one(1, cat(DOI_SIT,
                proposal(0, 1, new byte[0], 1, transform(3, new byte[0]))))));
        l.add(c(Ikev1RejectReason.TRANSFORM_MALFORMED, "5 octets", one(1, cat(DOI_SIT,
                proposal(0, 1, new byte[0], 1, new byte[5])))));
        l.add(c(Ikev1RejectReason.TRANSFORM_COUNT_MISMATCH, "count 2, one transform", one(1, cat(DOI_SIT,
                proposal(0, 1, new byte[0], 2, transform(0, new byte[0]))))));
        l.add(c(Ikev1RejectReason.TRANSFORM_COUNT_MISMATCH, "count 1, two transforms", one(1, cat(DOI_SIT,
                proposal(0, 1, new byte[0], 1, transform(3, new byte[0]), transform(0, new byte[0]))))));
        l.add(c(Ikev1RejectReason.ATTRIBUTE_MALFORMED, "TLV past the transform", one(1, cat(DOI_SIT,
                proposal(0, 1, new byte[0], 1, transform(0, h("000c 0008 0001")))))));
        l.add(c(Ikev1RejectReason.EMPTY_PAYLOAD, "empty KE", one(4, new byte[0])));
        l.add(c(Ikev1RejectReason.EMPTY_PAYLOAD, "empty HASH", one(8, new byte[0])));
        l.add(c(Ikev1RejectReason.NONCE_LENGTH, "7-octet nonce", one(10, new byte[7])));
        l.add(c(Ikev1RejectReason.NONCE_LENGTH, "257-octet nonce", one(10, new byte[257])));
        l.add(c(Ikev1RejectReason.ID_MALFORMED, "IPv4 subnet of 4 octets", one(5, h("04 00 0000 0a000000"))));
        l.add(c(Ikev1RejectReason.ID_MALFORMED, "empty FQDN", one(5, h("02 00 0000"))));
        l.add(c(Ikev1RejectReason.NOTIFY_MALFORMED, "SPI past the payload", one(11, h("00000001 01 10 8d28 0000"))));
        l.add(c(Ikev1RejectReason.DELETE_MALFORMED, "ISAKMP delete with SPI size 4", one(12,
                h("00000001 01 04 0001 00000000"))));
        l.add(c(Ikev1RejectReason.DELETE_MALFORMED, "2 ESP SPIs in 4 octets", one(12, h("00000001 03 04 0002 00000000"))));
        l.add(c(Ikev1RejectReason.NAT_OA_MALFORMED, "FQDN in NAT-OA", one(21, h("02 000000 61"))));
        return l.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectsWithItsReasonAndCounter(Case c) {
        Ikev1DecodeResult<?> r = c.run().get();
        assertThat(r).isInstanceOf(Ikev1DecodeResult.Rejected.class);
        var rejected = (Ikev1DecodeResult.Rejected<?>) r;
        assertThat(rejected.reason()).as(rejected.detail()).isEqualTo(c.reason());
        assertThat(rejected.counter()).isEqualTo("ikev1.decode." + c.reason().name().toLowerCase(Locale.ROOT));
        assertThat(r.isOk()).isFalse();
        assertThatThrownBy(r::orElseThrow).hasMessageContaining(c.reason().name());
    }

    @Test
    void everyRejectReasonHasACase() {
        Set<Ikev1RejectReason> covered = EnumSet.noneOf(Ikev1RejectReason.class);
        cases().forEach(x -> covered.add(x.reason()));
        assertThat(covered).containsExactlyInAnyOrder(Ikev1RejectReason.values());
    }

    @Test
    void fuzzNoExceptionEscapes() {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(CODEC.encode(sample()));
        for (String s : List.of("main", "aggressive")) {
            for (JsonNode p : Ikev1CaptureTest.capture(s).get("packets")) {
                seeds.add(HEX.parseHex(p.get("hex").asText()));
                if (p.has("decrypted")) {
                    seeds.add(HEX.parseHex(p.get("decrypted").asText()));
                }
            }
        }
        long seed = Long.getLong("palisade.fuzz.seed", 0x1ce1L);
        Random rnd = new Random(seed);
        int ok = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] b = seeds.get(rnd.nextInt(seeds.size())).clone();
            int n = 1 + rnd.nextInt(4);
            for (int k = 0; k < n && b.length > 0; k++) {
                int at = rnd.nextInt(b.length);
                switch (rnd.nextInt(4)) {
                    case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                    case 1 -> b[at] = (byte) rnd.nextInt(256);
                    case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                    default -> b = Arrays.copyOf(b, b.length + rnd.nextInt(16));
                }
            }
            if (b.length >= 28 && rnd.nextBoolean()) {
                b[26] = (byte) (b.length >>> 8);
                b[27] = (byte) b.length;
                b[24] = 0;
                b[25] = 0;
            }
            try {
                Ikev1DecodeResult<Ikev1Message> r = CODEC.decode(b);
                if (r instanceof Ikev1DecodeResult.Ok<Ikev1Message>(Ikev1Message m)) {
                    ok++;
                    assertThat(CODEC.decode(CODEC.encode(m)).orElseThrow()).isEqualTo(m);
                }
                Ikev1PayloadType first = Ikev1PayloadType.of(rnd.nextInt(22));
                if (CODEC.decodePayloads(first, b) instanceof Ikev1DecodeResult.Ok<List<Ikev1Payload>>(var ps)) {
                    byte[] chain = CODEC.encodePayloads(ps);
                    assertThat(CODEC.decodePayloads(first, chain).orElseThrow()).isEqualTo(ps);
                }
            } catch (Throwable t) {
                fail("seed " + seed + ", iteration " + i + ", input " + HEX.formatHex(b) + ": " + t, t);
            }
        }
        assertThat(ok).isGreaterThan(1000);
    }
}
