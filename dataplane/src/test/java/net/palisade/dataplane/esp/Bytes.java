package net.palisade.dataplane.esp;

import java.util.Arrays;
import java.util.HexFormat;

/** Small helpers for tests. */
final class Bytes {

    private Bytes() {
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static String hex(byte[] b, int off, int len) {
        return HexFormat.of().formatHex(b, off, off + len);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    static int int32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static long uint(byte[] b) {
        long v = 0;
        for (byte x : b) {
            v = (v << 8) | (x & 0xff);
        }
        return v;
    }

    /**
     * A syntactically valid IPv4 ICMP echo request of {@code totalLength} octets (at least 28), with correct
     * header and ICMP checksums, so that independent tools (scapy) parse it without complaint.
     */
    static byte[] ipv4Icmp(int totalLength, int src, int dst, int id, int seq) {
        byte[] p = new byte[totalLength];
        p[0] = 0x45;
        p[2] = (byte) (totalLength >>> 8);
        p[3] = (byte) totalLength;
        p[4] = (byte) (id >>> 8);
        p[5] = (byte) id;
        p[8] = 64; // TTL
        p[9] = 1; // ICMP
        putInt(p, 12, src);
        putInt(p, 16, dst);
        int c = checksum(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        p[20] = 8; // echo request
        p[24] = (byte) (id >>> 8);
        p[25] = (byte) id;
        p[26] = (byte) (seq >>> 8);
        p[27] = (byte) seq;
        for (int i = 28; i < totalLength; i++) {
            p[i] = (byte) i;
        }
        int ic = checksum(p, 20, totalLength - 20);
        p[22] = (byte) (ic >>> 8);
        p[23] = (byte) ic;
        return p;
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
