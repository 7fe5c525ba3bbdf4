package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The IKEv1 vectors strongSwan 5.9.8 derived in the lab ({@code ops/lab/ikev1-vectors.sh}; format in the README
 * beside them), checked against RFC 2409 with {@code javax.crypto} alone: SKEYID and its three children (§5), the
 * phase-1 encryption key and its appendix B expansion, the IV chain (appendix B), HASH_I/HASH_R (§5), and quick
 * mode's HASH(3) and KEYMAT (§5.5). Nothing here is Palisade code, so a pass means the fixtures are right and can
 * judge Palisade's own derivation ({@link Ikev1KeymatStrongSwanTest}).
 */
class StrongSwanVectorsTest {
    /** The fixtures, one per case of {@code ops/lab/ikev1-vectors.sh}. */
    static final List<String> CASES = List.of("main-aes128-sha256-modp2048", "main-aes256-sha1-modp1536",
            "aggressive-aes256-sha512-ecp256");

    private static final HexFormat HEX = HexFormat.of();
    private static final int AES_BLOCK = 16;

    /** One fixture: its case name and its JSON. */
    record Vector(String name, JsonNode json) {
        JsonNode p1() {
            return json.get("phase1");
        }

        JsonNode qm() {
            return json.get("quick_mode");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Vector> vectors() {
        ObjectMapper mapper = new ObjectMapper();
        return CASES.stream().map(name -> {
            try (InputStream in = StrongSwanVectorsTest.class.getResourceAsStream("vectors/" + name + ".json")) {
                assertThat(in).as("fixture " + name + ".json").isNotNull();
                return new Vector(name, mapper.readTree(in));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    @Test
    void everyCaseIsThereAndNamesItself() {
        assertThat(vectors()).extracting(v -> v.json().get("case").asText()).containsExactlyElementsOf(CASES);
        assertThat(vectors()).allSatisfy(v -> assertThat(v.json().get("strongswan").asText()).startsWith("5.9.8"));
    }

    /** SKEYID = prf(pre-shared-key, Ni_b | Nr_b) for pre-shared key authentication (RFC 2409 §5). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void skeyidIsThePrfOfThePskOverBothNonces(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        assertThat(p1.get("psk_text").asText().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(hex(p1, "psk"));
        assertThat(prf(p1, hex(p1, "psk"), cat(hex(p1, "ni"), hex(p1, "nr")))).isEqualTo(hex(p1, "skeyid"));
    }

    /** SKEYID_d, SKEYID_a, SKEYID_e chained from SKEYID, g^xy and the cookies (RFC 2409 §5). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void skeyidDAndAAndEChainFromSkeyid(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        byte[] skeyid = hex(p1, "skeyid");
        byte[] tail = cat(hex(p1, "g_xy"), hex(p1, "cky_i"), hex(p1, "cky_r"));
        byte[] d = prf(p1, skeyid, cat(tail, new byte[] {0}));
        byte[] a = prf(p1, skeyid, cat(d, tail, new byte[] {1}));
        byte[] e = prf(p1, skeyid, cat(a, tail, new byte[] {2}));
        assertThat(d).isEqualTo(hex(p1, "skeyid_d"));
        assertThat(a).isEqualTo(hex(p1, "skeyid_a"));
        assertThat(e).isEqualTo(hex(p1, "skeyid_e"));
    }

    /**
     * Ka is SKEYID_e cut to the key length, or, when SKEYID_e is shorter (SHA-1 with AES-256), K1 | K2 | ... with
     * K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1) (RFC 2409 appendix B).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void kaIsSkeyidECutOrExpanded(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        byte[] e = hex(p1, "skeyid_e");
        int keyLength = Integer.parseInt(p1.get("encryption").asText().replace("AES-CBC-", "")) / 8;
        byte[] ka;
        if (e.length >= keyLength) {
            ka = Arrays.copyOf(e, keyLength);
        } else {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] k = {0};
            while (out.size() < keyLength) {
                k = prf(p1, e, k);
                out.writeBytes(k);
            }
            ka = Arrays.copyOf(out.toByteArray(), keyLength);
        }
        assertThat(ka).isEqualTo(hex(p1, "ka"));
    }

    @Test
    void theSha1CaseNeedsTheAppendixBExpansion() {
        JsonNode p1 = vectors().get(1).p1();
        assertThat(hex(p1, "skeyid_e")).hasSize(20);
        assertThat(hex(p1, "ka")).hasSize(32);
    }

    /** The first phase-1 IV is hash(g^xi | g^xr), cut to the cipher's block size (RFC 2409 appendix B). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void initialIvIsTheHashOfBothPublicValues(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        byte[] iv = Arrays.copyOf(hash(p1, cat(hex(p1, "g_xi"), hex(p1, "g_xr"))), AES_BLOCK);
        assertThat(iv).isEqualTo(hex(p1, "iv"));
    }

    /**
     * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) and HASH_R with the roles swapped
     * (RFC 2409 §5).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void hashIAndHashRCoverBothPublicValuesCookiesSaAndId(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        byte[] skeyid = hex(p1, "skeyid");
        byte[] gi = hex(p1, "g_xi");
        byte[] gr = hex(p1, "g_xr");
        byte[] ci = hex(p1, "cky_i");
        byte[] cr = hex(p1, "cky_r");
        byte[] sa = hex(p1, "sa_i_b");
        assertThat(prf(p1, skeyid, cat(gi, gr, ci, cr, sa, hex(p1, "id_ii_b")))).isEqualTo(hex(p1, "hash_i"));
        assertThat(prf(p1, skeyid, cat(gr, gi, cr, ci, sa, hex(p1, "id_ir_b")))).isEqualTo(hex(p1, "hash_r"));
    }

    /**
     * The first encrypted message on the wire (main mode 5, aggressive mode 3) decrypts with Ka and the initial IV
     * to payloads holding HASH_I: the keys are the ones strongSwan used, not just self-consistent numbers.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void firstEncryptedMessageDecryptsWithKaAndTheInitialIv(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        byte[] message = hex(p1, "first_encrypted_message");
        assertThat(message[19] & 0x01).as("encryption flag").isEqualTo(1);
        assertThat(Arrays.copyOf(message, 8)).isEqualTo(hex(p1, "cky_i"));
        byte[] plain = aesCbcDecrypt(hex(p1, "ka"), hex(p1, "iv"), Arrays.copyOfRange(message, 28, message.length));
        assertThat(indexOf(plain, hex(p1, "hash_i"))).as("HASH_I in the decrypted payloads").isNotNegative();
        if (p1.get("exchange").asText().equals("main")) {
            // message 5 starts with the ID payload: a 4-byte generic header, then IDii_b
            byte[] id = hex(p1, "id_ii_b");
            assertThat(Arrays.copyOfRange(plain, 4, 4 + id.length)).isEqualTo(id);
        }
    }

    /** Quick mode's first IV is hash(last phase-1 cipher block | M-ID), cut to the block size (appendix B). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void quickModeIvFollowsThePhase1Chain(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        JsonNode qm = v.qm();
        byte[] lastBlock = hex(p1, "last_phase1_block");
        byte[] message = hex(p1, "first_encrypted_message");
        if (p1.get("exchange").asText().equals("aggressive")) {
            // aggressive mode has one encrypted phase-1 message: the chain ends with its last block
            assertThat(lastBlock).isEqualTo(Arrays.copyOfRange(message, message.length - AES_BLOCK, message.length));
        }
        byte[] iv = Arrays.copyOf(hash(p1, cat(lastBlock, hex(qm, "message_id"))), AES_BLOCK);
        assertThat(iv).isEqualTo(hex(qm, "iv"));
    }

    /** HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (RFC 2409 §5.5). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void quickModeHash3(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        JsonNode qm = v.qm();
        byte[] data = cat(new byte[] {0}, hex(qm, "message_id"), hex(qm, "ni"), hex(qm, "nr"));
        assertThat(prf(p1, hex(p1, "skeyid_a"), data)).isEqualTo(hex(qm, "hash_3"));
    }

    /**
     * The KEYMAT seeds are [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b with the SPI of the SA being keyed (RFC 2409
     * §5.5), built here from the wire values; strongSwan's logged seeds must be exactly that.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void keymatSeedsAreTheWireValues(Vector v) {
        JsonNode qm = v.qm();
        byte[] dh = qm.get("g_xy").isNull() ? new byte[0] : hex(qm, "g_xy");
        byte[] proto = {(byte) qm.get("protocol").asInt()};
        byte[] nonces = cat(hex(qm, "ni"), hex(qm, "nr"));
        assertThat(cat(dh, proto, hex(qm, "spi_r"), nonces)).isEqualTo(hex(qm, "seed_i"));
        assertThat(cat(dh, proto, hex(qm, "spi_i"), nonces)).isEqualTo(hex(qm, "seed_r"));
        assertThat(qm.get("g_xy").isNull()).isEqualTo(qm.get("group").isNull());
    }

    /**
     * KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, seed), Kn = prf(SKEYID_d, Kn-1 | seed) (RFC 2409 §5.5): the
     * encryption key first, then the integrity key, for each direction.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void keymatExpandsFromSkeyidDForBothDirections(Vector v) throws Exception {
        JsonNode p1 = v.p1();
        JsonNode qm = v.qm();
        byte[] skeyidD = hex(p1, "skeyid_d");
        byte[] forSpiR = cat(hex(qm, "encr_key_i"), optionalHex(qm, "integ_key_i"));
        byte[] forSpiI = cat(hex(qm, "encr_key_r"), optionalHex(qm, "integ_key_r"));
        assertThat(keymat(p1, skeyidD, hex(qm, "seed_i"), forSpiR.length)).isEqualTo(forSpiR);
        assertThat(keymat(p1, skeyidD, hex(qm, "seed_r"), forSpiI.length)).isEqualTo(forSpiI);
        if (qm.get("encryption").asText().startsWith("AES-GCM")) {
            assertThat(qm.get("integ_key_i").isNull()).as("AES-GCM has no integrity key").isTrue();
            assertThat(hex(qm, "encr_key_i")).as("AES-128 key and 4-byte salt").hasSize(20);
        }
    }

    /**
     * tshark, given only the capture and the fixture's CKY-I and Ka, decrypts every message (it derives the IVs
     * itself), finds none malformed, and finds on the wire the values the fixture took from the log: HASH_I,
     * HASH_R, quick mode's nonces, SPIs and message ID.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void tsharkDecryptsTheCaptureWithKaAndSeesTheFixturesValues(Vector v, @TempDir Path dir) throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal is true");
        TestPrograms.require("tshark");
        Path pcap = dir.resolve(v.name() + ".pcap");
        try (InputStream in = StrongSwanVectorsTest.class.getResourceAsStream("vectors/" + v.name() + ".pcap")) {
            assertThat(in).as(v.name() + ".pcap").isNotNull();
            Files.copy(in, pcap);
        }
        JsonNode p1 = v.p1();
        JsonNode qm = v.qm();
        Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-o",
                "uat:ikev1_decryption_table:" + p1.get("cky_i").asText() + "," + p1.get("ka").asText(), "-Y",
                "isakmp", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "_ws.malformed", "-e",
                "isakmp.hash", "-e", "isakmp.nonce", "-e", "isakmp.spi", "-e", "isakmp.messageid")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("tshark").isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines).as("ISAKMP messages").hasSizeGreaterThanOrEqualTo(p1.get("exchange").asText()
                .equals("main") ? 9 : 6);
        assertThat(lines).as("no message malformed after decryption").allMatch(l -> l.startsWith("\t"));
        assertThat(out).contains(p1.get("hash_i").asText(), p1.get("hash_r").asText(), p1.get("ni").asText(),
                p1.get("nr").asText(), qm.get("ni").asText(), qm.get("nr").asText(), qm.get("spi_i").asText(),
                qm.get("spi_r").asText(), "0x" + qm.get("message_id").asText());
    }

    // Palisade's own derivation is compared with these fixtures in Ikev1KeymatStrongSwanTest.

    private static byte[] keymat(JsonNode p1, byte[] skeyidD, byte[] seed, int length) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] k = new byte[0];
        while (out.size() < length) {
            k = prf(p1, skeyidD, cat(k, seed));
            out.writeBytes(k);
        }
        return Arrays.copyOf(out.toByteArray(), length);
    }

    /** The phase-1 prf: HMAC with the negotiated hash (no PRF attribute is negotiated in these cases). */
    private static byte[] prf(JsonNode p1, byte[] key, byte[] data) throws GeneralSecurityException {
        String algorithm = switch (p1.get("hash").asText()) {
            case "SHA1" -> "HmacSHA1";
            case "SHA2-256" -> "HmacSHA256";
            case "SHA2-512" -> "HmacSHA512";
            default -> throw new IllegalArgumentException("hash " + p1.get("hash"));
        };
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        return mac.doFinal(data);
    }

    private static byte[] hash(JsonNode p1, byte[] data) throws GeneralSecurityException {
        String algorithm = switch (p1.get("hash").asText()) {
            case "SHA1" -> "SHA-1";
            case "SHA2-256" -> "SHA-256";
            case "SHA2-512" -> "SHA-512";
            default -> throw new IllegalArgumentException("hash " + p1.get("hash"));
        };
        return MessageDigest.getInstance(algorithm).digest(data);
    }

    private static byte[] aesCbcDecrypt(byte[] key, byte[] iv, byte[] ciphertext) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        return c.doFinal(ciphertext);
    }

    private static byte[] hex(JsonNode node, String field) {
        JsonNode value = node.get(field);
        assertThat(value).as(field).isNotNull();
        assertThat(value.isNull()).as(field + " is null").isFalse();
        return HEX.parseHex(value.asText());
    }

    private static byte[] optionalHex(JsonNode node, String field) {
        return node.get(field).isNull() ? new byte[0] : hex(node, field);
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
