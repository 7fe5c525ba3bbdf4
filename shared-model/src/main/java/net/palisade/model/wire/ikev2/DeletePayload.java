package net.palisade.model.wire.ikev2;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * Delete payload (RFC 7296 section 3.11): the IKE SA (protocol IKE, no SPIs) or Child SAs (ESP or AH, their
 * 4-octet inbound SPIs). The decoder checks SPI size per protocol and that the SPIs fill the payload exactly.
 *
 * @param protocol the protocol of the SAs
 * @param spiSize  octets per SPI: 0 for IKE, 4 for ESP and AH
 * @param spis     the SPIs, each {@code spiSize} octets
 */
public record DeletePayload(ProtocolId protocol, int spiSize, List<Octets> spis) implements Payload {

    /** Validates the sizes and copies the list. */
    public DeletePayload {
        Objects.requireNonNull(protocol, "protocol");
        if (spiSize < 0 || spiSize > 255) {
            throw new IllegalArgumentException("SPI size " + spiSize + " does not fit one octet");
        }
        spis = List.copyOf(spis);
        if (spis.size() > 0xffff) {
            throw new IllegalArgumentException("too many SPIs: " + spis.size());
        }
        for (Octets s : spis) {
            if (s.length() != spiSize) {
                throw new IllegalArgumentException("SPI of " + s.length() + " octets in a delete of size " + spiSize);
            }
        }
    }

    /** Deletes the IKE SA this message belongs to. */
    public static DeletePayload ikeSa() {
        return new DeletePayload(ProtocolId.Known.IKE, 0, List.of());
    }

    /** Deletes Child SAs of {@code protocol} (ESP or AH) by their inbound SPIs. */
    public static DeletePayload childSas(ProtocolId protocol, long... spis) {
        return new DeletePayload(protocol, 4, Arrays.stream(spis).mapToObj(s -> Octets.ofUnsigned(s, 4)).toList());
    }

    /** The SPIs as unsigned numbers (for SPIs of up to 8 octets). */
    public List<Long> spiValues() {
        return spis.stream().map(s -> s.length() <= 8 ? s.toUnsignedLong() : 0L).toList();
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.DELETE;
    }
}
