package net.palisade.controlplane.ike;

import java.time.Duration;
import java.util.List;

/**
 * Engine policy that is not part of the tunnel's config.
 *
 * @param forceUdpEncapsulation always use ESP-in-UDP on port 4500 (RFC 3948), as Palisade's user-space dataplane
 *                              requires: the NAT_DETECTION_SOURCE_IP hash is deliberately wrong, so the peer
 *                              believes we are behind a NAT and encapsulates (strongSwan's {@code encap = yes} does
 *                              the same), and IKE moves to port 4500 from IKE_AUTH on. When false, the engine
 *                              encapsulates only when NAT detection finds a NAT.
 * @param retransmit            retransmission timeouts of our requests, one per transmission; after the last one
 *                              expires the exchange fails (TIMEOUT). Bounds how long dead peer detection takes
 *                              after the liveness check is sent.
 * @param fragmentPacketLimit   largest IP packet of an IKE message we send once both peers announced RFC 7383
 *                              fragmentation: a larger IKE_AUTH or later message goes out as SKF fragments that fit
 *                              (like strongSwan's {@code charon.fragment_size}; default
 *                              {@link Fragments#DEFAULT_PACKET_LIMIT}).
 */
public record IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit, int fragmentPacketLimit) {
    /** RFC 7296's usual backoff: 1, 2, 4, 8 and 16 seconds (31 s in all). */
    public static final List<Duration> STANDARD_RETRANSMIT = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(16));

    /** What Palisade uses: encapsulation forced, the standard retransmissions. */
    public static final IkeSettings DEFAULT = new IkeSettings(true);

    /** Checks there is at least one positive timeout. */
    public IkeSettings {
        retransmit = List.copyOf(retransmit);
        if (retransmit.isEmpty() || retransmit.stream().anyMatch(d -> d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("retransmission timeouts must be positive, at least one");
        }
        if (fragmentPacketLimit < Fragments.MIN_PACKET_LIMIT || fragmentPacketLimit > 65_535) {
            throw new IllegalArgumentException("fragment size must be " + Fragments.MIN_PACKET_LIMIT
                    + "-65535 octets, not " + fragmentPacketLimit);
        }
    }

    /** With the default fragment size. */
    public IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit) {
        this(forceUdpEncapsulation, retransmit, Fragments.DEFAULT_PACKET_LIMIT);
    }

    /** The same settings with another fragment size. */
    public IkeSettings withFragmentPacketLimit(int octets) {
        return new IkeSettings(forceUdpEncapsulation, retransmit, octets);
    }

    /** With the standard retransmissions. */
    public IkeSettings(boolean forceUdpEncapsulation) {
        this(forceUdpEncapsulation, STANDARD_RETRANSMIT);
    }
}
