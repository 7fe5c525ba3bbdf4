package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 exchange types (IANA "IKEv2 Exchange Types"; RFC 7296 section 3.1). Values 0-33 are reserved and belong to
 * IKEv1/ISAKMP.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface ExchangeType permits ExchangeType.Known, ExchangeType.Unknown {
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
    static ExchangeType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements ExchangeType {
        /** IKE_SA_INIT (34): the initial, unencrypted exchange (RFC 7296 section 1.2). */
        IKE_SA_INIT(34),
        /** IKE_AUTH (35): authentication and the first Child SA (RFC 7296 section 1.2). */
        IKE_AUTH(35),
        /** CREATE_CHILD_SA (36): new or rekeyed Child SAs, IKE SA rekey (RFC 7296 section 1.3). */
        CREATE_CHILD_SA(36),
        /** INFORMATIONAL (37): notifications, deletes, liveness checks (RFC 7296 section 1.4). */
        INFORMATIONAL(37),
        /** IKE_SESSION_RESUME (38, RFC 5723). */
        IKE_SESSION_RESUME(38),
        /** IKE_INTERMEDIATE (43, RFC 9242). */
        IKE_INTERMEDIATE(43),
        /** IKE_FOLLOWUP_KE (44, RFC 9370). */
        IKE_FOLLOWUP_KE(44);

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
     * {@link ExchangeType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements ExchangeType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("ExchangeType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "ExchangeType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
