package net.palisade.dataplane.esp;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * ESP encryption transforms this dataplane implements, with the lengths the key material must have.
 *
 * <p>For the AEAD transforms the key material is the cipher key followed by a 4-octet salt (RFC 4106 Section 8.1,
 * RFC 7634 Section 2), so {@link #keyMaterialLength()} is {@link #keyLength()} + 4.
 */
public enum EncryptionAlgorithm {
    AES_128_GCM("aes-128-gcm", 16, true, List.of("aes128gcm16", "aes128gcm", "aes-gcm-128", "aes-128-gcm-16")),
    AES_192_GCM("aes-192-gcm", 24, true, List.of("aes192gcm16", "aes192gcm", "aes-gcm-192", "aes-192-gcm-16")),
    AES_256_GCM("aes-256-gcm", 32, true, List.of("aes256gcm16", "aes256gcm", "aes-gcm-256", "aes-256-gcm-16")),
    CHACHA20_POLY1305("chacha20-poly1305", 32, true, List.of("chacha20poly1305", "chacha20")),
    AES_128_CBC("aes-128-cbc", 16, false, List.of("aes-128", "aes128", "aes")),
    AES_192_CBC("aes-192-cbc", 24, false, List.of("aes-192", "aes192")),
    AES_256_CBC("aes-256-cbc", 32, false, List.of("aes-256", "aes256")),
    /** Legacy interop only (RFC 8221 Section 5: SHOULD NOT). */
    TRIPLE_DES_CBC("3des-cbc", 24, false, List.of("3des", "des3", "des-ede3-cbc", "3des_cbc"));

    private final String canonicalName;
    private final int keyLength;
    private final boolean aead;
    private final List<String> aliases;

    EncryptionAlgorithm(String canonicalName, int keyLength, boolean aead, List<String> aliases) {
        this.canonicalName = canonicalName;
        this.keyLength = keyLength;
        this.aead = aead;
        this.aliases = aliases;
    }

    /** The name used in configuration and logs, e.g. {@code aes-128-gcm}. */
    public String canonicalName() {
        return canonicalName;
    }

    /** Length of the cipher key proper, without salt. */
    public int keyLength() {
        return keyLength;
    }

    /** Length of the key material an SA needs for this transform (key, plus salt for AEAD). */
    public int keyMaterialLength() {
        return aead ? keyLength + EspConstants.AEAD_SALT_LENGTH : keyLength;
    }

    /** True for combined-mode transforms, which take no separate integrity algorithm. */
    public boolean isAead() {
        return aead;
    }

    /** Finds a transform by its canonical name or a common alias (case-insensitive). */
    public static Optional<EncryptionAlgorithm> byName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (EncryptionAlgorithm a : values()) {
            if (a.canonicalName.equals(wanted) || a.aliases.contains(wanted)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return canonicalName;
    }
}
