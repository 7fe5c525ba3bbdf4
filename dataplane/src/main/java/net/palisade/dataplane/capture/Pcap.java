package net.palisade.dataplane.capture;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic pcap file format (what {@code tcpdump -w} writes) with link type {@code LINKTYPE_LINUX_SLL} (113): each
 * packet behind a 16-octet "cooked" header whose packet type says its direction, so that {@code tcpdump -r} prints
 * {@code Out} for a packet on its way into the tunnel and {@code In} for one that came out of it.
 */
public final class Pcap {
    /** {@code LINKTYPE_LINUX_SLL}. */
    public static final int LINKTYPE_LINUX_SLL = 113;
    /** The largest packet kept whole; longer ones are cut (TCP segments the TUN device coalesced can be up to 64 KiB). */
    public static final int SNAPLEN = 65_535;
    /** Octets of the global header. */
    public static final int FILE_HEADER_BYTES = 24;
    /** Octets before each packet: record header and cooked header. */
    public static final int RECORD_HEADER_BYTES = 16 + 16;
    /** Cooked packet type of a packet received by this host: came out of a tunnel. */
    public static final int SLL_HOST = 0;
    /** Cooked packet type of a packet this host sent: on its way into a tunnel. */
    public static final int SLL_OUTGOING = 4;
    private static final int ARPHRD_NONE = 0xfffe;

    private Pcap() {
    }

    /** The file's global header: magic, version 2.4, time zone 0, snap length, link type; little-endian. */
    public static byte[] fileHeader() {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN)
                .putInt(LINKTYPE_LINUX_SLL);
        return b.array();
    }

    /**
     * Writes the record header and cooked header of one packet at {@code out}'s position.
     *
     * @param epochMicros when it was captured
     * @param captured    octets of the packet that follow
     * @param length      the packet's full length
     * @param sllType     {@link #SLL_HOST} or {@link #SLL_OUTGOING}
     * @param etherType   0x0800 or 0x86DD
     */
    public static void recordHeader(ByteBuffer out, long epochMicros, int captured, int length, int sllType,
            int etherType) {
        ByteBuffer le = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        le.putInt((int) (epochMicros / 1_000_000)).putInt((int) (epochMicros % 1_000_000)).putInt(captured + 16)
                .putInt(length + 16);
        ByteBuffer be = le.order(ByteOrder.BIG_ENDIAN);
        be.putShort((short) sllType).putShort((short) ARPHRD_NONE).putShort((short) 0).putLong(0)
                .putShort((short) etherType);
        out.position(be.position());
    }
}
