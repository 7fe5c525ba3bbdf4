package net.palisade.model.wire.ikev1;

import java.util.HashMap;
import java.util.Map;

/**
 * ISAKMP/IKEv1 payload types (IANA "ISAKMP Next Payload Types"; RFC 2408 section 3.1, RFC 3947 for NAT-D and NAT-
 * OA).
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface Ikev1PayloadType permits Ikev1PayloadType.Known, Ikev1PayloadType.Unknown {
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
    static Ikev1PayloadType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements Ikev1PayloadType {
        /** None (0): ends a chain. */
        NONE(0),
        /** Security Association (1). */
        SA(1),
        /** Proposal (2): only inside an SA. */
        PROPOSAL(2),
        /** Transform (3): only inside a proposal. */
        TRANSFORM(3),
        /** Key Exchange (4). */
        KE(4),
        /** Identification (5). */
        ID(5),
        /** Certificate (6). */
        CERT(6),
        /** Certificate Request (7). */
        CR(7),
        /** Hash (8). */
        HASH(8),
        /** Signature (9). */
        SIG(9),
        /** Nonce (10). */
        NONCE(10),
        /** Notification (11). */
        N(11),
        /** Delete (12). */
        D(12),
        /** Vendor ID (13). */
        VID(13),
        /** Attributes (14): Mode Config. */
        ATTR(14),
        /** NAT Discovery (20, RFC 3947). */
        NAT_D(20),
        /** NAT Original Address (21, RFC 3947). */
        NAT_OA(21),
        /** NAT-D of the pre-RFC drafts (130). */
        NAT_D_DRAFT(130),
        /** NAT-OA of the drafts (131). */
        NAT_OA_DRAFT(131),
        /** Cisco/strongSwan IKEv1 fragment (132). */
        FRAGMENT(132);

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
     * {@link Ikev1PayloadType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements Ikev1PayloadType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("Ikev1PayloadType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "Ikev1PayloadType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
