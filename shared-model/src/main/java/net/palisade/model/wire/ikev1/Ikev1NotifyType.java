package net.palisade.model.wire.ikev1;

import java.util.HashMap;
import java.util.Map;

/**
 * ISAKMP/IKEv1 notify message types (RFC 2408 section 3.14.1, RFC 2407 section 4.6.3, RFC 3706): errors 1-16383,
 * status 16384 and up.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface Ikev1NotifyType permits Ikev1NotifyType.Known, Ikev1NotifyType.Unknown {
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
    static Ikev1NotifyType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** True for error types (below 16384). */
    default boolean isError() {
        return value() < 16384;
    }

    /** The values this codec names. */
    enum Known implements Ikev1NotifyType {
        /** INVALID_PAYLOAD_TYPE (1), RFC 2408 section 3.14.1. */
        INVALID_PAYLOAD_TYPE(1),
        /** DOI_NOT_SUPPORTED (2), RFC 2408 section 3.14.1. */
        DOI_NOT_SUPPORTED(2),
        /** SITUATION_NOT_SUPPORTED (3), RFC 2408 section 3.14.1. */
        SITUATION_NOT_SUPPORTED(3),
        /** INVALID_COOKIE (4), RFC 2408 section 3.14.1. */
        INVALID_COOKIE(4),
        /** INVALID_MAJOR_VERSION (5), RFC 2408 section 3.14.1. */
        INVALID_MAJOR_VERSION(5),
        /** INVALID_MINOR_VERSION (6), RFC 2408 section 3.14.1. */
        INVALID_MINOR_VERSION(6),
        /** INVALID_EXCHANGE_TYPE (7), RFC 2408 section 3.14.1. */
        INVALID_EXCHANGE_TYPE(7),
        /** INVALID_FLAGS (8), RFC 2408 section 3.14.1. */
        INVALID_FLAGS(8),
        /** INVALID_MESSAGE_ID (9), RFC 2408 section 3.14.1. */
        INVALID_MESSAGE_ID(9),
        /** INVALID_PROTOCOL_ID (10), RFC 2408 section 3.14.1. */
        INVALID_PROTOCOL_ID(10),
        /** INVALID_SPI (11), RFC 2408 section 3.14.1. */
        INVALID_SPI(11),
        /** INVALID_TRANSFORM_ID (12), RFC 2408 section 3.14.1. */
        INVALID_TRANSFORM_ID(12),
        /** ATTRIBUTES_NOT_SUPPORTED (13), RFC 2408 section 3.14.1. */
        ATTRIBUTES_NOT_SUPPORTED(13),
        /** NO_PROPOSAL_CHOSEN (14), RFC 2408 section 3.14.1. */
        NO_PROPOSAL_CHOSEN(14),
        /** BAD_PROPOSAL_SYNTAX (15), RFC 2408 section 3.14.1. */
        BAD_PROPOSAL_SYNTAX(15),
        /** PAYLOAD_MALFORMED (16), RFC 2408 section 3.14.1. */
        PAYLOAD_MALFORMED(16),
        /** INVALID_KEY_INFORMATION (17), RFC 2408 section 3.14.1. */
        INVALID_KEY_INFORMATION(17),
        /** INVALID_ID_INFORMATION (18), RFC 2408 section 3.14.1. */
        INVALID_ID_INFORMATION(18),
        /** INVALID_CERT_ENCODING (19), RFC 2408 section 3.14.1. */
        INVALID_CERT_ENCODING(19),
        /** INVALID_CERTIFICATE (20), RFC 2408 section 3.14.1. */
        INVALID_CERTIFICATE(20),
        /** CERT_TYPE_UNSUPPORTED (21), RFC 2408 section 3.14.1. */
        CERT_TYPE_UNSUPPORTED(21),
        /** INVALID_CERT_AUTHORITY (22), RFC 2408 section 3.14.1. */
        INVALID_CERT_AUTHORITY(22),
        /** INVALID_HASH_INFORMATION (23), RFC 2408 section 3.14.1. */
        INVALID_HASH_INFORMATION(23),
        /** AUTHENTICATION_FAILED (24), RFC 2408 section 3.14.1. */
        AUTHENTICATION_FAILED(24),
        /** INVALID_SIGNATURE (25), RFC 2408 section 3.14.1. */
        INVALID_SIGNATURE(25),
        /** ADDRESS_NOTIFICATION (26), RFC 2408 section 3.14.1. */
        ADDRESS_NOTIFICATION(26),
        /** NOTIFY_SA_LIFETIME (27), RFC 2408 section 3.14.1. */
        NOTIFY_SA_LIFETIME(27),
        /** CERTIFICATE_UNAVAILABLE (28), RFC 2408 section 3.14.1. */
        CERTIFICATE_UNAVAILABLE(28),
        /** UNSUPPORTED_EXCHANGE_TYPE (29), RFC 2408 section 3.14.1. */
        UNSUPPORTED_EXCHANGE_TYPE(29),
        /** UNEQUAL_PAYLOAD_LENGTHS (30), RFC 2408 section 3.14.1. */
        UNEQUAL_PAYLOAD_LENGTHS(30),
        /** CONNECTED (16384). */
        CONNECTED(16384),
        /** RESPONDER-LIFETIME (24576, RFC 2407). */
        RESPONDER_LIFETIME(24576),
        /** REPLAY-STATUS (24577, RFC 2407). */
        REPLAY_STATUS(24577),
        /** INITIAL-CONTACT (24578, RFC 2407). */
        INITIAL_CONTACT(24578),
        /** R-U-THERE (36136, RFC 3706 dead peer detection). */
        R_U_THERE(36136),
        /** R-U-THERE-ACK (36137, RFC 3706). */
        R_U_THERE_ACK(36137);

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
     * {@link Ikev1NotifyType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements Ikev1NotifyType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("Ikev1NotifyType " + value + " does not fit 16 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "Ikev1NotifyType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
