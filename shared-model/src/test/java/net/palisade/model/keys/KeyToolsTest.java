package net.palisade.model.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import net.palisade.model.ManualTunnel;
import net.palisade.model.config.ConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Vendor keys: expected hex written out by hand (each ASCII character is one byte). */
class KeyToolsTest {

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource({
        // ZyWALL-style ASCII key,           algorithm,     hex
        "kkkkkkkkkkkkkkkk,                   aes-128,       0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b",
        "Zy~Wall#Key:2024,                   aes-128,       0x5a797e57616c6c234b65793a32303234",
        "0123456789abcdefghij,               aes-128-gcm,   0x303132333435363738396162636465666768696a",
        "ABCDEFGHIJKLMNOPQRSTUVWX,           3des,          0x4142434445464748494a4b4c4d4e4f505152535455565758",
        "abcdefghijklmnopqrstuvwxyz012345,   aes-256,       0x6162636465666768696a6b6c6d6e6f707172737475767778797a303132333435",
        "sha1-authentication!,               hmac-sha1,     0x736861312d61757468656e7469636174696f6e21",
        "ThisIsA32ByteHmacKeyForSha256!!!,   hmac-sha2-256, 0x54686973497341333242797465486d61634b6579466f72536861323536212121",
    })
    void asciiToHexAndBack(String ascii, String alg, String hex) {
        assertThat(KeyTools.fromAscii(ascii, Optional.of(alg))).isEqualTo(hex);
        assertThat(KeyTools.fromAscii(ascii, Optional.empty())).isEqualTo(hex);
        assertThat(KeyTools.toAscii(hex)).contains(ascii);
    }

    @Test
    void anAsciiKeyConvertedToHexIsAcceptedByTheConfig() {
        String hex = KeyTools.fromAscii("kkkkkkkkkkkkkkkkkkkk", Optional.of("aes-128-gcm"));
        assertThat(hex).isEqualTo("0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b");
        ManualTunnel t = (ManualTunnel) ConfigParser.parse("manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 "
                + "peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm enckey " + hex + " label m1", "t").orThrow().tunnels().getFirst();
        assertThat(t.encKey().inbound().revealBytes()).containsOnly(0x6b).hasSize(20);
    }

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource({
        // Sonicwall/Juniper-style hex (with or without 0x, any case), algorithm, normalized
        "0123456789ABCDEF0123456789ABCDEF,                    aes-128,       0x0123456789abcdef0123456789abcdef",
        "0x0123456789abcdef0123456789abcdef01234567,          aes-128-gcm,   0x0123456789abcdef0123456789abcdef01234567",
        "0XA1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718,  3des,          0xa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718",
        "00112233445566778899aabbccddeeff00112233,            hmac-sha1,     0x00112233445566778899aabbccddeeff00112233",
    })
    void vendorHexKeys(String in, String alg, String out) {
        assertThat(KeyTools.fromHex(in, Optional.of(alg))).isEqualTo(out);
        assertThat(KeyTools.fromHex(in, Optional.empty())).isEqualTo(out);
    }

    @Test
    void vendorHexWithUpperCaseIsAcceptedDirectlyInTheConfig() {
        assertThat(ConfigParser.parse("manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 0x1000 "
                + "enc aes-128 enckey 0x0123456789ABCDEF0123456789ABCDEF auth hmac-sha1 authkey "
                + "0x00112233445566778899AABBCCDDEEFF00112233", "t").errors()).isEmpty();
    }

    @Test
    void wrongLengthsNameTheNeededLength() {
        assertThatThrownBy(() -> KeyTools.fromAscii("kkkkkkkkkkkkkkkk", Optional.of("aes-128-gcm")))
                .hasMessage("aes-128-gcm needs 20 characters (16-byte key + 4-byte salt), got 16");
        assertThatThrownBy(() -> KeyTools.fromAscii("kkkkkkkkkkkkkkkk", Optional.of("aes-256")))
                .hasMessage("aes-256 needs 32 characters, got 16");
        assertThatThrownBy(() -> KeyTools.fromAscii("kkkkkkkkkkkkkkkkk", Optional.empty()))
                .hasMessage("a 17-character key fits no algorithm; usable lengths: 16 (aes-128), 20 (aes-128-gcm, hmac-sha1), "
                        + "24 (3des), 32 (aes-256, hmac-sha2-256), 36 (aes-256-gcm, chacha20-poly1305), 48 (hmac-sha2-384), "
                        + "64 (hmac-sha2-512)");
        assertThatThrownBy(() -> KeyTools.fromHex("0x0011", Optional.of("hmac-sha2-256")))
                .hasMessage("hmac-sha2-256 needs 32 bytes, got 2");
        assertThatThrownBy(() -> KeyTools.fromHex("0011", Optional.empty()))
                .hasMessageStartingWith("a 2-byte key fits no algorithm; usable lengths: 16 (aes-128)");
    }

    @Test
    void badInputIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> KeyTools.fromAscii("CANARYkkkkkkkkkä", Optional.empty()))
                .hasMessage("character 16 is not printable ASCII (an ASCII key takes characters 0x21-0x7e, no spaces)");
        assertThatThrownBy(() -> KeyTools.fromAscii("CANARY kkkkkkkkk", Optional.empty()))
                .hasMessage("character 7 is not printable ASCII (an ASCII key takes characters 0x21-0x7e, no spaces)");
        assertThatThrownBy(() -> KeyTools.fromHex("0xCANARY", Optional.empty())).hasMessage("not hex");
        assertThatThrownBy(() -> KeyTools.fromHex("abc", Optional.empty())).hasMessage("odd number of hex digits");
        assertThatThrownBy(() -> KeyTools.fromAscii("kkkkkkkkkkkkkkkk", Optional.of("aes128")))
                .hasMessage("unknown algorithm 'aes128'; did you mean 'aes-128'?");
        assertThat(KeyTools.toAscii("0x6b00")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "aes-128, 16", "aes-256, 32", "aes-128-gcm, 20", "aes-256-gcm, 36", "chacha20-poly1305, 36", "3des, 24",
        "hmac-sha1, 20", "hmac-sha2-256, 32", "hmac-sha2-384, 48", "hmac-sha2-512, 64",
    })
    void generatedKeysHaveTheRightLength(String alg, int bytes) {
        String a = KeyTools.generate(alg);
        assertThat(a).matches("0x[0-9a-f]{" + (2 * bytes) + "}");
        assertThat(KeyTools.keyLength(alg)).isEqualTo(bytes);
        assertThat(KeyTools.generate(alg)).isNotEqualTo(a);
        assertThat(KeyTools.fromHex(a, Optional.of(alg))).isEqualTo(a);
    }
}
