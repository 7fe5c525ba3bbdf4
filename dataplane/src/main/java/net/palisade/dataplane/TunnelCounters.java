package net.palisade.dataplane;

import java.util.List;
import net.palisade.dataplane.sa.SaTraffic;

/**
 * A snapshot of one tunnel's SAs. A tunnel usually has one SA pair; during an IKE rekey it has several for a while
 * ({@link #pairs}). The SPIs, sequence numbers and exhaustion are those of the pair that sends; the traffic is the
 * tunnel's total since it was installed, so it never goes down when a rekey removes an old pair (installing the
 * tunnel anew with {@link Dataplane#install(net.palisade.dataplane.sa.SaKeys)} starts from zero).
 *
 * @param label the tunnel
 * @param outboundSpi the SPI we send with
 * @param inboundSpi the inbound SPI of the pair we send with
 * @param out packets and inner octets sealed for the peer, over every pair the tunnel has had
 * @param in packets and inner octets accepted from the peer, over every pair the tunnel has had
 * @param lastSequenceOut the last outbound sequence number used on the sending pair
 * @param highestSequenceIn the highest inbound sequence number accepted on the sending pair's inbound SA
 * @param outboundExhausted true once the sending pair's outbound SA has used up its sequence numbers
 * @param pairs each pair installed now, oldest first: its own SPIs and traffic
 */
public record TunnelCounters(String label, long outboundSpi, long inboundSpi, SaTraffic out, SaTraffic in,
        long lastSequenceOut, long highestSequenceIn, boolean outboundExhausted, List<Pair> pairs) {
    public TunnelCounters {
        pairs = List.copyOf(pairs);
    }

    /**
     * One SA pair of the tunnel.
     *
     * @param inboundSpi the SPI we receive with on this pair
     * @param outboundSpi the SPI we send with on this pair
     * @param sending whether the tunnel's traffic leaves on this pair
     * @param out packets and inner octets sealed on this pair's outbound SA
     * @param in packets and inner octets accepted on this pair's inbound SA
     * @param lastSequenceOut the last sequence number used on the outbound SA
     * @param highestSequenceIn the highest sequence number accepted on the inbound SA
     * @param outboundExhausted true once the outbound SA has used up its sequence numbers
     */
    public record Pair(long inboundSpi, long outboundSpi, boolean sending, SaTraffic out, SaTraffic in,
            long lastSequenceOut, long highestSequenceIn, boolean outboundExhausted) {
    }

    /** The pair with this inbound SPI, if it is installed. */
    public java.util.Optional<Pair> pair(int inboundSpi) {
        long spi = Integer.toUnsignedLong(inboundSpi);
        return pairs.stream().filter(p -> p.inboundSpi() == spi).findFirst();
    }
}
