package net.palisade.model.wire.ikev2;

import net.palisade.model.wire.Octets;

/**
 * Vendor ID payload (RFC 7296 section 3.12): opaque octets naming an implementation or capability.
 *
 * @param id the vendor ID
 */
public record VendorIdPayload(Octets id) implements Payload {

    /** Checks the ID is present. */
    public VendorIdPayload {
        java.util.Objects.requireNonNull(id, "id");
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.VENDOR_ID;
    }
}
