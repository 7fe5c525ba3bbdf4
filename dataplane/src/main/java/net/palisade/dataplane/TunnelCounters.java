package net.palisade.dataplane;

import net.palisade.dataplane.sa.SaTraffic;

/**
 * A snapshot of one tunnel's SAs.
 *
 * @param label the tunnel
 * @param outboundSpi the SPI we send with
 * @param inboundSpi the SPI we receive with
 * @param out packets and inner octets sealed for the peer
 * @param in packets and inner octets accepted from the peer
 * @param lastSequenceOut the last outbound sequence number used
 * @param highestSequenceIn the highest inbound sequence number accepted
 * @param outboundExhausted true once the outbound SA has used up its sequence numbers
 */
public record TunnelCounters(String label, long outboundSpi, long inboundSpi, SaTraffic out, SaTraffic in,
        long lastSequenceOut, long highestSequenceIn, boolean outboundExhausted) {
}
