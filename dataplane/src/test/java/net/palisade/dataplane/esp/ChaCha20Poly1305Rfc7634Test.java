package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.concat;
import static net.palisade.dataplane.esp.Bytes.hex;
import static net.palisade.dataplane.esp.Bytes.slice;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ChaCha20-Poly1305 in ESP against RFC 7634 Appendix A (ESP Example), decoded and encoded, with each
 * {@link CryptoImplementation}.
 */
class ChaCha20Poly1305Rfc7634Test {

    private final VectorFile.Block v = VectorFile.read("/vectors/rfc7634-appendix-a.txt", "keymat").getFirst();
    private final byte[] packet = concat(v.bytes("spi"), v.bytes("seq"), v.bytes("iv"), v.bytes("ciphertext"),
            v.bytes("tag"));
    private final byte[] plaintext = v.bytes("plaintext");

    private EspTransform transform(CryptoImplementation impl) {
        return EspTransforms.create(EncryptionAlgorithm.CHACHA20_POLY1305, Optional.empty(), v.bytes("keymat"), null,
                false, impl);
    }

    @Test
    @DisplayName("RFC 7634 Appendix A: the AAD is SPI || sequence number (RFC 7634 Sec. 2.1)")
    void aadIsSpiAndSequence() {
        assertThat(hex(v.bytes("aad"))).isEqualTo(hex(v.bytes("spi")) + hex(v.bytes("seq")));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CryptoImplementation.class)
    @DisplayName("RFC 7634 Appendix A: open yields the ICMP echo request, pad 2, next header 4")
    void decodes(CryptoImplementation impl) {
        EspTransform t = transform(impl);
        byte[] out = new byte[t.openedLength(packet.length)];
        EspOpenResult r = new EspOpenResult();

        assertThat(t.open(packet, 0, packet.length, Bytes.uint(v.bytes("seq")), out, 0, r))
                .isEqualTo(EspOutcome.OK);

        assertThat(hex(out)).isEqualTo(hex(plaintext));
        assertThat(r.nextHeader()).isEqualTo(EspConstants.NEXT_HEADER_IPV4);
        assertThat(r.padLength()).isEqualTo(2);
        assertThat(r.payloadLength()).isEqualTo(84);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CryptoImplementation.class)
    @DisplayName("RFC 7634 Appendix A: seal with the example's IV yields the example's packet")
    void encodes(CryptoImplementation impl) {
        AbstractEspTransform t = (AbstractEspTransform) transform(impl);
        byte[] inner = slice(plaintext, 0, 84);
        byte[] out = new byte[t.sealedLength(inner.length)];

        int n = t.sealWithIv(v.bytes("iv"), 0, Bytes.int32(v.bytes("spi"), 0), Bytes.uint(v.bytes("seq")),
                EspConstants.NEXT_HEADER_IPV4, inner, 0, inner.length, out, 0);

        assertThat(n).isEqualTo(packet.length);
        assertThat(hex(out)).isEqualTo(hex(packet));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CryptoImplementation.class)
    @DisplayName("RFC 7634 Appendix A: a flipped tag bit fails the ICV")
    void tamperedTagFails(CryptoImplementation impl) {
        EspTransform t = transform(impl);
        byte[] bad = packet.clone();
        bad[bad.length - 1] ^= 0x40;
        EspOpenResult r = new EspOpenResult();
        assertThat(t.open(bad, 0, bad.length, 5, new byte[t.openedLength(bad.length)], 0, r))
                .isEqualTo(EspOutcome.ICV_FAILED);
    }
}
