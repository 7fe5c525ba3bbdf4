package net.palisade.dataplane.esp;

import java.util.Locale;
import java.util.Optional;

/**
 * Which code does the AEAD work (AES-GCM, ChaCha20-Poly1305) of an {@link EspTransform}. CBC + HMAC transforms
 * always use JCE (they allocate nothing per packet there already).
 *
 * <p>{@link EspTransforms#create(String, String, byte[], boolean)} picks {@link #IPSECMB} when Intel's IPsec-MB
 * library loads and passes its checks (unless {@code -Dpalisade.ipsecmb=false}), else {@link #OPENSSL} when
 * libcrypto loads, and falls back to {@link #JCE} otherwise, logging why; the system property {@value #PROPERTY}
 * ({@code jce}, {@code openssl} or {@code ipsecmb}) forces one. See {@link EspTransforms#defaultImplementation()}.
 */
public enum CryptoImplementation {
    /** The JDK's provider (SunJCE): about 1 KB of garbage per AES-GCM packet, 2 KB per ChaCha20-Poly1305 one. */
    JCE("jce"),
    /** OpenSSL 3 libcrypto ({@code libcrypto.so.3}) through the FFM API: no allocation per packet. */
    OPENSSL("openssl"),
    /**
     * AES-GCM on Intel's IPsec Multi-Buffer library ({@code libIPSec_MB.so.1}, {@link IpsecMbAeadTransform}) through
     * the FFM API, no allocation per packet; ChaCha20-Poly1305, which it does not do here, on {@link #OPENSSL} (or
     * {@link #JCE} without libcrypto).
     */
    IPSECMB("ipsecmb");

    /** System property that forces an implementation: {@code jce}, {@code openssl} or {@code ipsecmb}. */
    public static final String PROPERTY = "palisade.crypto";

    private final String propertyValue;

    CryptoImplementation(String propertyValue) {
        this.propertyValue = propertyValue;
    }

    /** The value of {@value #PROPERTY} that selects this implementation. */
    public String propertyValue() {
        return propertyValue;
    }

    /**
     * Whether this implementation can be used in this JVM (OpenSSL: libcrypto.so.3 loaded and linked; IPsec-MB:
     * libIPSec_MB.so.1 loaded, its dispatch accepted and its self-check passed).
     */
    public boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    /** Why {@link #isAvailable()} is false, or empty. */
    public Optional<String> unavailableReason() {
        return switch (this) {
            case JCE -> Optional.empty();
            case OPENSSL -> Optional.ofNullable(LibCrypto.unavailableReason());
            case IPSECMB -> Optional.ofNullable(IpsecMb.unavailableReason());
        };
    }

    /** {@code jce}, {@code openssl} or {@code ipsecmb}, case-insensitive. */
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
