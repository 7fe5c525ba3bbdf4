package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.model.crypto.AuthAlgorithm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RFC 2409 key derivation judged by an independent implementation: {@code rfc2409.py} (written from the RFC's text
 * with Python's hmac and hashlib) and, for SKEYID, OpenSSL's HMAC. Inputs are random, of the sizes real exchanges
 * use (including SHA-1 with AES-256, where the encryption key needs the Appendix B expansion). Skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class Ikev1KeymatTest {
    private static final HexFormat HEX = HexFormat.of();
    private static Path script;

    @BeforeAll
    static void tools() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        script = Path.of(Ikev1KeymatTest.class.getResource("/ikev1/rfc2409.py").toURI());
    }

    private static String name(AuthAlgorithm a) {
        return switch (a) {
            case HMAC_SHA1 -> "sha1";
            case HMAC_SHA2_256 -> "sha256";
            case HMAC_SHA2_384 -> "sha384";
            case HMAC_SHA2_512 -> "sha512";
        };
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private static byte[] python(AuthAlgorithm a, String fn, byte[]... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("python3", script.toString(), name(a), fn));
        for (byte[] arg : args) {
            c.add(HEX.formatHex(arg));
        }
        return HEX.parseHex(run(c));
    }

    private static byte[] n(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    @ParameterizedTest
    @EnumSource(AuthAlgorithm.class)
    void derivationsMatchTheReference(AuthAlgorithm hash) throws Exception {
        Random r = new Random(hash.ordinal() + 7);
        Prf prf = new Prf(hash);
        byte[] psk = "badpassword".getBytes(StandardCharsets.UTF_8);
        byte[] ni = bytes(r, 32);
        byte[] nr = bytes(r, 20);
        byte[] gxi = bytes(r, 256);
        byte[] gxr = bytes(r, 256);
        byte[] gxy = bytes(r, 256);
        byte[] ckyI = bytes(r, 8);
        byte[] ckyR = bytes(r, 8);
        byte[] sai = bytes(r, 52);
        byte[] idii = bytes(r, 8);
        byte[] idir = bytes(r, 19);

        byte[] skeyid = Ikev1Keymat.skeyidPsk(prf, psk, ni, nr);
        assertThat(skeyid).isEqualTo(python(hash, "skeyid-psk", psk, ni, nr));
        String openssl = run(List.of("openssl", "dgst", "-" + name(hash), "-mac", "HMAC", "-macopt",
                "hexkey:" + HEX.formatHex(psk), "-hex", "-r", writeTemp(Ikev1Keymat.concat(ni, nr)).toString()));
        assertThat(HEX.formatHex(skeyid)).isEqualTo(openssl.split(" ")[0]);
        assertThat(Ikev1Keymat.skeyidSignature(prf, ni, nr, gxy)).isEqualTo(python(hash, "skeyid-sig", ni, nr, gxy));

        byte[] d = Ikev1Keymat.skeyidD(prf, skeyid, gxy, ckyI, ckyR);
        byte[] a = Ikev1Keymat.skeyidA(prf, skeyid, d, gxy, ckyI, ckyR);
        byte[] e = Ikev1Keymat.skeyidE(prf, skeyid, a, gxy, ckyI, ckyR);
        assertThat(Ikev1Keymat.concat(d, a, e)).isEqualTo(python(hash, "skeyid-dae", skeyid, gxy, ckyI, ckyR));
        for (int len : new int[] {16, 24, 32}) {
            assertThat(Ikev1Keymat.encryptionKey(prf, e, len)).as("Ka of %d octets", len)
                    .isEqualTo(python(hash, "enckey", e, n(len)));
        }
        assertThat(Ikev1Keymat.phase1Iv(hash, gxi, gxr, 16)).isEqualTo(python(hash, "iv1", gxi, gxr, n(16)));
        assertThat(Ikev1Keymat.phase1Iv(hash, gxi, gxr, 8)).isEqualTo(python(hash, "iv1", gxi, gxr, n(8)));
        byte[] last = bytes(r, 16);
        long mid = 0xdeadbeefL;
        assertThat(Ikev1Keymat.phase2Iv(hash, last, mid, 16))
                .isEqualTo(python(hash, "iv2", last, Ikev1Keymat.u32(mid), n(16)));
        assertThat(Ikev1Keymat.hashI(prf, skeyid, gxi, gxr, ckyI, ckyR, sai, idii))
                .isEqualTo(python(hash, "hash-i", skeyid, gxi, gxr, ckyI, ckyR, sai, idii));
        assertThat(Ikev1Keymat.hashR(prf, skeyid, gxi, gxr, ckyI, ckyR, sai, idir))
                .isEqualTo(python(hash, "hash-r", skeyid, gxi, gxr, ckyI, ckyR, sai, idir));
        byte[] rest = bytes(r, 120);
        assertThat(Ikev1Keymat.quickHash1(prf, a, mid, rest))
                .isEqualTo(python(hash, "qm-hash1", a, Ikev1Keymat.u32(mid), rest));
        assertThat(Ikev1Keymat.quickHash2(prf, a, mid, ni, rest))
                .isEqualTo(python(hash, "qm-hash2", a, Ikev1Keymat.u32(mid), ni, rest));
        assertThat(Ikev1Keymat.quickHash3(prf, a, mid, ni, nr))
                .isEqualTo(python(hash, "qm-hash3", a, Ikev1Keymat.u32(mid), ni, nr));
        byte[] spi = bytes(r, 4);
        byte[] pfs = bytes(r, 64);
        // AES-256 + HMAC-SHA2-512 needs 96 octets: more than one prf output for every hash
        assertThat(Ikev1Keymat.keymat(prf, d, Optional.empty(), 3, spi, ni, nr, 96))
                .isEqualTo(python(hash, "keymat", d, new byte[0], new byte[] {3}, spi, ni, nr, n(96)));
        assertThat(Ikev1Keymat.keymat(prf, d, Optional.of(pfs), 3, spi, ni, nr, 36))
                .isEqualTo(python(hash, "keymat", d, pfs, new byte[] {3}, spi, ni, nr, n(36)));
        byte[] ip = {(byte) 192, 0, 2, 1};
        assertThat(Ikev1Keymat.natD(hash, ckyI, ckyR, ip, 500))
                .isEqualTo(python(hash, "natd", ckyI, ckyR, ip, n(500)));
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static Path writeTemp(byte[] data) throws Exception {
        Path f = Files.createTempFile("ikev1-keymat", ".bin");
        f.toFile().deleteOnExit();
        Files.write(f, data);
        return f;
    }
}
