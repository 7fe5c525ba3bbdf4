package net.palisade.controlplane.ike.auth;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.AuthMethod;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import net.palisade.model.wire.ikev2.NotifyPayload;

/**
 * AUTH payloads signed with a certificate's key (RFC 7296 section 2.15): we sign with RFC 7427's Digital Signature
 * method (14), choosing the hash from the peer's SIGNATURE_HASH_ALGORITHMS; we verify method 14 (RSASSA-PKCS1-v1_5
 * and ECDSA with SHA-256/384/512) and the classic methods a peer may still send: RSA Digital Signature (1, SHA-1,
 * PKCS#1 v1.5) and RFC 4754's ECDSA methods 9, 10 and 11 (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, signature
 * r|s, each half the curve's size).
 *
 * <p>A peer that sent no SIGNATURE_HASH_ALGORITHMS does not understand method 14 (RFC 7427 section 4): it gets
 * method 1 (RSA keys) or 9/10/11 (ECDSA keys, by curve).
 */
public final class SignatureAuth {
    /** The hashes we accept in method 14 and announce in SIGNATURE_HASH_ALGORITHMS, in our order of preference. */
    public static final List<HashAlgorithm> SUPPORTED_HASHES = List.of(HashAlgorithm.Known.SHA2_256,
            HashAlgorithm.Known.SHA2_384, HashAlgorithm.Known.SHA2_512);

    private SignatureAuth() {
    }

    /** Our SIGNATURE_HASH_ALGORITHMS notify, sent in IKE_SA_INIT when certificates are configured. */
    public static NotifyPayload hashNotify() {
        return NotifyPayload.signatureHashAlgorithms(SUPPORTED_HASHES);
    }

    /**
     * Our AUTH payload over {@code signedOctets}.
     *
     * @param peerHashes the hashes of the peer's SIGNATURE_HASH_ALGORITHMS; empty if it sent none
     */
    public static AuthPayload sign(Credentials ours, byte[] signedOctets, List<HashAlgorithm> peerHashes) {
        Optional<SignatureAlgorithm> alg = choose(ours, peerHashes);
        if (alg.isPresent()) {
            byte[] sig = ours.sign(alg.get().jcaName(), signedOctets);
            return AuthPayload.of(new AuthPayload.DigitalSignature(alg.get().algorithmIdentifier(), Octets.of(sig)));
        }
        if (ours.keyType() == Credentials.KeyType.RSA) {
            return new AuthPayload(AuthMethod.Known.RSA_DIGITAL_SIGNATURE,
                    Octets.of(ours.sign(SignatureAlgorithm.RSA_SHA1.jcaName(), signedOctets)));
        }
        int bits = SignatureAlgorithm.curveBits(ours.certificate().getPublicKey()).orElseThrow();
        SignatureAlgorithm ecdsa = ecdsaForCurve(bits);
        return new AuthPayload(classicEcdsaMethod(bits), Octets.of(ours.sign(ecdsa.jcaNameRaw(), signedOctets)));
    }

    /**
     * The method-14 algorithm for our key, given the peer's hashes: for RSA the first of SHA-256, SHA-384, SHA-512
     * the peer lists; for ECDSA the hash of the curve's size if listed, else the first of those three. Empty if
     * the peer listed none of them (then a classic method is used).
     */
    static Optional<SignatureAlgorithm> choose(Credentials ours, List<HashAlgorithm> peerHashes) {
        List<SignatureAlgorithm> candidates = java.util.Arrays.stream(SignatureAlgorithm.values())
                .filter(a -> a.keyType() == ours.keyType() && SUPPORTED_HASHES.contains(a.hash())
                        && peerHashes.contains(a.hash())).toList();
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        if (ours.keyType() == Credentials.KeyType.EC) {
            SignatureAlgorithm natural = ecdsaForCurve(SignatureAlgorithm.curveBits(
                    ours.certificate().getPublicKey()).orElseThrow());
            if (candidates.contains(natural)) {
                return Optional.of(natural);
            }
        }
        return Optional.of(candidates.getFirst());
    }

