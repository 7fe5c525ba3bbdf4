package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.concat;
import static net.palisade.dataplane.esp.Bytes.hex;
import static net.palisade.dataplane.esp.Bytes.slice;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.AEADCipher;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our packets against implementations that share no code with ours: Bouncy Castle's lightweight AES-GCM and
 * ChaCha20-Poly1305 (not the JCE provider the transforms use), and, for CBC+HMAC, a from-the-RFC construction
 * with JCE's {@code Cipher} (with a real IV) and {@code Mac} instead of our zero-IV CBC and hand-written HMAC.
 * Both directions: ours seals, the other opens; the other seals, ours opens. The AEAD cases run against both
 * {@link CryptoImplementation}s.
 */
class IndependentCrossCheckTest {

    private static final int[] SIZES = {0, 1, 2, 3, 13, 14, 15, 16, 17, 40, 64, 255, 512, 1399, 1400, 1500};

    static Stream<Arguments> aeadCases() {
        return Stream.of(EncryptionAlgorithm.AES_128_GCM, EncryptionAlgorithm.AES_256_GCM,
                        EncryptionAlgorithm.CHACHA20_POLY1305)
                .flatMap(a -> Stream.of(false, true).flatMap(esn -> Stream.of(CryptoImplementation.values())
                        .map(impl -> Arguments.of(a, esn, impl))));
    }

    private static AEADCipher bouncyCastle(EncryptionAlgorithm a) {
        return a == EncryptionAlgorithm.CHACHA20_POLY1305 ? new ChaCha20Poly1305()
                : GCMBlockCipher.newInstance(AESEngine.newInstance());
    }

    private static byte[] aad(int spi, long seq, boolean esn) {
        byte[] aad = new byte[esn ? 12 : 8];
        Bytes.putInt(aad, 0, spi);
        if (esn) {
            Bytes.putInt(aad, 4, (int) (seq >>> 32));
        }
        Bytes.putInt(aad, aad.length - 4, (int) seq);
        return aad;
    }

    /** RFC 4303 Section 2.4 padding to {@code align}: 1, 2, 3... then pad length and next header. */
    private static byte[] withTrailer(byte[] payload, int align, int nextHeader) {
        int n = payload.length + 2;
        int pad = (align - n % align) % align;
        byte[] out = new byte[payload.length + pad + 2];
        System.arraycopy(payload, 0, out, 0, payload.length);
        for (int i = 1; i <= pad; i++) {
            out[payload.length + i - 1] = (byte) i;
        }
        out[out.length - 2] = (byte) pad;
        out[out.length - 1] = (byte) nextHeader;
        return out;
    }

    @ParameterizedTest(name = "{0} esn={1} {2}")
    @MethodSource("aeadCases")
    @DisplayName("AES-GCM (RFC 4106) / ChaCha20-Poly1305 (RFC 7634): Bouncy Castle opens what we seal")
    void bouncyCastleOpensOurPackets(EncryptionAlgorithm algorithm, boolean esn,
            CryptoImplementation impl) throws Exception {
        Random random = new Random(algorithm.ordinal() * 31L + (esn ? 1 : 0));
        byte[] keyMaterial = new byte[algorithm.keyMaterialBytes()];
        random.nextBytes(keyMaterial);
        Transforms.assumeInstalled(impl);
        EspTransform t = EspTransforms.create(algorithm, Optional.empty(), keyMaterial, null, esn, impl);
        int spi = random.nextInt();
        long seq = esn ? 0x0000_0003_FFFF_FFF0L : 0xFFFF_FF00L;
        for (int size : SIZES) {
            seq++;
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            byte[] packet = new byte[t.sealedLength(size)];
            t.seal(spi, seq, EspConstants.NEXT_HEADER_IPV6, payload, 0, size, packet, 0);

            AEADCipher bc = bouncyCastle(algorithm);
            byte[] nonce = concat(slice(keyMaterial, algorithm.keyBytes(), keyMaterial.length),
                    slice(packet, 8, 16));
            bc.init(false, new AEADParameters(new KeyParameter(keyMaterial, 0, algorithm.keyBytes()), 128, nonce,
                    aad(spi, seq, esn)));
            byte[] plain = new byte[bc.getOutputSize(packet.length - 16)];
            int n = bc.processBytes(packet, 16, packet.length - 16, plain, 0);
            n += bc.doFinal(plain, n);

            assertThat(hex(plain, 0, n)).isEqualTo(hex(withTrailer(payload, 4, EspConstants.NEXT_HEADER_IPV6)));
            assertThat(Bytes.int32(packet, 0)).isEqualTo(spi);
            assertThat(Bytes.int32(packet, 4)).isEqualTo((int) seq);
        }
    }

