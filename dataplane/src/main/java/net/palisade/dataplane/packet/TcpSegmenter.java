package net.palisade.dataplane.packet;

import static net.palisade.dataplane.packet.Checksum.put16;
import static net.palisade.dataplane.packet.Checksum.u16;

/**
 * Cuts a TCP super-packet (TSO, handed over by a TUN device with offloads on) into the segments the sending host
 * would have put on the wire: each gets a copy of the IP and TCP headers with its own IP length and (IPv4)
 * identification, its own sequence number, the FIN and PSH flags only on the last and CWR only on the first, and a
 * freshly computed IPv4 header and TCP checksum — exactly what the kernel's own software GSO does
 * ({@code tcp_gso_segment}), so the peer gateway sees ordinary packets.
 *
 * <p>Reuse one instance per thread: {@link #start} then {@link #next} until it returns 0. Allocation-free.
 */
public final class TcpSegmenter {
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;

    private final IpPacket header = new IpPacket();
    private byte[] src;
    private int offset;
    private int headersLength;
    private int tcp;
    private int payloadLength;
    private int mss;
    private int produced;
    private long seq;
    private int ipId;
    private boolean ipv6;

    /**
     * Prepares to cut the super-packet in {@code b[offset, offset + length)}.
     *
     * @param gsoSize the segment payload size (the MSS) from the virtio-net header
     * @return false if it is not a TCP packet this class can cut (malformed, fragment, no payload, bad sizes)
     */
    public boolean start(byte[] b, int offset, int length, int gsoSize) {
        if (gsoSize <= 0 || !header.parse(b, offset, length) || header.protocol() != IpPacket.PROTO_TCP
                || header.transportOffset() < 0 || header.fragment()) {
            return false;
        }
        int t = header.transportOffset();
        int end = offset + header.totalLength();
        if (header.isIpv6() && header.totalLength() != length) {
            // the payload length of an IPv6 super-packet may be 0 (jumbo) or stale: trust the read length
            return false;
        }
        if (t + 20 > end) {
            return false;
        }
        int dataOffset = ((b[t + 12] & 0xf0) >>> 4) * 4;
        if (dataOffset < 20 || t + dataOffset > end) {
            return false;
        }
        this.src = b;
        this.offset = offset;
        this.tcp = t;
        this.headersLength = t + dataOffset - offset;
        this.payloadLength = header.totalLength() - headersLength;
        this.mss = gsoSize;
        this.produced = 0;
        this.seq = Checksum.i32(b, t + 4) & 0xffff_ffffL;
        this.ipv6 = header.isIpv6();
        this.ipId = ipv6 ? 0 : u16(b, offset + 4);
        return payloadLength > 0;
    }

    /** Number of segments the prepared super-packet yields. */
    public int segments() {
        return (payloadLength + mss - 1) / mss;
    }

    /**
     * Writes the next segment to {@code dst} at {@code dstOffset} (which must not overlap the super-packet).
     *
     * @return its length, or 0 when every segment has been produced
     */
    public int next(byte[] dst, int dstOffset) {
        int done = produced * mss;
        if (done >= payloadLength) {
            return 0;
        }
        int chunk = Math.min(mss, payloadLength - done);
        boolean first = produced == 0;
        boolean last = done + chunk == payloadLength;
        int length = headersLength + chunk;
        System.arraycopy(src, offset, dst, dstOffset, headersLength);
        System.arraycopy(src, offset + headersLength + done, dst, dstOffset + headersLength, chunk);
        int t = dstOffset + (tcp - offset);
        if (ipv6) {
            put16(dst, dstOffset + 4, length - 40);
        } else {
            put16(dst, dstOffset + 2, length);
            put16(dst, dstOffset + 4, (ipId + produced) & 0xffff);
            put16(dst, dstOffset + 10, 0);
            put16(dst, dstOffset + 10, Checksum.compute(dst, dstOffset, header.headerLength()));
        }
        long s = seq + done;
        dst[t + 4] = (byte) (s >>> 24);
        dst[t + 5] = (byte) (s >>> 16);
        dst[t + 6] = (byte) (s >>> 8);
        dst[t + 7] = (byte) s;
        int flags = dst[t + 13] & 0xff;
        if (!last) {
            flags &= ~(FIN | PSH);
        }
        if (!first) {
            flags &= ~CWR;
        }
        dst[t + 13] = (byte) flags;
        int tcpLength = length - (t - dstOffset);
        put16(dst, t + 16, 0);
        long pseudo = ipv6 ? Checksum.pseudoHeader6(dst, dstOffset, IpPacket.PROTO_TCP, tcpLength)
                : Checksum.pseudoHeader4(dst, dstOffset, IpPacket.PROTO_TCP, tcpLength);
        put16(dst, t + 16, Checksum.finish(Checksum.sum(dst, t, tcpLength, pseudo)));
        produced++;
        return length;
    }
}