    /**
     * Checks the peer's AUTH payload over {@code signedOctets} with the public key of its certificate.
     *
     * @return the algorithm that verified, or which check failed
     */
    public static Outcome<SignatureAlgorithm> verify(PublicKey peerKey, AuthPayload auth, byte[] signedOctets) {
        Optional<Credentials.KeyType> keyType = Credentials.KeyType.of(peerKey);
        if (keyType.isEmpty()) {
            return Outcome.failed("the peer's certificate has a " + peerKey.getAlgorithm()
                    + " key; RSA and ECDSA are supported");
        }
        AuthMethod method = auth.method();
        if (method == AuthMethod.Known.DIGITAL_SIGNATURE) {
            Optional<AuthPayload.DigitalSignature> ds = auth.digitalSignature();
            if (ds.isEmpty()) {
                return Outcome.failed("the peer's Digital Signature AUTH payload is malformed");
            }
            Optional<SignatureAlgorithm> alg = SignatureAlgorithm.fromAlgorithmIdentifier(
                    ds.get().algorithmIdentifier());
            if (alg.isEmpty() || !SUPPORTED_HASHES.contains(alg.get().hash())) {
                return Outcome.failed("the peer signed with an unsupported algorithm (AlgorithmIdentifier "
                        + ds.get().algorithmIdentifier().hex() + "); RSASSA-PKCS1-v1_5 and ECDSA with SHA-256, "
                        + "SHA-384 or SHA-512 are supported");
            }
            if (alg.get().keyType() != keyType.get()) {
                return Outcome.failed("the peer signed with " + alg.get() + " but its certificate has a "
                        + peerKey.getAlgorithm() + " key");
            }
            return check(peerKey, alg.get(), alg.get().jcaName(), ds.get().signature(), signedOctets);
        }
        if (method == AuthMethod.Known.RSA_DIGITAL_SIGNATURE) {
            if (keyType.get() != Credentials.KeyType.RSA) {
                return Outcome.failed("the peer used RSA Digital Signature (1) but its certificate has a "
                        + peerKey.getAlgorithm() + " key");
            }
            return check(peerKey, SignatureAlgorithm.RSA_SHA1, SignatureAlgorithm.RSA_SHA1.jcaName(), auth.data(),
                    signedOctets);
        }
        OptionalInt methodBits = classicEcdsaBits(method);
        if (methodBits.isPresent()) {
            OptionalInt keyBits = SignatureAlgorithm.curveBits(peerKey);
            if (keyBits.isEmpty() || keyBits.getAsInt() != methodBits.getAsInt()) {
                return Outcome.failed("the peer used AUTH method " + method.name() + " but its certificate's key is "
                        + (keyBits.isPresent() ? "on P-" + keyBits.getAsInt() : "not on that curve"));
            }
            int half = (methodBits.getAsInt() + 7) / 8;
            if (auth.data().length() != 2 * half) {
                return Outcome.failed("the peer's " + method.name() + " signature has " + auth.data().length()
                        + " octets, not " + 2 * half);
            }
            SignatureAlgorithm alg = ecdsaForCurve(methodBits.getAsInt());
            return check(peerKey, alg, alg.jcaNameRaw(), auth.data(), signedOctets);
        }
        return Outcome.failed("the peer used AUTH method " + method.name() + "; with certificates Palisade accepts "
                + "Digital Signature (14), RSA Digital Signature (1) and ECDSA (9, 10, 11)");
    }

    private static Outcome<SignatureAlgorithm> check(PublicKey key, SignatureAlgorithm alg, String jcaName,
            Octets signature, byte[] signedOctets) {
        try {
            Signature v = Signature.getInstance(jcaName);
            v.initVerify(key);
            v.update(signedOctets);
            if (v.verify(signature.toByteArray())) {
                return new Outcome.Passed<>(alg);
            }
            return Outcome.failed("the peer's AUTH signature (" + alg + ") does not verify with its certificate's key");
        } catch (GeneralSecurityException e) {
            return Outcome.failed("the peer's AUTH signature (" + alg + ") is malformed: " + e.getMessage());
        }
    }

    private static SignatureAlgorithm ecdsaForCurve(int bits) {
        return switch (bits) {
            case 256 -> SignatureAlgorithm.ECDSA_SHA256;
            case 384 -> SignatureAlgorithm.ECDSA_SHA384;
            default -> SignatureAlgorithm.ECDSA_SHA512;
        };
    }

    private static AuthMethod classicEcdsaMethod(int bits) {
        return switch (bits) {
            case 256 -> AuthMethod.Known.ECDSA_SHA256_P256;
            case 384 -> AuthMethod.Known.ECDSA_SHA384_P384;
            default -> AuthMethod.Known.ECDSA_SHA512_P521;
        };
    }

    private static OptionalInt classicEcdsaBits(AuthMethod m) {
        if (m == AuthMethod.Known.ECDSA_SHA256_P256) {
            return OptionalInt.of(256);
        }
        if (m == AuthMethod.Known.ECDSA_SHA384_P384) {
            return OptionalInt.of(384);
        }
        if (m == AuthMethod.Known.ECDSA_SHA512_P521) {
            return OptionalInt.of(521);
        }
        return OptionalInt.empty();
    }
}
