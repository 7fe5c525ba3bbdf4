package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 configuration attribute types (IANA "IKEv2 Configuration Payload Attribute Types"; RFC 7296 section
 * 3.15.1): 15 bits, the top bit of the field is reserved.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface ConfigAttributeType permits ConfigAttributeType.Known, ConfigAttributeType.Unknown {
    /** Largest value the field holds (15 bits). */
    int MAX_VALUE = 0x7fff;

    /** The number on the wire. */
    int value();

    /** The registry name of a known value, or {@code UNKNOWN(n)}. */
    String name();

    /**
     * The known constant for {@code value}, else an {@link Unknown} carrying it.
     *
     * @throws IllegalArgumentException if {@code value} does not fit the 15-bit field
     */
    static ConfigAttributeType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements ConfigAttributeType {
        /** INTERNAL_IP4_ADDRESS (1). */
        INTERNAL_IP4_ADDRESS(1),
        /** INTERNAL_IP4_NETMASK (2). */
        INTERNAL_IP4_NETMASK(2),
        /** INTERNAL_IP4_DNS (3). */
        INTERNAL_IP4_DNS(3),
        /** INTERNAL_IP4_NBNS (4). */
        INTERNAL_IP4_NBNS(4),
        /** INTERNAL_IP4_DHCP (6). */
        INTERNAL_IP4_DHCP(6),
        /** APPLICATION_VERSION (7). */
        APPLICATION_VERSION(7),
        /** INTERNAL_IP6_ADDRESS (8). */
        INTERNAL_IP6_ADDRESS(8),
        /** INTERNAL_IP6_DNS (10). */
        INTERNAL_IP6_DNS(10),
        /** INTERNAL_IP6_DHCP (12). */
        INTERNAL_IP6_DHCP(12),
        /** INTERNAL_IP4_SUBNET (13). */
        INTERNAL_IP4_SUBNET(13),
        /** SUPPORTED_ATTRIBUTES (14). */
        SUPPORTED_ATTRIBUTES(14),
        /** INTERNAL_IP6_SUBNET (15). */
        INTERNAL_IP6_SUBNET(15);

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
     * {@link ConfigAttributeType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements ConfigAttributeType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("ConfigAttributeType " + value + " does not fit 15 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "ConfigAttributeType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
