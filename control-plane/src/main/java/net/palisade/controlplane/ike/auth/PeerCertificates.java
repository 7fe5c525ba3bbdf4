package net.palisade.controlplane.ike.auth;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.CertEncoding;
import net.palisade.model.wire.ikev2.CertPayload;
import net.palisade.model.wire.ikev2.CertReqPayload;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IdentificationType;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The peer's side of certificate authentication: its CERT payloads must give an end-entity certificate that is
 * valid at the engine's clock and chains (PKIX, RFC 5280, with the intermediates it sent) to a trust anchor of our
 * CA file, and its ID payload must be in that certificate. Also the CERTREQ we send, naming our trust anchors.
 *
 * <p>Revocation is not checked (no CRL, no OCSP): a revoked certificate is accepted until it expires.
 */
public final class PeerCertificates {
    /**
     * At most this many X.509 certificates of a peer are looked at: its own and five intermediates, more than real
     * chains use. Anything beyond is refused before a certificate is parsed: the certificates arrive before the
     * peer is authenticated, and path building over many cross-signed certificates costs CPU combinatorially (81
     * took 1.5 s). The path building itself is capped at the same depth.
     */
    public static final int MAX_CERTIFICATES = 6;

    private PeerCertificates() {
    }

    /**
     * The peer's end-entity certificate (the first X.509 CERT payload), checked: it parses, is valid at {@code now},
     * and chains to one of {@code anchors} through the other certificates the peer sent. CERT payloads of other
     * encodings are ignored.
     */
    public static Outcome<X509Certificate> validate(List<CertPayload> certs, List<X509Certificate> anchors,
            Instant now) {
        List<CertPayload> x509 = certs.stream().filter(c -> c.encoding() == CertEncoding.Known.X509_SIGNATURE)
                .toList();
        if (x509.isEmpty()) {
            return Outcome.failed("the peer sent no X.509 certificate (CERT payload, encoding 4)");
        }
        if (x509.size() > MAX_CERTIFICATES) {
            return Outcome.failed("the peer sent " + x509.size() + " X.509 certificates; at most " + MAX_CERTIFICATES
                    + " (its own and " + (MAX_CERTIFICATES - 1) + " intermediates) are accepted");
        }
        List<X509Certificate> parsed = new ArrayList<>();
        try {
            CertificateFactory f = CertificateFactory.getInstance("X.509");
            for (CertPayload c : x509) {
                parsed.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(c.data().toByteArray())));
            }
        } catch (GeneralSecurityException e) {
            return Outcome.failed("the peer's certificate #" + (parsed.size() + 1) + " does not parse: "
                    + e.getMessage());
        }
        X509Certificate ee = parsed.getFirst();
        String who = "the peer's certificate \"" + ee.getSubjectX500Principal() + "\"";
        try {
            ee.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            return Outcome.failed(who + " expired at " + ee.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            return Outcome.failed(who + " is not valid before " + ee.getNotBefore().toInstant());
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(ee);
            Set<TrustAnchor> trust = anchors.stream().map(a -> new TrustAnchor(a, null)).collect(Collectors.toSet());
            PKIXBuilderParameters params = new PKIXBuilderParameters(trust, target);
            params.setRevocationEnabled(false);
            params.setMaxPathLength(MAX_CERTIFICATES - 1);
            params.setDate(Date.from(now));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(parsed)));
            CertPathBuilder.getInstance("PKIX").build(params);
        } catch (CertPathBuilderException e) {
            return Outcome.failed(who + " (issuer \"" + ee.getIssuerX500Principal()
                    + "\") does not chain to a CA of our ca file: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            return Outcome.failed(who + " cannot be checked: " + e.getMessage());
        }
        return new Outcome.Passed<>(ee);
    }

    /**
     * Checks that the peer's identity is in its certificate: ID_DER_ASN1_DN equal to the subject; ID_FQDN,
     * ID_RFC822_ADDR, ID_IPV4_ADDR or ID_IPV6_ADDR equal to a subjectAltName of that kind (names ignoring case).
     *
     * @return empty if it is, else which check failed
     */
    public static Optional<String> idNotInCertificate(IdPayload id, X509Certificate cert) {
        String subject = cert.getSubjectX500Principal().toString();
        IdentificationType t = id.idType();
        if (t == IdentificationType.Known.ID_DER_ASN1_DN) {
            Optional<X500Name> dn = dn(id.data());
            if (dn.isEmpty()) {
                return Optional.of("the peer's ID_DER_ASN1_DN is not a DER distinguished name");
            }
            X500Name certSubject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
            return dn.get().equals(certSubject) ? Optional.empty() : Optional.of("the peer's identity \"" + dn.get()
                    + "\" is not the subject of its certificate (\"" + subject + "\")");
        }
        int sanType;
        if (t == IdentificationType.Known.ID_FQDN) {
            sanType = 2;
        } else if (t == IdentificationType.Known.ID_RFC822_ADDR) {
            sanType = 1;
        } else if (t == IdentificationType.Known.ID_IPV4_ADDR || t == IdentificationType.Known.ID_IPV6_ADDR) {
            sanType = 7;
        } else {
            return Optional.of("the peer's identity is of type " + t.name() + "; with certificates Palisade accepts "
                    + "ID_DER_ASN1_DN, ID_FQDN, ID_RFC822_ADDR, ID_IPV4_ADDR and ID_IPV6_ADDR");
        }
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.of("the subjectAltName of the peer's certificate does not parse");
        }
        if (sans != null) {
            for (List<?> san : sans) {
                if (((Integer) san.getFirst()) == sanType && san.get(1) instanceof String value
                        && sanMatches(id, sanType, value)) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of("the peer's identity " + describe(id) + " is not a subjectAltName of its certificate (\""
                + subject + "\")");
    }

    private static boolean sanMatches(IdPayload id, int sanType, String value) {
        if (sanType == 7) {
            Optional<InetAddress> a = id.address();
            try {
                return a.isPresent() && InetAddress.getByName(value).equals(a.get());
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return id.text().map(x -> x.toLowerCase(Locale.ROOT).equals(value.toLowerCase(Locale.ROOT))).orElse(false);
    }

    /** The identity in words for messages: {@code "C=SE, CN=gw1"}, {@code vpn.example.com}, an address. */
    public static String describe(IdPayload id) {
        if (id.idType() == IdentificationType.Known.ID_DER_ASN1_DN) {
            return dn(id.data()).map(d -> "\"" + d + "\"").orElse("(invalid DN)");
        }
        return id.address().map(InetAddress::getHostAddress).or(id::text).orElse(id.idType().name());
    }

    private static Optional<X500Name> dn(Octets der) {
        try {
            return Optional.of(X500Name.getInstance(der.toByteArray()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** SHA-1 of a CA's SubjectPublicKeyInfo, as CERTREQ lists it (RFC 7296 section 3.7). */
    public static Octets caKeyHash(X509Certificate ca) {
        try {
            byte[] spki = SubjectPublicKeyInfo.getInstance(ca.getPublicKey().getEncoded()).getEncoded();
            return Octets.of(MessageDigest.getInstance("SHA-1").digest(spki));
        } catch (NoSuchAlgorithmException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Our CERTREQ: X.509 (encoding 4), the key hashes of our trust anchors. */
    public static CertReqPayload certRequest(List<X509Certificate> anchors) {
        return CertReqPayload.x509(anchors.stream().map(PeerCertificates::caKeyHash).toList());
    }
}
