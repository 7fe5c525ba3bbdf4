package net.palisade.model.wire.ikev2;

import java.util.List;
import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * A proposal substructure (RFC 7296 section 3.3.1): number, protocol, SPI, transforms. The transforms of one type
 * are alternatives (OR); transforms of different types combine (AND).
 *
 * @param number     proposal number, 1-255 (0 is refused by the decoder)
 * @param protocol   IKE, AH or ESP
 * @param spi        empty for the initial IKE SA, 8 octets for an IKE SA rekey, 4 octets for AH and ESP
 * @param transforms at most 255
 */
public record Proposal(int number, ProtocolId protocol, Octets spi, List<Transform> transforms) {

    /** Validates the octet-sized fields and copies the list. */
    public Proposal {
        if (number < 0 || number > 255) {
            throw new IllegalArgumentException("proposal number " + number + " does not fit one octet");
        }
        Objects.requireNonNull(protocol, "protocol");
        if (spi.length() > 255) {
            throw new IllegalArgumentException("SPI of " + spi.length() + " octets is too long");
        }
        transforms = List.copyOf(transforms);
        if (transforms.size() > 255) {
            throw new IllegalArgumentException("a proposal holds at most 255 transforms");
        }
    }

    /** An IKE proposal for IKE_SA_INIT: no SPI. */
    public static Proposal ike(int number, Transform... transforms) {
        return new Proposal(number, ProtocolId.Known.IKE, Octets.empty(), List.of(transforms));
    }

    /** An IKE proposal for rekeying an IKE SA: the new 8-octet SPI. */
    public static Proposal ikeRekey(int number, long spi, Transform... transforms) {
        return new Proposal(number, ProtocolId.Known.IKE, Octets.ofUnsigned(spi, 8), List.of(transforms));
    }

    /** An ESP proposal with the receiving SPI. */
    public static Proposal esp(int number, long spi, Transform... transforms) {
        return new Proposal(number, ProtocolId.Known.ESP, Octets.ofUnsigned(spi, 4), List.of(transforms));
    }

    /** An AH proposal with the receiving SPI. */
    public static Proposal ah(int number, long spi, Transform... transforms) {
        return new Proposal(number, ProtocolId.Known.AH, Octets.ofUnsigned(spi, 4), List.of(transforms));
    }

    /** The transforms of {@code type}, in order. */
    public List<Transform> transforms(TransformType type) {
        return transforms.stream().filter(t -> t.type().equals(type)).toList();
    }

    /** The SPI as an unsigned number (0 when empty). */
    public long spiValue() {
        return spi.toUnsignedLong();
    }

    /** The same proposal with another number (a responder echoes the accepted proposal's number). */
    public Proposal withNumber(int n) {
        return new Proposal(n, protocol, spi, transforms);
    }

    /** The same proposal with another SPI (a responder puts its own). */
    public Proposal withSpi(Octets newSpi) {
        return new Proposal(number, protocol, newSpi, transforms);
    }
}
