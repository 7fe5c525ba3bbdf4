package net.palisade.controlplane.ike.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.Payload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SK payload protection against real strongSwan 5.9.8 traffic: the IKE_AUTH messages captured in
 * shared-model's {@code wire/ikev2} resources, opened with the SK_e/SK_a keys charon logged, decode to the inner
 * payloads TShark decrypted. AES-GCM-16-128 from the PSK capture, AES-CBC-128 with HMAC-SHA2-256-128 from the
 * INVALID_KE capture.
 */
class SkCipherTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Path RESOURCES = Path.of("..", "shared-model", "src", "test", "resources", "wire", "ikev2");
    private final Ikev2Codec codec = Ikev2Codec.standard();

    @ParameterizedTest(name = "{0} frame {1}")
    @CsvSource({"strongswan-psk.json, 2", "strongswan-psk.json, 3", "strongswan-invalid-ke.json, 4",
        "strongswan-invalid-ke.json, 5"})
    void opensCapturedStrongSwanMessages(String file, int frame) throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve(file)));
        JsonNode packet = root.get("packets").get(frame);
        JsonNode sa = root.get("ikeSas").get(0);
        byte[] datagram = HEX.parseHex(packet.get("hex").asText());
        IkeHeader header = codec.decode(datagram).orElseThrow().header();
        boolean fromInitiator = header.initiator();
        String encryption = sa.get("encryption").asText();
        EncryptionAlgorithm enc = switch (encryption) {
            case "AES_GCM_16_128" -> EncryptionAlgorithm.AES_128_GCM;
            case "AES_CBC_128" -> EncryptionAlgorithm.AES_128;
            default -> throw new IllegalArgumentException(encryption);
        };
        Optional<AuthAlgorithm> integ = sa.get("integrity").isNull() ? Optional.empty()
                : Optional.of(AuthAlgorithm.HMAC_SHA2_256);
        byte[] ek = HEX.parseHex(sa.get(fromInitiator ? "skEi" : "skEr").asText());
        byte[] ak = HEX.parseHex(sa.get(fromInitiator ? "skAi" : "skAr").asText());
        SkCipher cipher = new SkCipher(enc, integ, ek, ak);

        SkCipher.Opened opened = cipher.open(codec, datagram).orElseThrow();
        List<Payload> inner = codec.decodeInner(header, opened.firstInner(), opened.plaintext()).orElseThrow();
        List<Integer> expectedTypes = new ArrayList<>();
        packet.get("tshark").get("payloads").get(packet.get("tshark").get("payloads").size() - 1).get("inner")
                .forEach(p -> expectedTypes.add(p.get("type").asInt()));
        assertThat(inner.stream().map(p -> p.type().value()).toList()).isEqualTo(expectedTypes);

        // one flipped ciphertext bit and the integrity check refuses it
        byte[] tampered = datagram.clone();
        tampered[tampered.length - cipher.icvBytes() - 2] ^= 1;
        assertThat(cipher.open(codec, tampered)).isEmpty();
        // and the next genuine message still opens: a refused one leaves the kept Cipher usable
        assertThat(cipher.open(codec, datagram)).as("the genuine message after a forged one").isPresent();

        // resealing the same payloads with the same keys opens to the same payloads
        byte[] resealed = cipher.seal(codec, header, inner, KeyExchangesTest.seeded(9));
        SkCipher.Opened again = new SkCipher(enc, integ, ek, ak).open(codec, resealed).orElseThrow();
        assertThat(codec.decodeInner(header, again.firstInner(), again.plaintext()).orElseThrow()).isEqualTo(inner);
    }

    @Test
    void sealedMessagesDecodeAsMessagesWithAnSkPayload() {
        SkCipher c = new SkCipher(EncryptionAlgorithm.AES_256, Optional.of(AuthAlgorithm.HMAC_SHA2_512),
                new byte[32], new byte[64]);
        IkeHeader h = IkeHeader.request(1, 2, net.palisade.model.wire.ikev2.ExchangeType.Known.INFORMATIONAL, 7, true);
        byte[] d = c.seal(codec, h, List.of(), KeyExchangesTest.seeded(1));
        IkeMessage m = codec.decode(d).orElseThrow();
        assertThat(m.encrypted()).isTrue();
        assertThat(c.open(codec, d)).isPresent();
        assertThat(c.icvBytes()).isEqualTo(32);
    }

    /**
     * An IKE SA's messages go through one SkCipher per direction, each sealing a message after the last: each must
     * open on the other side in turn, each with its own IV, and one forged on the way must change nothing after it.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"AES_128_GCM, 20, 0", "AES_256_GCM, 36, 0", "CHACHA20_POLY1305, 36, 0", "AES_128, 16, 32",
        "AES_256, 32, 32"})
    void oneCipherPerDirectionSealsAndOpensMessageAfterMessage(EncryptionAlgorithm enc, int ekBytes, int akBytes) {
        byte[] ek = new byte[ekBytes];
        byte[] ak = new byte[akBytes];
        for (int i = 0; i < ek.length; i++) {
            ek[i] = (byte) (i * 7 + 1);
        }
        java.util.Arrays.fill(ak, (byte) 0x3c);
        Optional<AuthAlgorithm> integ = enc.aead() ? Optional.empty() : Optional.of(AuthAlgorithm.HMAC_SHA2_256);
        SkCipher sender = new SkCipher(enc, integ, ek, ak);
        SkCipher receiver = new SkCipher(enc, integ, ek, ak);
        java.util.Set<String> ivs = new java.util.HashSet<>();
        for (int id = 2; id < 6; id++) {
            IkeHeader h = IkeHeader.request(1, 2, net.palisade.model.wire.ikev2.ExchangeType.Known.INFORMATIONAL, id,
                    true);
            List<Payload> inner = List.of(new net.palisade.model.wire.ikev2.NoncePayload(
                    net.palisade.model.wire.Octets.of(new byte[16 + id])));
            byte[] d = sender.seal(codec, h, inner, KeyExchangesTest.seeded(id));
            byte[] iv = java.util.Arrays.copyOfRange(d, IkeHeader.LENGTH + 4, IkeHeader.LENGTH + 4 + sender.ivBytes());
            assertThat(ivs.add(HEX.formatHex(iv))).as("message %d's IV is new", id).isTrue();
            if (id == 3) {
                byte[] forged = d.clone();
                forged[forged.length - receiver.icvBytes() - 1] ^= 0x40;
                assertThat(receiver.open(codec, forged)).as("a forged message %d", id).isEmpty();
            }
            SkCipher.Opened opened = receiver.open(codec, d).orElseThrow();
            assertThat(codec.decodeInner(h, opened.firstInner(), opened.plaintext()).orElseThrow())
                    .as("message %d", id).isEqualTo(inner);
        }
    }

    @Test
    void wipeZeroesTheCopiesOfTheKeysAndAWipedCipherProtectsNothing() throws Exception {
        byte[] ek = new byte[16 + 16];
        byte[] ak = new byte[32];
        java.util.Arrays.fill(ek, (byte) 0x5a);
        java.util.Arrays.fill(ak, (byte) 0xa5);
        SkCipher cbc = new SkCipher(EncryptionAlgorithm.AES_256, Optional.of(AuthAlgorithm.HMAC_SHA2_256), ek, ak);
        byte[] gcmKm = new byte[20];
        java.util.Arrays.fill(gcmKm, (byte) 0x77);
        SkCipher gcm = new SkCipher(EncryptionAlgorithm.AES_128_GCM, Optional.empty(), gcmKm, new byte[0]);
        assertThat(KeyCopies.of(gcm).get(1)).as("the GCM salt").containsExactly(0x77, 0x77, 0x77, 0x77);
        List<byte[]> copies = KeyCopies.of(cbc);
        assertThat(copies.get(0)).as("a copy of SK_e").isNotSameAs(ek).hasSize(32).containsOnly((byte) 0x5a);
        assertThat(copies.get(2)).as("a copy of SK_a").isNotSameAs(ak).hasSize(32).containsOnly((byte) 0xa5);
        byte[] sealed = cbc.seal(codec, IkeHeader.request(1, 2,
                net.palisade.model.wire.ikev2.ExchangeType.Known.INFORMATIONAL, 2, true), List.of(), out -> { });
        assertThat(cbc.open(codec, sealed)).isPresent();

        cbc.wipe();
        gcm.wipe();
        for (byte[] k : KeyCopies.of(cbc)) {
            assertThat(k).isEqualTo(new byte[k.length]);
        }
        assertThat(KeyCopies.of(gcm).get(1)).as("the GCM salt").hasSize(4).containsOnly((byte) 0);
        assertThat(cbc.open(codec, sealed)).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cbc.seal(codec, IkeHeader.request(1, 2,
                net.palisade.model.wire.ikev2.ExchangeType.Known.INFORMATIONAL, 3, true), List.of(), out -> { }))
                .hasMessageContaining("wiped");
    }
}
