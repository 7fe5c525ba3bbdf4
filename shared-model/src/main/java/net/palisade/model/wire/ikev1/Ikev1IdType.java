package net.palisade.model.wire.ikev1;

import java.util.HashMap;
import java.util.Map;

/**
 * IPsec DOI identification types (RFC 2407 section 4.6.2.1).
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface Ikev1IdType permits Ikev1IdType.Known, Ikev1IdType.Unknown {
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
    static Ikev1IdType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements Ikev1IdType {
        /** ID_IPV4_ADDR (1): four octets. */
        ID_IPV4_ADDR(1),
        /** ID_FQDN (2). */
        ID_FQDN(2),
        /** ID_USER_FQDN (3). */
        ID_USER_FQDN(3),
        /** ID_IPV4_ADDR_SUBNET (4): address and mask, eight octets. */
        ID_IPV4_ADDR_SUBNET(4),
        /** ID_IPV6_ADDR (5): sixteen octets. */
        ID_IPV6_ADDR(5),
        /** ID_IPV6_ADDR_SUBNET (6): address and mask, 32 octets. */
        ID_IPV6_ADDR_SUBNET(6),
        /** ID_IPV4_ADDR_RANGE (7): first and last address, eight octets. */
        ID_IPV4_ADDR_RANGE(7),
        /** ID_IPV6_ADDR_RANGE (8): 32 octets. */
        ID_IPV6_ADDR_RANGE(8),
        /** ID_DER_ASN1_DN (9). */
        ID_DER_ASN1_DN(9),
        /** ID_DER_ASN1_GN (10). */
        ID_DER_ASN1_GN(10),
        /** ID_KEY_ID (11). */
        ID_KEY_ID(11);

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
     * {@link Ikev1IdType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements Ikev1IdType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("Ikev1IdType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "Ikev1IdType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
