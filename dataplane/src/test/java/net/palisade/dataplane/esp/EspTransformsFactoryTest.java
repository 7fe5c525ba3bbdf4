package net.palisade.dataplane.esp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EspTransformsFactoryTest {

    @ParameterizedTest
    @CsvSource({
        "aes-128-gcm, none, 20, aes-128-gcm, 8, 16, 4",
        "aes-256-gcm, none, 36, aes-256-gcm, 8, 16, 4",
        "chacha20-poly1305, none, 36, chacha20-poly1305, 8, 16, 4",
        "aes-128, hmac-sha1, 36, aes-128/hmac-sha1, 16, 12, 16",
        "aes-256, hmac-sha2-256, 64, aes-256/hmac-sha2-256, 16, 16, 16",
        "aes-128, hmac-sha2-384, 64, aes-128/hmac-sha2-384, 16, 24, 16",
        "aes-256, hmac-sha2-512, 96, aes-256/hmac-sha2-512, 16, 32, 16",
        "3des, hmac-sha1, 44, 3des/hmac-sha1, 8, 12, 8",
    })
    @DisplayName("Config keywords and key material lengths (RFC 4106 Sec. 8.1, RFC 7634 Sec. 2, RFC 4868 Sec. 2.1)")
    void buildsByName(String encryption, String integrity, int keyLength, String name, int iv, int icv, int align) {
        EspTransform t = EspTransforms.create(encryption, integrity, new byte[keyLength], false);
        assertThat(t.name()).isEqualTo(name);
        assertThat(t.ivLength()).isEqualTo(iv);
        assertThat(t.icvLength()).isEqualTo(icv);
        assertThat(t.alignment()).isEqualTo(align);
        assertThat(EspTransforms.keyMaterialLength(t.encryption(), t.integrity())).isEqualTo(keyLength);
    }

    @Test
    @DisplayName("Key material is split as IKEv2 derives it (RFC 7296 Sec. 2.17): encryption key, then integrity key")
    void keyMaterialOrder() {
        byte[] keymat = new byte[16 + 32];
        for (int i = 0; i < keymat.length; i++) {
            keymat[i] = (byte) i;
        }
        EspTransform joined = EspTransforms.create("aes-128", "hmac-sha2-256", keymat, false);
        EspTransform split = EspTransforms.create(EncryptionAlgorithm.AES_128, Optional.of(AuthAlgorithm.HMAC_SHA2_256),
                Bytes.slice(keymat, 0, 16), Bytes.slice(keymat, 16, 48), false);
        byte[] payload = Bytes.ipv4Icmp(50, 1, 2, 3, 4);
        byte[] packet = new byte[joined.sealedLength(payload.length)];
        joined.sealTunnel(5, 1, payload, 0, payload.length, packet, 0);
        EspOpenResult r = new EspOpenResult();
        assertThat(split.open(packet, 0, packet.length, 1, new byte[packet.length], 0, r)).isEqualTo(EspOutcome.OK);
    }

    @Test
    @DisplayName("Refused: unknown names (old aliases and AES-192 included), AEAD with an integrity algorithm, CBC "
            + "without one, wrong key lengths")
    void refusals() {
        String knownEncryption = "; known: aes-128, aes-256, aes-128-gcm, aes-256-gcm, chacha20-poly1305, 3des";
        String knownIntegrity = "; known: none, hmac-sha1, hmac-sha2-256, hmac-sha2-384, hmac-sha2-512";
        for (String name : new String[] {"rc4", "aes-192-gcm", "aes-192", "aes128gcm16", "aes-128-cbc", "AES-128"}) {
            assertThatThrownBy(() -> EspTransforms.create(name, "none", new byte[20], false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown ESP encryption algorithm '" + name + "'" + knownEncryption);
        }
        for (String name : new String[] {"md5", "hmac-sha2-256-128", "sha256", ""}) {
            assertThatThrownBy(() -> EspTransforms.create("aes-128", name, new byte[48], false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown ESP integrity algorithm '" + name + "'" + knownIntegrity);
        }
        assertThatThrownBy(() -> EspTransforms.create("aes-128-gcm", "hmac-sha2-256", new byte[52], false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("combined-mode");
        assertThatThrownBy(() -> EspTransforms.create("aes-128", "none", new byte[16], false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("integrity");
        assertThatThrownBy(() -> EspTransforms.create("aes-128-gcm", "none", new byte[16], false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("20 octets");
        assertThatThrownBy(() -> EspTransforms.create(EncryptionAlgorithm.AES_256,
                Optional.of(AuthAlgorithm.HMAC_SHA2_512), new byte[32], new byte[32], false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 octets");
        assertThatThrownBy(() -> EspTransforms.create(EncryptionAlgorithm.AES_128_GCM, Optional.empty(),
                new byte[20], new byte[32], false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no integrity key");
    }

    @Test
    @DisplayName("Printing a transform never shows key material")
    void toStringShowsNoKey() {
        byte[] key = new byte[20];
        java.util.Arrays.fill(key, (byte) 0xab);
        EspTransform t = EspTransforms.create("aes-128-gcm", "none", key, true);
        String expected = switch (EspTransforms.defaultImplementation()) {
            case OPENSSL -> "OpenSslAeadTransform[aes-128-gcm, esn]";
            case IPSECMB -> "IpsecMbAeadTransform[aes-128-gcm, esn]";
            case JCE -> "AeadTransform[aes-128-gcm, esn]";
        };
        assertThat(t.toString()).isEqualTo(expected).doesNotContain("ab");
        for (CryptoImplementation impl : CryptoImplementation.values()) {
            if (!impl.isAvailable()) {
                continue;
            }
            EspTransform forced = EspTransforms.create(EncryptionAlgorithm.AES_128_GCM, Optional.empty(), key, null,
                    false, impl);
            assertThat(forced.toString()).endsWith("Transform[aes-128-gcm]").doesNotContain("ab");
        }
    }
}
