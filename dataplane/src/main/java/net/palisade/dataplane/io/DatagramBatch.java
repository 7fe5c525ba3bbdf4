package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Preallocated native structures for one recvmmsg(2)/sendmmsg(2) call: {@code capacity} datagram buffers of
 * {@code bufferSize} bytes, their lengths, and one {@link SockAddr} each (the source after a receive, the destination
 * for a send). A worker allocates one or two batches at start-up and reuses them for ever: nothing is allocated per
 * packet.
 *
 * <pre>{@code
 * int n = endpoint.receiveBatch(rx);            // fills buffer(i), length(i), address(i) for i < n
 * for (int i = 0; i < n; i++) process(rx.buffer(i), rx.length(i), rx.address(i));
 *
 * tx.buffer(0).copyFrom(...); tx.setLength(0, len); tx.address(0).copyFrom(peer);
 * endpoint.sendBatch(tx, 1);
 * }</pre>
 *
 * <p>Native layout (LP64): {@code struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }} where
 * {@code struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
 * void *msg_control; size_t msg_controllen; int msg_flags; }} — 64 bytes per entry; {@code struct iovec
 * { void *iov_base; size_t iov_len; }} — 16 bytes. Each entry has exactly one iovec. Not thread-safe: one batch per
 * thread.
 *
 * <p>Each entry also has room for two control messages: UDP_SEGMENT on send ({@link #setSegmentSize}, UDP GSO), and
 * on receive UDP_GRO ({@link #segmentSize}) and SO_RXQ_OVFL, the socket's drop count ({@link #newDrops()}).
 */
public final class DatagramBatch {
    static final long MMSGHDR_SIZE = 64;
    private static final long OFF_NAME = 0;
    private static final long OFF_NAMELEN = 8;
    private static final long OFF_IOV = 16;
    private static final long OFF_IOVLEN = 24;
    private static final long OFF_CONTROL = 32;
    private static final long OFF_CONTROLLEN = 40;
    private static final long OFF_FLAGS = 48;
    private static final long OFF_MSGLEN = 56;
    private static final long IOVEC_SIZE = 16;
    private static final long NAME_STRIDE = 32;
    /** Room for two cmsgs carrying an int each: 2 * CMSG_SPACE(sizeof(int)) = 48, rounded to 64. */
    private static final long CONTROL_STRIDE = 64;
    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; unsigned char cmsg_data[]; }
    private static final long CMSG_HDR = 16;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;

    private final int capacity;
    private final int bufferSize;
    private final MemorySegment headers;
    /** headersFrom[i] = the mmsghdr array starting at entry i (for resuming a partial sendmmsg without allocating). */
    private final MemorySegment[] headersFrom;
    private final MemorySegment iovecs;
    private final MemorySegment[] buffers;
    private final SockAddr[] addresses;
    private final int[] lengths;
    private final int[] segmentSizes;
    private final MemorySegment controls;
    /** The socket's drop count the last receive reported (SO_RXQ_OVFL, unsigned 32 bits), or -1 if none did. */
    private long reportedDrops = -1;
    /** Datagrams the socket dropped since the receive before: set by the handle after each receive. */
    private long newDrops;

    private DatagramBatch(Arena arena, int capacity, int bufferSize) {
        this.capacity = capacity;
        this.bufferSize = bufferSize;
        this.headers = arena.allocate(MMSGHDR_SIZE * capacity, 64);
        this.iovecs = arena.allocate(IOVEC_SIZE * capacity, 16);
        MemorySegment names = arena.allocate(NAME_STRIDE * capacity, 16);
        long stride = (bufferSize + 63L) & ~63L;
        MemorySegment data = arena.allocate(stride * capacity, 64);
        this.headersFrom = new MemorySegment[capacity];
        this.buffers = new MemorySegment[capacity];
        this.addresses = new SockAddr[capacity];
        this.lengths = new int[capacity];
        this.segmentSizes = new int[capacity];
        this.controls = arena.allocate(CONTROL_STRIDE * capacity, 8);
        for (int i = 0; i < capacity; i++) {
            buffers[i] = data.asSlice(i * stride, bufferSize);
            MemorySegment name = names.asSlice(i * NAME_STRIDE, NAME_STRIDE);
            addresses[i] = new SockAddr(name);
            MemorySegment iov = iovecs.asSlice(i * IOVEC_SIZE, IOVEC_SIZE);
            iov.set(ADDRESS, 0, buffers[i]);
            iov.set(JAVA_LONG, 8, bufferSize);
            long h = i * MMSGHDR_SIZE;
            headersFrom[i] = headers.asSlice(h);
            headers.set(ADDRESS, h + OFF_NAME, name);
            headers.set(JAVA_INT, h + OFF_NAMELEN, SockAddr.SIZE);
            headers.set(ADDRESS, h + OFF_IOV, iov);
            headers.set(JAVA_LONG, h + OFF_IOVLEN, 1L);
            headers.set(ADDRESS, h + OFF_CONTROL, controls.asSlice(i * CONTROL_STRIDE, CONTROL_STRIDE));
            headers.set(JAVA_LONG, h + OFF_CONTROLLEN, 0L);
        }
    }

    /**
     * Allocates a batch in {@code arena} (use {@code Arena.ofShared()} or {@code ofConfined()} owned by the worker).
     *
     * @param capacity   datagrams per call (recvmmsg/sendmmsg vlen; the kernel caps one call at 1024)
     * @param bufferSize bytes per datagram buffer; a longer datagram is truncated ({@link #truncated})
     */
    public static DatagramBatch allocate(Arena arena, int capacity, int bufferSize) {
        if (capacity < 1 || capacity > 1024) {
            throw new IllegalArgumentException("capacity must be 1..1024: " + capacity);
        }
        if (bufferSize < 1 || bufferSize > 65535) {
            throw new IllegalArgumentException("bufferSize must be 1..65535: " + bufferSize);
        }
        return new DatagramBatch(arena, capacity, bufferSize);
    }

    public int capacity() {
        return capacity;
    }

    public int bufferSize() {
        return bufferSize;
    }

    /** The whole buffer of entry {@code i} ({@link #bufferSize()} bytes); the datagram is its first length(i) bytes. */
    public MemorySegment buffer(int i) {
        return buffers[i];
    }

    /** After a receive: the datagram's length. Before a send: what {@link #setLength} set. */
    public int length(int i) {
        return lengths[i];
    }

    public void setLength(int i, int length) {
        if (length < 0 || length > bufferSize) {
            throw new IndexOutOfBoundsException("length " + length + " not in 0.." + bufferSize);
        }
        lengths[i] = length;
    }

    /** After a receive: the source of datagram {@code i}. Before a send: set its destination here. */
    public SockAddr address(int i) {
        return addresses[i];
    }

    /**
     * UDP GSO/GRO segment size of entry {@code i}, 0 for a plain datagram.
     *
     * <p>Receive, on an endpoint with {@link UdpEndpoint.Options#gro()}: non-zero means the kernel coalesced
     * several datagrams of one flow into this buffer; each is {@code segmentSize(i)} bytes except possibly the last.
     * Send: see {@link #setSegmentSize}.
     */
    public int segmentSize(int i) {
        return segmentSizes[i];
    }

    /**
     * Makes entry {@code i} a UDP GSO send (UDP_SEGMENT): its {@link #length(int)} bytes are sent as consecutive
     * datagrams of {@code segmentSize} bytes (the last may be shorter) to the same destination, for the cost of one.
     * At most 64 segments and 65507 bytes per entry. 0 turns it back into a plain datagram.
     */
    public void setSegmentSize(int i, int segmentSize) {
        if (segmentSize < 0 || segmentSize > 65507) {
            throw new IllegalArgumentException("segment size " + segmentSize);
        }
        segmentSizes[i] = segmentSize;
    }

    /**
     * After a receive: how many datagrams the kernel dropped on this socket since the receive before, mostly because
     * its receive buffer was full (the socket's {@code sk_drops}, reported through SO_RXQ_OVFL with the next datagram
     * it queued: a drop shows in the receive of the datagram after it). A dropped GRO datagram counts once, though it
     * may have carried up to 64.
     */
    public long newDrops() {
        return newDrops;
    }

    /** True if datagram {@code i} of the last receive was longer than the buffer (MSG_TRUNC). */
    public boolean truncated(int i) {
        return (headers.get(JAVA_INT, i * MMSGHDR_SIZE + OFF_FLAGS) & Libc.MSG_TRUNC) != 0;
    }

    // ---- used by UdpEndpoint ---------------------------------------------------------------------------

    MemorySegment headers() {
        return headers;
    }

    MemorySegment headersFrom(int entry) {
        return headersFrom[entry];
    }

    void prepareReceive() {
        newDrops = 0;
        for (int i = 0; i < capacity; i++) {
            long h = i * MMSGHDR_SIZE;
            headers.set(JAVA_INT, h + OFF_NAMELEN, SockAddr.SIZE);
            headers.set(JAVA_INT, h + OFF_FLAGS, 0);
            headers.set(JAVA_LONG, h + OFF_CONTROLLEN, CONTROL_STRIDE);
            iovecs.set(JAVA_LONG, i * IOVEC_SIZE + 8, bufferSize);
        }
    }

    void completeReceive(int count) {
        reportedDrops = -1;
        for (int i = 0; i < count; i++) {
            long h = i * MMSGHDR_SIZE;
            lengths[i] = headers.get(JAVA_INT, h + OFF_MSGLEN);
            int segment = 0;
            long controlLen = Math.min(headers.get(JAVA_LONG, h + OFF_CONTROLLEN), CONTROL_STRIDE);
            long c = i * CONTROL_STRIDE;
            for (long at = 0; at + CMSG_HDR + 4 <= controlLen; ) {
                long len = controls.get(JAVA_LONG, c + at);
                if (len < CMSG_HDR + 4 || at + len > controlLen) {
                    break;
                }
                int level = controls.get(JAVA_INT, c + at + 8);
                int type = controls.get(JAVA_INT, c + at + 12);
                if (level == SOL_UDP && type == UDP_GRO) {
                    segment = controls.get(JAVA_INT, c + at + CMSG_HDR);
                } else if (level == Libc.SOL_SOCKET && type == Libc.SO_RXQ_OVFL) {
                    reportedDrops = Integer.toUnsignedLong(controls.get(JAVA_INT, c + at + CMSG_HDR));
                }
                at += (len + 7) & ~7L; // CMSG_ALIGN
            }
            segmentSizes[i] = segment;
        }
    }

    /**
     * After {@link #completeReceive}: sets {@link #newDrops()} from the count this receive reported and the one the
     * socket reported before ({@code seen}); returns the count to remember for the socket.
     */
    long noteDrops(long seen) {
        if (reportedDrops < 0) {
            newDrops = 0;
            return seen;
        }
        newDrops = (reportedDrops - seen) & 0xffffffffL;
        return reportedDrops;
    }

    void prepareSend(int count) {
        for (int i = 0; i < count; i++) {
            long h = i * MMSGHDR_SIZE;
            headers.set(JAVA_INT, h + OFF_NAMELEN, addresses[i].length());
            iovecs.set(JAVA_LONG, i * IOVEC_SIZE + 8, lengths[i]);
            if (segmentSizes[i] > 0 && lengths[i] > segmentSizes[i]) {
                long c = i * CONTROL_STRIDE;
                controls.set(JAVA_LONG, c, CMSG_HDR + 2); // CMSG_LEN(sizeof(uint16_t))
                controls.set(JAVA_INT, c + 8, SOL_UDP);
                controls.set(JAVA_INT, c + 12, UDP_SEGMENT);
                controls.set(JAVA_SHORT, c + CMSG_HDR, (short) segmentSizes[i]);
                headers.set(JAVA_LONG, h + OFF_CONTROLLEN, 24L); // CMSG_SPACE(sizeof(uint16_t))
            } else {
                headers.set(JAVA_LONG, h + OFF_CONTROLLEN, 0L);
            }
        }
    }
}
