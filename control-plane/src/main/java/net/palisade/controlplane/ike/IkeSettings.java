package net.palisade.controlplane.ike;

/**
 * Engine policy that is not part of the tunnel's config.
 *
 * @param forceUdpEncapsulation always use ESP-in-UDP on port 4500 (RFC 3948), as Palisade's user-space dataplane
 *                              requires: the NAT_DETECTION_SOURCE_IP hash is deliberately wrong, so the peer
 *                              believes we are behind a NAT and encapsulates (strongSwan's {@code encap = yes} does
 *                              the same), and IKE moves to port 4500 from IKE_AUTH on. When false, the engine
 *                              encapsulates only when NAT detection finds a NAT.
 */
public record IkeSettings(boolean forceUdpEncapsulation) {
    /** What Palisade uses: encapsulation forced. */
    public static final IkeSettings DEFAULT = new IkeSettings(true);
}
