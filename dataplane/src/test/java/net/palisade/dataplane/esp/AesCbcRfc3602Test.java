package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AES-CBC against RFC 3602 Section 4: cases 1-4 exercise {@link CbcCipher} (the zero-IV-plus-XOR construction)
 * directly; cases 5-8 are whole ESP packets (encryption only, no ICV) that go through the transform's framing,
 * padding and trailer handling, in transport (next header 1) and tunnel mode (next header 4).
 */
class AesCbcRfc3602Test {

    private static List<VectorFile.Block> all() {
        List<VectorFile.Block> blocks = VectorFile.read("/vectors/rfc3602-section-4.txt", "case");
        assertThat(blocks).hasSize(8);
        return blocks;
    }

    static Stream<VectorFile.Block> cipherCases() {
        return all().stream().filter(b -> !b.has("packet"));
    }

    static Stream<VectorFile.Block> packetCases() {
        return all().stream().filter(b -> b.has("packet"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cipherCases")
    @DisplayName("RFC 3602 Sec. 4 cases 1-4: AES-128-CBC encryption and decryption")
    void cbcCases(VectorFile.Block block) {
        byte[] key = block.bytes("key");
        byte[] iv = block.bytes("iv");
        byte[] plaintext = block.bytes("plaintext");
        CbcCipher cbc = new CbcCipher("AES", key, 0, key.length);

        // Twice in a row: the cipher must be back at its zero-IV state after each packet.
        for (int round = 0; round < 2; round++) {
            byte[] buffer = plaintext.clone();
            cbc.encryptInPlace(iv, 0, buffer, 0, buffer.length);
            assertThat(hex(buffer)).isEqualTo(hex(block.bytes("ciphertext")));

            byte[] decrypted = new byte[buffer.length];
            cbc.decrypt(iv, 0, buffer, 0, buffer.length, decrypted, 0);
            assertThat(hex(decrypted)).isEqualTo(hex(plaintext));
        }
    }

    private static CbcHmacTransform encryptionOnly(byte[] key) {
        // Encryption without integrity: only reachable from tests, EspTransforms refuses it.
        return new CbcHmacTransform(EncryptionAlgorithm.AES_128, key, 0, Optional.empty(), null, 0, false,
                new IvGenerator(new java.security.SecureRandom()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packetCases")
    @DisplayName("RFC 3602 Sec. 4 cases 5-8: ESP packets decode to the payload with RFC 4303 padding")
    void decodesEspPacket(VectorFile.Block block) {
        byte[] packet = block.bytes("packet");
        CbcHmacTransform t = encryptionOnly(block.bytes("key"));
        byte[] out = new byte[t.openedLength(packet.length)];
        EspOpenResult r = new EspOpenResult();

        assertThat(t.open(packet, 0, packet.length, Bytes.uint(block.bytes("seq")), out, 0, r))
                .isEqualTo(EspOutcome.OK);

        assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(block.bytes("payload")));
        assertThat(r.nextHeader()).isEqualTo(block.bytes("nextheader")[0] & 0xff);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packetCases")
    @DisplayName("RFC 3602 Sec. 4 cases 5-8: sealing the payload with the case's IV gives the case's packet")
    void encodesEspPacket(VectorFile.Block block) {
        byte[] payload = block.bytes("payload");
        CbcHmacTransform t = encryptionOnly(block.bytes("key"));
        byte[] out = new byte[t.sealedLength(payload.length)];

        int n = t.sealWithIv(block.bytes("iv"), 0, Bytes.int32(block.bytes("spi"), 0),
                Bytes.uint(block.bytes("seq")), block.bytes("nextheader")[0] & 0xff, payload, 0, payload.length,
                out, 0);

        assertThat(n).isEqualTo(block.bytes("packet").length);
        assertThat(hex(out)).isEqualTo(hex(block.bytes("packet")));
    }
}
