package net.palisade.dataplane.esp;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Builds {@link EspTransform}s from algorithm names and keys.
 *
 * <p>Refused combinations: an AEAD transform with a separate integrity algorithm (RFC 4106 Section 8.1 / RFC 7634
 * Section 2 define none), and a CBC transform without one (encryption without integrity, RFC 8221 Section 5).
 */
public final class EspTransforms {

    private static final SecureRandom RANDOM = new SecureRandom();

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
        return build(enc, keyMaterial, 0, integ, keyMaterial, enc.keyMaterialLength(), extendedSequenceNumbers);
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
        return build(encryption, encryptionKey, 0, integrity, integrityKey, 0, extendedSequenceNumbers);
    }

    /** Octets of key material {@link #create(String, String, byte[], boolean)} expects. */
    public static int keyMaterialLength(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        checkCombination(encryption, integrity);
        return encryption.keyMaterialLength() + integrity.keyLength();
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
            IntegrityAlgorithm integrity, byte[] integrityKey, int integrityOffset, boolean esn) {
        if (encryption.isAead()) {
            return new AeadTransform(encryption, encryptionKey, encryptionOffset, esn);
        }
        return new CbcHmacTransform(encryption, encryptionKey, encryptionOffset, integrity, integrityKey,
                integrityOffset, esn, new IvGenerator(RANDOM));
    }
}
