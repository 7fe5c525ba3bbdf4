package net.palisade.dataplane.esp;

import java.util.Locale;
import java.util.Optional;

/**
 * Which code does the AEAD work (AES-GCM, ChaCha20-Poly1305) of an {@link EspTransform}. CBC + HMAC transforms
 * always use JCE (they allocate nothing per packet there already).
 *
 * <p>{@link EspTransforms#create(String, String, byte[], boolean)} picks {@link #OPENSSL} when libcrypto loads
 * and falls back to {@link #JCE} otherwise, logging why; the system property {@value #PROPERTY}
 * ({@code jce} or {@code openssl}) forces one. See {@link EspTransforms#defaultImplementation()}.
 */
public enum CryptoImplementation {
    /** The JDK's provider (SunJCE): about 1 KB of garbage per AES-GCM packet, 2 KB per ChaCha20-Poly1305 one. */
    JCE("jce"),
    /** OpenSSL 3 libcrypto ({@code libcrypto.so.3}) through the FFM API: no allocation per packet. */
    OPENSSL("openssl");

    /** System property that forces an implementation: {@code jce} or {@code openssl}. */
    public static final String PROPERTY = "palisade.crypto";

    private final String propertyValue;

    CryptoImplementation(String propertyValue) {
        this.propertyValue = propertyValue;
    }

    /** The value of {@value #PROPERTY} that selects this implementation. */
    public String propertyValue() {
        return propertyValue;
    }

    /** Whether this implementation can be used in this JVM (OpenSSL: libcrypto.so.3 loaded and linked). */
    public boolean isAvailable() {
        return this == JCE || LibCrypto.available();
    }

    /** Why {@link #isAvailable()} is false, or empty. */
    public Optional<String> unavailableReason() {
        return this == JCE ? Optional.empty() : Optional.ofNullable(LibCrypto.unavailableReason());
    }

    /** {@code jce} or {@code openssl}, case-insensitive. */
    public static Optional<CryptoImplementation> byName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        for (CryptoImplementation i : values()) {
            if (i.propertyValue.equals(wanted)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return propertyValue;
    }
}
