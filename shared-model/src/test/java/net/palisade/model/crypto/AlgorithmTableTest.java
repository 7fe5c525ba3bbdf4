package net.palisade.model.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.OptionalInt;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The algorithm table against IANA's registries and the RFCs' key sizes, written out by hand. */
class AlgorithmTableTest {

    @ParameterizedTest
    @CsvSource({
        // keyword,         IKEv2 ID, key-length attr, IKEv1 P1, IKEv1 ESP, key, salt, total, AEAD, ICV, IV, weak
        "aes-128,           12,       128,             7,        12,        16,  0,    16,    false, 0,  16, false",
        "aes-256,           12,       256,             7,        12,        32,  0,    32,    false, 0,  16, false",
        "aes-128-gcm,       20,       128,             -1,       20,        16,  4,    20,    true,  16, 8,  false",
        "aes-256-gcm,       20,       256,             -1,       20,        32,  4,    36,    true,  16, 8,  false",
        "chacha20-poly1305, 28,       -1,              -1,       -1,        32,  4,    36,    true,  16, 8,  false",
        "3des,              3,        -1,              5,        3,         24,  0,    24,    false, 0,  8,  true",
    })
    void encryption(String keyword, int ikev2, int keyAttr, int v1p1, int v1esp, int key, int salt, int total,
            boolean aead, int icv, int iv, boolean weak) {
        EncryptionAlgorithm a = EncryptionAlgorithm.fromKeyword(keyword);
        assertThat(a.keyword()).isEqualTo(keyword);
        assertThat(a.toString()).isEqualTo(keyword);
        assertThat(a.ikev2Id()).isEqualTo(ikev2);
        assertThat(a.keyLengthAttribute()).isEqualTo(keyAttr < 0 ? OptionalInt.empty() : OptionalInt.of(keyAttr));
        assertThat(a.ikev1Phase1Id()).isEqualTo(v1p1 < 0 ? OptionalInt.empty() : OptionalInt.of(v1p1));
        assertThat(a.ikev1EspId()).isEqualTo(v1esp < 0 ? OptionalInt.empty() : OptionalInt.of(v1esp));
        assertThat(a.keyBytes()).isEqualTo(key);
        assertThat(a.saltBytes()).isEqualTo(salt);
        assertThat(a.keyMaterialBytes()).isEqualTo(total);
        assertThat(a.aead()).isEqualTo(aead);
        assertThat(a.icvBytes()).isEqualTo(icv);
        assertThat(a.ivBytes()).isEqualTo(iv);
        assertThat(a.weak()).isEqualTo(weak);
        assertThat(EncryptionAlgorithm.fromIkev2(ikev2, a.keyLengthAttribute())).contains(a);
    }

    @ParameterizedTest
    @CsvSource({
        // keyword,     IKEv2 integ, IKEv2 PRF, IKEv1 hash, IKEv1 ESP auth, key, ICV, weak,  digest,  hash block
        "hmac-sha1,     2,           2,         2,          2,              20,  12,  true,  SHA-1,   64",
        "hmac-sha2-256, 12,          5,         4,          5,              32,  16,  false, SHA-256, 64",
        "hmac-sha2-384, 13,          6,         5,          6,              48,  24,  false, SHA-384, 128",
        "hmac-sha2-512, 14,          7,         6,          7,              64,  32,  false, SHA-512, 128",
    })
    void auth(String keyword, int integ, int prf, int hash, int espAuth, int key, int icv, boolean weak,
            String digest, int hashBlock) {
        AuthAlgorithm a = AuthAlgorithm.fromKeyword(keyword);
        assertThat(a.digestName()).isEqualTo(digest);
        assertThat(a.hashBlockBytes()).isEqualTo(hashBlock);
        assertThat(a.ikev2IntegrityId()).isEqualTo(integ);
        assertThat(a.ikev2PrfId()).isEqualTo(prf);
        assertThat(a.ikev1HashId()).isEqualTo(hash);
        assertThat(a.ikev1EspAuthId()).isEqualTo(espAuth);
        assertThat(a.keyBytes()).isEqualTo(key);
        assertThat(a.icvBytes()).isEqualTo(icv);
        assertThat(a.weak()).isEqualTo(weak);
        assertThat(AuthAlgorithm.fromIkev2Integrity(integ)).contains(a);
        assertThat(AuthAlgorithm.fromIkev2Prf(prf)).contains(a);
    }

