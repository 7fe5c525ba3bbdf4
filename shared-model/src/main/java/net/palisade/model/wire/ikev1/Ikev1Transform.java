package net.palisade.model.wire.ikev1;

import java.util.List;
import java.util.OptionalLong;
import net.palisade.model.wire.DataAttribute;

/**
 * An ISAKMP transform substructure (RFC 2408 section 3.6): number, transform ID (KEY_IKE 1 for phase 1; ESP_AES 12,
 * ESP_AES_GCM_16 20... for quick mode, RFC 2407 section 4.4.4) and SA attributes (RFC 2409 appendix A for phase 1,
 * RFC 2407 section 4.5 for quick mode).
 *
 * @param number      transform number, 0-255
 * @param transformId transform ID, 0-255
 * @param attributes  SA attributes in wire order
 */
public record Ikev1Transform(int number, int transformId, List<DataAttribute> attributes) {
    /** Phase 1 attribute: Encryption Algorithm. */
    public static final int P1_ENCRYPTION_ALGORITHM = 1;
    /** Phase 1 attribute: Hash Algorithm. */
    public static final int P1_HASH_ALGORITHM = 2;
    /** Phase 1 attribute: Authentication Method. */
    public static final int P1_AUTHENTICATION_METHOD = 3;
    /** Phase 1 attribute: Group Description. */
    public static final int P1_GROUP_DESCRIPTION = 4;
    /** Phase 1 attribute: Life Type. */
    public static final int P1_LIFE_TYPE = 11;
    /** Phase 1 attribute: Life Duration. */
    public static final int P1_LIFE_DURATION = 12;
    /** Phase 1 attribute: Key Length. */
    public static final int P1_KEY_LENGTH = 14;
    /** Quick mode attribute: SA Life Type. */
    public static final int P2_LIFE_TYPE = 1;
    /** Quick mode attribute: SA Life Duration. */
    public static final int P2_LIFE_DURATION = 2;
    /** Quick mode attribute: Group Description. */
    public static final int P2_GROUP_DESCRIPTION = 3;
    /** Quick mode attribute: Encapsulation Mode. */
    public static final int P2_ENCAPSULATION_MODE = 4;
    /** Quick mode attribute: Authentication Algorithm. */
    public static final int P2_AUTHENTICATION_ALGORITHM = 5;
    /** Quick mode attribute: Key Length. */
    public static final int P2_KEY_LENGTH = 6;

    /** Validates the ranges and copies the attributes. */
    public Ikev1Transform {
        if (number < 0 || number > 255 || transformId < 0 || transformId > 255) {
            throw new IllegalArgumentException("transform number or ID out of range");
        }
        attributes = List.copyOf(attributes);
    }

    /**
     * The value of the first attribute of {@code type}: a TV value, or a TLV value of up to 8 octets read as an
     * unsigned number (life durations may come either way).
     */
    public OptionalLong attribute(int type) {
        for (DataAttribute a : attributes) {
            if (a.type() == type) {
                return switch (a) {
                    case DataAttribute.Tv tv -> OptionalLong.of(tv.value());
                    case DataAttribute.Tlv tlv -> tlv.value().length() <= 8
                            ? OptionalLong.of(tlv.value().toUnsignedLong()) : OptionalLong.empty();
                };
            }
        }
        return OptionalLong.empty();
    }
}
