package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 authentication methods (IANA "IKEv2 Authentication Method"; RFC 7296 section 3.8, RFC 4754, RFC 7427).
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface AuthMethod permits AuthMethod.Known, AuthMethod.Unknown {
    /** Largest value the field holds (8 bits). */
    int MAX_VALUE = 0xff;

    /** The number on the wire. */
    int value();

    /** The registry name of a known value, or {@code UNKNOWN(n)}. */
    String name();

    /**
     * The known constant for {@code value}, else an {@link Unknown} carrying it.
     *
     * @throws IllegalArgumentException if {@code value} does not fit the 8-bit field
     */
    static AuthMethod of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements AuthMethod {
        /** RSA Digital Signature (1): PKCS#1 v1.5 with SHA-1. */
        RSA_DIGITAL_SIGNATURE(1),
        /** Shared Key Message Integrity Code (2): pre-shared key. */
        SHARED_KEY_MIC(2),
        /** DSS Digital Signature (3). */
        DSS_DIGITAL_SIGNATURE(3),
        /** ECDSA with SHA-256 on P-256 (9, RFC 4754). */
        ECDSA_SHA256_P256(9),
        /** ECDSA with SHA-384 on P-384 (10, RFC 4754). */
        ECDSA_SHA384_P384(10),
        /** ECDSA with SHA-512 on P-521 (11, RFC 4754). */
        ECDSA_SHA512_P521(11),
        /** Generic Secure Password Authentication Method (12, RFC 6467). */
        GENERIC_SECURE_PASSWORD(12),
        /** NULL Authentication (13, RFC 7619). */
        NULL_AUTHENTICATION(13),
        /** Digital Signature (14, RFC 7427): see {@link AuthPayload#digitalSignature()}. */
        DIGITAL_SIGNATURE(14);

        private static final Map<Integer, Known> BY_VALUE = new HashMap<>();

        static {
            for (Known k : values()) {
                BY_VALUE.put(k.value, k);
            }
        }

        private final int value;

        Known(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /**
     * A number without a name here. Never holds a known number:
     * {@link AuthMethod#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements AuthMethod {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("AuthMethod " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "AuthMethod " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
            }
        }

        @Override
        public String name() {
            return "UNKNOWN(" + value + ")";
        }

        /** {@code UNKNOWN(n)}. */
        @Override
        public String toString() {
            return name();
        }
    }
}
