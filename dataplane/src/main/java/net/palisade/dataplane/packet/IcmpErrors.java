package net.palisade.dataplane.packet;

import static net.palisade.dataplane.packet.Checksum.put16;

/**
 * Builds the "your packet is too big" errors a gateway returns into its TUN device when an inner packet with DF set
 * (every IPv6 packet) does not fit the SA's path MTU once ESP is added: ICMP type 3 code 4 "fragmentation needed
 * and DF set" with the next-hop MTU (RFC 792, RFC 1191) and ICMPv6 type 2 "packet too big" (RFC 4443 Section 3.2).
 *
 * <p>The error's source is the original packet's destination. The gateway cannot use one of its own addresses: the
 * kernel drops a packet arriving from the TUN with a local source address as a martian; the original destination
 * lies in the tunnel's remote networks, which are routed through the TUN, so reverse-path filtering accepts it.
 * Hosts match such errors on the quoted header, not on who sent them.
 *
 * <p>No error is built (the methods return 0) for what RFC 1122 Section 3.2.2 and RFC 4443 Section 2.4 (e) forbid:
 * an answer to an ICMP error, to a later fragment, or to a packet whose source is unspecified, multicast or
 * broadcast; and none for an IPv6 packet sent to a multicast group (there would be no unicast source to use).
 */
public final class IcmpErrors {
    /** RFC 1812 Section 4.3.2.3: an ICMPv4 error is at most 576 octets. */
    public static final int MAX_ICMP4_LENGTH = 576;
    /** RFC 4443 Section 2.4 (c): an ICMPv6 error must fit the IPv6 minimum MTU. */
    public static final int MAX_ICMP6_LENGTH = 1280;
    /** Room {@code out} needs for any error built here. */
    public static final int MAX_LENGTH = MAX_ICMP6_LENGTH;

    private static final int TTL = 64;

    private IcmpErrors() {
    }

    /**
     * Builds ICMP "fragmentation needed" (IPv4) or ICMPv6 "packet too big" for the packet {@code packet}
     * describes (already parsed from {@code b}).
     *
     * @param mtu the largest inner packet that fits, to report to the sender
     * @param out receives the error, which starts with its IP header; needs {@link #MAX_LENGTH} octets from
     *     {@code outOffset} and must not overlap the original packet
     * @return the error's length, or 0 if none may be sent
     */
    public static int tooBig(IpPacket packet, byte[] b, int mtu, byte[] out, int outOffset) {
        return packet.isIpv6() ? packetTooBig6(packet, b, mtu, out, outOffset)
                : fragmentationNeeded4(packet, b, mtu, out, outOffset);
    }

    static int fragmentationNeeded4(IpPacket p, byte[] b, int mtu, byte[] out, int o) {
        if (p.laterFragment() || isIcmpError4(p, b)) {
            return 0;
        }
        int src = p.src4();
        int firstOctet = src >>> 24;
        if (src == 0 || firstOctet >= 224 || p.dst4() >>> 28 == 0xe || p.dst4() == -1) {
            return 0; // unspecified, multicast, reserved or broadcast source; multicast or broadcast destination
        }
        int quote = Math.min(p.totalLength(), MAX_ICMP4_LENGTH - 28);
        int total = 28 + quote;
        int in = p.offset();
        // IPv4 header
        out[o] = 0x45;
        out[o + 1] = (byte) 0xc0; // precedence "internetwork control", as Linux sends its ICMP errors
        put16(out, o + 2, total);
        put16(out, o + 4, 0);
        put16(out, o + 6, 0);
        out[o + 8] = (byte) TTL;
        out[o + 9] = (byte) IpPacket.PROTO_ICMP;
        put16(out, o + 10, 0);
        System.arraycopy(b, in + 16, out, o + 12, 4); // source: the original destination
        System.arraycopy(b, in + 12, out, o + 16, 4); // destination: the original source
        put16(out, o + 10, Checksum.compute(out, o, 20));
        // ICMP: type 3 code 4, checksum, unused, next-hop MTU, original header and data
        int icmp = o + 20;
        out[icmp] = 3;
        out[icmp + 1] = 4;
        put16(out, icmp + 2, 0);
        put16(out, icmp + 4, 0);
        put16(out, icmp + 6, Math.min(mtu, 0xffff));
        System.arraycopy(b, in, out, icmp + 8, quote);
        put16(out, icmp + 2, Checksum.compute(out, icmp, 8 + quote));
        return total;
    }

    static int packetTooBig6(IpPacket p, byte[] b, int mtu, byte[] out, int o) {
        if (isIcmpError6(p, b)) {
            return 0;
        }
        boolean srcUnspecified = p.srcHi() == 0 && p.srcLo() == 0;
        boolean srcMulticast = (p.srcHi() >>> 56) == 0xff;
        boolean dstMulticast = (p.dstHi() >>> 56) == 0xff;
        if (srcUnspecified || srcMulticast || dstMulticast) {
            return 0;
        }
        int quote = Math.min(p.totalLength(), MAX_ICMP6_LENGTH - 48);
        int payload = 8 + quote;
        int in = p.offset();
        out[o] = 0x60;
        out[o + 1] = 0;
        out[o + 2] = 0;
        out[o + 3] = 0;
        put16(out, o + 4, payload);
        out[o + 6] = (byte) IpPacket.PROTO_ICMPV6;
        out[o + 7] = (byte) TTL;
        System.arraycopy(b, in + 24, out, o + 8, 16); // source: the original destination
        System.arraycopy(b, in + 8, out, o + 24, 16); // destination: the original source
        int icmp = o + 40;
        out[icmp] = 2;
        out[icmp + 1] = 0;
        put16(out, icmp + 2, 0);
        out[icmp + 4] = (byte) (mtu >>> 24);
        out[icmp + 5] = (byte) (mtu >>> 16);
        out[icmp + 6] = (byte) (mtu >>> 8);
        out[icmp + 7] = (byte) mtu;
        System.arraycopy(b, in, out, icmp + 8, quote);
        long sum = Checksum.pseudoHeader6(out, o, IpPacket.PROTO_ICMPV6, payload);
        put16(out, icmp + 2, Checksum.finish(Checksum.sum(out, icmp, payload, sum)));
        return 40 + payload;
    }

    private static boolean isIcmpError4(IpPacket p, byte[] b) {
        if (p.protocol() != IpPacket.PROTO_ICMP) {
            return false;
        }
        int t = p.transportOffset();
        if (t < 0 || t >= p.offset() + p.totalLength()) {
            return true; // cannot tell: stay silent
        }
        int type = b[t] & 0xff;
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    private static boolean isIcmpError6(IpPacket p, byte[] b) {
        if (p.protocol() != IpPacket.PROTO_ICMPV6) {
            return false;
        }
        int t = p.transportOffset();
        if (t < 0 || t >= p.offset() + p.totalLength()) {
            return true;
        }
        return (b[t] & 0xff) < 128;
    }
}
