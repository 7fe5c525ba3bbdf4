package net.palisade.model.wire.ikev2;

import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * Encrypted and Authenticated payload, SK (RFC 7296 section 3.14): the last payload of a protected message. Its
 * generic header's Next Payload field names the first inner payload. The content is IV, ciphertext (inner payloads,
 * padding, pad length) and integrity checksum; the codec cannot split it without the negotiated algorithm, so
 * {@link Ikev2Codec#encryptedRegions(byte[], int, int)} gives the regions and the AAD boundary once the engine
 * knows IV and ICV lengths.
 *
 * @param firstInner type of the first inner payload
 * @param content    IV, ciphertext and ICV as on the wire
 */
public record SkPayload(PayloadType firstInner, Octets content) implements Payload {

    /** Checks the parts are present. */
    public SkPayload {
        Objects.requireNonNull(firstInner, "firstInner");
        Objects.requireNonNull(content, "content");
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.SK;
    }
}
