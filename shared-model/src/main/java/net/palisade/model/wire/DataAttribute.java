package net.palisade.model.wire;

/**
 * An ISAKMP data attribute, the format shared by IKEv1 SA attributes (RFC 2408 section 3.3) and IKEv2 transform
 * attributes (RFC 7296 section 3.3.5): a 15-bit type with the Attribute Format bit, then either a 2-byte value
 * (TV, AF = 1) or a 2-byte length and that many bytes (TLV, AF = 0).
 */
public sealed interface DataAttribute permits DataAttribute.Tv, DataAttribute.Tlv {
    /** Largest attribute type: 15 bits. */
    int MAX_TYPE = 0x7fff;

    /** The attribute type, without the format bit (0-32767). */
    int type();

    /** Bytes on the wire: 4 for TV, 4 plus the value for TLV. */
    int encodedLength();

    /** A short attribute: type and a 16-bit value. */
    static Tv tv(int type, int value) {
        return new Tv(type, value);
    }

    /** A variable-length attribute. */
    static Tlv tlv(int type, Octets value) {
        return new Tlv(type, value);
    }

    /**
     * A type/value attribute (AF = 1).
     *
     * @param type  attribute type, 0-32767
     * @param value 0-65535
     */
    record Tv(int type, int value) implements DataAttribute {
        /** Validates the ranges. */
        public Tv {
            checkType(type);
            if (value < 0 || value > 0xffff) {
                throw new IllegalArgumentException("TV attribute value " + value + " is not 16 bits");
            }
        }

        @Override
        public int encodedLength() {
            return 4;
        }
    }

    /**
     * A type/length/value attribute (AF = 0).
     *
     * @param type  attribute type, 0-32767
     * @param value at most 65535 bytes
     */
    record Tlv(int type, Octets value) implements DataAttribute {
        /** Validates the ranges. */
        public Tlv {
            checkType(type);
            if (value.length() > 0xffff) {
                throw new IllegalArgumentException("TLV attribute value of " + value.length() + " bytes is too long");
            }
        }

        @Override
        public int encodedLength() {
            return 4 + value.length();
        }
    }

    private static void checkType(int type) {
        if (type < 0 || type > MAX_TYPE) {
            throw new IllegalArgumentException("attribute type " + type + " is not 15 bits");
        }
    }
}
