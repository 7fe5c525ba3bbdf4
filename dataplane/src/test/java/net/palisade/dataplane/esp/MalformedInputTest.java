package net.palisade.dataplane.esp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hostile input: {@code open} answers MALFORMED or ICV_FAILED and never throws. */
class MalformedInputTest {

    static Stream<Arguments> suites() {
        return Transforms.allWithEsn();
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suites")
    @DisplayName("Every truncation of a valid packet is MALFORMED or ICV_FAILED, never OK, never an exception")
    void truncatedPackets(Transforms.Suite suite, boolean esn) {
        EspTransform t = suite.create(10, esn);
        byte[] payload = Bytes.ipv4Icmp(120, 1, 2, 3, 4);
        byte[] packet = new byte[t.sealedLength(payload.length)];
        t.sealTunnel(99, 1, payload, 0, payload.length, packet, 0);
        EspTransform receiver = suite.create(10, esn);
        EspOpenResult r = new EspOpenResult();
        byte[] out = new byte[packet.length];
        for (int len = 0; len < packet.length; len++) {
            final int n = len;
            assertThatCode(() -> receiver.open(packet, 0, n, 1, out, 0, r)).doesNotThrowAnyException();
            assertThat(r.outcome()).as("length %d", len).isIn(EspOutcome.MALFORMED, EspOutcome.ICV_FAILED);
            int ciphertext = len - 8 - t.ivLength() - t.icvLength();
            if (ciphertext < 2 || ciphertext % t.alignment() != 0) {
                assertThat(r.outcome()).as("length %d", len).isEqualTo(EspOutcome.MALFORMED);
            }
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suites")
    @DisplayName("Random octets of random lengths are MALFORMED or ICV_FAILED, never an exception")
    void randomBytes(Transforms.Suite suite, boolean esn) {
        EspTransform t = suite.create(11, esn);
        Random random = new Random(suite.toString().hashCode() + (esn ? 1 : 0));
        EspOpenResult r = new EspOpenResult();
        byte[] out = new byte[2048];
        for (int i = 0; i < 3000; i++) {
            byte[] junk = new byte[random.nextInt(i < 2500 ? 200 : 1600)];
            random.nextBytes(junk);
            long seq = esn ? random.nextLong() : random.nextInt() & 0xFFFF_FFFFL;
            assertThatCode(() -> t.open(junk, 0, junk.length, seq, out, 0, r)).doesNotThrowAnyException();
            assertThat(r.outcome()).isIn(EspOutcome.MALFORMED, EspOutcome.ICV_FAILED);
        }
    }

    // ---- Authentic packets with a broken trailer, built with JCE directly (not with the code under test) ----

    private static final byte[] GCM_KEYMAT = Bytes.hex("000102030405060708090a0b0c0d0e0f" + "a0a1a2a3");

    private static byte[] gcmPacket(byte[] plaintext) throws Exception {
        byte[] header = Bytes.hex("0000abcd" + "00000001");
        byte[] iv = Bytes.hex("0102030405060708");
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(GCM_KEYMAT, 0, 16, "AES"),
                new GCMParameterSpec(128, Bytes.concat(Bytes.slice(GCM_KEYMAT, 16, 20), iv)));
        c.updateAAD(header);
        return Bytes.concat(header, iv, c.doFinal(plaintext));
    }

    private static EspOutcome openGcm(byte[] packet) {
        EspTransform t = EspTransforms.create("aes-128-gcm", "none", GCM_KEYMAT, false);
        EspOpenResult r = new EspOpenResult();
        return t.open(packet, 0, packet.length, 1, new byte[packet.length], 0, r);
    }

    @Test
    @DisplayName("RFC 4303 Sec. 2.4: an authentic AES-GCM packet whose pad length exceeds the data is MALFORMED")
    void gcmPadLengthTooLarge() throws Exception {
        // 6 octets: payload 01 02 03 04, pad length 200 (> 4 available), next header 4.
        assertThat(openGcm(gcmPacket(Bytes.hex("01020304" + "c8" + "04")))).isEqualTo(EspOutcome.MALFORMED);
        // Pad length 3 with only 2 octets before the trailer.
        assertThat(openGcm(gcmPacket(Bytes.hex("0102" + "03" + "04")))).isEqualTo(EspOutcome.MALFORMED);
    }

    @Test
    @DisplayName("RFC 4303 Sec. 2.4: padding octets other than 1, 2, 3... are MALFORMED")
    void gcmBadPaddingContent() throws Exception {
        assertThat(openGcm(gcmPacket(Bytes.hex("aabbccdd" + "0102" + "02" + "04")))).isEqualTo(EspOutcome.OK);
        assertThat(openGcm(gcmPacket(Bytes.hex("aabbccdd" + "0201" + "02" + "04"))))
                .isEqualTo(EspOutcome.MALFORMED);
        assertThat(openGcm(gcmPacket(Bytes.hex("aabbccdd" + "0000" + "02" + "04"))))
                .isEqualTo(EspOutcome.MALFORMED);
    }

    @Test
    @DisplayName("RFC 4303 Sec. 2.4: an AES-GCM ciphertext not a multiple of 4 octets is MALFORMED before any ICV check")
    void gcmMisaligned() throws Exception {
        // Authentic, but 5 octets of plaintext: the trailer does not end on a 4-octet boundary.
        assertThat(openGcm(gcmPacket(Bytes.hex("aabbcc" + "00" + "04")))).isEqualTo(EspOutcome.MALFORMED);
    }

    private static final byte[] CBC_KEY = Bytes.hex("2b7e151628aed2a6abf7158809cf4f3c");
    private static final byte[] MAC_KEY = new byte[32];

    private static byte[] cbcPacket(byte[] plaintext) throws Exception {
        byte[] header = Bytes.hex("0000abcd" + "00000001");
        byte[] iv = Bytes.hex("000102030405060708090a0b0c0d0e0f");
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(CBC_KEY, "AES"), new IvParameterSpec(iv));
        byte[] body = Bytes.concat(header, iv, c.doFinal(plaintext));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(MAC_KEY, "HmacSHA256"));
        return Bytes.concat(body, Bytes.slice(mac.doFinal(body), 0, 16));
    }

