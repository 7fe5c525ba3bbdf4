package net.palisade.model.wire.ikev2;

import java.util.List;
import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * Configuration payload, CP (RFC 7296 section 3.15): a configuration type and attributes. Site-to-site tunnels do
 * not use it; it is decoded so that a peer sending one gets a precise answer rather than a syntax error.
 *
 * @param cfgType    request, reply, set or ack
 * @param attributes in wire order
 */
public record CpPayload(ConfigType cfgType, List<Attribute> attributes) implements Payload {

    /** Copies the list. */
    public CpPayload {
        Objects.requireNonNull(cfgType, "cfgType");
        attributes = List.copyOf(attributes);
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.CP;
    }

    /**
     * One configuration attribute (RFC 7296 section 3.15.1): 15-bit type (the reserved top bit is sent as zero) and
     * value; an empty value asks for the attribute in a CFG_REQUEST.
     *
     * @param attributeType attribute type
     * @param value         value, at most 65535 octets
     */
    public record Attribute(ConfigAttributeType attributeType, Octets value) {
        /** Validates the value length. */
        public Attribute {
            Objects.requireNonNull(attributeType, "attributeType");
            if (value.length() > 0xffff) {
                throw new IllegalArgumentException("attribute value too long");
            }
        }
    }
}
