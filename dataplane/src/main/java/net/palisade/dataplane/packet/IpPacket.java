package net.palisade.dataplane.packet;

import static net.palisade.dataplane.packet.Checksum.i32;
import static net.palisade.dataplane.packet.Checksum.i64;
import static net.palisade.dataplane.packet.Checksum.u16;

/**
 * The parsed header of one inner IPv4 or IPv6 packet: a mutable view that a worker reuses for every packet, so
 * parsing allocates nothing. {@link #parse} checks every length before it reads; fields are meaningful only after
 * it returned true.
 *
 * <p>Addresses are kept as numbers for the policy lookups: IPv4 as a big-endian {@code int}, IPv6 as two
 * big-endian {@code long}s (high and low 64 bits).
 *
 * <p>What counts as malformed (parse returns false): fewer octets than the fixed header, a version other than 4 or
 * 6, an IPv4 header length below 20 or beyond the packet, an IPv4 total length below its header length or beyond
 * the octets present, an IPv6 payload length beyond the octets present, or an IPv6 payload length of zero (a
 * jumbogram, never valid through a TUN of normal MTU). Octets after the IP total length (ESP's TFC padding,
 * RFC 4303 Section 2.7) are not an error: {@link #totalLength()} is what counts. A truncated IPv6 extension header
 * chain is not an error either: the transport header is then unknown ({@link #transportOffset()} is -1).
 */
public final class IpPacket {
    /** IP protocol numbers used here. */
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_ICMPV6 = 58;

    private static final int IPV6_HOP_BY_HOP = 0;
    private static final int IPV6_ROUTING = 43;
    private static final int IPV6_FRAGMENT = 44;
    private static final int IPV6_AH = 51;
    private static final int IPV6_DEST_OPTS = 60;
    private static final int MAX_EXTENSION_HEADERS = 8;

    private int offset;
    private int version;
    private int headerLength;
    private int totalLength;
    private int protocol;
    private int transportOffset;
    private boolean dontFragment;
    private boolean fragment;
    private boolean laterFragment;
    private int src4;
    private int dst4;
    private long srcHi;
    private long srcLo;
    private long dstHi;
    private long dstLo;

    /**
     * Parses the packet in {@code b[offset, offset + length)}.
     *
     * @return false if it is malformed (see the class comment)
     */
    public boolean parse(byte[] b, int offset, int length) {
        this.offset = offset;
        this.transportOffset = -1;
        if (length < 1 || offset < 0 || offset + length > b.length) {
            return false;
        }
        version = (b[offset] & 0xf0) >>> 4;
        if (version == 4) {
            return parse4(b, offset, length);
        }
        if (version == 6) {
            return parse6(b, offset, length);
        }
        return false;
    }

    private boolean parse4(byte[] b, int off, int length) {
        if (length < 20) {
            return false;
        }
        int ihl = (b[off] & 0x0f) * 4;
        int total = u16(b, off + 2);
        if (ihl < 20 || ihl > length || total < ihl || total > length) {
            return false;
        }
        headerLength = ihl;
        totalLength = total;
        protocol = b[off + 9] & 0xff;
        int flagsFrag = u16(b, off + 6);
        dontFragment = (flagsFrag & 0x4000) != 0;
        boolean moreFragments = (flagsFrag & 0x2000) != 0;
        int fragOffset = flagsFrag & 0x1fff;
        fragment = moreFragments || fragOffset != 0;
        laterFragment = fragOffset != 0;
        src4 = i32(b, off + 12);
        dst4 = i32(b, off + 16);
        srcHi = srcLo = dstHi = dstLo = 0;
        transportOffset = laterFragment ? -1 : off + ihl;
        return true;
    }

