package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One queue of a (multi-queue) TUN device: a non-blocking {@code /dev/net/tun} descriptor that reads and writes
 * whole IP packets (IFF_NO_PI: no packet-information prefix). One worker thread owns a queue: it loops on
 * {@link #read} and calls {@link #write}; another thread may call {@link #close()}, which wakes the reader.
 *
 * <p>Receive: the kernel spreads outbound flows across queues by flow hash. Buffers must hold the device MTU; a
 * packet longer than the buffer is truncated by the kernel.
 *
 * <p>Allocation-free once warm: read/write go straight from the descriptor to the caller's segment or array
 * (heap arrays through a critical downcall, no copy). The one-syscall fast path tries read(2) first and calls
 * poll(2) only when the queue is empty.
 */
public final class TunQueue implements AutoCloseable {
    private final FdHandle h;
    private final int index;
    private final String deviceName;
    // Caches the heap segment of the last array used, so byte[] callers allocate nothing per packet.
    private byte[] rxArray;
    private MemorySegment rxArraySegment;
    private byte[] txArray;
    private MemorySegment txArraySegment;
    private long writeDrops;
    private int lastWriteErrno;

    TunQueue(int fd, String deviceName, int index) throws ErrnoException {
        this.h = new FdHandle(fd, "TUN " + deviceName + " queue " + index);
        this.index = index;
        this.deviceName = deviceName;
    }

    /** 0-based queue number within its device. */
    public int index() {
        return index;
    }

    public String deviceName() {
        return deviceName;
    }

    /** The raw descriptor, for callers that multiplex it in their own poll/epoll set. */
    public int fd() {
        return h.fd;
    }

    /**
     * Blocks until a packet arrives and copies it to the start of {@code buffer}.
     *
     * @return the packet length, or -1 once the queue is closed
     */
    public int read(MemorySegment buffer) throws IOException {
        return read(buffer, -1);
    }

    /**
     * Like {@link #read(MemorySegment)} but waits at most {@code timeoutMillis} (0: do not wait, -1: forever).
     *
     * @return the packet length, 0 on timeout, or -1 once the queue is closed
     */
    public int read(MemorySegment buffer, int timeoutMillis) throws IOException {
        h.rxLock.lock();
        try {
            return readLocked(buffer, timeoutMillis);
        } finally {
            h.rxLock.unlock();
        }
    }

    /** Reads into a heap array at {@code offset} (at most {@code length} bytes); same results as the segment form. */
    public int read(byte[] buffer, int offset, int length, int timeoutMillis) throws IOException {
        h.rxLock.lock();
        try {
            if (buffer != rxArray) {
                rxArray = buffer;
                rxArraySegment = MemorySegment.ofArray(buffer);
            }
            MemorySegment seg = offset == 0 && length == buffer.length
                    ? rxArraySegment : rxArraySegment.asSlice(offset, length);
            return readLocked(seg, timeoutMillis);
        } finally {
            h.rxLock.unlock();
        }
    }

    public int read(byte[] buffer, int offset, int length) throws IOException {
        return read(buffer, offset, length, -1);
    }

    private int readLocked(MemorySegment buffer, int timeoutMillis) throws IOException {
        if (h.isClosed()) {
            return -1;
        }
        while (true) {
            long n;
            try {
                // ssize_t read(int fd, void *buf, size_t count) — critical, fd is O_NONBLOCK
                n = (long) Libc.READ.invokeExact(h.rxState, h.fd, buffer, buffer.byteSize());
            } catch (Throwable t) {
                throw Libc.linkageFailure(t);
            }
            if (n >= 0) {
                return (int) n;
            }
            int errno = Libc.errno(h.rxState);
            if (errno == Libc.EAGAIN) {
                int r = h.rxWaiter.await(Libc.POLLIN, timeoutMillis);
                if (r == FdWaiter.WOKEN) {
                    return -1;
                }
                if (r == FdWaiter.TIMEOUT) {
                    return 0;
                }
            } else if (errno != Libc.EINTR) {
                throw Libc.error("read " + h.name, errno);
            }
        }
    }

    /**
     * Hands one IP packet (the first {@code length} bytes of {@code packet}) to the kernel's stack.
     *
     * @return true if accepted; false if the kernel dropped it as malformed or for lack of memory (counted in
     *         {@link #writeDrops()})
     * @throws IOException if the queue is closed or detached
     */
    public boolean write(MemorySegment packet, int length) throws IOException {
        h.txLock.lock();
        try {
            return writeLocked(packet, length);
        } finally {
            h.txLock.unlock();
        }
    }

    public boolean write(byte[] packet, int offset, int length) throws IOException {
        h.txLock.lock();
        try {
            if (packet != txArray) {
                txArray = packet;
                txArraySegment = MemorySegment.ofArray(packet);
            }
            return writeLocked(offset == 0 ? txArraySegment : txArraySegment.asSlice(offset), length);
        } finally {
            h.txLock.unlock();
        }
    }

    private boolean writeLocked(MemorySegment packet, int length) throws IOException {
        if (h.isClosed()) {
            throw h.closedError("write");
        }
        if (length < 0 || length > packet.byteSize()) {
            throw new IndexOutOfBoundsException("length " + length + " outside segment of " + packet.byteSize());
        }
        while (true) {
            long n;
            try {
                // ssize_t write(int fd, const void *buf, size_t count) — critical, fd is O_NONBLOCK
                n = (long) Libc.WRITE.invokeExact(h.txState, h.fd, packet, (long) length);
            } catch (Throwable t) {
                throw Libc.linkageFailure(t);
            }
            if (n >= 0) {
                return true;
            }
            int errno = Libc.errno(h.txState);
            switch (errno) {
                case Libc.EINTR -> {
                    continue;
                }
                // EINVAL: not an IP packet / bad length; EAGAIN, ENOMEM, ENOBUFS: no room right now; EIO: dropped
                case 22, Libc.EAGAIN, 12, 105, 5 -> {
                    writeDrops++;
                    lastWriteErrno = errno;
                    return false;
                }
                default -> throw Libc.error("write " + h.name, errno);
            }
        }
    }

    /** Packets the kernel refused in {@link #write}; read by the owning worker (plain field). */
    public long writeDrops() {
        return writeDrops;
    }

    /** errno of the last refused write, 0 if none. */
    public int lastWriteErrno() {
        return lastWriteErrno;
    }

    public boolean isClosed() {
        return h.isClosed();
    }

    /** Wakes a blocked reader (its read returns -1) and closes the descriptor. Idempotent. */
    @Override
    public void close() {
        h.close();
    }

    @Override
    public String toString() {
        return h.name;
    }
}
