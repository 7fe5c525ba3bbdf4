package net.palisade.controlplane.ike.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.Security;
import java.security.Signature;
import java.util.Arrays;
import java.util.List;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.AuthMethod;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AUTH signatures: RFC 7427 appendix A's AlgorithmIdentifier encodings, round trips per method, checked also with
 * Bouncy Castle's provider (an implementation independent of the JDK's that signs), and failures.
 */
class SignatureAuthTest {
    static final byte[] OCTETS = "IKE_SA_INIT request | Nr | prf(SK_pi, IDi')".getBytes();
    static TestPki.Issued ca;
    static Credentials rsa;
    static Credentials p256;
    static Credentials p384;
    static Credentials p521;
    static Credentials otherRsa;

    @BeforeAll
    static void pki() throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        ca = TestPki.ca("CN=Test CA", TestPki.rsa(2048));
        rsa = creds(TestPki.rsa(2048));
        p256 = creds(TestPki.ec("secp256r1"));
        p384 = creds(TestPki.ec("secp384r1"));
        p521 = creds(TestPki.ec("secp521r1"));
        otherRsa = creds(TestPki.rsa(2048));
    }

    static Credentials creds(java.security.KeyPair k) throws CredentialException {
        TestPki.Issued ee = TestPki.endEntity(ca, "CN=gw", k, List.of());
        return Credentials.of(List.of(ee.cert()), k.getPrivate(), List.of(ca.cert()));
    }

    /** RFC 7427 appendix A.1 (PKCS#1 1.5) and A.3 (ECDSA), byte for byte. */
    @ParameterizedTest
    @CsvSource({
        "RSA_SHA1,     300d06092a864886f70d0101050500",
        "RSA_SHA256,   300d06092a864886f70d01010b0500",
        "RSA_SHA384,   300d06092a864886f70d01010c0500",
        "RSA_SHA512,   300d06092a864886f70d01010d0500",
        "ECDSA_SHA256, 300a06082a8648ce3d040302",
        "ECDSA_SHA384, 300a06082a8648ce3d040303",
        "ECDSA_SHA512, 300a06082a8648ce3d040304"})
    void algorithmIdentifiersAreRfc7427AppendixA(SignatureAlgorithm alg, String hex) {
        assertThat(alg.algorithmIdentifier().hex()).isEqualTo(hex);
        assertThat(SignatureAlgorithm.fromAlgorithmIdentifier(Octets.fromHex(hex))).contains(alg);
    }

    @Test
    void rsaAlgorithmIdentifierWithoutNullParametersIsAcceptedToo() {
        assertThat(SignatureAlgorithm.fromAlgorithmIdentifier(Octets.fromHex("300b06092a864886f70d01010b")))
                .contains(SignatureAlgorithm.RSA_SHA256);
        assertThat(SignatureAlgorithm.fromAlgorithmIdentifier(Octets.fromHex("3003060100"))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"2, SHA256withRSA, RSA_SHA256", "3, SHA384withRSA, RSA_SHA384", "4, SHA512withRSA, RSA_SHA512"})
    void rsaDigitalSignatureRoundTripWithThePeersHash(int hash, String bcName, SignatureAlgorithm expected)
            throws Exception {
        AuthPayload auth = SignatureAuth.sign(rsa, OCTETS, List.of(HashAlgorithm.of(hash)));
        assertThat(auth.method()).isEqualTo(AuthMethod.Known.DIGITAL_SIGNATURE);
        AuthPayload.DigitalSignature ds = auth.digitalSignature().orElseThrow();
        assertThat(SignatureAlgorithm.fromAlgorithmIdentifier(ds.algorithmIdentifier())).contains(expected);
        assertThat(verified(rsa, auth)).isEqualTo(expected);
        // Bouncy Castle's own RSA implementation agrees
        Signature bc = Signature.getInstance(bcName, "BC");
        bc.initVerify(rsa.certificate().getPublicKey());
        bc.update(OCTETS);
        assertThat(bc.verify(ds.signature().toByteArray())).isTrue();
    }

    @Test
    void ecdsaUsesTheCurvesHashWhenThePeerListsIt() throws Exception {
        List<HashAlgorithm> all = List.of(HashAlgorithm.Known.SHA2_256, HashAlgorithm.Known.SHA2_384,
                HashAlgorithm.Known.SHA2_512);
        assertThat(verified(p256, SignatureAuth.sign(p256, OCTETS, all))).isEqualTo(SignatureAlgorithm.ECDSA_SHA256);
        assertThat(verified(p384, SignatureAuth.sign(p384, OCTETS, all))).isEqualTo(SignatureAlgorithm.ECDSA_SHA384);
        assertThat(verified(p521, SignatureAuth.sign(p521, OCTETS, all))).isEqualTo(SignatureAlgorithm.ECDSA_SHA512);
        // a peer that only lists SHA-512 gets it on P-256 too
        assertThat(verified(p256, SignatureAuth.sign(p256, OCTETS, List.of(HashAlgorithm.Known.SHA2_512))))
                .isEqualTo(SignatureAlgorithm.ECDSA_SHA512);
        // the method-14 ECDSA signature is a DER Ecdsa-Sig-Value that Bouncy Castle verifies
        AuthPayload auth = SignatureAuth.sign(p256, OCTETS, all);
        Signature bc = Signature.getInstance("SHA256withECDSA", "BC");
        bc.initVerify(p256.certificate().getPublicKey());
        bc.update(OCTETS);
        assertThat(bc.verify(auth.digitalSignature().orElseThrow().signature().toByteArray())).isTrue();
    }

    @Test
    void withoutThePeersHashListClassicMethodsAreUsed() throws Exception {
        AuthPayload r = SignatureAuth.sign(rsa, OCTETS, List.of());
        assertThat(r.method()).isEqualTo(AuthMethod.Known.RSA_DIGITAL_SIGNATURE);
        assertThat(verified(rsa, r)).isEqualTo(SignatureAlgorithm.RSA_SHA1);
        Signature bc = Signature.getInstance("SHA1withRSA", "BC");
        bc.initVerify(rsa.certificate().getPublicKey());
        bc.update(OCTETS);
        assertThat(bc.verify(r.data().toByteArray())).isTrue();

        record Case(Credentials c, AuthMethod m, int half, String bcName) {}
        for (Case k : List.of(new Case(p256, AuthMethod.Known.ECDSA_SHA256_P256, 32, "SHA256withECDSA"),
                new Case(p384, AuthMethod.Known.ECDSA_SHA384_P384, 48, "SHA384withECDSA"),
                new Case(p521, AuthMethod.Known.ECDSA_SHA512_P521, 66, "SHA512withECDSA"))) {
            AuthPayload e = SignatureAuth.sign(k.c(), OCTETS, List.of(HashAlgorithm.Known.SHA1));
            assertThat(e.method()).isEqualTo(k.m());
            // RFC 4754 section 7: r and s, each exactly half; BC verifies it once re-wrapped as DER
            byte[] raw = e.data().toByteArray();
            assertThat(raw).hasSize(2 * k.half());
            ASN1EncodableVector v = new ASN1EncodableVector();
            v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(raw, 0, k.half()))));
            v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(raw, k.half(), raw.length))));
            Signature bcv = Signature.getInstance(k.bcName(), "BC");
            bcv.initVerify(k.c().certificate().getPublicKey());
            bcv.update(OCTETS);
            assertThat(bcv.verify(new DERSequence(v).getEncoded())).isTrue();
            assertThat(verified(k.c(), e)).isNotNull();
        }
    }

    @Test
    void aSignatureFromAnotherKeyOrOverOtherOctetsFails() {
        AuthPayload auth = SignatureAuth.sign(otherRsa, OCTETS, List.of(HashAlgorithm.Known.SHA2_256));
        assertThat(SignatureAuth.verify(rsa.certificate().getPublicKey(), auth, OCTETS))
                .isEqualTo(Outcome.failed("the peer's AUTH signature (RSA_SHA256) does not verify with its "
                        + "certificate's key"));
        AuthPayload mine = SignatureAuth.sign(rsa, OCTETS, List.of(HashAlgorithm.Known.SHA2_256));
        byte[] other = OCTETS.clone();
        other[0] ^= 1;
        assertThat(SignatureAuth.verify(rsa.certificate().getPublicKey(), mine, other))
                .isInstanceOf(Outcome.Failed.class);
        AuthPayload ec = SignatureAuth.sign(p256, OCTETS, List.of());
        assertThat(SignatureAuth.verify(p384.certificate().getPublicKey(), ec, OCTETS))
                .isEqualTo(Outcome.failed("the peer used AUTH method ECDSA_SHA256_P256 but its certificate's key is "
                        + "on P-384"));
        assertThat(SignatureAuth.verify(rsa.certificate().getPublicKey(), ec, OCTETS))
                .isInstanceOf(Outcome.Failed.class);
    }

    @Test
    void sha1InsideDigitalSignatureAndPskMethodAreRefused() {
        byte[] sig = rsa.sign("SHA1withRSA", OCTETS);
        AuthPayload sha1 = AuthPayload.of(new AuthPayload.DigitalSignature(
                SignatureAlgorithm.RSA_SHA1.algorithmIdentifier(), Octets.of(sig)));
        assertThat(SignatureAuth.verify(rsa.certificate().getPublicKey(), sha1, OCTETS))
                .isInstanceOf(Outcome.Failed.class);
        AuthPayload psk = new AuthPayload(AuthMethod.Known.SHARED_KEY_MIC, Octets.of(new byte[32]));
        assertThat(((Outcome.Failed<?>) SignatureAuth.verify(rsa.certificate().getPublicKey(), psk, OCTETS))
                .detail()).contains("SHARED_KEY_MIC");
    }

    private static SignatureAlgorithm verified(Credentials c, AuthPayload auth) {
        Outcome<SignatureAlgorithm> o = SignatureAuth.verify(c.certificate().getPublicKey(), auth, OCTETS);
        assertThat(o).isInstanceOf(Outcome.Passed.class);
        return ((Outcome.Passed<SignatureAlgorithm>) o).value();
    }
}