    /**
     * The names and lengths the dataplane's own HMAC relies on, judged by the JDK: the digest is as long as the key
     * RFC 4868 fixes and as the JCE {@code Mac}, and the hash block is where the JCE {@code Mac} starts hashing
     * keys first (RFC 2104: a key longer than B bytes is replaced by its digest, a key of B bytes is used as is).
     */
    @ParameterizedTest
    @EnumSource(AuthAlgorithm.class)
    void hmacPartsAgreeWithTheJdk(AuthAlgorithm a) throws Exception {
        MessageDigest digest = MessageDigest.getInstance(a.digestName());
        Mac mac = Mac.getInstance(a.jceName());
        assertThat(digest.getDigestLength()).isEqualTo(a.keyBytes());
        assertThat(mac.getMacLength()).isEqualTo(a.keyBytes());
        byte[] message = "one table".getBytes(StandardCharsets.US_ASCII);
        for (int length : new int[] {a.hashBlockBytes(), a.hashBlockBytes() + 1}) {
            byte[] key = new byte[length];
            Arrays.fill(key, (byte) 0x5a);
            byte[] asIs = hmac(mac, key, message);
            byte[] hashedKey = hmac(mac, digest.digest(key), message);
            assertThat(Arrays.equals(asIs, hashedKey)).as("key of %d bytes hashed first", length)
                    .isEqualTo(length > a.hashBlockBytes());
        }
    }

    private static byte[] hmac(Mac mac, byte[] key, byte[] message) throws Exception {
        mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
        return mac.doFinal(message);
    }

    @ParameterizedTest
    @CsvSource({
        "none,       0,  -1, 0",
        "modp2048,   14, 14, 256",
        "modp3072,   15, 15, 384",
        "modp4096,   16, 16, 512",
        "ecp256,     19, 19, 64",
        "ecp384,     20, 20, 96",
        "ecp521,     21, 21, 132",
        "curve25519, 31, -1, 32",
    })
    void groups(String keyword, int ikev2, int ikev1, int publicBytes) {
        DhGroup g = DhGroup.fromKeyword(keyword);
        assertThat(g.ikev2Id()).isEqualTo(ikev2);
        assertThat(g.ikev1Id()).isEqualTo(ikev1 < 0 ? OptionalInt.empty() : OptionalInt.of(ikev1));
        assertThat(g.publicValueBytes()).isEqualTo(publicBytes);
        assertThat(DhGroup.fromIkev2(ikev2)).contains(g);
    }

    @Test
    void unknownNamesSuggestTheClosest() {
        assertThatThrownBy(() -> EncryptionAlgorithm.fromKeyword("aes-256gcm"))
                .hasMessage("unknown algorithm 'aes-256gcm'; did you mean 'aes-256-gcm'?");
        assertThatThrownBy(() -> AuthAlgorithm.fromKeyword("sha256"))
                .hasMessage("unknown algorithm 'sha256'; expected one of hmac-sha1, hmac-sha2-256, hmac-sha2-384, hmac-sha2-512");
        assertThatThrownBy(() -> DhGroup.fromKeyword("ecp-256")).hasMessage("unknown group 'ecp-256'; did you mean 'ecp256'?");
        assertThat(Names.closest("peeer", java.util.List.of("peer", "prf"))).contains("peer");
        assertThat(Names.closest("xyz", java.util.List.of("peer"))).isEmpty();
        assertThat(Names.distance("ab", "ba")).isEqualTo(1);
    }
}
