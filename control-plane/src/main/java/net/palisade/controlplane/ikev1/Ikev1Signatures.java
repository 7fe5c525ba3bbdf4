package net.palisade.controlplane.ikev1;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.auth.Credentials;
import net.palisade.controlplane.ike.auth.Outcome;
import net.palisade.controlplane.ike.auth.PeerCertificates;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev2.CertEncoding;
import net.palisade.model.wire.ikev2.CertPayload;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IdentificationType;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * Phase-1 authentication with RSA signatures (RFC 2409 section 5.1): SIG_I/SIG_R are the HASH_I/HASH_R signed with
 * PKCS#1 v1.5 padding and no DigestInfo (what strongSwan and isakmpd sign; JCA's {@code NONEwithRSA}); the peer's
 * certificate is checked by the IKEv2 engine's {@link PeerCertificates} (chain to our {@code ca}, validity, its ID in
 * the certificate). ECDSA (RFC 4754) is not built yet.
 */
final class Ikev1Signatures {
    /** CERT encoding: X.509 certificate - signature (RFC 2408 section 3.9). */
    static final int X509_SIGNATURE = 4;
    private static final String RSA_RAW = "NONEwithRSA";

    private Ikev1Signatures() {
    }

    /** Why our credentials cannot be used for IKEv1, if they cannot. */
    static Optional<String> unsupported(Credentials creds) {
        return creds.certificate().getPublicKey() instanceof RSAPublicKey ? Optional.empty()
                : Optional.of("IKEv1 with an ECDSA certificate is not supported yet; use an RSA certificate or IKEv2");
    }

    /** CR payloads naming each of our CAs by its DER distinguished name. */
    static List<Ikev1Payload> certRequests(Credentials creds) {
        return creds.trustAnchors().stream().limit(4).map(ca -> (Ikev1Payload) new Ikev1Payload.CertRequest(
                X509_SIGNATURE, Octets.of(ca.getSubjectX500Principal().getEncoded()))).toList();
    }

    /** Our certificate, then the intermediates of our chain. */
    static List<Ikev1Payload> certificates(Credentials creds) {
        List<Ikev1Payload> out = new ArrayList<>();
        try {
            for (X509Certificate c : creds.chain()) {
                out.add(new Ikev1Payload.Cert(X509_SIGNATURE, Octets.of(c.getEncoded())));
            }
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("our certificate does not encode", e);
        }
        return out;
    }

    /** SIG over {@code hash} with our key. */
    static Ikev1Payload.Signature sign(Credentials creds, byte[] hash) {
        return new Ikev1Payload.Signature(Octets.of(creds.sign(RSA_RAW, hash)));
    }

    /**
     * Why the peer's proof in {@code payloads} (CERT, ID, SIG over {@code expectedHash}) is refused; empty if it
     * holds.
     */
    static Optional<String> verify(Credentials creds, List<Ikev1Payload> payloads, boolean ofInitiator,
            byte[] expectedHash, Instant now) {
        Optional<Ikev1Payload.Signature> sig = payloads.stream().filter(Ikev1Payload.Signature.class::isInstance)
                .map(Ikev1Payload.Signature.class::cast).findFirst();
        Optional<Ikev1Payload.Id> id = payloads.stream().filter(Ikev1Payload.Id.class::isInstance)
                .map(Ikev1Payload.Id.class::cast).findFirst();
        if (sig.isEmpty() || id.isEmpty()) {
            return Optional.of("the peer's phase-1 message has no SIG or ID payload");
        }
        List<CertPayload> certs = payloads.stream().filter(Ikev1Payload.Cert.class::isInstance)
                .map(Ikev1Payload.Cert.class::cast)
                .map(c -> new CertPayload(CertEncoding.of(c.encoding()), c.data())).toList();
        Outcome<X509Certificate> checked = PeerCertificates.validate(certs, creds.trustAnchors(), now);
        if (checked instanceof Outcome.Failed<X509Certificate> f) {
            return Optional.of(f.detail());
        }
        X509Certificate cert = ((Outcome.Passed<X509Certificate>) checked).value();
        Optional<String> idRefused = PeerCertificates.idNotInCertificate(new IdPayload(ofInitiator,
                IdentificationType.of(id.get().idType().value()), id.get().data()), cert);
        if (idRefused.isPresent()) {
            return idRefused;
        }
        try {
            Signature v = Signature.getInstance(RSA_RAW);
            v.initVerify(cert.getPublicKey());
            v.update(expectedHash);
            if (v.verify(sig.get().data().toByteArray())) {
                return Optional.empty();
            }
        } catch (GeneralSecurityException e) {
            return Optional.of("the peer's SIG cannot be checked with its certificate's key: " + e.getMessage());
        }
        return Optional.of("the peer's SIG does not verify with the key of \"" + cert.getSubjectX500Principal()
                + "\"");
    }

    /** True if both IDs are distinguished names naming the same DN (encodings may differ). */
    static boolean sameDn(Ikev1Payload.Id a, Ikev1Payload.Id b) {
        if (a.idType() != Ikev1IdType.Known.ID_DER_ASN1_DN || b.idType() != Ikev1IdType.Known.ID_DER_ASN1_DN) {
            return false;
        }
        try {
            return X500Name.getInstance(a.data().toByteArray()).equals(X500Name.getInstance(b.data().toByteArray()));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
