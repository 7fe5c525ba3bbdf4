package net.palisade.dataplane.packet;

import static net.palisade.dataplane.packet.Checksum.put16;
import static net.palisade.dataplane.packet.Checksum.u16;

/**
 * TCP MSS clamping: lowers the Maximum Segment Size option of a SYN (or SYN-ACK) that crosses the tunnel, so that
 * the two TCP ends never send segments that would not fit through it once ESP is added, even when path MTU
 * discovery is broken by filtered ICMP. The TCP checksum is updated incrementally (RFC 1624), so the rest of the
 * segment is never read.
 *
 * <p>Only an MSS option larger than the limit is changed; a segment without one is left alone (RFC 9293 says the
 * sender then assumes 536 for IPv4 / 1220 for IPv6, which always fits). Options are walked with every length
 * checked; a malformed option list leaves the segment untouched.
 */
public final class MssClamp {
    private static final int TCP_SYN = 0x02;
    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;
    private static final int OPTION_MSS = 2;

    private MssClamp() {
    }

    /** The MSS that fits an inner packet of {@code mtu} octets: minus the IP header and a 20-octet TCP header. */
    public static int mssFor(int mtu, boolean ipv6) {
        return mtu - (ipv6 ? 40 : 20) - 20;
    }

    /**
     * Clamps the MSS option of a TCP SYN in place.
     *
     * @param packet the parsed packet in {@code b}
     * @param maxMss the largest MSS to let through
     * @return true if the option was lowered (and the checksum updated)
     */
    public static boolean clamp(IpPacket packet, byte[] b, int maxMss) {
        if (packet.protocol() != IpPacket.PROTO_TCP) {
            return false;
        }
        int tcp = packet.transportOffset();
        int end = packet.offset() + packet.totalLength();
        if (tcp < 0 || tcp + 20 > end) {
            return false;
        }
        if ((b[tcp + 13] & TCP_SYN) == 0) {
            return false;
        }
        int dataOffset = ((b[tcp + 12] & 0xf0) >>> 4) * 4;
        if (dataOffset < 20 || tcp + dataOffset > end) {
            return false;
        }
        int i = tcp + 20;
        int optionsEnd = tcp + dataOffset;
        while (i < optionsEnd) {
            int kind = b[i] & 0xff;
            if (kind == OPTION_END) {
                return false;
            }
            if (kind == OPTION_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= optionsEnd) {
                return false;
            }
            int length = b[i + 1] & 0xff;
            if (length < 2 || i + length > optionsEnd) {
                return false;
            }
            if (kind == OPTION_MSS) {
                if (length != 4) {
                    return false;
                }
                int mss = u16(b, i + 2);
                if (mss <= maxMss) {
                    return false;
                }
                int newMss = Math.max(maxMss, 0);
                put16(b, i + 2, newMss);
                fixChecksum(b, tcp, i + 2 - tcp, mss, newMss);
                return true;
            }
            i += length;
        }
        return false;
    }

    /**
     * RFC 1624 update of the TCP checksum for one changed 16-bit value. The MSS value sits at an even offset from
     * the TCP header in every sane option layout, but an odd one is legal (after a single NOP): then the value
     * straddles two 16-bit words of the checksum, and both words are updated.
     */
    private static void fixChecksum(byte[] b, int tcp, int relative, int oldValue, int newValue) {
        int checksum = u16(b, tcp + 16);
        if ((relative & 1) == 0) {
            checksum = Checksum.update(checksum, oldValue, newValue);
        } else {
            int wordStart = tcp + relative - 1;
            // The two words as they were: [x, oldHi] [oldLo, y]; now [x, newHi] [newLo, y].
            int x = b[wordStart] & 0xff;
            int y = b[wordStart + 3] & 0xff;
            checksum = Checksum.update(checksum, (x << 8) | (oldValue >>> 8), (x << 8) | (newValue >>> 8));
            checksum = Checksum.update(checksum, ((oldValue & 0xff) << 8) | y, ((newValue & 0xff) << 8) | y);
        }
        put16(b, tcp + 16, checksum);
    }
}
