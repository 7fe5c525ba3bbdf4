package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 identification types (IANA "IKEv2 Identification Payload ID Types"; RFC 7296 section 3.5). The config
 * model's {@link net.palisade.model.IdType} names the subset Palisade configures.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface IdentificationType permits IdentificationType.Known, IdentificationType.Unknown {
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
    static IdentificationType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements IdentificationType {
        /** ID_IPV4_ADDR (1): four octets. */
        ID_IPV4_ADDR(1),
        /** ID_FQDN (2): a fully qualified domain name, no terminator. */
        ID_FQDN(2),
        /** ID_RFC822_ADDR (3): an e-mail address. */
        ID_RFC822_ADDR(3),
        /** ID_IPV6_ADDR (5): sixteen octets. */
        ID_IPV6_ADDR(5),
        /** ID_DER_ASN1_DN (9): the DER encoding of an X.500 distinguished name. */
        ID_DER_ASN1_DN(9),
        /** ID_DER_ASN1_GN (10): the DER encoding of an X.509 GeneralName. */
        ID_DER_ASN1_GN(10),
        /** ID_KEY_ID (11): opaque octets. */
        ID_KEY_ID(11),
        /** ID_FC_NAME (12, RFC 4595). */
        ID_FC_NAME(12),
        /** ID_NULL (13, RFC 7619): no data. */
        ID_NULL(13);

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
     * {@link IdentificationType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements IdentificationType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("IdentificationType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "IdentificationType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
