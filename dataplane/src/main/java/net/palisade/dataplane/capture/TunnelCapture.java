package net.palisade.dataplane.capture;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.palisade.dataplane.io.PacketSocket;
import net.palisade.dataplane.sa.Prefix;

/**
 * One running capture of one tunnel, read as a pcap file ({@link Pcap}): the file header at once, then each packet
 * of the TUN device that travels between the tunnel's networks — from one of its local networks to one of its
 * remote ones on the way in ({@code Out}: not yet encrypted), the reverse on the way out ({@code In}: decrypted) —
 * until {@code maxPackets} were kept or {@code maxDuration} passed; then end of stream. Packets of other tunnels
 * are skipped and counted.
 *
 * <p>Reads block (in steps of at most 200 ms) until a packet, the end, or {@link #close()}. One reader at a time;
 * it may change threads between reads.
 */
public final class TunnelCapture extends InputStream {
    private static final int POLL_MILLIS = 200;
    private static final ValueLayout.OfInt NETWORK_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong NETWORK_LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** What a capture did, for its log line and the node's counters. */
    public record Summary(long packets, long skipped, long kernelDrops) {}

    private final PacketSocket socket;
    private final List<Prefix> local;
    private final List<Prefix> remote;
    private final long maxPackets;
    private final Instant deadline;
    private final Clock clock;
    private final Runnable onClose;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment packet = arena.allocate(Pcap.SNAPLEN);
    private final ByteBuffer record = ByteBuffer.allocate(Pcap.RECORD_HEADER_BYTES + Pcap.SNAPLEN);
    private long packets;
    private long skipped;
    private long kernelDrops;
    private boolean ended;
    private boolean closed;

    TunnelCapture(PacketSocket socket, List<Prefix> local, List<Prefix> remote, long maxPackets, Duration maxDuration,
            Clock clock, Runnable onClose) {
        this.socket = socket;
        this.local = List.copyOf(local);
        this.remote = List.copyOf(remote);
        this.maxPackets = maxPackets;
        this.clock = clock;
        this.deadline = clock.instant().plus(maxDuration);
        this.onClose = onClose;
        record.put(Pcap.fileHeader()).flip();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!record.hasRemaining()) {
            if (ended || closed) {
                return -1;
            }
            next();
        }
        int n = Math.min(len, record.remaining());
        record.get(b, off, n);
        return n;
    }

    /** Waits for the next packet of the tunnel and puts its record in {@link #record}, or ends the capture. */
    private void next() throws IOException {
        long left = Duration.between(clock.instant(), deadline).toMillis();
        if (packets >= maxPackets || left <= 0) {
            ended = true;
            return;
        }
        Optional<PacketSocket.Received> r = socket.receive(packet, (int) Math.min(POLL_MILLIS, left));
        if (r.isEmpty()) {
            return;
        }
        PacketSocket.Received p = r.get();
        boolean outgoing = p.pktType() == PacketSocket.PACKET_OUTGOING;
        if (!ours(packet, p.captured(), outgoing, local, remote)) {
            skipped++;
            return;
        }
        Instant now = clock.instant();
        record.clear();
        Pcap.recordHeader(record, now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000, p.captured(), p.length(),
                outgoing ? Pcap.SLL_OUTGOING : Pcap.SLL_HOST, p.protocol());
        record.put(packet.asSlice(0, p.captured()).asByteBuffer());
        record.flip();
        packets++;
    }

    /** On its way in, from a local network to a remote one; on its way out, the reverse. */
    static boolean ours(MemorySegment packet, int length, boolean outgoing, List<Prefix> local,
            List<Prefix> remote) {
        if (length < 1) {
            return false;
        }
        int version = (packet.get(ValueLayout.JAVA_BYTE, 0) >> 4) & 0xf;
        List<Prefix> src = outgoing ? local : remote;
        List<Prefix> dst = outgoing ? remote : local;
        if (version == 4 && length >= 20) {
            int s = packet.get(NETWORK_INT, 12);
            int d = packet.get(NETWORK_INT, 16);
            return src.stream().anyMatch(x -> x.contains4(s)) && dst.stream().anyMatch(x -> x.contains4(d));
        }
        if (version == 6 && length >= 40) {
            long sh = packet.get(NETWORK_LONG, 8);
            long sl = packet.get(NETWORK_LONG, 16);
            long dh = packet.get(NETWORK_LONG, 24);
            long dl = packet.get(NETWORK_LONG, 32);
            return src.stream().anyMatch(x -> x.contains6(sh, sl)) && dst.stream().anyMatch(x -> x.contains6(dh, dl));
        }
        return false;
    }

    /** Stops capturing: closes the packet socket (the kernel stops copying) and counts what the kernel dropped. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kernelDrops = socket.statistics()[1];
        } catch (IOException e) {
            kernelDrops = 0;
        }
        socket.close();
        arena.close();
        onClose.run();
    }

    /** @return what it captured so far (final after {@link #close()}) */
    public synchronized Summary summary() {
        return new Summary(packets, skipped, kernelDrops);
    }
}
