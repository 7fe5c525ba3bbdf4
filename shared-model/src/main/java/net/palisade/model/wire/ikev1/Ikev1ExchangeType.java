package net.palisade.model.wire.ikev1;

import java.util.HashMap;
import java.util.Map;

/**
 * ISAKMP/IKEv1 exchange types (IANA "ISAKMP Exchange Types"; RFC 2408 section 3.1, RFC 2409).
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface Ikev1ExchangeType permits Ikev1ExchangeType.Known, Ikev1ExchangeType.Unknown {
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
    static Ikev1ExchangeType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements Ikev1ExchangeType {
        /** NONE (0). */
        NONE(0),
        /** Base (1). */
        BASE(1),
        /** Identity Protection (2): IKE Main Mode. */
        IDENTITY_PROTECTION(2),
        /** Authentication Only (3). */
        AUTHENTICATION_ONLY(3),
        /** Aggressive (4): IKE Aggressive Mode. */
        AGGRESSIVE(4),
        /** Informational (5). */
        INFORMATIONAL(5),
        /** Transaction (6): Mode Config. */
        TRANSACTION(6),
        /** Quick Mode (32, RFC 2409). */
        QUICK_MODE(32),
        /** New Group Mode (33, RFC 2409). */
        NEW_GROUP_MODE(33);

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
     * {@link Ikev1ExchangeType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements Ikev1ExchangeType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("Ikev1ExchangeType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "Ikev1ExchangeType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
