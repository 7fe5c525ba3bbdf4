package net.palisade.controlplane.ike.auth;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.CertPayload;
import net.palisade.model.wire.ikev2.CertReqPayload;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import net.palisade.model.wire.ikev2.IdPayload;

/**
 * Certificate authentication as IKE_AUTH uses it, for one side's {@link Credentials}: the payloads we send (CERT
 * for our chain, CERTREQ for our trust anchors, AUTH signed with our key) and the checks of the peer's, in order:
 * certificate (path and dates), identity in the certificate, signature.
 *
 * @param credentials our certificate chain, key and trust anchors
 */
public record CertificateAuth(Credentials credentials) {

    /** Checks the credentials are present. */
    public CertificateAuth {
        Objects.requireNonNull(credentials, "credentials");
    }

    /** One CERT payload (X.509, encoding 4) per certificate of our chain, end entity first. */
    public List<CertPayload> certificates() {
        List<CertPayload> out = new ArrayList<>();
        for (X509Certificate c : credentials.chain()) {
            try {
                out.add(CertPayload.x509(Octets.of(c.getEncoded())));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("cannot encode " + c.getSubjectX500Principal(), e);
            }
        }
        return out;
    }

    /** CERTREQ naming our trust anchors. */
    public CertReqPayload certRequest() {
        return PeerCertificates.certRequest(credentials.trustAnchors());
    }

    /** Our AUTH payload over {@code signedOctets}; see {@link SignatureAuth#sign}. */
    public AuthPayload sign(byte[] signedOctets, List<HashAlgorithm> peerHashes) {
        return SignatureAuth.sign(credentials, signedOctets, peerHashes);
    }

    /**
     * Checks the peer: its certificate against our trust anchors at {@code now}, its identity against the
     * certificate, its AUTH payload over {@code signedOctets} against the certificate's key.
     *
     * @return the peer's certificate, or which check failed
     */
    public Outcome<X509Certificate> verifyPeer(List<CertPayload> certs, IdPayload peerId, Optional<AuthPayload> auth,
            byte[] signedOctets, Instant now) {
        if (auth.isEmpty()) {
            return Outcome.failed("the peer sent no AUTH payload");
        }
        Outcome<X509Certificate> cert = PeerCertificates.validate(certs, credentials.trustAnchors(), now);
        if (!(cert instanceof Outcome.Passed<X509Certificate> ok)) {
            return cert;
        }
        Optional<String> idProblem = PeerCertificates.idNotInCertificate(peerId, ok.value());
        if (idProblem.isPresent()) {
            return Outcome.failed(idProblem.get());
        }
        if (SignatureAuth.verify(ok.value().getPublicKey(), auth.get(), signedOctets)
                instanceof Outcome.Failed<SignatureAlgorithm> f) {
            return Outcome.failed(f.detail());
        }
        return cert;
    }
}
