package net.palisade.dataplane.esp;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Builds {@link EspTransform}s from algorithm names and keys.
 *
 * <p>Refused combinations: an AEAD transform with a separate integrity algorithm (RFC 4106 Section 8.1 / RFC 7634
 * Section 2 define none), and a CBC transform without one (encryption without integrity, RFC 8221 Section 5).
 *
 * <p>AEAD transforms run on {@link #defaultImplementation()}: OpenSSL's libcrypto through FFM when it loads (no
 * allocation per packet), else JCE with the reason logged once; {@code -Dpalisade.crypto=jce|openssl} forces one.
 * Both produce the same packets octet for octet.
 */
public final class EspTransforms {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final System.Logger LOG = System.getLogger(EspTransforms.class.getName());

    /** What {@link #defaultImplementation()} resolved to, or why it could not: computed on first use. */
    record Selection(CryptoImplementation implementation, String problem, System.Logger.Level level,
            String message) {

        /**
         * @param property the value of {@value CryptoImplementation#PROPERTY}, or null
         * @param opensslProblem why libcrypto cannot be used, or null if it can
         */
        static Selection resolve(String property, String opensslProblem) {
            if (property != null && !property.isBlank()) {
                CryptoImplementation forced = CryptoImplementation.byName(property).orElse(null);
                if (forced == null) {
                    String problem = CryptoImplementation.PROPERTY + "=" + property + " is neither jce nor openssl";
                    return new Selection(null, problem, System.Logger.Level.ERROR, problem);
                }
                if (forced == CryptoImplementation.OPENSSL && opensslProblem != null) {
                    String problem = CryptoImplementation.PROPERTY + "=openssl, but " + opensslProblem;
                    return new Selection(null, problem, System.Logger.Level.ERROR, problem);
                }
                return new Selection(forced, null, System.Logger.Level.INFO,
                        "ESP AEAD crypto: " + describe(forced) + " (forced by " + CryptoImplementation.PROPERTY + ")");
            }
            if (opensslProblem == null) {
                return new Selection(CryptoImplementation.OPENSSL, null, System.Logger.Level.INFO,
                        "ESP AEAD crypto: " + describe(CryptoImplementation.OPENSSL));
            }
            return new Selection(CryptoImplementation.JCE, null, System.Logger.Level.WARNING,
                    "ESP AEAD crypto: falling back to JCE (about 1 KB of garbage per packet): " + opensslProblem);
        }

        private static String describe(CryptoImplementation implementation) {
            return implementation == CryptoImplementation.OPENSSL
                    ? LibCrypto.version() + " libcrypto via FFM"
                    : "JCE";
        }
    }

    private static final class DefaultSelection {
        static final Selection SELECTION;

        static {
            SELECTION = Selection.resolve(System.getProperty(CryptoImplementation.PROPERTY),
                    LibCrypto.unavailableReason());
            LOG.log(SELECTION.level(), SELECTION.message());
        }
    }

    private EspTransforms() {
    }

    /**
     * Builds a transform from names such as {@code aes-128-gcm}, {@code aes-256}, {@code chacha20-poly1305},
     * {@code 3des} and {@code hmac-sha2-256} or {@code none}, and the SA's key material laid out as IKEv2 derives
     * it (RFC 7296 Section 2.17): encryption key (with its 4-octet salt for AEAD) first, then the integrity key.
     *
     * @throws IllegalArgumentException for an unknown name, a refused combination or a key of the wrong length
     */
    public static EspTransform create(String encryption, String integrity, byte[] keyMaterial,
            boolean extendedSequenceNumbers) {
        EncryptionAlgorithm enc = parseEncryption(encryption);
        IntegrityAlgorithm integ = parseIntegrity(integrity);
        int expected = keyMaterialLength(enc, integ);
        if (keyMaterial == null || keyMaterial.length != expected) {
            throw new IllegalArgumentException(enc + (integ == IntegrityAlgorithm.NONE ? "" : "/" + integ)
                    + " needs " + expected + " octets of key material, got "
                    + (keyMaterial == null ? "none" : keyMaterial.length));
        }
        return build(enc, keyMaterial, 0, integ, keyMaterial, enc.keyMaterialLength(), extendedSequenceNumbers,
                enc.isAead() ? defaultImplementation() : CryptoImplementation.JCE);
    }

    /**
     * Builds a transform from separate keys.
     *
     * @param encryptionKey the cipher key, followed by the 4-octet salt for AEAD transforms
     * @param integrityKey the HMAC key, or null/empty for AEAD transforms
     */
    public static EspTransform create(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity,
            byte[] encryptionKey, byte[] integrityKey, boolean extendedSequenceNumbers) {
        checkCombination(encryption, integrity);
        if (encryptionKey == null || encryptionKey.length != encryption.keyMaterialLength()) {
            throw new IllegalArgumentException(encryption + " needs a key of " + encryption.keyMaterialLength()
                    + " octets" + (encryption.isAead() ? " (key and 4-octet salt)" : "") + ", got "
                    + (encryptionKey == null ? "none" : encryptionKey.length));
        }
        int integrityLength = integrityKey == null ? 0 : integrityKey.length;
        if (integrityLength != integrity.keyLength()) {
            throw new IllegalArgumentException(integrity + " needs a key of " + integrity.keyLength()
                    + " octets, got " + integrityLength);
        }
        return build(encryption, encryptionKey, 0, integrity, integrityKey, 0, extendedSequenceNumbers,
                encryption.isAead() ? defaultImplementation() : CryptoImplementation.JCE);
    }

