package net.palisade.dataplane.packet;

/**
 * The {@code struct virtio_net_hdr} (10 octets, little-endian) that starts every packet on a TUN device opened with
 * IFF_VNET_HDR: {@code u8 flags; u8 gso_type; le16 hdr_len; le16 gso_size; le16 csum_start; le16 csum_offset}
 * (virtio 1.x Section 5.1.6, {@code <linux/virtio_net.h>}).
 */
public final class VirtioNetHeader {
    public static final int LENGTH = 10;
    /** flags: the checksum at csum_start + csum_offset holds only the pseudo-header sum; complete it. */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was verified (receive side only). */
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** gso_type bit: the TCP super-packet carries ECN (CWR on the first segment only). */
    public static final int GSO_ECN = 0x80;

    private VirtioNetHeader() {
    }

    public static int flags(byte[] b, int off) {
        return b[off] & 0xff;
    }

    public static int gsoType(byte[] b, int off) {
        return b[off + 1] & 0xff;
    }

    public static int headerLength(byte[] b, int off) {
        return le16(b, off + 2);
    }

    public static int gsoSize(byte[] b, int off) {
        return le16(b, off + 4);
    }

    public static int csumStart(byte[] b, int off) {
        return le16(b, off + 6);
    }

    public static int csumOffset(byte[] b, int off) {
        return le16(b, off + 8);
    }

    /** Writes a header saying "a plain packet, checksums complete". */
    public static void writeNone(byte[] b, int off) {
        for (int i = 0; i < LENGTH; i++) {
            b[off + i] = 0;
        }
    }

    /** Writes a header for a TCP super-packet whose checksum field holds the pseudo-header sum. */
    public static void writeTcpGso(byte[] b, int off, boolean ipv6, int headersLength, int gsoSize, int csumStart) {
        b[off] = (byte) F_NEEDS_CSUM;
        b[off + 1] = (byte) (ipv6 ? GSO_TCPV6 : GSO_TCPV4);
        put16(b, off + 2, headersLength);
        put16(b, off + 4, gsoSize);
        put16(b, off + 6, csumStart);
        put16(b, off + 8, 16);
    }

    /**
     * Completes a partial checksum (F_NEEDS_CSUM): the field at {@code csumStart + csumOffset} holds the
     * pseudo-header sum; the checksum of everything from {@code csumStart} to the end goes there.
     *
     * @param packet offset of the IP packet; csumStart is relative to it
     * @return false if the offsets do not fit the packet
     */
    public static boolean completeChecksum(byte[] b, int packet, int length, int csumStart, int csumOffset) {
        if (csumStart < 20 || csumOffset + 2 > length - csumStart || (csumOffset & 1) != 0) {
            return false;
        }
        int from = packet + csumStart;
        int c = Checksum.finish(Checksum.sum(b, from, length - csumStart, 0));
        if (c == 0 && csumOffset == 6) {
            c = 0xffff; // UDP: a computed zero is sent as all ones (RFC 768)
        }
        Checksum.put16(b, from + csumOffset, c);
        return true;
    }

    static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | ((b[off + 1] & 0xff) << 8);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }
}
