package net.palisade.controlplane.ike;

import java.util.HexFormat;

/**
 * An IKE SA's SPI pair.
 *
 * @param initiatorSpi the original initiator's SPI
 * @param responderSpi the original responder's SPI (0 until the responder answered)
 */
public record IkeSaId(long initiatorSpi, long responderSpi) {
    /** {@code 0123456789abcdef:fedcba9876543210}. */
    @Override
    public String toString() {
        return HexFormat.of().toHexDigits(initiatorSpi) + ":" + HexFormat.of().toHexDigits(responderSpi);
    }
}
