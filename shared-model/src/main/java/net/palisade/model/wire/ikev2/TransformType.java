package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 transform types (IANA "Transform Type Values"; RFC 7296 section 3.3.2, RFC 9370 for the additional key
 * exchanges).
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface TransformType permits TransformType.Known, TransformType.Unknown {
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
    static TransformType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements TransformType {
        /** Encryption Algorithm (1): IDs as in {@link net.palisade.model.crypto.EncryptionAlgorithm#ikev2Id()}. */
        ENCR(1),
        /** Pseudorandom Function (2): IDs as in {@link net.palisade.model.crypto.AuthAlgorithm#ikev2PrfId()}. */
        PRF(2),
        /** Integrity (3): IDs as in {@link net.palisade.model.crypto.AuthAlgorithm#ikev2IntegrityId()}. */
        INTEG(3),
        /** Key Exchange Method, was D-H (4): IDs as in {@link net.palisade.model.crypto.DhGroup#ikev2Id()}. */
        KE(4),
        /** Extended Sequence Numbers (5): 0 no ESN, 1 ESN. */
        ESN(5),
        /** Additional Key Exchange 1 (6, RFC 9370). */
        ADDKE1(6),
        /** Additional Key Exchange 2 (7, RFC 9370). */
        ADDKE2(7),
        /** Additional Key Exchange 3 (8, RFC 9370). */
        ADDKE3(8),
        /** Additional Key Exchange 4 (9, RFC 9370). */
        ADDKE4(9),
        /** Additional Key Exchange 5 (10, RFC 9370). */
        ADDKE5(10),
        /** Additional Key Exchange 6 (11, RFC 9370). */
        ADDKE6(11),
        /** Additional Key Exchange 7 (12, RFC 9370). */
        ADDKE7(12);

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
     * {@link TransformType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements TransformType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("TransformType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "TransformType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
