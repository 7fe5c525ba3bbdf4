package net.palisade.dataplane.packet;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Builds test packets with checksums computed here, independently of {@link Checksum} (a plain RFC 1071 loop over
 * a pseudo-header assembled byte by byte), so the tests check the production code against another implementation.
 */
final class TestPackets {
    private TestPackets() {
    }

    static final byte[] NO_OPTIONS = new byte[0];

    /** TCP options of a Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale 7 (20 octets). */
    static byte[] linuxSynOptions(int mss) {
        return new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3,
                3, 7};
    }

    /** An IPv4 or IPv6 TCP segment (flags e.g. 0x02 SYN) with the given options and payload, checksums valid. */
    static byte[] tcp(InetAddress src, InetAddress dst, int flags, byte[] options, byte[] payload) {
        boolean v4 = src instanceof Inet4Address;
        int tcpLength = 20 + options.length + payload.length;
        ByteBuffer tcp = ByteBuffer.allocate(tcpLength);
        tcp.putShort((short) 40000).putShort((short) 5201).putInt(0x01020304).putInt(flags == 0x02 ? 0 : 0x0a0b0c0d)
                .put((byte) (((20 + options.length) / 4) << 4)).put((byte) flags).putShort((short) 64240)
                .putShort((short) 0).putShort((short) 0).put(options).put(payload);
        byte[] t = tcp.array();
        int c = checksum(pseudo(src, dst, 6, tcpLength), t);
        t[16] = (byte) (c >>> 8);
        t[17] = (byte) c;
        return ip(src, dst, 6, t, true);
    }

    /** An IPv4 or IPv6 UDP datagram of {@code payloadLength} zero octets (DF set for IPv4 if {@code df}). */
    static byte[] udp(InetAddress src, InetAddress dst, int payloadLength, boolean df) {
        int udpLength = 8 + payloadLength;
        ByteBuffer u = ByteBuffer.allocate(udpLength);
        u.putShort((short) 5000).putShort((short) 6000).putShort((short) udpLength).putShort((short) 0);
        byte[] d = u.array();
        int c = checksum(pseudo(src, dst, 17, udpLength), d);
        c = c == 0 ? 0xffff : c;
        d[6] = (byte) (c >>> 8);
        d[7] = (byte) c;
        return ip(src, dst, 17, d, df);
    }

    /** An ICMP(v6) message of {@code type} with 8 octets of body after the header. */
    static byte[] icmp(InetAddress src, InetAddress dst, int type) {
        boolean v4 = src instanceof Inet4Address;
        byte[] m = new byte[16];
        m[0] = (byte) type;
        int c = v4 ? checksum(new byte[0], m) : checksum(pseudo(src, dst, 58, m.length), m);
        m[2] = (byte) (c >>> 8);
        m[3] = (byte) c;
        return ip(src, dst, v4 ? 1 : 58, m, true);
    }

    static byte[] ip(InetAddress src, InetAddress dst, int protocol, byte[] payload, boolean df) {
        if (src instanceof Inet4Address) {
            ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
            b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 0x1c46)
                    .putShort((short) (df ? 0x4000 : 0)).put((byte) 64).put((byte) protocol).putShort((short) 0)
                    .put(src.getAddress()).put(dst.getAddress()).put(payload);
            byte[] p = b.array();
            byte[] header = new byte[20];
            System.arraycopy(p, 0, header, 0, 20);
            int c = checksum(new byte[0], header);
            p[10] = (byte) (c >>> 8);
            p[11] = (byte) c;
            return p;
        }
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x60000000).putShort((short) payload.length).put((byte) protocol).put((byte) 64)
                .put(src.getAddress()).put(dst.getAddress()).put(payload);
        return b.array();
    }

    /** The pseudo-header of RFC 793 (IPv4, 12 octets) or RFC 8200 (IPv6, 40 octets). */
    static byte[] pseudo(InetAddress src, InetAddress dst, int protocol, int length) {
        if (src instanceof Inet4Address) {
            return ByteBuffer.allocate(12).put(src.getAddress()).put(dst.getAddress()).put((byte) 0)
                    .put((byte) protocol).putShort((short) length).array();
        }
        return ByteBuffer.allocate(40).put(src.getAddress()).put(dst.getAddress()).putInt(length).putShort((short) 0)
                .put((byte) 0).put((byte) protocol).array();
    }

    /** RFC 1071 over the concatenation of {@code prefix} and {@code data}, written as plainly as possible. */
    static int checksum(byte[] prefix, byte[] data) {
        byte[] all = new byte[prefix.length + data.length + 1];
        System.arraycopy(prefix, 0, all, 0, prefix.length);
        System.arraycopy(data, 0, all, prefix.length, data.length);
        int n = prefix.length + data.length;
        long sum = 0;
        for (int i = 0; i < n; i += 2) {
            sum += ((all[i] & 0xff) << 8) + (all[i + 1] & 0xff);
        }
        while (sum > 0xffff) {
            sum = (sum >> 16) + (sum & 0xffff);
        }
        return (int) (0xffff - sum);
    }

    /** True if the TCP/UDP/ICMPv6 checksum of the upper layer of this IPv4/IPv6 packet verifies. */
    static boolean upperChecksumValid(byte[] packet, int protocol) {
        boolean v4 = (packet[0] >> 4) == 4;
        int header = v4 ? (packet[0] & 0x0f) * 4 : 40;
        byte[] upper = new byte[packet.length - header];
        System.arraycopy(packet, header, upper, 0, upper.length);
        byte[] src = new byte[v4 ? 4 : 16];
        byte[] dst = new byte[v4 ? 4 : 16];
        System.arraycopy(packet, v4 ? 12 : 8, src, 0, src.length);
        System.arraycopy(packet, v4 ? 16 : 24, dst, 0, dst.length);
        byte[] prefix;
        try {
            prefix = protocol == 1 ? new byte[0]
                    : pseudo(InetAddress.getByAddress(src), InetAddress.getByAddress(dst), protocol, upper.length);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return checksum(prefix, upper) == 0;
    }

    /** True if the IPv4 header checksum verifies. */
    static boolean ipv4HeaderValid(byte[] packet) {
        byte[] header = new byte[(packet[0] & 0x0f) * 4];
        System.arraycopy(packet, 0, header, 0, header.length);
        return checksum(new byte[0], header) == 0;
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }
}
