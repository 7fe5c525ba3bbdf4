package net.palisade.dataplane.packet;

import static net.palisade.dataplane.packet.Checksum.put16;
import static net.palisade.dataplane.packet.Checksum.u16;

/**
 * User-space GRO for the TUN write path: consecutive in-order segments of one TCP flow are merged into one
 * super-packet that the kernel accepts in a single write, with a virtio-net header describing how to cut it again
 * (GSO TCPv4/TCPv6, partial checksum). The kernel then forwards it, and the receiving host's TCP consumes it, as one
 * unit instead of dozens.
 *
 * <p>A segment joins the super-packet only when it continues it exactly, as Linux's own {@code tcp_gro_receive}
 * requires: same addresses and ports, no IP options or IPv6 extension headers, not a fragment, same TOS/traffic
 * class, TTL/hop limit and DF; IPv4 identification one more than the last; sequence number where the last segment
 * ended; same acknowledgement, window, header length and option octets (timestamps included); flags ACK or ACK+PSH
 * only; a payload no longer than the first segment's. A shorter segment or one with PSH ends the super-packet. At
 * most 64 segments and 65535 octets.
 *
 * <p>Order is never changed: the caller writes the current super-packet ({@link #finish}) before any packet that does
 * not join it. Allocation-free; one instance per thread.
 */
public final class TcpCoalescer {
    /** Most segments merged into one super-packet. */
    public static final int MAX_SEGMENTS = 64;
    private static final int MAX_LENGTH = 65535;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    private final byte[] buffer;
    private final int base;
    private boolean active;
    private boolean open;
    private boolean ipv6;
    private int ipHeader;
    private int tcpHeader;
    private int length;
    private int segments;
    private int gsoSize;
    private long nextSeq;
    private int lastId;
    private boolean psh;

    /** A coalescer with room for the virtio-net header and one 64 KB super-packet. */
    public TcpCoalescer() {
        this.buffer = new byte[VirtioNetHeader.LENGTH + MAX_LENGTH];
        this.base = VirtioNetHeader.LENGTH;
    }

    /** Whether a super-packet (possibly of one segment) is waiting to be written. */
    public boolean active() {
        return active;
    }

    /** Segments in the waiting super-packet. */
    public int segments() {
        return segments;
    }

    /**
     * Whether {@code p} (parsed from {@code b}) may start a super-packet: a TCP segment with payload, ACK or
     * ACK+PSH only, no IP options or extension headers, not a fragment.
     */
    public static boolean eligible(IpPacket p, byte[] b) {
        if (p.protocol() != IpPacket.PROTO_TCP || p.fragment() || p.transportOffset() < 0) {
            return false;
        }
        int fixed = p.isIpv6() ? 40 : 20;
        if (p.transportOffset() != p.offset() + fixed || p.headerLength() != fixed) {
            return false;
        }
        int t = p.transportOffset();
        int end = p.offset() + p.totalLength();
        if (t + 20 > end) {
            return false;
        }
        int dataOffset = ((b[t + 12] & 0xf0) >>> 4) * 4;
        int flags = b[t + 13] & 0xff;
        return dataOffset >= 20 && t + dataOffset < end && (flags == ACK || flags == (ACK | PSH));
    }

    /**
     * Starts a new super-packet with {@code p} (which must be {@link #eligible}). The previous one must have been
     * written ({@link #finish}) first.
     */
    public void begin(IpPacket p, byte[] b) {
        ipv6 = p.isIpv6();
        ipHeader = ipv6 ? 40 : 20;
        int t = p.transportOffset();
        tcpHeader = ((b[t + 12] & 0xf0) >>> 4) * 4;
        length = p.totalLength();
        System.arraycopy(b, p.offset(), buffer, base, length);
        gsoSize = length - ipHeader - tcpHeader;
        segments = 1;
        nextSeq = (Checksum.i32(b, t + 4) & 0xffff_ffffL) + gsoSize;
        lastId = ipv6 ? 0 : u16(b, p.offset() + 4);
        psh = (b[t + 13] & PSH) != 0;
        open = !psh;
        active = true;
    }

