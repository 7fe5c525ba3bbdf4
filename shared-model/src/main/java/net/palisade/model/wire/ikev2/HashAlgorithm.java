package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * Hash algorithms for RFC 7427 signatures (IANA "IKEv2 Hash Algorithms"), as listed in the
 * SIGNATURE_HASH_ALGORITHMS notify.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface HashAlgorithm permits HashAlgorithm.Known, HashAlgorithm.Unknown {
    /** Largest value the field holds (16 bits). */
    int MAX_VALUE = 0xffff;

    /** The number on the wire. */
    int value();

    /** The registry name of a known value, or {@code UNKNOWN(n)}. */
    String name();

    /**
     * The known constant for {@code value}, else an {@link Unknown} carrying it.
     *
     * @throws IllegalArgumentException if {@code value} does not fit the 16-bit field
     */
    static HashAlgorithm of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements HashAlgorithm {
        /** SHA1 (1). */
        SHA1(1),
        /** SHA2-256 (2). */
        SHA2_256(2),
        /** SHA2-384 (3). */
        SHA2_384(3),
        /** SHA2-512 (4). */
        SHA2_512(4),
        /** Identity (5, RFC 8420): for EdDSA. */
        IDENTITY(5);

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
     * {@link HashAlgorithm#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements HashAlgorithm {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("HashAlgorithm " + value + " does not fit 16 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "HashAlgorithm " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
