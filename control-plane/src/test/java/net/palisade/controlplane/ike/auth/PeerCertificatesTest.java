package net.palisade.controlplane.ike.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.CertEncoding;
import net.palisade.model.wire.ikev2.CertPayload;
import net.palisade.model.wire.ikev2.CertReqPayload;
import net.palisade.model.wire.ikev2.IdPayload;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer's certificate: path to our CA, dates, identity in the certificate; and our CERTREQ. */
class PeerCertificatesTest {
    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    static TestPki.Issued ca;
    static TestPki.Issued rogueCa;
    static TestPki.Issued rsa;
    static TestPki.Issued ecdsa;
    static TestPki.Issued rogue;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca("C=SE, O=Palisade Test, CN=Test CA", TestPki.rsa(2048));
        rogueCa = TestPki.ca("C=SE, O=Palisade Test, CN=Test CA", TestPki.rsa(2048)); // same name, other key
        rsa = TestPki.endEntity(ca, "C=SE, O=Palisade Test, CN=gw1", TestPki.rsa(2048),
                List.of("dns:gw1.example.com", "email:ops@example.com", "ip:192.0.2.1", "ip:2001:db8::1"));
        ecdsa = TestPki.endEntity(ca, "C=SE, O=Palisade Test, CN=gw2", TestPki.ec("secp256r1"), List.of());
        rogue = TestPki.endEntity(rogueCa, "C=SE, O=Palisade Test, CN=gw1", TestPki.rsa(2048), List.of());
    }

    static List<CertPayload> certs(X509Certificate... chain) throws Exception {
        List<CertPayload> out = new java.util.ArrayList<>();
        for (X509Certificate c : chain) {
            out.add(CertPayload.x509(Octets.of(c.getEncoded())));
        }
        return out;
    }

    @Test
    void aCertificateOfOurCaIsAccepted() throws Exception {
        assertThat(PeerCertificates.validate(certs(rsa.cert()), List.of(ca.cert()), NOW))
                .isEqualTo(new Outcome.Passed<>(rsa.cert()));
        assertThat(PeerCertificates.validate(certs(ecdsa.cert()), List.of(rogueCa.cert(), ca.cert()), NOW))
                .isEqualTo(new Outcome.Passed<>(ecdsa.cert()));
    }

    @Test
    void anIntermediateSentByThePeerCompletesThePath() throws Exception {
        TestPki.Issued sub = TestPki.intermediate(ca, "C=SE, O=Palisade Test, CN=Sub CA", TestPki.ec("secp384r1"));
        TestPki.Issued ee = TestPki.endEntity(sub, "CN=gw3", TestPki.ec("secp256r1"), List.of());
        assertThat(PeerCertificates.validate(certs(ee.cert(), sub.cert()), List.of(ca.cert()), NOW))
                .isInstanceOf(Outcome.Passed.class);
        assertThat(PeerCertificates.validate(certs(ee.cert()), List.of(ca.cert()), NOW))
                .isInstanceOf(Outcome.Failed.class);
    }

    @Test
    void fiveIntermediatesAreAcceptedAndASeventhCertificateIsRefusedUnparsed() throws Exception {
        List<X509Certificate> chain = new java.util.ArrayList<>();
        TestPki.Issued issuer = ca;
        List<TestPki.Issued> subs = new java.util.ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            issuer = TestPki.intermediate(issuer, "CN=Sub CA " + i, TestPki.ec("secp256r1"));
            subs.add(issuer);
        }
        TestPki.Issued ee = TestPki.endEntity(issuer, "CN=deep", TestPki.ec("secp256r1"), List.of());
        chain.add(ee.cert());
        for (int i = subs.size() - 1; i >= 0; i--) {
            chain.add(subs.get(i).cert());
        }
        assertThat(PeerCertificates.validate(certs(chain.toArray(X509Certificate[]::new)), List.of(ca.cert()), NOW))
                .isEqualTo(new Outcome.Passed<>(ee.cert()));

        List<CertPayload> seven = new java.util.ArrayList<>(certs(chain.toArray(X509Certificate[]::new)));
        seven.add(CertPayload.x509(Octets.fromHex("3003020101"))); // not even a certificate: never parsed
        assertThat(PeerCertificates.validate(seven, List.of(ca.cert()), NOW)).isEqualTo(Outcome.failed(
                "the peer sent 7 X.509 certificates; at most 6 (its own and 5 intermediates) are accepted"));
    }

    @Test
    void aCertificateOfAnotherCaIsRefusedEvenWithTheSameIssuerName() throws Exception {
        Outcome<X509Certificate> o = PeerCertificates.validate(certs(rogue.cert()), List.of(ca.cert()), NOW);
        assertThat(o).isInstanceOf(Outcome.Failed.class);
        assertThat(((Outcome.Failed<X509Certificate>) o).detail()).startsWith(
                "the peer's certificate \"CN=gw1, O=Palisade Test, C=SE\" (issuer \"CN=Test CA, O=Palisade Test, "
                        + "C=SE\") does not chain to a CA of our ca file");
    }

    @Test
    void expiredAndNotYetValidCertificatesAreRefusedAtTheEnginesClock() throws Exception {
        assertThat(PeerCertificates.validate(certs(rsa.cert()), List.of(ca.cert()),
                Instant.parse("2028-01-01T00:00:00Z"))).isEqualTo(Outcome.failed(
                        "the peer's certificate \"CN=gw1, O=Palisade Test, C=SE\" expired at 2027-12-31T00:00:00Z"));
        assertThat(PeerCertificates.validate(certs(rsa.cert()), List.of(ca.cert()),
                Instant.parse("2025-12-31T00:00:00Z"))).isEqualTo(Outcome.failed(
                        "the peer's certificate \"CN=gw1, O=Palisade Test, C=SE\" is not valid before "
                                + "2026-01-01T00:00:00Z"));
    }

    @Test
    void noX509CertificateOrGarbageIsRefused() {
        assertThat(PeerCertificates.validate(List.of(new CertPayload(CertEncoding.Known.RAW_PUBLIC_KEY,
                Octets.of(new byte[10]))), List.of(ca.cert()), NOW)).isEqualTo(Outcome.failed(
                        "the peer sent no X.509 certificate (CERT payload, encoding 4)"));
        assertThat(PeerCertificates.validate(List.of(CertPayload.x509(Octets.fromHex("3003020101"))),
                List.of(ca.cert()), NOW)).isInstanceOf(Outcome.Failed.class);
    }

    @Test
    void theIdentityMustBeInTheCertificate() throws Exception {
        X509Certificate c = rsa.cert();
        // DN: compared as names, so another encoding of the same DN (UTF8String vs PrintableString) matches
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.derDn(true,
                Octets.of(new X500Name("C=SE, O=Palisade Test, CN=gw1").getEncoded())), c)).isEmpty();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.derDn(true,
                Octets.of(c.getSubjectX500Principal().getEncoded())), c)).isEmpty();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.derDn(true,
                Octets.of(new X500Name("C=SE, O=Palisade Test, CN=gw2").getEncoded())), c)).contains(
                        "the peer's identity \"C=SE,O=Palisade Test,CN=gw2\" is not the subject of its certificate "
                                + "(\"CN=gw1, O=Palisade Test, C=SE\")");
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.fqdn(true, "GW1.example.com"), c)).isEmpty();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.fqdn(true, "gw2.example.com"), c)).contains(
                "the peer's identity gw2.example.com is not a subjectAltName of its certificate "
                        + "(\"CN=gw1, O=Palisade Test, C=SE\")");
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.rfc822(true, "ops@example.com"), c)).isEmpty();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.rfc822(true, "gw1.example.com"), c)).isPresent();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.address(true, InetAddress.getByName("192.0.2.1")),
                c)).isEmpty();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.address(true, InetAddress.getByName("2001:db8::1")),
                c)).isEmpty();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.address(true, InetAddress.getByName("192.0.2.2")),
                c)).isPresent();
        // no subjectAltName at all
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.fqdn(true, "gw2.example.com"), ecdsa.cert()))
                .isPresent();
        assertThat(PeerCertificates.idNotInCertificate(IdPayload.keyId(true, Octets.of(new byte[] {1})), c))
                .hasValueSatisfying(d -> assertThat(d).contains("ID_KEY_ID"));
    }

    @Test
    void certReqHashIsTheSha1OfTheCaPublicKeyInfoAsOpensslComputesIt(@TempDir Path dir) throws Exception {
        Path caPem = TestPki.write(dir, "ca.pem", TestPki.pem(ca.cert()));
        Process p = new ProcessBuilder("sh", "-c", "openssl x509 -in ca.pem -noout -pubkey | openssl pkey -pubin "
                + "-outform DER | openssl dgst -sha1 -r").directory(dir.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor()).isZero();
        String openssl = out.substring(0, 40);
        assertThat(caPem).exists();
        CertReqPayload req = PeerCertificates.certRequest(List.of(ca.cert(), rogueCa.cert()));
        assertThat(req.encoding()).isEqualTo(CertEncoding.Known.X509_SIGNATURE);
        assertThat(req.authorityKeyHashes().orElseThrow().getFirst().hex()).isEqualTo(openssl);
        assertThat(req.data().length()).isEqualTo(40);
        assertThat(HexFormat.of().formatHex(req.data().toByteArray(), 0, 20)).isEqualTo(openssl);
        assertThat(Optional.of(req.authorityKeyHashes().orElseThrow().get(1))).isNotEqualTo(
                Optional.of(req.authorityKeyHashes().orElseThrow().getFirst()));
    }
}
