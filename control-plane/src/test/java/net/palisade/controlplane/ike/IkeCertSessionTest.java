package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.auth.TestPki;
import net.palisade.model.Identity;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.CertReqPayload;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.DecodeResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two engines authenticating with certificates in memory: RSA, ECDSA, mixed; and every way it must fail. */
class IkeCertSessionTest {
    static final String DN_A = "C=SE, O=Palisade Test, CN=gw-a";
    static final String DN_B = "C=SE, O=Palisade Test, CN=gw-b";
    static TestPki.Issued ca;
    static TestPki.Issued rogueCa;

    @TempDir
    static Path dir;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca("C=SE, O=Palisade Test, CN=Test CA", TestPki.rsa(2048));
        rogueCa = TestPki.ca("C=SE, O=Palisade Test, CN=Test CA", TestPki.rsa(2048));
    }

    /** Writes the files of an end entity and returns a tunnel (A's view) authenticating with them. */
    static IkeTunnel tunnel(String name, TestPki.Issued issuer, String dn, KeyPair keys, Optional<Identity> srcId,
            Optional<Identity> dstId) throws Exception {
        TestPki.Issued ee = TestPki.endEntity(issuer, dn, keys, List.of("dns:" + name + ".example.com"));
        return withAuth(IkeLoop.gcm("unused", DhGroup.ECP256), files(name, ee), srcId, dstId);
    }

    static IkeAuth.Certificates files(String name, TestPki.Issued ee) throws Exception {
        Path cert = TestPki.write(dir, name + ".pem", TestPki.pem(ee.cert()));
        Path key = TestPki.write(dir, name + ".key", TestPki.pkcs8(ee.keys()));
        Path caFile = TestPki.write(dir, "ca.pem", TestPki.pem(ca.cert()));
        return new IkeAuth.Certificates(cert.toString(), key.toString(), caFile.toString());
    }

    static IkeTunnel withAuth(IkeTunnel t, IkeAuth auth, Optional<Identity> srcId, Optional<Identity> dstId) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), srcId, dstId, auth, t.dpd(), t.ping());
    }

    /** B's view of the same tunnel, with B's authentication and identities. */
    static IkeTunnel mirrorWith(IkeTunnel a, IkeTunnel bAuth) {
        IkeTunnel m = IkeLoop.mirror(a);
        return withAuth(m, bAuth.authentication(), bAuth.srcId(), bAuth.dstId());
    }

    static IkeLoop run(IkeTunnel a, IkeTunnel b) {
        return new IkeLoop(a, mirrorWith(a, b)).start();
    }

    static void assertUp(IkeLoop loop) {
        assertThat(loop.a.state()).as("A: %s", loop.aOutputs).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).as("B: %s", loop.bOutputs).isEqualTo(IkeState.ESTABLISHED);
        IkeSessionTest.assertChildPair(loop);
    }

    static IkeMessage clear(IkeLoop loop, int index) {
        return ((DecodeResult.Ok<IkeMessage>) Ikev2Codec.standard().decode(loop.delivered.get(index).datagram()))
                .value();
    }

    @Test
    void rsaOnBothSides() throws Exception {
        IkeTunnel a = tunnel("a-rsa", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeTunnel b = tunnel("b-rsa", ca, DN_B, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeLoop loop = run(a, b);
        assertUp(loop);
        // IKE_SA_INIT: both announce RFC 7427 hashes; the responder asks for certificates of our CA
        IkeMessage init = clear(loop, 0);
        IkeMessage initResponse = clear(loop, 1);
        for (IkeMessage m : List.of(init, initResponse)) {
            assertThat(m.notify(NotifyType.Known.SIGNATURE_HASH_ALGORITHMS).flatMap(NotifyPayload::hashAlgorithms))
                    .contains(List.of(HashAlgorithm.Known.SHA2_256, HashAlgorithm.Known.SHA2_384,
                            HashAlgorithm.Known.SHA2_512));
        }
        assertThat(initResponse.first(CertReqPayload.class)).isPresent();
        assertThat(init.first(CertReqPayload.class)).isEmpty();
    }

    /**
     * A hub with a PSK tunnel and a certificate tunnel that both accept the same site's address: IKE_SA_INIT is
     * answered with the first one's settings, and the authentication the site's IKE_AUTH carries decides. A tunnel
     * whose credentials do not verify the peer is passed over for the next that does.
     */
    @Test
    void aPskTunnelAndACertificateTunnelForOnePeerEachAuthenticateTheirOwn() throws Exception {
        IkeTunnel siteCert = tunnel("site-cert", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeTunnel hubCert = named("by-cert", mirrorWith(siteCert, tunnel("hub-cert", ca, DN_B, TestPki.rsa(2048),
                Optional.empty(), Optional.empty())));
        IkeTunnel sitePsk = IkeLoop.gcm("shared", DhGroup.ECP256);
        IkeTunnel hubPsk = named("by-psk", IkeLoop.mirror(sitePsk));
        // the PSK tunnel answers IKE_SA_INIT (no CERTREQ), the site signs anyway, the certificate tunnel verifies
        IkeLoop byCert = new IkeLoop(siteCert, List.of(hubPsk, hubCert), 3).start();
        assertUp(byCert);
        assertThat(byCert.b.tunnel().label()).isEqualTo("by-cert");
        // the certificate tunnel answers; the site's PSK MAC fails its check, and the PSK tunnel's verifies
        IkeLoop byPsk = new IkeLoop(sitePsk, List.of(hubCert, hubPsk), 3).start();
        assertUp(byPsk);
        assertThat(byPsk.b.tunnel().label()).isEqualTo("by-psk");
        assertThat(byPsk.b.counters().snapshot()).containsKey("ikev2.engine.tunnel_choice_other");
    }

    private static IkeTunnel named(String label, IkeTunnel t) {
        return new IkeTunnel(label, t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), t.srcId(), t.dstId(), t.authentication(), t.dpd(), t.ping());
    }

    @Test
    void ecdsaOnBothSidesWithDnIdentitiesConfigured() throws Exception {
        IkeTunnel a = tunnel("a-ec", ca, DN_A, TestPki.ec("secp256r1"), Optional.of(Identity.parse(DN_A)),
                Optional.of(Identity.parse(DN_B)));
        IkeTunnel b = tunnel("b-ec", ca, DN_B, TestPki.ec("secp384r1"), Optional.of(Identity.parse(DN_B)),
                Optional.of(Identity.parse(DN_A)));
        assertUp(run(a, b));
    }

    @Test
    void rsaAgainstEcdsaAndFqdnIdentityFromTheSubjectAltName() throws Exception {
        IkeTunnel a = tunnel("a-mix", ca, DN_A, TestPki.rsa(2048), Optional.of(Identity.parse("a-mix.example.com")),
                Optional.of(Identity.parse(DN_B)));
        IkeTunnel b = tunnel("b-mix", ca, DN_B, TestPki.ec("secp256r1"), Optional.empty(),
                Optional.of(Identity.parse("a-mix.example.com")));
        assertUp(run(a, b));
        assertUp(run(b, a));
    }

    @Test
    void aCertificateOfAnotherCaFailsOnBothEnds() throws Exception {
        // the initiator's certificate is rogue: the responder refuses it, the initiator hears AUTHENTICATION_FAILED
        IkeTunnel good = tunnel("a-good", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeTunnel rogue = tunnel("b-rogue", rogueCa, DN_B, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeLoop loop = run(rogue, good);
        assertThat(failure(loop, false)).startsWith("the peer's certificate \"CN=gw-b, O=Palisade Test, C=SE\"")
                .contains("does not chain to a CA of our ca file");
        assertThat(failure(loop, true)).isEqualTo("the peer refused our authentication");
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.b.state()).isEqualTo(IkeState.CLOSED);

        // the responder's certificate is rogue: the initiator refuses it and tells the responder
        IkeLoop back = run(good, rogue);
        assertThat(failure(back, true)).contains("does not chain to a CA of our ca file");
        assertThat(back.events(false, IkeOutput.Phase1Down.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains(FailureReason.AUTHENTICATION_FAILED));
        assertThat(back.b.state()).isEqualTo(IkeState.CLOSED);
    }

    @Test
    void anExpiredCertificateFails() throws Exception {
        TestPki.Issued old = TestPki.endEntity(ca, DN_B, TestPki.rsa(2048), List.of(),
                java.time.Instant.parse("2025-01-01T00:00:00Z"), java.time.Instant.parse("2026-01-01T00:00:00Z"));
        IkeTunnel expired = withAuth(IkeLoop.gcm("unused", DhGroup.ECP256), files("b-old", old), Optional.empty(),
                Optional.empty());
        IkeTunnel a = tunnel("a-exp", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeLoop loop = run(a, expired);
        assertThat(failure(loop, true)).isEqualTo(
                "the peer's certificate \"CN=gw-b, O=Palisade Test, C=SE\" expired at 2026-01-01T00:00:00Z");
    }

    @Test
    void anIdentityNotInTheCertificateOrNotTheConfiguredDstidFails() throws Exception {
        // A claims an FQDN its certificate does not carry
        IkeTunnel liar = tunnel("a-liar", ca, DN_A, TestPki.rsa(2048), Optional.of(Identity.parse("b.example.com")),
                Optional.empty());
        IkeTunnel b = tunnel("b-id", ca, DN_B, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        assertThat(failure(run(liar, b), false)).isEqualTo("the peer's identity b.example.com is not a "
                + "subjectAltName of its certificate (\"CN=gw-a, O=Palisade Test, C=SE\")");
        // B wants another DN than A's (a genuine certificate of our CA, but not the gateway configured)
        IkeTunnel a = tunnel("a-id", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeTunnel picky = tunnel("b-picky", ca, DN_B, TestPki.rsa(2048), Optional.empty(),
                Optional.of(Identity.parse("C=SE, O=Palisade Test, CN=gw-c")));
        assertThat(failure(run(a, picky), false)).isEqualTo("the peer's identity \"C=SE,O=Palisade Test,CN=gw-a\" "
                + "is not the configured dstid C=SE, O=Palisade Test, CN=gw-c");
    }

    @Test
    void unusableCredentialsFailTheNegotiationNamingTheFileWithoutSendingAnything() throws Exception {
        IkeTunnel a = tunnel("a-bad", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeAuth.Certificates f = (IkeAuth.Certificates) a.authentication();
        Path notAKey = TestPki.write(dir, "not-a.key", TestPki.pem(ca.cert()));
        IkeTunnel broken = withAuth(a, new IkeAuth.Certificates(f.cert(), notAKey.toString(), f.ca()),
                Optional.empty(), Optional.empty());
        IkeTunnel b = tunnel("b-ok", ca, DN_B, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeLoop loop = run(broken, b);
        assertThat(failure(loop, true)).isEqualTo("cannot use our certificate: " + notAKey
                + ": not a private key (found a certificate)");
        assertThat(loop.delivered).isEmpty();

        // as responder: the IKE_SA_INIT request is not answered, and the session closes
        IkeLoop resp = run(b, broken);
        assertThat(failure(resp, false)).startsWith("cannot use our certificate: " + notAKey);
        assertThat(resp.delivered).hasSize(1);
        assertThat(resp.b.state()).isEqualTo(IkeState.CLOSED);
    }

    @Test
    void certificatesAgainstAPskPeerFail() throws Exception {
        IkeTunnel a = tunnel("a-vs-psk", ca, DN_A, TestPki.rsa(2048), Optional.empty(), Optional.empty());
        IkeTunnel psk = IkeLoop.gcm("a psk", DhGroup.ECP256);
        IkeLoop loop = run(a, psk);
        // no dstid: the identity is not what fails, the certificate's signature is no PSK MAC
        assertThat(failure(loop, false)).startsWith("the peer's AUTH payload does not verify");
        IkeLoop back = run(psk, withAuth(a, a.authentication(), Optional.empty(), Optional.of(Identity.parse(
                "192.0.2.1"))));
        assertThat(failure(back, false)).startsWith("the peer sent no X.509 certificate");
    }

    /** The detail of the NegotiationFailed(AUTHENTICATION_FAILED) of A (or B). */
    static String failure(IkeLoop loop, boolean ofA) {
        List<IkeOutput.NegotiationFailed> f = loop.events(ofA, IkeOutput.NegotiationFailed.class);
        assertThat(f).as("%s", ofA ? loop.aOutputs : loop.bOutputs).hasSize(1);
        assertThat(f.getFirst().reason()).isEqualTo(FailureReason.AUTHENTICATION_FAILED);
        return f.getFirst().detail();
    }
}
