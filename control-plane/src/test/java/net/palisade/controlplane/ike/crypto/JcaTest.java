package net.palisade.controlplane.ike.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Only the provider is remembered: every call gives a new object, the provider the platform picks, and two HMACs
 * keyed one after the other from the same name do not share a key.
 */
class JcaTest {
    @Test
    void everyCallGivesANewObjectFromThePlatformsProvider() throws Exception {
        Mac a = Jca.mac("HmacSHA256");
        Mac b = Jca.mac("HmacSHA256");
        assertThat(a).isNotSameAs(b);
        assertThat(b.getProvider()).isEqualTo(Mac.getInstance("HmacSHA256").getProvider());
        Cipher c = Jca.cipher("AES/GCM/NoPadding");
        assertThat(c).isNotSameAs(Jca.cipher("AES/GCM/NoPadding"));
        assertThat(Jca.cipher("AES/GCM/NoPadding").getProvider())
                .isEqualTo(Cipher.getInstance("AES/GCM/NoPadding").getProvider());
        assertThat(Jca.digest("SHA-1")).isNotSameAs(Jca.digest("SHA-1"));
        assertThat(Jca.digest("SHA-1").getProvider()).isEqualTo(MessageDigest.getInstance("SHA-1").getProvider());
    }

    @Test
    void macsFromOneNameKeepTheirOwnKeys() throws Exception {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        Mac first = Jca.mac("HmacSHA256");
        first.init(new SecretKeySpec("Jefe".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "HmacSHA256"));
        Mac second = Jca.mac("HmacSHA256");
        second.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
        byte[] data = "what do ya want for nothing?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(HexFormat.of().formatHex(first.doFinal(data)))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assertThat(HexFormat.of().formatHex(second.doFinal(data)))
                .isNotEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void aNewMacOrDigestCarriesNothingOfThoseBefore() throws Exception {
        byte[] data = "what do ya want for nothing?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < 3; i++) { // the first calls choose the provider, later ones copy a kept unkeyed instance
            Mac used = Jca.mac("HmacSHA256");
            used.init(new SecretKeySpec("Jefe".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "HmacSHA256"));
            used.update(data);
            MessageDigest half = Jca.digest("SHA-1");
            half.update(data);
            Mac next = Jca.mac("HmacSHA256");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> next.update(data))
                    .isInstanceOf(IllegalStateException.class); // not keyed: no key came with it
            next.init(new SecretKeySpec("Jefe".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "HmacSHA256"));
            assertThat(HexFormat.of().formatHex(next.doFinal(data)))
                    .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
            // FIPS 180 "abc": nothing of the other digest's input
            assertThat(HexFormat.of().formatHex(Jca.digest("SHA-1").digest("abc".getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII)))).isEqualTo("a9993e364706816aba3e25717850c26c9cd0d89d");
        }
    }
}