    private static EspOutcome openCbc(byte[] packet) {
        EspTransform t = EspTransforms.create(EncryptionAlgorithm.AES_128, Optional.of(AuthAlgorithm.HMAC_SHA2_256),
                CBC_KEY, MAC_KEY, false);
        return t.open(packet, 0, packet.length, 1, new byte[packet.length], 0, new EspOpenResult());
    }

    @Test
    @DisplayName("RFC 4303 Sec. 2.4 / RFC 3602: authentic AES-CBC packets with a bad trailer are MALFORMED")
    void cbcBadTrailer() throws Exception {
        byte[] good = Bytes.hex("00112233445566778899aabbcc" + "01" + "01" + "04");
        assertThat(openCbc(cbcPacket(good))).isEqualTo(EspOutcome.OK);
        byte[] padTooLong = Bytes.hex("00112233445566778899aabbccdd" + "ff" + "04");
        assertThat(openCbc(cbcPacket(padTooLong))).isEqualTo(EspOutcome.MALFORMED);
        byte[] badPadding = Bytes.hex("00112233445566778899aabbcc" + "07" + "01" + "04");
        assertThat(openCbc(cbcPacket(badPadding))).isEqualTo(EspOutcome.MALFORMED);
    }

    @Test
    @DisplayName("RFC 3602 Sec. 3: a CBC ciphertext not a multiple of the block size is MALFORMED")
    void cbcMisaligned() throws Exception {
        byte[] packet = cbcPacket(new byte[32]);
        // Cut 4 octets from the ciphertext: 28 octets is not a whole number of AES blocks.
        byte[] cut = Bytes.concat(Bytes.slice(packet, 0, 24 + 28), Bytes.slice(packet, packet.length - 16,
                packet.length));
        assertThat(openCbc(cut)).isEqualTo(EspOutcome.MALFORMED);
    }
}