    private boolean parse6(byte[] b, int off, int length) {
        if (length < 40) {
            return false;
        }
        int payload = u16(b, off + 4);
        if (payload == 0 || 40 + payload > length) {
            return false;
        }
        headerLength = 40;
        totalLength = 40 + payload;
        dontFragment = true; // IPv6 routers never fragment
        fragment = false;
        laterFragment = false;
        srcHi = i64(b, off + 8);
        srcLo = i64(b, off + 16);
        dstHi = i64(b, off + 24);
        dstLo = i64(b, off + 32);
        src4 = dst4 = 0;
        int next = b[off + 6] & 0xff;
        int pos = off + 40;
        int end = off + totalLength;
        for (int i = 0; i < MAX_EXTENSION_HEADERS; i++) {
            int extLength;
            switch (next) {
                case IPV6_HOP_BY_HOP, IPV6_ROUTING, IPV6_DEST_OPTS -> {
                    if (pos + 2 > end) {
                        protocol = next;
                        return true;
                    }
                    extLength = ((b[pos + 1] & 0xff) + 1) * 8;
                }
                case IPV6_FRAGMENT -> {
                    if (pos + 8 > end) {
                        protocol = next;
                        return true;
                    }
                    fragment = true;
                    int fragOffset = u16(b, pos + 2) >>> 3;
                    laterFragment = fragOffset != 0;
                    extLength = 8;
                }
                case IPV6_AH -> {
                    if (pos + 2 > end) {
                        protocol = next;
                        return true;
                    }
                    extLength = ((b[pos + 1] & 0xff) + 2) * 4;
                }
                default -> {
                    protocol = next;
                    transportOffset = laterFragment ? -1 : pos;
                    return true;
                }
            }
            if (pos + extLength > end) {
                protocol = next;
                return true;
            }
            next = b[pos] & 0xff;
            pos += extLength;
        }
        protocol = next;
        return true;
    }

    /** 4 or 6. */
    public int version() {
        return version;
    }

    public boolean isIpv6() {
        return version == 6;
    }

    /** Offset of the IP header in the array given to {@link #parse}. */
    public int offset() {
        return offset;
    }

    /** The fixed IP header: IHL * 4 for IPv4, 40 for IPv6 (extension headers not included). */
    public int headerLength() {
        return headerLength;
    }

    /** Octets of the packet as its own header says (IPv4 total length, or 40 + IPv6 payload length). */
    public int totalLength() {
        return totalLength;
    }

    /** The upper-layer protocol: IPv4's protocol field, or IPv6's last next header after extension headers. */
    public int protocol() {
        return protocol;
    }

    /** Absolute offset of the transport header, or -1 (a later fragment, or an unparsable extension chain). */
    public int transportOffset() {
        return transportOffset;
    }

    /** IPv4: the DF bit. IPv6: always true. */
    public boolean dontFragment() {
        return dontFragment;
    }

    /** Part of a fragmented datagram (first or later). */
    public boolean fragment() {
        return fragment;
    }

    /** A fragment other than the first: no transport header. */
    public boolean laterFragment() {
        return laterFragment;
    }

    public int src4() {
        return src4;
    }

    public int dst4() {
        return dst4;
    }

    public long srcHi() {
        return srcHi;
    }

    public long srcLo() {
        return srcLo;
    }

    public long dstHi() {
        return dstHi;
    }

    public long dstLo() {
        return dstLo;
    }

    /**
     * IPv6 traffic that concerns one link only and must never be tunnelled: a link-local or unspecified source, or a
     * multicast destination of interface-, link- or (reserved) scope 0 — the neighbour discovery, router
     * solicitations and MLD reports that the kernel sends into any IPv6-enabled TUN device.
     */
    public boolean ipv6LinkScope() {
        if (version != 6) {
            return false;
        }
        boolean srcLinkLocal = (srcHi >>> 54) == (0xfe80L >>> 6);
        boolean srcUnspecified = srcHi == 0 && srcLo == 0;
        boolean dstMulticast = (dstHi >>> 56) == 0xff;
        int scope = (int) (dstHi >>> 48) & 0x0f;
        boolean dstLinkLocal = (dstHi >>> 54) == (0xfe80L >>> 6);
        return srcLinkLocal || srcUnspecified || dstLinkLocal || (dstMulticast && scope <= 2);
    }
}
