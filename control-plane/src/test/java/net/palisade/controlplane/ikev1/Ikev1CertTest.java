package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.auth.TestPki;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Identity;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Main mode with RSA signatures (RFC 2409 section 5.1) between two engines, and the ways it must fail. */
class Ikev1CertTest {
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

    static IkeTunnel tunnel(IkeExchange x, String name, TestPki.Issued issuer, String dn, KeyPair keys,
            Optional<Identity> dstId) throws Exception {
        TestPki.Issued ee = TestPki.endEntity(issuer, dn, keys, List.of("dns:" + name + ".example.com"));
        Path cert = TestPki.write(dir, name + ".pem", TestPki.pem(ee.cert()));
        Path key = TestPki.write(dir, name + ".key", TestPki.pkcs8(ee.keys()));
        Path caFile = TestPki.write(dir, "ca.pem", TestPki.pem(ca.cert()));
        IkeTunnel t = Ikev1Loop.tunnel(x, "unused", List.of(DhGroup.MODP2048));
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), Optional.empty(), dstId,
                new IkeAuth.Certificates(cert.toString(), key.toString(), caFile.toString()), t.dpd(), t.ping());
    }

    private static IkeTunnel passive(IkeTunnel t) {
        return Ikev1Loop.mirror(t);
    }

    @Test
    void mainModeWithRsaCertificates() throws Exception {
        IkeTunnel a = tunnel(IkeExchange.IKEV1_MAIN, "a", ca, DN_A, TestPki.rsa(2048), Optional.of(Identity.parse(
                DN_B)));
        IkeTunnel b = passive(tunnel(IkeExchange.IKEV1_MAIN, "b", ca, DN_B, TestPki.rsa(2048), Optional.empty()));
        Ikev1Loop loop = new Ikev1Loop(a, b).start();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        Ikev1SessionTest.assertChildPair(loop);
    }

    @Test
    void aCertificateOfAnotherCaFailsAuthenticationAndInstallsNothing() throws Exception {
        IkeTunnel a = tunnel(IkeExchange.IKEV1_MAIN, "a-rogue", rogueCa, DN_A, TestPki.rsa(2048), Optional.empty());
        IkeTunnel b = passive(tunnel(IkeExchange.IKEV1_MAIN, "b-good", ca, DN_B, TestPki.rsa(2048),
                Optional.empty()));
        Ikev1Loop loop = new Ikev1Loop(a, b).start();
        IkeOutput.NegotiationFailed f = loop.events(false, IkeOutput.NegotiationFailed.class).getFirst();
        assertThat(f.reason()).isEqualTo(FailureReason.AUTHENTICATION_FAILED);
        assertThat(f.detail()).contains("does not chain");
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void theWrongPeerIdentityIsRefused() throws Exception {
        IkeTunnel a = tunnel(IkeExchange.IKEV1_MAIN, "a-id", ca, DN_A, TestPki.rsa(2048), Optional.of(
                Identity.parse("C=SE, O=Palisade Test, CN=someone-else")));
        IkeTunnel b = passive(tunnel(IkeExchange.IKEV1_MAIN, "b-id", ca, DN_B, TestPki.rsa(2048),
                Optional.empty()));
        Ikev1Loop loop = new Ikev1Loop(a, b).start();
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.AUTHENTICATION_FAILED);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void ourSigIsPkcs1WithoutDigestInfoAsOpensslRecoversIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"));
        KeyPair keys = TestPki.rsa(2048);
        TestPki.Issued ee = TestPki.endEntity(ca, DN_A, keys, List.of());
        var creds = net.palisade.controlplane.ike.auth.Credentials.of(List.of(ee.cert()), keys.getPrivate(),
                List.of(ca.cert()));
        byte[] hash = new byte[32];
        new java.util.Random(3).nextBytes(hash);
        byte[] sig = Ikev1Signatures.sign(creds, hash).data().toByteArray();
        Path sigFile = java.nio.file.Files.write(dir.resolve("sig.bin"), sig);
        Path pub = TestPki.write(dir, "pub.pem", "-----BEGIN PUBLIC KEY-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(keys.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        Path out = dir.resolve("recovered.bin");
        Process p = new ProcessBuilder("openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey", pub.toString(),
                "-pkeyopt", "rsa_padding_mode:pkcs1", "-in", sigFile.toString(), "-out", out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(log).isZero();
        // the padded block holds the hash itself, with no ASN.1 DigestInfo in front
        assertThat(java.nio.file.Files.readAllBytes(out)).isEqualTo(hash);
    }

    @Test
    void aggressiveModeAndEcdsaCertificatesAreRefusedSayingSo() throws Exception {
        IkeTunnel agg = tunnel(IkeExchange.IKEV1_AGGRESSIVE, "a-agg", ca, DN_A, TestPki.rsa(2048), Optional.empty());
        Ikev1Loop loop = new Ikev1Loop(agg, passive(agg)).start();
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class).getFirst().detail())
                .contains("aggressive mode with certificates");
        IkeTunnel ec = tunnel(IkeExchange.IKEV1_MAIN, "a-ec", ca, DN_A, TestPki.ec("secp256r1"), Optional.empty());
        Ikev1Loop ecLoop = new Ikev1Loop(ec, passive(ec)).start();
        assertThat(ecLoop.events(true, IkeOutput.NegotiationFailed.class).getFirst().detail()).contains("ECDSA");
        assertThat(ecLoop.delivered).isEmpty();
    }
}
