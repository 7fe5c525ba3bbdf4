package net.palisade.dataplane.esp;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * ESP integrity transforms: HMAC truncated to the ICV length (RFC 2404, RFC 4868), or none for AEAD transforms.
 */
public enum IntegrityAlgorithm {
    NONE("none", null, 0, 0, 0, List.of("", "null", "aead")),
    HMAC_SHA1_96("hmac-sha1-96", "SHA-1", 20, 12, 64, List.of("hmac-sha1", "sha1", "sha1-96", "hmac_sha1_96")),
    HMAC_SHA2_256_128("hmac-sha2-256-128", "SHA-256", 32, 16, 64,
            List.of("hmac-sha2-256", "hmac-sha256", "sha256", "sha2-256", "sha2_256", "sha256-128")),
    HMAC_SHA2_384_192("hmac-sha2-384-192", "SHA-384", 48, 24, 128,
            List.of("hmac-sha2-384", "hmac-sha384", "sha384", "sha2-384", "sha2_384", "sha384-192")),
    HMAC_SHA2_512_256("hmac-sha2-512-256", "SHA-512", 64, 32, 128,
            List.of("hmac-sha2-512", "hmac-sha512", "sha512", "sha2-512", "sha2_512", "sha512-256"));

    private final String canonicalName;
    private final String digestName;
    private final int keyLength;
    private final int icvLength;
    private final int blockLength;
    private final List<String> aliases;

    IntegrityAlgorithm(String canonicalName, String digestName, int keyLength, int icvLength, int blockLength,
            List<String> aliases) {
        this.canonicalName = canonicalName;
        this.digestName = digestName;
        this.keyLength = keyLength;
        this.icvLength = icvLength;
        this.blockLength = blockLength;
        this.aliases = aliases;
    }

    public String canonicalName() {
        return canonicalName;
    }

    /** JCA {@code MessageDigest} name, or null for {@link #NONE}. */
    public String digestName() {
        return digestName;
    }

    /** Key length fixed by RFC 2404 / RFC 4868 Section 2.1 (the hash output length). */
    public int keyLength() {
        return keyLength;
    }

    /** Truncated ICV length: 96 bits for SHA-1, half the hash output for SHA-2 (RFC 4868 Section 2.3). */
    public int icvLength() {
        return icvLength;
    }

    /** Hash block length (the HMAC {@code B} of RFC 2104). */
    public int blockLength() {
        return blockLength;
    }

    public static Optional<IntegrityAlgorithm> byName(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (IntegrityAlgorithm a : values()) {
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
