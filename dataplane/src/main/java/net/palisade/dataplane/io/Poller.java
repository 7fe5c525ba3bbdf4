package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * poll(2) over a fixed set of descriptors plus a wake-up eventfd, for a worker that owns several descriptors (a TUN
 * queue, its UDP sockets, a raw socket). Register each descriptor once ({@link #add}), then loop on {@link #await}
 * and test {@link #readable(int)} per slot. {@link #wake()} may be called from any thread: it makes the current or
 * the next {@code await} return with {@link #woken()} true; the owner calls {@link #clearWake()} once it has looked
 * at why it was woken.
 *
 * <p>Preallocated; {@code await} allocates nothing. Not thread-safe except {@link #wake()} and {@link #close()}.
 */
public final class Poller implements AutoCloseable {
    // struct pollfd { int fd; short events; short revents; } — 8 bytes
    private static final long POLLFD_SIZE = 8;

    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final MemorySegment fds;
    private final MemorySegment callState;
    private final MemorySegment wakeValue;
    private final MemorySegment drainValue;
    private final MemorySegment wakeState;
    private final int eventFd;
    private final AtomicBoolean closed = new AtomicBoolean();
    private int count;

    /**
     * @param capacity descriptors that will be registered with {@link #add} (the eventfd comes on top)
     */
    public Poller(int capacity) throws ErrnoException {
        this.capacity = capacity;
        this.fds = arena.allocate(POLLFD_SIZE * (capacity + 1), 8);
        this.callState = Libc.newCallState(arena);
        this.wakeState = Libc.newCallState(arena);
        this.wakeValue = arena.allocateFrom(JAVA_LONG, 1L);
        this.drainValue = arena.allocate(JAVA_LONG);
        int efd;
        try {
            // int eventfd(unsigned int initval, int flags)
            efd = (int) Libc.EVENTFD.invokeExact(callState, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        if (efd < 0) {
            arena.close();
            throw Libc.error("eventfd for poller", callState);
        }
        this.eventFd = efd;
        fds.set(JAVA_INT, 0, efd);
        fds.set(JAVA_SHORT, 4, Libc.POLLIN);
    }

    /** Registers a descriptor for POLLIN; returns its slot for {@link #readable(int)}. */
    public int add(int fd) {
        if (count == capacity) {
            throw new IllegalStateException("poller full: " + capacity + " descriptors");
        }
        int slot = count++;
        long off = (slot + 1) * POLLFD_SIZE;
        fds.set(JAVA_INT, off, fd);
        fds.set(JAVA_SHORT, off + 4, Libc.POLLIN);
        return slot;
    }

    /**
     * Waits until a registered descriptor is readable (or in error), the poller is woken, or the timeout passes.
     *
     * @param timeoutMillis -1 forever, 0 to only look
     * @return the number of descriptors with events, the eventfd included; 0 on timeout
     */
    public int await(int timeoutMillis) throws ErrnoException {
        long n = count + 1L;
        while (true) {
            for (int i = 0; i <= count; i++) {
                fds.set(JAVA_SHORT, i * POLLFD_SIZE + 6, (short) 0);
            }
            int rc;
            try {
                // int poll(struct pollfd *fds, nfds_t nfds, int timeout)
                rc = (int) Libc.POLL.invokeExact(callState, fds, n, timeoutMillis);
            } catch (Throwable t) {
                throw Libc.linkageFailure(t);
            }
            if (rc >= 0) {
                return rc;
            }
            int errno = Libc.errno(callState);
            if (errno != Libc.EINTR) {
                throw Libc.error("poll", errno);
            }
        }
    }

    /** After {@link #await}: whether the descriptor in {@code slot} is readable or reported an error. */
    public boolean readable(int slot) {
        return fds.get(JAVA_SHORT, (slot + 1) * POLLFD_SIZE + 6) != 0;
    }

    /** After {@link #await}: whether {@link #wake()} was called since the last {@link #clearWake()}. */
    public boolean woken() {
        return fds.get(JAVA_SHORT, 6) != 0;
    }

    /** Drains the eventfd so that the next {@link #await} blocks again. */
    public void clearWake() {
        try {
            // ssize_t read(int fd, void *buf, size_t count): resets the eventfd counter to 0
            long rc = (long) Libc.READ.invokeExact(callState, eventFd, drainValue, 8L);
            assert rc == 8 || rc == -1;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** Makes the owner's current or next {@link #await} return. Any thread. */
    public void wake() {
        if (closed.get()) {
            return;
        }
        synchronized (wakeState) {
            try {
                // ssize_t write(int fd, const void *buf, size_t count): adds 1 to the eventfd counter
                long rc = (long) Libc.WRITE.invokeExact(wakeState, eventFd, wakeValue, 8L);
                assert rc == 8 || rc == -1;
            } catch (Throwable t) {
                throw Libc.linkageFailure(t);
            }
        }
    }

    /** Closes the eventfd (not the registered descriptors). Call once the owner no longer awaits. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (wakeState) {
            Libc.closeQuietly(eventFd);
            arena.close();
        }
    }
}
