package net.palisade.dataplane.io;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Builds and parses IPv4/IPv6 UDP packets for the tests, with checksums computed by hand (RFC 791, 768, 8200). */
final class Packets {
    private Packets() {}

    static final int PROTO_UDP = 17;

    /** An IPv4 or IPv6 packet carrying UDP, with valid IP header and UDP checksums. */
    static byte[] udp(InetAddress src, int srcPort, InetAddress dst, int dstPort, byte[] payload) {
        boolean v4 = src instanceof Inet4Address;
        int udpLen = 8 + payload.length;
        int ipHeader = v4 ? 20 : 40;
        ByteBuffer b = ByteBuffer.allocate(ipHeader + udpLen);
        if (v4) {
            b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + udpLen)).putShort((short) 0x1234)
                    .putShort((short) 0x4000) // DF
                    .put((byte) 64).put((byte) PROTO_UDP).putShort((short) 0)
                    .put(src.getAddress()).put(dst.getAddress());
            b.putShort(10, (short) checksum(b.array(), 0, 20, 0));
        } else {
            b.putInt(0x60000000).putShort((short) udpLen).put((byte) PROTO_UDP).put((byte) 64)
                    .put(src.getAddress()).put(dst.getAddress());
        }
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLen).putShort((short) 0).put(payload);
        byte[] p = b.array();
        long pseudo = pseudoHeaderSum(src, dst, udpLen);
        int c = checksum(p, ipHeader, udpLen, pseudo);
        if (c == 0) {
            c = 0xffff; // RFC 768: a computed zero is sent as all ones
        }
        p[ipHeader + 6] = (byte) (c >>> 8);
        p[ipHeader + 7] = (byte) c;
        return p;
    }

    /** Internet checksum (one's complement of the one's complement sum) over data[off, off+len) plus {@code initial}. */
    static int checksum(byte[] data, int off, int len, long initial) {
        long sum = initial;
        int i = off;
        for (; i + 1 < off + len; i += 2) {
            sum += ((data[i] & 0xff) << 8) | (data[i + 1] & 0xff);
        }
        if (i < off + len) {
            sum += (data[i] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static long pseudoHeaderSum(InetAddress src, InetAddress dst, int udpLen) {
        byte[] s = src.getAddress();
        byte[] d = dst.getAddress();
        long sum = 0;
        for (int i = 0; i < s.length; i += 2) {
            sum += ((s[i] & 0xff) << 8) | (s[i + 1] & 0xff);
            sum += ((d[i] & 0xff) << 8) | (d[i + 1] & 0xff);
        }
        return sum + PROTO_UDP + udpLen;
    }

    /** A parsed IP/UDP packet (or a non-UDP packet with udp == false). */
    record Parsed(int version, int protocol, InetAddress src, InetAddress dst, boolean udp, int srcPort, int dstPort,
                  byte[] payload, boolean checksumsValid) {}

    static Parsed parse(byte[] p, int len) {
        int version = (p[0] & 0xff) >>> 4;
        try {
            int proto;
            int hdr;
            InetAddress src;
            InetAddress dst;
            boolean ipOk = true;
            if (version == 4) {
                hdr = (p[0] & 0x0f) * 4;
                proto = p[9] & 0xff;
                src = InetAddress.getByAddress(Arrays.copyOfRange(p, 12, 16));
                dst = InetAddress.getByAddress(Arrays.copyOfRange(p, 16, 20));
                ipOk = checksum(p, 0, hdr, 0) == 0;
            } else if (version == 6) {
                hdr = 40;
                proto = p[6] & 0xff;
                src = InetAddress.getByAddress(Arrays.copyOfRange(p, 8, 24));
                dst = InetAddress.getByAddress(Arrays.copyOfRange(p, 24, 40));
            } else {
                return new Parsed(version, -1, null, null, false, 0, 0, new byte[0], false);
            }
            if (proto != PROTO_UDP) {
                return new Parsed(version, proto, src, dst, false, 0, 0, new byte[0], ipOk);
            }
            int sport = ((p[hdr] & 0xff) << 8) | (p[hdr + 1] & 0xff);
            int dport = ((p[hdr + 2] & 0xff) << 8) | (p[hdr + 3] & 0xff);
            int udpLen = ((p[hdr + 4] & 0xff) << 8) | (p[hdr + 5] & 0xff);
            boolean udpOk = udpLen == len - hdr
                    && checksum(p, hdr, udpLen, pseudoHeaderSum(src, dst, udpLen)) == 0;
            return new Parsed(version, proto, src, dst, true, sport, dport,
                    Arrays.copyOfRange(p, hdr + 8, hdr + udpLen), ipOk && udpOk);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
