package net.palisade.model.wire.ikev1;

import java.util.List;
import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * An ISAKMP proposal substructure (RFC 2408 section 3.5). Proposals with the same number are combined (AND, e.g.
 * AH with ESP); different numbers are alternatives. The transforms of one proposal are alternatives too: in IKEv1
 * each transform is a complete suite described by its attributes.
 *
 * @param number     proposal number, 0-255
 * @param protocol   ISAKMP, AH, ESP or IPComp
 * @param spi        0 or 16 octets for ISAKMP (8 is tolerated), 4 for AH and ESP, 2 or 4 for IPComp
 * @param transforms at most 255
 */
public record Ikev1Proposal(int number, Ikev1ProtocolId protocol, Octets spi, List<Ikev1Transform> transforms) {
    /** Validates the octet-sized fields and copies the list. */
    public Ikev1Proposal {
        Objects.requireNonNull(protocol, "protocol");
        if (number < 0 || number > 255 || spi.length() > 255) {
            throw new IllegalArgumentException("proposal number or SPI size out of range");
        }
        transforms = List.copyOf(transforms);
        if (transforms.size() > 255) {
            throw new IllegalArgumentException("at most 255 transforms");
        }
    }
}
