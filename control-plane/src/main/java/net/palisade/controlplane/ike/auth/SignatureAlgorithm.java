package net.palisade.controlplane.ike.auth;

import java.io.IOException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Signature algorithms for IKEv2 authentication: RSASSA-PKCS1-v1_5 and ECDSA with SHA-1 or SHA-2, each with its
 * X.509 AlgorithmIdentifier (what RFC 7427's Digital Signature method puts in front of the signature) and its JCA
 * name. RSASSA-PSS is not supported.
 */
public enum SignatureAlgorithm {
    /** sha1WithRSAEncryption: only for the classic RSA method (1). */
    RSA_SHA1(Credentials.KeyType.RSA, HashAlgorithm.Known.SHA1, "SHA1withRSA",
            PKCSObjectIdentifiers.sha1WithRSAEncryption),
    /** sha256WithRSAEncryption. */
    RSA_SHA256(Credentials.KeyType.RSA, HashAlgorithm.Known.SHA2_256, "SHA256withRSA",
            PKCSObjectIdentifiers.sha256WithRSAEncryption),
    /** sha384WithRSAEncryption. */
    RSA_SHA384(Credentials.KeyType.RSA, HashAlgorithm.Known.SHA2_384, "SHA384withRSA",
            PKCSObjectIdentifiers.sha384WithRSAEncryption),
    /** sha512WithRSAEncryption. */
    RSA_SHA512(Credentials.KeyType.RSA, HashAlgorithm.Known.SHA2_512, "SHA512withRSA",
            PKCSObjectIdentifiers.sha512WithRSAEncryption),
    /** ecdsa-with-SHA256 (the signature DER-encoded as Ecdsa-Sig-Value). */
    ECDSA_SHA256(Credentials.KeyType.EC, HashAlgorithm.Known.SHA2_256, "SHA256withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA256),
    /** ecdsa-with-SHA384. */
    ECDSA_SHA384(Credentials.KeyType.EC, HashAlgorithm.Known.SHA2_384, "SHA384withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA384),
    /** ecdsa-with-SHA512. */
    ECDSA_SHA512(Credentials.KeyType.EC, HashAlgorithm.Known.SHA2_512, "SHA512withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA512);

    private final Credentials.KeyType keyType;
    private final HashAlgorithm.Known hash;
    private final String jcaName;
    private final ASN1ObjectIdentifier oid;

    SignatureAlgorithm(Credentials.KeyType keyType, HashAlgorithm.Known hash, String jcaName,
            ASN1ObjectIdentifier oid) {
        this.keyType = keyType;
        this.hash = hash;
        this.jcaName = jcaName;
        this.oid = oid;
    }

    /** The hash, as numbered in SIGNATURE_HASH_ALGORITHMS. */
    public HashAlgorithm.Known hash() {
        return hash;
    }

    /** The JCA signature name; the ECDSA signature is DER-encoded. */
    public String jcaName() {
        return jcaName;
    }

    /** The JCA name of the same ECDSA algorithm with the raw r|s signature of RFC 4754 (methods 9, 10, 11). */
    String jcaNameRaw() {
        return jcaName + "inP1363Format";
    }

    /** True for the ECDSA algorithms. */
    public boolean ecdsa() {
        return keyType == Credentials.KeyType.EC;
    }

    Credentials.KeyType keyType() {
        return keyType;
    }

    /**
     * The DER AlgorithmIdentifier: for RSA with NULL parameters (RFC 4055), for ECDSA without parameters
     * (RFC 5758), as in RFC 7427 appendix A.
     */
    public Octets algorithmIdentifier() {
        ASN1Encodable params = keyType == Credentials.KeyType.RSA ? DERNull.INSTANCE : null;
        try {
            return Octets.of(new AlgorithmIdentifier(oid, params).getEncoded(ASN1Encoding.DER));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The algorithm a peer named in an RFC 7427 AUTH payload. RSA parameters must be NULL or absent, ECDSA ones
     * absent.
     */
    public static Optional<SignatureAlgorithm> fromAlgorithmIdentifier(Octets der) {
        AlgorithmIdentifier id;
        try {
            id = AlgorithmIdentifier.getInstance(der.toByteArray());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        ASN1Encodable params = id.getParameters();
        return Arrays.stream(values()).filter(a -> a.oid.equals(id.getAlgorithm())).filter(a -> params == null
                || (a.keyType == Credentials.KeyType.RSA && DERNull.INSTANCE.equals(params))).findFirst();
    }

    /** The size of an EC public key's named curve (256, 384, 521), if it is P-256, P-384 or P-521. */
    static OptionalInt curveBits(PublicKey key) {
        if (!(key instanceof ECPublicKey)) {
            return OptionalInt.empty();
        }
        ASN1Encodable curve;
        try {
            curve = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm().getParameters();
        } catch (RuntimeException e) {
            return OptionalInt.empty();
        }
        if (SECObjectIdentifiers.secp256r1.equals(curve)) {
            return OptionalInt.of(256);
        }
        if (SECObjectIdentifiers.secp384r1.equals(curve)) {
            return OptionalInt.of(384);
        }
        if (SECObjectIdentifiers.secp521r1.equals(curve)) {
            return OptionalInt.of(521);
        }
        return OptionalInt.empty();
    }
}
