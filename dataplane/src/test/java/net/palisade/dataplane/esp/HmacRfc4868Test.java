package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import net.palisade.model.crypto.AuthAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ESP integrity functions against RFC 4868 Section 2.7 (2.7.1 PRF test vectors PRF-1..6 for SHA-256/384/512,
 * 2.7.2 authenticator test vectors AUTH256/384/512-1..4 with their truncation) and RFC 2202 Section 3 (HMAC-SHA-1,
 * test_case 5 with the 96-bit truncation used by HMAC-SHA1-96, RFC 2404).
 */
class HmacRfc4868Test {

    private static final List<AuthAlgorithm> SHA2 = List.of(AuthAlgorithm.HMAC_SHA2_256,
            AuthAlgorithm.HMAC_SHA2_384, AuthAlgorithm.HMAC_SHA2_512);

    static Stream<Arguments> prfCases() {
        List<VectorFile.Block> blocks = VectorFile.read("/vectors/rfc4868-section-2.7.txt", "test case");
        assertThat(blocks).hasSize(18);
        return blocks.stream().filter(b -> b.title().startsWith("PRF-"))
                .flatMap(b -> SHA2.stream().map(a -> Arguments.of(b, a)));
    }

    static Stream<VectorFile.Block> authCases() {
        return VectorFile.read("/vectors/rfc4868-section-2.7.txt", "test case").stream()
                .filter(b -> b.title().startsWith("AUTH"));
    }

    private static int bits(AuthAlgorithm a) {
        return a.keyBytes() * 8;
    }

    private static byte[] mac(AuthAlgorithm a, byte[] key, byte[] data) {
        Hmac h = new Hmac(a.digestName(), a.hashBlockBytes(), key, 0, key.length);
        h.update(data, 0, data.length);
        byte[] out = new byte[h.macLength()];
        h.finish(out, 0);
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("prfCases")
    @DisplayName("RFC 4868 Sec. 2.7.1: PRF test vectors (full HMAC output, keys of 4 to 131 octets)")
    void prfVectors(VectorFile.Block block, AuthAlgorithm algorithm) {
        byte[] expected = block.bytes("hmac-sha-" + bits(algorithm) + "-prf");
        assertThat(hex(mac(algorithm, block.bytes("key"), block.bytes("data")))).isEqualTo(hex(expected));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("authCases")
    @DisplayName("RFC 4868 Sec. 2.7.2: authenticator test vectors, full output and ICV truncation")
    void authenticatorVectors(VectorFile.Block block) {
        AuthAlgorithm algorithm = switch (block.title().substring(4, 7)) {
            case "256" -> AuthAlgorithm.HMAC_SHA2_256;
            case "384" -> AuthAlgorithm.HMAC_SHA2_384;
            case "512" -> AuthAlgorithm.HMAC_SHA2_512;
            default -> throw new IllegalArgumentException(block.title());
        };
        byte[] key = block.bytes("key");
        if (block.title().equals("AUTH512-4") && key.length == 80) {
            // The printed key has a stray first line (80 octets, labelled 64): the outputs are those of the last
            // 64 octets, 0x01..0x40 (checked against an independent HMAC implementation).
            key = Bytes.slice(key, 16, 80);
        }
        assertThat(key).hasSize(algorithm.keyBytes());
        byte[] full = mac(algorithm, key, block.bytes("data"));
        assertThat(hex(full)).isEqualTo(hex(block.bytes("hmac-sha-" + bits(algorithm) + "-prf")));

        // The truncated authenticator: AUTH384-1 prints its 192-bit value under the label "-128".
        String truncatedLabel = block.fields().keySet().stream()
                .filter(k -> k.startsWith("hmac-sha-") && !k.endsWith("-prf")).findFirst().orElseThrow();
        byte[] truncated = block.bytes(truncatedLabel);
        assertThat(truncated).hasSize(algorithm.icvBytes());
        assertThat(hex(full, 0, algorithm.icvBytes())).isEqualTo(hex(truncated));
    }

    static Stream<VectorFile.Block> rfc2202Cases() {
        return VectorFile.read("/vectors/rfc2202-section-3.txt", "test_case").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc2202Cases")
    @DisplayName("RFC 2202 Sec. 3: HMAC-SHA-1 test cases (and the 96-bit truncation of RFC 2404)")
    void hmacSha1Vectors(VectorFile.Block block) {
        byte[] full = mac(AuthAlgorithm.HMAC_SHA1, block.bytes("key"), block.bytes("data"));
        assertThat(hex(full)).isEqualTo(hex(block.bytes("digest")));
        if (block.has("digest-96")) {
            assertThat(hex(full, 0, AuthAlgorithm.HMAC_SHA1.icvBytes()))
                    .isEqualTo(hex(block.bytes("digest-96")));
        }
    }
}
