package net.palisade.model.wire.ikev2;

import static net.palisade.model.wire.ikev2.Samples.CODEC;
import static net.palisade.model.wire.ikev2.Samples.hex;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real IKEv2 traffic from strongSwan 5.9.8 (initiator and responder in the namespace lab, captured on the wire;
 * see {@code wire/ikev2/capture.sh}) decoded by Palisade and compared field by field with TShark 4.0.17's dissection
 * of the same packets (stored beside the hex by {@code gen-expected.py}; TShark is not run here).
 *
 * <p>Scenarios: PSK with three IKE and three ESP proposals, IPv4/IPv6/port traffic selectors, Child SA and IKE SA
 * rekeys, deletes; INVALID_KE_PAYLOAD and retry, with AES-CBC + HMAC-SHA-256; NO_PROPOSAL_CHOSEN; certificates with
 * DN IDs, RFC 7427 AUTH, CERT/CERTREQ and IKE fragmentation (SKF).
 *
 * <p>The SK and SKF payloads are decrypted here with JCE, using the keys charon logged, at the regions
 * {@link Ikev2Codec#encryptedRegions} reports: the AEAD tag or HMAC verifies, which proves the AAD and integrity
 * boundaries. The inner payloads then decode to what TShark decrypted, and resealing the plaintext into
 * {@link Ikev2Codec#encryptedTemplate} (or {@code fragmentTemplate}) with the same IV reproduces strongSwan's datagram
 * byte for byte.
 */
class StrongSwanCaptureTest {

    static final List<String> SCENARIOS = List.of("psk", "invalid-ke", "no-proposal", "cert");

    static JsonNode capture(String scenario) {
        return Samples.json("/wire/ikev2/strongswan-" + scenario + ".json");
    }

    static Stream<Arguments> packets() {
        List<Arguments> out = new ArrayList<>();
        for (String s : SCENARIOS) {
            JsonNode doc = capture(s);
            for (JsonNode p : doc.get("packets")) {
                out.add(Arguments.of(s + " frame " + p.get("frame").asInt() + " " + p.get("from").asText() + " -> "
                        + p.get("to").asText(), p));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packets")
    void decodesWhatTsharkReadsAndReencodesByteForByte(String name, JsonNode packet) {
        byte[] datagram = hex(packet.get("hex").asText());
        DecodeResult<IkeMessage> result = CODEC.decode(datagram);
        assertThat(result).as(name).isInstanceOf(DecodeResult.Ok.class);
        IkeMessage m = result.orElseThrow();
        JsonNode t = packet.get("tshark");
        HexFormat hf = HexFormat.of();
        assertThat(hf.toHexDigits(m.header().initiatorSpi())).isEqualTo(t.get("ispi").asText());
        assertThat(hf.toHexDigits(m.header().responderSpi())).isEqualTo(t.get("rspi").asText());
        assertThat(t.get("version").asText()).isEqualTo("0x20");
        assertThat(m.header().minorVersion()).isZero();
        assertThat(m.header().exchangeType().value()).isEqualTo(t.get("exchangeType").asInt());
        assertThat(m.header().exchangeType()).isInstanceOf(ExchangeType.Known.class);
        assertThat(m.header().flags()).isEqualTo(t.get("flags").asInt());
        assertThat(m.header().response()).isEqualTo((t.get("flags").asInt() & 0x20) != 0);
        assertThat(m.header().initiator()).isEqualTo((t.get("flags").asInt() & 0x08) != 0);
        assertThat(m.header().messageId()).isEqualTo(t.get("messageId").asLong());
        assertThat(datagram.length).isEqualTo(t.get("length").asInt());
        assertThat(m.payloads().isEmpty() ? 0 : m.payloads().getFirst().type().value())
                .isEqualTo(t.get("nextPayload").asInt());
        TsharkView.assertChain(m.payloads(), t.get("payloads"), name);
        assertThat(CODEC.encode(m)).as("encode(decode(x)) == x").isEqualTo(datagram);
        assertThat(CODEC.decodeHeader(datagram).orElseThrow()).isEqualTo(m.header());
    }

    /** The IKE SA keys charon logged, per SPI pair. */
    record Keys(String encryption, String integrity, byte[] ei, byte[] er, byte[] ai, byte[] ar) {
        boolean aead() {
            return encryption.startsWith("AES_GCM");
        }

        int ivBytes() {
            return aead() ? 8 : 16;
        }

        int icvBytes() {
            return 16;
        }

        int keyBytes() {
            return switch (encryption) {
                case "AES_GCM_16_128", "AES_CBC_128" -> 16;
                case "AES_GCM_16_256", "AES_CBC_256" -> 32;
                default -> throw new IllegalArgumentException(encryption);
            };
        }
    }

    static Keys keys(JsonNode doc, IkeMessage m) {
        HexFormat hf = HexFormat.of();
        for (JsonNode sa : doc.get("ikeSas")) {
            if (sa.get("spii").asText().equals(hf.toHexDigits(m.header().initiatorSpi()))
                    && sa.get("spir").asText().equals(hf.toHexDigits(m.header().responderSpi()))) {
                return new Keys(sa.get("encryption").asText(), sa.get("integrity").asText(),
                        hex(sa.get("skEi").asText()), hex(sa.get("skEr").asText()), hex(sa.get("skAi").asText()),
                        hex(sa.get("skAr").asText()));
            }
        }
        throw new AssertionError("no keys for " + m.header());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"psk", "invalid-ke", "cert"})
    void decryptsAtTheReportedRegionsAndDecodesInnerPayloadsLikeTshark(String scenario) throws Exception {
        JsonNode doc = capture(scenario);
        ByteArrayOutputStream reassembly = new ByteArrayOutputStream();
        PayloadType reassemblyFirst = null;
        int encrypted = 0;
        for (JsonNode packet : doc.get("packets")) {
            byte[] datagram = hex(packet.get("hex").asText());
            IkeMessage m = CODEC.decode(datagram).orElseThrow();
            if (!m.encrypted()) {
                continue;
            }
            encrypted++;
            String where = scenario + " frame " + packet.get("frame").asInt();
            JsonNode tsk = packet.get("tshark").get("payloads").get(m.payloads().size() - 1);
            Keys k = keys(doc, m);
            boolean fromInitiator = m.header().initiator();
            EncryptedRegions r = CODEC.encryptedRegions(datagram, k.ivBytes(), k.icvBytes()).orElseThrow();
            assertThat(r.messageLength()).isEqualTo(datagram.length);
            assertThat(hex(r.iv(datagram))).as(where + " IV").isEqualTo(tsk.get("iv").asText());
            if (tsk.has("icv")) {
                assertThat(hex(r.icv(datagram))).as(where + " ICV").isEqualTo(tsk.get("icv").asText());
            }
            byte[] plain = open(k, fromInitiator, datagram, r);
            assertThat(plain[plain.length - 1] & 0xff).as(where + " pad length").isEqualTo(tsk.get("padLength").asInt());
            byte[] resealed = seal(k, fromInitiator, m, r, plain, r.iv(datagram));
            assertThat(resealed).as(where + " resealed into the codec's template").isEqualTo(datagram);

            int chainLength = CODEC.unpaddedLength(plain).orElseThrow();
            if (m.payloads().getLast() instanceof SkPayload sk) {
                assertThat(r.fragment()).isFalse();
                List<Payload> inner = CODEC.decodeInner(m.header(), sk.firstInner(), plain).orElseThrow();
                JsonNode expected = tsk.has("inner") ? tsk.get("inner") : MAPPER_EMPTY;
                TsharkView.assertChain(inner, expected, where + " inner");
                assertThat(CODEC.encodeChain(inner)).as(where + " inner chain re-encodes byte for byte")
                        .isEqualTo(Arrays.copyOf(plain, chainLength));
            } else {
                SkfPayload skf = (SkfPayload) m.payloads().getLast();
                assertThat(r.fragment()).isTrue();
                assertThat(r.fragmentNumber()).isEqualTo(skf.fragmentNumber());
                if (skf.fragmentNumber() == 1) {
                    reassembly.reset();
                    reassemblyFirst = skf.firstInner();
                }
                reassembly.write(plain, 0, chainLength);
                if (skf.fragmentNumber() == skf.totalFragments()) {
                    byte[] chain = reassembly.toByteArray();
                    List<Payload> inner = CODEC.decodeInnerChain(m.header(), reassemblyFirst, chain, chain.length)
                            .orElseThrow();
                    TsharkView.assertChain(inner, tsk.get("reassembledInner"), where + " reassembled");
                    assertThat(CODEC.encodeChain(inner)).isEqualTo(chain);
                }
            }
        }
        assertThat(encrypted).isPositive();
    }

    private static final JsonNode MAPPER_EMPTY = new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode();

    /** Verifies and decrypts with the sender's keys; fails the test if the tag or HMAC does not verify. */
    static byte[] open(Keys k, boolean fromInitiator, byte[] datagram, EncryptedRegions r) throws Exception {
        byte[] ek = fromInitiator ? k.ei() : k.er();
        if (k.aead()) {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ek, 0, k.keyBytes(), "AES"),
                    new GCMParameterSpec(128, nonce(ek, k.keyBytes(), r.iv(datagram))));
            c.updateAAD(r.aad(datagram));
            c.update(r.ciphertext(datagram));
            return c.doFinal(r.icv(datagram));
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(fromInitiator ? k.ai() : k.ar(), "HmacSHA256"));
        byte[] full = mac.doFinal(r.integrityInput(datagram));
        assertThat(Arrays.copyOf(full, r.icvLength())).as("HMAC over header..ciphertext").isEqualTo(r.icv(datagram));
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ek, 0, k.keyBytes(), "AES"), new IvParameterSpec(r.iv(datagram)));
        return c.doFinal(r.ciphertext(datagram));
    }

    static byte[] nonce(byte[] key, int keyBytes, byte[] iv) {
        byte[] nonce = new byte[12];
        System.arraycopy(key, keyBytes, nonce, 0, 4);
        System.arraycopy(iv, 0, nonce, 4, 8);
        return nonce;
    }

    /** Lays the message out with the codec's template and seals {@code plain} into it. */
    static byte[] seal(Keys k, boolean fromInitiator, IkeMessage m, EncryptedRegions received, byte[] plain,
            byte[] iv) throws Exception {
        EncryptedTemplate t = received.fragment()
                ? CODEC.fragmentTemplate(m.header(), received.firstInner(), received.fragmentNumber(),
                        received.totalFragments(), k.ivBytes(), plain.length, k.icvBytes())
                : CODEC.encryptedTemplate(m.header(), received.firstInner(), k.ivBytes(), plain.length, k.icvBytes());
        byte[] d = t.datagram();
        EncryptedRegions r = t.regions();
        System.arraycopy(iv, 0, d, r.ivOffset(), iv.length);
        byte[] ek = fromInitiator ? k.ei() : k.er();
        if (k.aead()) {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(ek, 0, k.keyBytes(), "AES"),
                    new GCMParameterSpec(128, nonce(ek, k.keyBytes(), iv)));
            c.updateAAD(r.aad(d));
            byte[] out = c.doFinal(plain);
            System.arraycopy(out, 0, d, r.ciphertextOffset(), out.length);
            return d;
        }
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(ek, 0, k.keyBytes(), "AES"), new IvParameterSpec(iv));
        byte[] ct = c.doFinal(plain);
        System.arraycopy(ct, 0, d, r.ciphertextOffset(), ct.length);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(fromInitiator ? k.ai() : k.ar(), "HmacSHA256"));
        byte[] icv = Arrays.copyOf(mac.doFinal(r.integrityInput(d)), r.icvLength());
        System.arraycopy(icv, 0, d, r.icvOffset(), icv.length);
        return d;
    }
}
