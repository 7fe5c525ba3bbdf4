package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.concat;
import static net.palisade.dataplane.esp.Bytes.hex;
import static net.palisade.dataplane.esp.Bytes.slice;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AES-GCM-ESP (RFC 4106) against the ESP packet test cases of draft-mcgrew-gcm-test-01 Section 4, the companion
 * test vectors of RFC 4106: every AES-GCM-ESP case with a 128- or 256-bit key (32-bit and extended sequence
 * numbers), decoded and re-encoded octet for octet. Skipped: the AES-GMAC-ESP case (RFC 4543), not an RFC 4106
 * transform, and the one case with a 192-bit key (#7), as the algorithm table has no AES-192. Every case runs
 * against each {@link CryptoImplementation}.
 */
class AesGcmRfc4106VectorsTest {

    static Stream<VectorFile.Block> blocks() {
        List<VectorFile.Block> all = VectorFile.read("/vectors/draft-mcgrew-gcm-test-01-section4.txt", "algorithm");
        assertThat(all).hasSize(17);
        List<VectorFile.Block> gcm = all.stream()
                .filter(b -> b.text("algorithm").equals("AES-GCM-ESP") && b.bytes("key").length != 24).toList();
        assertThat(gcm).hasSize(15);
        return gcm.stream();
    }

    /** Every vector against every implementation (SunJCE and OpenSSL libcrypto through FFM). */
    static Stream<Arguments> cases() {
        return blocks().flatMap(b -> Stream.of(CryptoImplementation.values()).map(impl -> Arguments.of(b, impl)));
    }

    /** The vector's fields, turned into what a transform needs. */
    record Case(EncryptionAlgorithm algorithm, byte[] keyMaterial, int spi, long seq, boolean esn, byte[] iv,
            byte[] payload, int padLength, int nextHeader, byte[] plaintext, byte[] packet) {

        static Case of(VectorFile.Block b) {
            byte[] key = b.bytes("key");
            byte[] nonce = b.bytes("nonce");
            byte[] seqBytes = b.bytes("seq");
            byte[] plaintext = b.bytes("plaintext");
            byte[] packet = b.bytes("packet");
            EncryptionAlgorithm alg = switch (key.length) {
                case 16 -> EncryptionAlgorithm.AES_128_GCM;
                case 32 -> EncryptionAlgorithm.AES_256_GCM;
                default -> throw new IllegalArgumentException("key length " + key.length);
            };
            int padLength = plaintext[plaintext.length - 2] & 0xff;
            int nextHeader = plaintext[plaintext.length - 1] & 0xff;
            byte[] payload = slice(plaintext, 0, plaintext.length - 2 - padLength);
            return new Case(alg, concat(key, slice(nonce, 0, 4)), Bytes.int32(b.bytes("spi"), 0),
                    Bytes.uint(seqBytes), seqBytes.length == 8, slice(nonce, 4, 12), payload, padLength,
                    nextHeader, plaintext, packet);
        }

        EspTransform transform(CryptoImplementation impl) {
            Transforms.assumeInstalled(impl);
            return EspTransforms.create(algorithm, Optional.empty(), keyMaterial, null, esn, impl);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    @DisplayName("draft-mcgrew-gcm-test-01 Sec. 4 / RFC 4106: the vector's fields agree with its packet")
    void vectorIsSelfConsistent(VectorFile.Block block) {
        Case c = Case.of(block);
        // The packet carries SPI, the low 32 bits of the sequence number and the explicit IV in clear.
        assertThat(hex(c.packet(), 0, 4)).isEqualTo(hex(block.bytes("spi")));
        byte[] seq = block.bytes("seq");
        assertThat(hex(c.packet(), 4, 4)).isEqualTo(hex(seq, seq.length - 4, 4));
        assertThat(hex(c.packet(), 8, 8)).isEqualTo(hex(c.iv()));
        // RFC 4106 Section 5: AAD is SPI || seq (8 octets) or SPI || ESN high || ESN low (12 octets).
        assertThat(block.bytes("aad")).hasSize(c.esn() ? 12 : 8);
        assertThat(hex(block.bytes("aad"))).isEqualTo(hex(block.bytes("spi")) + hex(seq));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @DisplayName("draft-mcgrew-gcm-test-01 Sec. 4 / RFC 4106: open (decode) yields the vector's plaintext")
    void decodesVector(VectorFile.Block block, CryptoImplementation impl) {
        Case c = Case.of(block);
        EspTransform t = c.transform(impl);
        byte[] out = new byte[t.openedLength(c.packet().length)];
        EspOpenResult r = new EspOpenResult();

        EspOutcome outcome = t.open(c.packet(), 0, c.packet().length, c.seq(), out, 0, r);

        assertThat(outcome).isEqualTo(EspOutcome.OK);
        assertThat(hex(out)).isEqualTo(hex(c.plaintext()));
        assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(c.payload()));
        assertThat(r.nextHeader()).isEqualTo(c.nextHeader());
        assertThat(r.padLength()).isEqualTo(c.padLength());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @DisplayName("draft-mcgrew-gcm-test-01 Sec. 4 / RFC 4106: seal (encode) yields the vector's packet")
    void encodesVector(VectorFile.Block block, CryptoImplementation impl) {
        Case c = Case.of(block);
        AbstractEspTransform t = (AbstractEspTransform) c.transform(impl);
        byte[] out = new byte[t.sealedLength(c.payload().length)];

        int n = t.sealWithIv(c.iv(), 0, c.spi(), c.seq(), c.nextHeader(), c.payload(), 0, c.payload().length, out,
                0);

        assertThat(n).isEqualTo(c.packet().length);
        assertThat(hex(out)).isEqualTo(hex(c.packet()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @DisplayName("RFC 4106 Sec. 5 / RFC 4303 Sec. 2.2.1: a wrong ESN high half or SPI fails the ICV")
    void wrongImplicitInputsFailTheIcv(VectorFile.Block block, CryptoImplementation impl) {
        Case c = Case.of(block);
        EspTransform t = c.transform(impl);
        byte[] out = new byte[t.openedLength(c.packet().length)];
        EspOpenResult r = new EspOpenResult();
        if (c.esn()) {
            long wrongHigh = c.seq() ^ (1L << 40);
            assertThat(t.open(c.packet(), 0, c.packet().length, wrongHigh, out, 0, r))
                    .isEqualTo(EspOutcome.ICV_FAILED);
        }
        byte[] otherSpi = c.packet().clone();
        otherSpi[3] ^= 1;
        assertThat(t.open(otherSpi, 0, otherSpi.length, c.seq(), out, 0, r)).isEqualTo(EspOutcome.ICV_FAILED);
        assertThat(r.outcome()).isEqualTo(EspOutcome.ICV_FAILED);
    }

    @ParameterizedTest
    @EnumSource(CryptoImplementation.class)
    @DisplayName("RFC 4106 Sec. 3.1: the explicit IV of a sealed packet is the 64-bit sequence number")
    void ivIsTheSequenceNumber(CryptoImplementation impl) {
        Transforms.assumeInstalled(impl);
        byte[] key = Bytes.hex("feffe9928665731c6d6a8f9467308308cafebabe");
        EspTransform t = EspTransforms.create(EncryptionAlgorithm.AES_128_GCM, Optional.empty(), key, null, true,
                impl);
        byte[] payload = Bytes.ipv4Icmp(60, 0x0a000001, 0x0a000002, 7, 1);
        byte[] out = new byte[t.sealedLength(payload.length)];
        long seq = 0x0000_0001_8000_0042L;

        t.sealTunnel(0x11223344, seq, payload, 0, payload.length, out, 0);

        assertThat(hex(out, 0, 16)).isEqualTo("11223344" + "80000042" + "0000000180000042");
    }
}
