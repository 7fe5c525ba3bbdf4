package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 payload types (IANA "IKEv2 Payload Types"; RFC 7296 section 3.2): the Next Payload field of the header and
 * of every generic payload header.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface PayloadType permits PayloadType.Known, PayloadType.Unknown {
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
    static PayloadType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements PayloadType {
        /** No Next Payload (0): ends a payload chain. */
        NO_NEXT_PAYLOAD(0),
        /** Security Association (33), RFC 7296 section 3.3. */
        SA(33),
        /** Key Exchange (34), section 3.4. */
        KE(34),
        /** Identification - Initiator (35), section 3.5. */
        IDI(35),
        /** Identification - Responder (36), section 3.5. */
        IDR(36),
        /** Certificate (37), section 3.6. */
        CERT(37),
        /** Certificate Request (38), section 3.7. */
        CERTREQ(38),
        /** Authentication (39), section 3.8. */
        AUTH(39),
        /** Nonce (40), Ni and Nr, section 3.9. */
        NONCE(40),
        /** Notify (41), section 3.10. */
        NOTIFY(41),
        /** Delete (42), section 3.11. */
        DELETE(42),
        /** Vendor ID (43), section 3.12. */
        VENDOR_ID(43),
        /** Traffic Selector - Initiator (44), section 3.13. */
        TSI(44),
        /** Traffic Selector - Responder (45), section 3.13. */
        TSR(45),
        /** Encrypted and Authenticated (46), section 3.14. */
        SK(46),
        /** Configuration (47), section 3.15. */
        CP(47),
        /** Extensible Authentication (48), section 3.16. Not modelled: decodes as unsupported. */
        EAP(48),
        /** Generic Secure Password Method (49, RFC 6467). Not modelled. */
        GSPM(49),
        /** Group Identification (50, G-IKEv2). Not modelled. */
        IDG(50),
        /** Group Security Association (51, G-IKEv2). Not modelled. */
        GSA(51),
        /** Key Download (52, G-IKEv2). Not modelled. */
        KD(52),
        /** Encrypted and Authenticated Fragment (53, RFC 7383). */
        SKF(53),
        /** Puzzle Solution (54, RFC 8019). Not modelled. */
        PS(54);

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
     * {@link PayloadType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements PayloadType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("PayloadType " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "PayloadType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
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
