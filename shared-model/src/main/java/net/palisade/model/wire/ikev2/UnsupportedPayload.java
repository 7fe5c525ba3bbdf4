package net.palisade.model.wire.ikev2;

import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * A payload whose type this codec does not model (EAP, unknown or private types): type, critical bit and body kept
 * as received, so the message re-encodes byte for byte. With the critical bit set the decoder rejects the whole
 * message instead (UNSUPPORTED_CRITICAL_PAYLOAD, RFC 7296 section 2.5), so a decoded value always has it clear
 * unless built by hand.
 *
 * @param payloadType the payload type
 * @param criticalBit the critical bit
 * @param body        the payload after its 4-octet generic header
 */
public record UnsupportedPayload(PayloadType payloadType, boolean criticalBit, Octets body) implements Payload {

    /** Checks the parts are present and the body fits a payload. */
    public UnsupportedPayload {
        Objects.requireNonNull(payloadType, "payloadType");
        if (body.length() > 0xffff - 4) {
            throw new IllegalArgumentException("payload body too long");
        }
    }

    @Override
    public PayloadType type() {
        return payloadType;
    }

    @Override
    public boolean critical() {
        return criticalBit;
    }
}
