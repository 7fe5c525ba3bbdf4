package net.palisade.dataplane.esp;

import java.security.SecureRandom;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * Builds {@link EspTransform}s from the shared model's algorithms ({@code net.palisade.model.crypto}, the table
 * the config language and IKE use) and keys.
 *
 * <p>Refused combinations: an AEAD transform with a separate integrity algorithm (RFC 4106 Section 8.1 / RFC 7634
 * Section 2 define none), and a CBC transform without one (encryption without integrity, RFC 8221 Section 5).
 *
 * <p>AEAD transforms run on {@link #defaultImplementation()}: AES-GCM on Intel's IPsec-MB library and
 * ChaCha20-Poly1305 on OpenSSL's libcrypto, both through FFM, when the IPsec-MB library loads and passes its checks
 * ({@link IpsecMb}; {@code -Dpalisade.ipsecmb=false} turns it off); else both on libcrypto when it loads (no
 * allocation per packet); else JCE, with the reason logged once. {@code -Dpalisade.crypto=jce|openssl|ipsecmb}
 * forces one. All produce the same packets octet for octet.
 */
public final class EspTransforms {

    /** The integrity keyword of {@link #create(String, String, byte[], boolean)} for AEAD algorithms. */
    public static final String NONE = "none";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final System.Logger LOG = System.getLogger(EspTransforms.class.getName());

    /** What {@link #defaultImplementation()} resolved to, or why it could not: computed on first use. */
    record Selection(CryptoImplementation implementation, String problem, System.Logger.Level level,
            String message) {

        /**
         * @param property the value of {@value CryptoImplementation#PROPERTY}, or null
         * @param ipsecmbProperty the value of {@value IpsecMb#PROPERTY} ({@code true}, {@code false}), or null
         * @param opensslProblem why libcrypto cannot be used, or null if it can
         * @param ipsecmbProblem why the IPsec-MB library cannot be used, or null if it can: asked only when
         *     needed, so {@code -Dpalisade.ipsecmb=false} never loads the library
         */
        static Selection resolve(String property, String ipsecmbProperty, String opensslProblem,
                Supplier<String> ipsecmbProblem) {
            String ipsecmb = ipsecmbProperty == null ? "" : ipsecmbProperty.trim().toLowerCase(Locale.ROOT);
            if (!ipsecmb.isEmpty() && !ipsecmb.equals("true") && !ipsecmb.equals("false")) {
                String problem = IpsecMb.PROPERTY + "=" + ipsecmbProperty + " is neither true nor false";
                return new Selection(null, problem, System.Logger.Level.ERROR, problem);
            }
            if (property != null && !property.isBlank()) {
                CryptoImplementation forced = CryptoImplementation.byName(property).orElse(null);
                if (forced == null) {
                    String problem = CryptoImplementation.PROPERTY + "=" + property
                            + " is neither jce, openssl nor ipsecmb";
                    return new Selection(null, problem, System.Logger.Level.ERROR, problem);
                }
                String forcedProblem = forced == CryptoImplementation.OPENSSL ? opensslProblem
                        : forced == CryptoImplementation.IPSECMB ? ipsecmbProblem.get() : null;
                if (forcedProblem != null) {
                    String problem = CryptoImplementation.PROPERTY + "=" + forced + ", but " + forcedProblem;
                    return new Selection(null, problem, System.Logger.Level.ERROR, problem);
                }
                return new Selection(forced, null, System.Logger.Level.INFO,
                        "ESP AEAD crypto: " + describe(forced, opensslProblem) + " (forced by "
                                + CryptoImplementation.PROPERTY + ")");
            }
            String whyNotIpsecMb = ipsecmb.equals("false") ? "off by -D" + IpsecMb.PROPERTY + "=false"
                    : ipsecmbProblem.get();
            if (whyNotIpsecMb == null) {
                return new Selection(CryptoImplementation.IPSECMB, null, System.Logger.Level.INFO,
                        "ESP AEAD crypto: " + describe(CryptoImplementation.IPSECMB, opensslProblem));
            }
            if (opensslProblem == null) {
                return new Selection(CryptoImplementation.OPENSSL, null, System.Logger.Level.INFO,
                        "ESP AEAD crypto: " + describe(CryptoImplementation.OPENSSL, null)
                                + " (Intel IPsec-MB not used: " + whyNotIpsecMb + ")");
            }
            return new Selection(CryptoImplementation.JCE, null, System.Logger.Level.WARNING,
                    "ESP AEAD crypto: falling back to JCE (about 1 KB of garbage per packet): " + opensslProblem
                            + "; Intel IPsec-MB not used: " + whyNotIpsecMb);
        }

        private static String describe(CryptoImplementation implementation, String opensslProblem) {
            String openssl = opensslProblem == null ? LibCrypto.version() + " libcrypto via FFM" : "JCE";
            return switch (implementation) {
                case JCE -> "JCE";
                case OPENSSL -> openssl;
                case IPSECMB -> "AES-GCM on " + IpsecMb.describe() + " via FFM; ChaCha20-Poly1305 on " + openssl;
            };
        }
    }

    private static final class DefaultSelection {
        static final Selection SELECTION;

        static {
            SELECTION = Selection.resolve(System.getProperty(CryptoImplementation.PROPERTY),
                    System.getProperty(IpsecMb.PROPERTY), LibCrypto.unavailableReason(),
                    IpsecMb::unavailableReason);
            LOG.log(SELECTION.level(), SELECTION.message());
        }
    }

    private EspTransforms() {
    }

    /**
     * Builds a transform from config keywords ({@code aes-128-gcm}, {@code aes-256}, {@code chacha20-poly1305},
     * {@code 3des}; {@code hmac-sha2-256} or {@code none}) and the SA's key material laid out as IKEv2 derives it
     * (RFC 7296 Section 2.17): encryption key (with its 4-octet salt for AEAD) first, then the integrity key.
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones), a refused combination or key
     *     material of the wrong length
     */
    public static EspTransform create(String encryption, String integrity, byte[] keyMaterial,
            boolean extendedSequenceNumbers) {
        EncryptionAlgorithm enc = EncryptionAlgorithm.lookup(encryption).orElseThrow(() -> new IllegalArgumentException(
                "unknown ESP encryption algorithm '" + encryption + "'; known: "
                        + String.join(", ", EncryptionAlgorithm.keywords())));
        Optional<AuthAlgorithm> integ = NONE.equals(integrity) ? Optional.empty()
                : Optional.of(AuthAlgorithm.lookup(integrity).orElseThrow(() -> new IllegalArgumentException(
                        "unknown ESP integrity algorithm '" + integrity + "'; known: " + NONE + ", "
                                + String.join(", ", AuthAlgorithm.keywords()))));
        int expected = keyMaterialLength(enc, integ);
        if (keyMaterial == null || keyMaterial.length != expected) {
            throw new IllegalArgumentException(enc + integ.map(i -> "/" + i).orElse("")
                    + " needs " + expected + " octets of key material, got "
                    + (keyMaterial == null ? "none" : keyMaterial.length));
        }
        return build(enc, keyMaterial, 0, integ, keyMaterial, enc.keyMaterialBytes(), extendedSequenceNumbers,
                enc.aead() ? defaultImplementation() : CryptoImplementation.JCE);
    }

    /**
     * Builds a transform from separate keys.
     *
     * @param integrity empty for AEAD algorithms, required for the others
     * @param encryptionKey the cipher key, followed by the 4-octet salt for AEAD algorithms
     * @param integrityKey the HMAC key, or null/empty for AEAD algorithms
     */
    public static EspTransform create(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity,
            byte[] encryptionKey, byte[] integrityKey, boolean extendedSequenceNumbers) {
        checkKeys(encryption, integrity, encryptionKey, integrityKey);
        return build(encryption, encryptionKey, 0, integrity, integrityKey, 0, extendedSequenceNumbers,
                encryption.aead() ? defaultImplementation() : CryptoImplementation.JCE);
    }

    /**
     * As {@link #create(EncryptionAlgorithm, Optional, byte[], byte[], boolean)}, with the AEAD implementation
     * chosen by the caller (benchmarks, tests). CBC transforms always use JCE.
     *
     * @throws IllegalStateException if {@code implementation} is {@link CryptoImplementation#OPENSSL} and
     *     libcrypto is not available, or {@link CryptoImplementation#IPSECMB}, the algorithm AES-GCM and the
     *     IPsec-MB library not available
     */
    public static EspTransform create(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity,
            byte[] encryptionKey, byte[] integrityKey, boolean extendedSequenceNumbers,
            CryptoImplementation implementation) {
        if (implementation == null) {
            throw new IllegalArgumentException("implementation is required");
        }
        checkKeys(encryption, integrity, encryptionKey, integrityKey);
        return build(encryption, encryptionKey, 0, integrity, integrityKey, 0, extendedSequenceNumbers,
                implementation);
    }

    /**
     * The AEAD implementation {@code create} uses: {@value CryptoImplementation#PROPERTY} if set, else IPsec-MB
     * (AES-GCM; ChaCha20-Poly1305 on OpenSSL) when its library is usable and {@value IpsecMb#PROPERTY} is not
     * {@code false}, else OpenSSL when libcrypto loads, else JCE. Resolved (and logged, one line) once per JVM.
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
    public static int keyMaterialLength(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity) {
        checkCombination(encryption, integrity);
        return encryption.keyMaterialBytes() + integrity.map(AuthAlgorithm::keyBytes).orElse(0);
    }

    private static void checkKeys(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity,
            byte[] encryptionKey, byte[] integrityKey) {
        checkCombination(encryption, integrity);
        if (encryptionKey == null || encryptionKey.length != encryption.keyMaterialBytes()) {
            throw new IllegalArgumentException(encryption + " needs a key of " + encryption.keyMaterialBytes()
                    + " octets" + (encryption.aead() ? " (key and 4-octet salt)" : "") + ", got "
                    + (encryptionKey == null ? "none" : encryptionKey.length));
        }
        int integrityLength = integrityKey == null ? 0 : integrityKey.length;
        if (integrity.isEmpty() && integrityLength != 0) {
            throw new IllegalArgumentException(encryption + " takes no integrity key, got " + integrityLength
                    + " octets");
        }
        if (integrity.isPresent() && integrityLength != integrity.get().keyBytes()) {
            throw new IllegalArgumentException(integrity.get() + " needs a key of " + integrity.get().keyBytes()
                    + " octets, got " + integrityLength);
        }
    }

    private static void checkCombination(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity) {
        if (encryption == null || integrity == null) {
            throw new IllegalArgumentException("encryption and integrity algorithms are required");
        }
        if (encryption.aead() && integrity.isPresent()) {
            throw new IllegalArgumentException(
                    encryption + " is a combined-mode algorithm: integrity must be none, not " + integrity.get());
        }
        if (!encryption.aead() && integrity.isEmpty()) {
            throw new IllegalArgumentException(encryption + " needs an integrity algorithm (RFC 8221: "
                    + "encryption without integrity is not allowed)");
        }
    }

    private static EspTransform build(EncryptionAlgorithm encryption, byte[] encryptionKey, int encryptionOffset,
            Optional<AuthAlgorithm> integrity, byte[] integrityKey, int integrityOffset, boolean esn,
            CryptoImplementation implementation) {
        if (encryption.aead()) {
            // IPsec-MB does AES-GCM only: ChaCha20-Poly1305 goes to libcrypto, or JCE without it
            boolean gcm = encryption == EncryptionAlgorithm.AES_128_GCM
                    || encryption == EncryptionAlgorithm.AES_256_GCM;
            CryptoImplementation use = implementation != CryptoImplementation.IPSECMB || gcm ? implementation
                    : LibCrypto.available() ? CryptoImplementation.OPENSSL : CryptoImplementation.JCE;
            return switch (use) {
                case JCE -> new AeadTransform(encryption, encryptionKey, encryptionOffset, esn);
                case OPENSSL -> new OpenSslAeadTransform(encryption, encryptionKey, encryptionOffset, esn);
                case IPSECMB -> new IpsecMbAeadTransform(encryption, encryptionKey, encryptionOffset, esn);
            };
        }
        return new CbcHmacTransform(encryption, encryptionKey, encryptionOffset, integrity, integrityKey,
                integrityOffset, esn, new IvGenerator(RANDOM));
    }
}