    /**
     * As {@link #create(EncryptionAlgorithm, IntegrityAlgorithm, byte[], byte[], boolean)}, with the AEAD
     * implementation chosen by the caller (benchmarks, tests). CBC transforms always use JCE.
     *
     * @throws IllegalStateException if {@code implementation} is {@link CryptoImplementation#OPENSSL} and
     *     libcrypto is not available
     */
    public static EspTransform create(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity,
            byte[] encryptionKey, byte[] integrityKey, boolean extendedSequenceNumbers,
            CryptoImplementation implementation) {
        if (implementation == null) {
            throw new IllegalArgumentException("implementation is required");
        }
        checkCombination(encryption, integrity);
        if (encryptionKey == null || encryptionKey.length != encryption.keyMaterialLength()) {
            throw new IllegalArgumentException(encryption + " needs a key of " + encryption.keyMaterialLength()
                    + " octets, got " + (encryptionKey == null ? "none" : encryptionKey.length));
        }
        int integrityLength = integrityKey == null ? 0 : integrityKey.length;
        if (integrityLength != integrity.keyLength()) {
            throw new IllegalArgumentException(integrity + " needs a key of " + integrity.keyLength()
                    + " octets, got " + integrityLength);
        }
        return build(encryption, encryptionKey, 0, integrity, integrityKey, 0, extendedSequenceNumbers,
                implementation);
    }

    /**
     * The AEAD implementation {@code create} uses: {@value CryptoImplementation#PROPERTY} if set, else OpenSSL
     * when libcrypto loads, else JCE. Resolved (and logged) once per JVM.
     *
     * @throws IllegalStateException if the property names an unknown or unavailable implementation
     */
    public static CryptoImplementation defaultImplementation() {
        Selection selection = DefaultSelection.SELECTION;
        if (selection.problem() != null) {
            throw new IllegalStateException(selection.problem());
        }
        return selection.implementation();
    }

    /** Octets of key material {@link #create(String, String, byte[], boolean)} expects. */
    public static int keyMaterialLength(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        checkCombination(encryption, integrity);
        return encryption.keyMaterialLength() + integrity.keyLength();
    }

    /**
     * The transform of a shared-model encryption algorithm. Exhaustive: an algorithm added to the model does not
     * compile here until the dataplane implements it.
     */
    public static EncryptionAlgorithm of(net.palisade.model.crypto.EncryptionAlgorithm algorithm) {
        return switch (algorithm) {
            case AES_128 -> EncryptionAlgorithm.AES_128_CBC;
            case AES_256 -> EncryptionAlgorithm.AES_256_CBC;
            case AES_128_GCM -> EncryptionAlgorithm.AES_128_GCM;
            case AES_256_GCM -> EncryptionAlgorithm.AES_256_GCM;
            case CHACHA20_POLY1305 -> EncryptionAlgorithm.CHACHA20_POLY1305;
            case TRIPLE_DES -> EncryptionAlgorithm.TRIPLE_DES_CBC;
        };
    }

    /** The transform of a shared-model integrity algorithm (ESP truncates each to half its output). */
    public static IntegrityAlgorithm of(net.palisade.model.crypto.AuthAlgorithm algorithm) {
        return switch (algorithm) {
            case HMAC_SHA1 -> IntegrityAlgorithm.HMAC_SHA1_96;
            case HMAC_SHA2_256 -> IntegrityAlgorithm.HMAC_SHA2_256_128;
            case HMAC_SHA2_384 -> IntegrityAlgorithm.HMAC_SHA2_384_192;
            case HMAC_SHA2_512 -> IntegrityAlgorithm.HMAC_SHA2_512_256;
        };
    }

    public static EncryptionAlgorithm parseEncryption(String name) {
        return EncryptionAlgorithm.byName(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown ESP encryption transform '" + name + "'; known: " + Arrays.stream(
                        EncryptionAlgorithm.values()).map(EncryptionAlgorithm::canonicalName)
                        .collect(Collectors.joining(", "))));
    }

    public static IntegrityAlgorithm parseIntegrity(String name) {
        return IntegrityAlgorithm.byName(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown ESP integrity transform '" + name + "'; known: " + Arrays.stream(
                        IntegrityAlgorithm.values()).map(IntegrityAlgorithm::canonicalName)
                        .collect(Collectors.joining(", "))));
    }

    private static void checkCombination(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        if (encryption == null || integrity == null) {
            throw new IllegalArgumentException("encryption and integrity algorithms are required");
        }
        if (encryption.isAead() && integrity != IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(
                    encryption + " is a combined-mode transform: integrity must be none, not " + integrity);
        }
        if (!encryption.isAead() && integrity == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(encryption + " needs an integrity algorithm (RFC 8221: "
                    + "encryption without integrity is not allowed)");
        }
    }

    private static EspTransform build(EncryptionAlgorithm encryption, byte[] encryptionKey, int encryptionOffset,
            IntegrityAlgorithm integrity, byte[] integrityKey, int integrityOffset, boolean esn,
            CryptoImplementation implementation) {
        if (encryption.isAead()) {
            return implementation == CryptoImplementation.OPENSSL
                    ? new OpenSslAeadTransform(encryption, encryptionKey, encryptionOffset, esn)
                    : new AeadTransform(encryption, encryptionKey, encryptionOffset, esn);
        }
        return new CbcHmacTransform(encryption, encryptionKey, encryptionOffset, integrity, integrityKey,
                integrityOffset, esn, new IvGenerator(RANDOM));
    }
}
