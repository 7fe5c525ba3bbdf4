package net.palisade.dataplane.worker;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import net.palisade.dataplane.esp.EspConstants;
import net.palisade.dataplane.esp.EspOpenResult;
import net.palisade.dataplane.esp.EspOutcome;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.packet.IpPacket;
import net.palisade.dataplane.packet.MssClamp;
import net.palisade.dataplane.packet.TcpCoalescer;
import net.palisade.dataplane.packet.VirtioNetHeader;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.SpiMap;

/**
 * A worker's inbound ESP path, from the received ESP packet to the TUN device: SPI lookup, anti-replay check,
 * decryption and integrity check, the inner packet's parse and the SA's selectors, ping replies, MSS clamp, and TCP
 * coalescing into super-packets (with virtio-net headers). Every reject counts a {@link Counter}; nothing a packet
 * contains can make it throw. Allocates nothing per packet. Worker thread only; its own class so that a fuzzer can
 * drive exactly this path with a real SA ({@code EspInboundFuzzTest}).
 */
final class EspReceiver {
    /** Where opened packets go: the worker's TUN queue. */
    @FunctionalInterface
    interface Tun {
        /** Writes {@code length} octets of {@code packet}; false if the device refused it (counted by the caller). */
        boolean write(MemorySegment packet, int length) throws IOException;
    }

    /** Where drops and deliveries are counted: the worker's counters. */
    @FunctionalInterface
    interface Counts {
        void count(Counter c);
    }

    /** Offset of the decrypted packet in its array: room before it for a virtio-net header. */
    static final int PLAIN_HEAD = 16;

    private final int worker;
    private final Tun tun;
    private final TunnelPings pings;
    private final Counts counts;
    private final int tunHeader;
    private final IpPacket packet = new IpPacket();
    private final EspOpenResult openResult = new EspOpenResult();
    private final byte[] plain;
    private final MemorySegment plainWriteSegment;
    private final TcpCoalescer coalescer;
    private final MemorySegment coalescerSegment;

    /**
     * @param worker          the worker's index (per-worker SA traffic counters)
     * @param maxPacket       the largest ESP packet accepted
     * @param virtioNetHeader the TUN device takes virtio-net headers: opened TCP segments are coalesced
     * @param tun             where opened packets go
     * @param pings           the tunnels' pings, which keep their echo replies
     * @param counts          the worker's counters
     */
    EspReceiver(int worker, int maxPacket, boolean virtioNetHeader, Tun tun, TunnelPings pings, Counts counts) {
        this.worker = worker;
        this.tun = Objects.requireNonNull(tun, "tun");
        this.pings = Objects.requireNonNull(pings, "pings");
        this.counts = Objects.requireNonNull(counts, "counts");
        this.tunHeader = virtioNetHeader ? VirtioNetHeader.LENGTH : 0;
        this.plain = new byte[PLAIN_HEAD + maxPacket];
        this.plainWriteSegment = MemorySegment.ofArray(plain).asSlice(PLAIN_HEAD - tunHeader);
        this.coalescer = virtioNetHeader ? new TcpCoalescer() : null;
        this.coalescerSegment = coalescer == null ? null : MemorySegment.ofArray(coalescer.buffer());
    }

    /** Processes the ESP packet in {@code in[0, length)}, its SA found in {@code inbound}. */
    void esp(byte[] in, int length, SpiMap<InboundBinding> inbound) throws IOException {
        if (length < EspConstants.HEADER_LENGTH) {
            counts.count(Counter.MALFORMED);
            return;
        }
        int spi = readInt(in, 0);
        InboundBinding b = inbound.get(spi);
        if (b == null) {
            counts.count(Counter.UNKNOWN_SPI);
            return;
        }
        InboundSa sa = b.sa();
        long seq = sa.replayCheck(readInt(in, 4));
        if (seq == ReplayWindow.REJECT) {
            counts.count(Counter.REPLAY);
            return;
        }
        EspTransform transform = b.transform();
        if (transform.openedLength(length) == 0) {
            counts.count(Counter.MALFORMED);
            return;
        }
        EspOutcome outcome = transform.open(in, 0, length, seq, plain, PLAIN_HEAD, openResult);
        if (outcome == EspOutcome.ICV_FAILED) {
            counts.count(Counter.ICV_FAILED);
            return;
        }
        if (outcome != EspOutcome.OK) {
            counts.count(Counter.MALFORMED);
            return;
        }
        if (!sa.replayUpdate(seq)) {
            counts.count(Counter.REPLAY);
            return;
        }
        int nextHeader = openResult.nextHeader();
        if (nextHeader == EspConstants.NEXT_HEADER_NO_NEXT) {
            counts.count(Counter.DUMMY);
            return;
        }
        IpPacket p = packet;
        int payloadOffset = openResult.payloadOffset();
        if (!p.parse(plain, payloadOffset, openResult.payloadLength())
                || (nextHeader == EspConstants.NEXT_HEADER_IPV4 && p.version() != 4)
                || (nextHeader == EspConstants.NEXT_HEADER_IPV6 && p.version() != 6)
                || (nextHeader != EspConstants.NEXT_HEADER_IPV4 && nextHeader != EspConstants.NEXT_HEADER_IPV6)) {
            counts.count(Counter.MALFORMED);
            return;
        }
        if (!sa.selectors().admitsInbound(p)) {
            counts.count(Counter.POLICY_MISMATCH);
            return;
        }
        if (pings.reply(p, plain)) {
            counts.count(Counter.PING_REPLIES);
            return;
        }
        if (p.protocol() == IpPacket.PROTO_TCP
                && MssClamp.clamp(p, plain, p.isIpv6() ? sa.maxMss6() : sa.maxMss4())) {
            counts.count(Counter.MSS_CLAMPED);
        }
        int total = p.totalLength();
        if (coalescer != null) {
            if (coalescer.active() && coalescer.append(p, plain)) {
                counts.count(Counter.OPENED);
                sa.countAccepted(worker, total);
                return;
            }
            flush();
            if (payloadOffset == PLAIN_HEAD && TcpCoalescer.eligible(p, plain)) {
                coalescer.begin(p, plain);
                counts.count(Counter.OPENED);
                sa.countAccepted(worker, total);
                return;
            }
        }
        if (payloadOffset != PLAIN_HEAD) {
            counts.count(Counter.MALFORMED); // open() puts the payload where it was asked to
            return;
        }
        if (tunHeader > 0) {
            VirtioNetHeader.writeNone(plain, PLAIN_HEAD - tunHeader);
        }
        if (tun.write(plainWriteSegment, total + tunHeader)) {
            counts.count(Counter.OPENED);
            sa.countAccepted(worker, total);
        } else {
            counts.count(Counter.TUN_WRITE_FAILED);
        }
    }

    /** Writes the TCP super-packet waiting in the coalescer, if any: after each batch of received packets. */
    void flush() throws IOException {
        if (coalescer == null || !coalescer.active()) {
            return;
        }
        int segments = coalescer.segments();
        int n = coalescer.finish();
        if (tun.write(coalescerSegment, n)) {
            if (segments > 1) {
                counts.count(Counter.GRO_SUPER_PACKETS);
            }
        } else {
            counts.count(Counter.TUN_WRITE_FAILED);
        }
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }
}