    /**
     * Appends {@code p} if it continues the waiting super-packet exactly.
     *
     * @return false if it does not: write the super-packet, then begin a new one (or write {@code p} alone)
     */
    public boolean append(IpPacket p, byte[] b) {
        if (!active || !open || p.isIpv6() != ipv6 || segments >= MAX_SEGMENTS || !eligible(p, b)) {
            return false;
        }
        int o = p.offset();
        int t = p.transportOffset();
        int th = ((b[t + 12] & 0xf0) >>> 4) * 4;
        int payload = p.totalLength() - ipHeader - th;
        if (th != tcpHeader || payload > gsoSize || length + payload > MAX_LENGTH) {
            return false;
        }
        if ((Checksum.i32(b, t + 4) & 0xffff_ffffL) != (nextSeq & 0xffff_ffffL)) {
            return false;
        }
        int f = base;
        int ft = base + ipHeader;
        if (ipv6) {
            // version, traffic class, flow label; next header and hop limit; both addresses
            if (!same(b, o, f, 4) || !same(b, o + 6, f + 6, 34)) {
                return false;
            }
        } else {
            int id = u16(b, o + 4);
            // TOS; flags (DF); TTL and protocol; both addresses
            if (b[o + 1] != buffer[f + 1] || (b[o + 6] & 0xe0) != (buffer[f + 6] & 0xe0)
                    || !same(b, o + 8, f + 8, 2) || !same(b, o + 12, f + 12, 8) || id != ((lastId + 1) & 0xffff)) {
                return false;
            }
        }
        // ports; acknowledgement; window; urgent pointer; options
        if (!same(b, t, ft, 4) || !same(b, t + 8, ft + 8, 4) || !same(b, t + 14, ft + 14, 2)
                || !same(b, t + 18, ft + 18, 2) || !same(b, t + 20, ft + 20, th - 20)) {
            return false;
        }
        System.arraycopy(b, t + th, buffer, base + length, payload);
        length += payload;
        segments++;
        nextSeq += payload;
        lastId = ipv6 ? 0 : u16(b, o + 4);
        if ((b[t + 13] & PSH) != 0) {
            psh = true;
            open = false;
        }
        if (payload < gsoSize) {
            open = false;
        }
        return true;
    }

    private boolean same(byte[] b, int at, int bufferAt, int n) {
        for (int i = 0; i < n; i++) {
            if (b[at + i] != buffer[bufferAt + i]) {
                return false;
            }
        }
        return true;
    }

    /** The array the finished super-packet is in. */
    public byte[] buffer() {
        return buffer;
    }

    /**
     * Finalizes the waiting super-packet for writing: virtio-net header at offset 0 of {@link #buffer()}, packet
     * after it. A single segment goes out as it came (header "no offload"); several get their IP length (and IPv4
     * header checksum), PSH if the last had it, and a TCP checksum field holding the pseudo-header sum for the
     * kernel to complete per segment.
     *
     * @return octets to write from offset 0 (header included); 0 if nothing was waiting
     */
    public int finish() {
        if (!active) {
            return 0;
        }
        active = false;
        if (segments == 1) {
            VirtioNetHeader.writeNone(buffer, 0);
            return VirtioNetHeader.LENGTH + length;
        }
        int f = base;
        int t = base + ipHeader;
        int tcpLength = length - ipHeader;
        if (ipv6) {
            put16(buffer, f + 4, tcpLength);
        } else {
            put16(buffer, f + 2, length);
            put16(buffer, f + 10, 0);
            put16(buffer, f + 10, Checksum.compute(buffer, f, 20));
        }
        if (psh) {
            buffer[t + 13] |= PSH;
        }
        long pseudo = ipv6 ? Checksum.pseudoHeader6(buffer, f, IpPacket.PROTO_TCP, tcpLength)
                : Checksum.pseudoHeader4(buffer, f, IpPacket.PROTO_TCP, tcpLength);
        put16(buffer, t + 16, Checksum.fold(pseudo));
        VirtioNetHeader.writeTcpGso(buffer, 0, ipv6, ipHeader + tcpHeader, gsoSize, ipHeader);
        return VirtioNetHeader.LENGTH + length;
    }
}
