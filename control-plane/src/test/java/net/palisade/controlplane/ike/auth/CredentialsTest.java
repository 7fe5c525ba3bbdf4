package net.palisade.controlplane.ike.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import net.palisade.model.IkeAuth;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading PEM credentials: the formats users have, and errors that name the file and the problem. */
class CredentialsTest {
    static TestPki.Issued ca;
    static TestPki.Issued rsa;
    static TestPki.Issued ecdsa;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca("C=SE, O=Palisade Test, CN=Test CA", TestPki.rsa(2048));
        rsa = TestPki.endEntity(ca, "C=SE, O=Palisade Test, CN=gw1", TestPki.rsa(2048), List.of("dns:gw1.example"));
        ecdsa = TestPki.endEntity(ca, "C=SE, O=Palisade Test, CN=gw2", TestPki.ec("secp256r1"), List.of());
    }

    private static Credentials load(Path dir, TestPki.Issued ee, String keyPem) throws Exception {
        Path cert = TestPki.write(dir, "gw.pem", TestPki.pem(ee.cert()));
        Path key = TestPki.write(dir, "gw.key", keyPem);
        Path caFile = TestPki.write(dir, "ca.pem", TestPki.pem(ca.cert()));
        return Credentials.load(cert, key, caFile);
    }

    @Test
    void loadsPkcs8AndTraditionalRsaAndEcKeys(@TempDir Path dir) throws Exception {
        assertThat(load(dir, rsa, TestPki.pkcs8(rsa.keys())).certificate()).isEqualTo(rsa.cert());
        String traditionalRsa = TestPki.pem(rsa.keys());
        assertThat(traditionalRsa).contains("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(load(dir, rsa, traditionalRsa).subject()).isEqualTo(rsa.cert().getSubjectX500Principal());
        // openssl converts (Bouncy Castle's writer drops the curve of a JDK key in this format)
        Path k8 = TestPki.write(dir, "k8.pem", TestPki.pkcs8(ecdsa.keys()));
        Process p = new ProcessBuilder("openssl", "ec", "-in", k8.toString(), "-out", dir.resolve("ec.pem").toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
        String traditionalEc = Files.readString(dir.resolve("ec.pem"));
        assertThat(traditionalEc).contains("-----BEGIN EC PRIVATE KEY-----");
        Credentials ec = load(dir, ecdsa, traditionalEc);
        assertThat(ec.keyType()).isEqualTo(Credentials.KeyType.EC);
        assertThat(ec.trustAnchors()).containsExactly(ca.cert());
    }

    @Test
    void loadsKeysMadeByOpenssl(@TempDir Path dir) throws Exception {
        // openssl's own output formats: "ecparam -genkey" (EC PARAMETERS + EC PRIVATE KEY), "genpkey" (PKCS#8)
        for (String[] cmd : List.of(
                new String[] {"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", "k.pem"},
                new String[] {"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", "k.pem"})) {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            assertThat(p.waitFor()).isZero();
            Process req = new ProcessBuilder("openssl", "req", "-new", "-x509", "-key", "k.pem", "-subj",
                    "/C=SE/O=Palisade Test/CN=openssl", "-days", "3650", "-out", "c.pem").directory(dir.toFile())
                    .redirectErrorStream(true).start();
            assertThat(req.waitFor()).as(new String(req.getInputStream().readAllBytes())).isZero();
            Credentials c = Credentials.load(dir.resolve("c.pem"), dir.resolve("k.pem"), dir.resolve("c.pem"));
            assertThat(c.subject().getName()).isEqualTo("CN=openssl,O=Palisade Test,C=SE");
        }
    }

    @Test
    void keyOfAnotherCertificateIsRefusedNamingTheFiles(@TempDir Path dir) {
        assertThatThrownBy(() -> load(dir, rsa, TestPki.pkcs8(TestPki.rsa(2048))))
                .isInstanceOf(CredentialException.class)
                .hasMessageStartingWith(dir.resolve("gw.key") + ": key does not match certificate "
                        + dir.resolve("gw.pem"));
        assertThatThrownBy(() -> load(dir, rsa, TestPki.pkcs8(ecdsa.keys())))
                .hasMessageContaining("key does not match certificate");
    }

    @Test
    void aCertificateWhereTheKeyShouldBeIsNotAPrivateKey(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> load(dir, rsa, TestPki.pem(rsa.cert())))
                .isInstanceOf(CredentialException.class)
                .hasMessage(dir.resolve("gw.key") + ": not a private key (found a certificate)");
        assertThatThrownBy(() -> load(dir, rsa, "hello\n"))
                .hasMessageStartingWith(dir.resolve("gw.key") + ": not a private key");
        // bad base64 inside the PEM armour (a truncated copy, an edited file): named, not an unchecked BC exception
        assertThatThrownBy(() -> load(dir, rsa, "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n"))
                .isInstanceOf(CredentialException.class)
                .hasMessageStartingWith(dir.resolve("gw.key") + ": not a private key");
        Path key = TestPki.write(dir, "k.pem", TestPki.pkcs8(rsa.keys()));
        Path broken = TestPki.write(dir, "broken.pem",
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> Credentials.load(broken, key, broken)).isInstanceOf(CredentialException.class)
                .hasMessageStartingWith(broken + ": not a PEM certificate file");
    }

    @Test
    void encryptedKeysMissingFilesAndEmptyCaFilesAreExplained(@TempDir Path dir) throws Exception {
        JcaPKCS8Generator enc = new JcaPKCS8Generator(rsa.keys().getPrivate(),
                new JceOpenSSLPKCS8EncryptorBuilder(PKCSObjectIdentifiers.des_EDE3_CBC)
                        // BC's own provider: the JDK has no parameter generator for this OID, and whether another
                        // test registered BC first must not decide this one
                        .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                        .setPassword("pw".toCharArray()).build());
        assertThatThrownBy(() -> load(dir, rsa, TestPki.pem(enc.generate())))
                .hasMessageStartingWith(dir.resolve("gw.key") + ": the private key is encrypted");
        Path cert = TestPki.write(dir, "c.pem", TestPki.pem(rsa.cert()));
        Path key = TestPki.write(dir, "k.pem", TestPki.pkcs8(rsa.keys()));
        assertThatThrownBy(() -> Credentials.load(cert, key, dir.resolve("missing.pem")))
                .hasMessage(dir.resolve("missing.pem") + ": no such file");
        Path empty = TestPki.write(dir, "empty.pem", "");
        assertThatThrownBy(() -> Credentials.load(cert, key, empty))
                .hasMessageStartingWith(empty + ": no PEM certificate");
    }

    @Test
    void neverPrintsTheKey(@TempDir Path dir) throws Exception {
        KeyPair k = rsa.keys();
        Credentials c = load(dir, rsa, TestPki.pkcs8(k));
        String encoded = Base64.getEncoder().encodeToString(k.getPrivate().getEncoded());
        assertThat(c.toString()).contains("CN=gw1").contains("[redacted]")
                .doesNotContain(encoded.substring(100, 140));
        assertThat(c.toString()).doesNotContain(((java.security.interfaces.RSAPrivateKey) k.getPrivate())
                .getPrivateExponent().toString(16).substring(0, 40));
    }

    @Test
    void cachedCredentialsAreReloadedWhenAFileChanges(@TempDir Path dir) throws Exception {
        Path cert = TestPki.write(dir, "c.pem", TestPki.pem(rsa.cert()));
        Path key = TestPki.write(dir, "k.pem", TestPki.pkcs8(rsa.keys()));
        Path caFile = TestPki.write(dir, "ca.pem", TestPki.pem(ca.cert()));
        IkeAuth.Certificates files = new IkeAuth.Certificates(cert.toString(), key.toString(), caFile.toString());
        Credentials first = Credentials.cached(files);
        assertThat(Credentials.cached(files)).isSameAs(first);
        Files.writeString(cert, TestPki.pem(ecdsa.cert()));
        Files.writeString(key, TestPki.pkcs8(ecdsa.keys()));
        Files.setLastModifiedTime(cert, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(5)));
        assertThat(Credentials.cached(files).certificate()).isEqualTo(ecdsa.cert());
    }
}