    @ParameterizedTest(name = "{0} esn={1} {2}")
    @MethodSource("aeadCases")
    @DisplayName("AES-GCM (RFC 4106) / ChaCha20-Poly1305 (RFC 7634): we open what Bouncy Castle seals")
    void weOpenBouncyCastlePackets(EncryptionAlgorithm algorithm, boolean esn,
            CryptoImplementation impl) throws Exception {
        Random random = new Random(100 + algorithm.ordinal() * 31L + (esn ? 1 : 0));
        byte[] keyMaterial = new byte[algorithm.keyMaterialBytes()];
        random.nextBytes(keyMaterial);
        Transforms.assumeInstalled(impl);
        EspTransform t = EspTransforms.create(algorithm, Optional.empty(), keyMaterial, null, esn, impl);
        int spi = random.nextInt();
        EspOpenResult r = new EspOpenResult();
        for (int size : SIZES) {
            long seq = esn ? random.nextLong() >>> 1 : random.nextInt() & 0xFFFF_FFFFL;
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            byte[] iv = new byte[8];
            random.nextBytes(iv); // any unique IV is legal on the wire (RFC 4106 Sec. 3.1)
            byte[] plaintext = withTrailer(payload, 4, EspConstants.NEXT_HEADER_IPV4);

            AEADCipher bc = bouncyCastle(algorithm);
            byte[] nonce = concat(slice(keyMaterial, algorithm.keyBytes(), keyMaterial.length), iv);
            bc.init(true, new AEADParameters(new KeyParameter(keyMaterial, 0, algorithm.keyBytes()), 128, nonce,
                    aad(spi, seq, esn)));
            byte[] sealed = new byte[bc.getOutputSize(plaintext.length)];
            int n = bc.processBytes(plaintext, 0, plaintext.length, sealed, 0);
            n += bc.doFinal(sealed, n);
            byte[] header = new byte[8];
            Bytes.putInt(header, 0, spi);
            Bytes.putInt(header, 4, (int) seq);
            byte[] packet = concat(header, iv, slice(sealed, 0, n));

            byte[] out = new byte[t.openedLength(packet.length)];
            assertThat(t.open(packet, 0, packet.length, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
            assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(payload));
            assertThat(r.nextHeader()).isEqualTo(EspConstants.NEXT_HEADER_IPV4);
        }
    }

    static Stream<Arguments> cbcCases() {
        return Stream.of(EncryptionAlgorithm.AES_128, EncryptionAlgorithm.AES_256, EncryptionAlgorithm.TRIPLE_DES)
                .flatMap(e -> Stream.of(AuthAlgorithm.HMAC_SHA1, AuthAlgorithm.HMAC_SHA2_256,
                                AuthAlgorithm.HMAC_SHA2_384, AuthAlgorithm.HMAC_SHA2_512)
                        .flatMap(i -> Stream.of(false, true).map(esn -> Arguments.of(e, i, esn))));
    }

    // JCE names written out here rather than taken from the algorithm table: the reference shares nothing with it.
    private static String jceCipher(EncryptionAlgorithm e) {
        return e == EncryptionAlgorithm.TRIPLE_DES ? "DESede" : "AES";
    }

    private static String jceMac(AuthAlgorithm i) {
        return switch (i) {
            case HMAC_SHA1 -> "HmacSHA1";
            case HMAC_SHA2_256 -> "HmacSHA256";
            case HMAC_SHA2_384 -> "HmacSHA384";
            case HMAC_SHA2_512 -> "HmacSHA512";
        };
    }

    /** Truncated ICV lengths of RFC 2404 (96 bits) and RFC 4868 (half the hash). */
    private static int icvLength(AuthAlgorithm i) {
        return switch (i) {
            case HMAC_SHA1 -> 12;
            case HMAC_SHA2_256 -> 16;
            case HMAC_SHA2_384 -> 24;
            case HMAC_SHA2_512 -> 32;
        };
    }

    /** RFC 4303 Sec. 3.3.2.1 / 3.3.3: ICV over SPI..ciphertext, then the ESN high half when ESN is on. */
    private static byte[] referenceIcv(AuthAlgorithm i, byte[] key, byte[] authenticated, long seq,
            boolean esn) throws Exception {
        Mac mac = Mac.getInstance(jceMac(i));
        mac.init(new SecretKeySpec(key, jceMac(i)));
        mac.update(authenticated);
        if (esn) {
            byte[] high = new byte[4];
            Bytes.putInt(high, 0, (int) (seq >>> 32));
            mac.update(high);
        }
        return slice(mac.doFinal(), 0, icvLength(i));
    }

    @ParameterizedTest(name = "{0}/{1} esn={2}")
    @MethodSource("cbcCases")
    @DisplayName("CBC (RFC 3602/2451) + HMAC (RFC 2404/4868), ESN per RFC 4303: both directions vs. JCE")
    void cbcHmacBothDirections(EncryptionAlgorithm enc, AuthAlgorithm integ, boolean esn) throws Exception {
        Random random = new Random(enc.ordinal() * 100L + integ.ordinal() * 10L + (esn ? 1 : 0));
        byte[] encKey = new byte[enc.keyBytes()];
        byte[] macKey = new byte[integ.keyBytes()];
        random.nextBytes(encKey);
        random.nextBytes(macKey);
        EspTransform t = EspTransforms.create(enc, Optional.of(integ), encKey, macKey, esn);
        int block = enc == EncryptionAlgorithm.TRIPLE_DES ? 8 : 16;
        assertThat(t.ivLength()).isEqualTo(block);
        assertThat(t.icvLength()).isEqualTo(icvLength(integ));
        int spi = random.nextInt();
        EspOpenResult r = new EspOpenResult();
        String cipherName = jceCipher(enc) + "/CBC/NoPadding";
        SecretKeySpec cipherKey = new SecretKeySpec(encKey, jceCipher(enc));

        for (int size : SIZES) {
            long seq = esn ? 0x0000_0007_0000_0000L + size : size + 1;
            byte[] payload = new byte[size];
            random.nextBytes(payload);

            // Ours seals; the reference checks the ICV and decrypts.
            byte[] packet = new byte[t.sealedLength(size)];
            t.seal(spi, seq, EspConstants.NEXT_HEADER_IPV4, payload, 0, size, packet, 0);
            int authenticatedLength = packet.length - icvLength(integ);
            assertThat(hex(packet, authenticatedLength, icvLength(integ))).isEqualTo(
                    hex(referenceIcv(integ, macKey, slice(packet, 0, authenticatedLength), seq, esn)));
            Cipher dec = Cipher.getInstance(cipherName);
            dec.init(Cipher.DECRYPT_MODE, cipherKey, new IvParameterSpec(packet, 8, block));
            byte[] plain = dec.doFinal(packet, 8 + block, authenticatedLength - 8 - block);
            assertThat(hex(plain)).isEqualTo(hex(withTrailer(payload, block, EspConstants.NEXT_HEADER_IPV4)));

            // The reference seals; ours opens.
            byte[] iv = new byte[block];
            random.nextBytes(iv);
            Cipher encCipher = Cipher.getInstance(cipherName);
            encCipher.init(Cipher.ENCRYPT_MODE, cipherKey, new IvParameterSpec(iv));
            byte[] header = new byte[8];
            Bytes.putInt(header, 0, spi);
            Bytes.putInt(header, 4, (int) seq);
            byte[] body = concat(header, iv,
                    encCipher.doFinal(withTrailer(payload, block, EspConstants.NEXT_HEADER_IPV6)));
            byte[] theirs = concat(body, referenceIcv(integ, macKey, body, seq, esn));
            byte[] out = new byte[t.openedLength(theirs.length)];
            assertThat(t.open(theirs, 0, theirs.length, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
            assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(payload));
            assertThat(r.nextHeader()).isEqualTo(EspConstants.NEXT_HEADER_IPV6);
        }
    }
}
