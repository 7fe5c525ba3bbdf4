package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Waits until one non-blocking descriptor is ready, or until its owner's wake eventfd becomes readable.
 *
 * <p>poll(2) over two descriptors: the I/O descriptor and the eventfd of its {@link FdHandle}. Waking makes the
 * eventfd readable for good (it is never drained), so a thread blocked now, and every later wait, returns
 * {@link #WOKEN}: this is how {@code close()} unblocks a worker without racing on descriptor reuse.
 * Preallocated; used by one thread at a time (the handle's receive or send lock holder).
 */
final class FdWaiter {
    static final int READY = 1;
    static final int TIMEOUT = 0;
    static final int WOKEN = -1;

    // struct pollfd { int fd; short events; short revents; }  — 8 bytes
    private static final long POLLFD_SIZE = 8;

    private final int fd;
    private final MemorySegment pollFds;
    private final MemorySegment callState;

    FdWaiter(int fd, int eventFd, Arena arena) {
        this.fd = fd;
        this.callState = Libc.newCallState(arena);
        this.pollFds = arena.allocate(POLLFD_SIZE * 2, 8);
        pollFds.set(JAVA_INT, 0, fd);
        pollFds.set(JAVA_INT, POLLFD_SIZE, eventFd);
        pollFds.set(JAVA_SHORT, POLLFD_SIZE + 4, Libc.POLLIN);
    }

    /**
     * Waits for {@code events} (POLLIN or POLLOUT) on the descriptor.
     *
     * @param timeoutMillis -1 to wait forever, 0 to only look
     * @return {@link #READY} (also on POLLERR/POLLHUP: the next I/O call reports the error), {@link #TIMEOUT},
     *         or {@link #WOKEN} once the owner is closing
     */
    int await(short events, int timeoutMillis) throws ErrnoException {
        pollFds.set(JAVA_SHORT, 4, events);
        while (true) {
            pollFds.set(JAVA_SHORT, 6, (short) 0);
            pollFds.set(JAVA_SHORT, POLLFD_SIZE + 6, (short) 0);
            int rc;
            try {
                rc = (int) Libc.POLL.invokeExact(callState, pollFds, 2L, timeoutMillis);
            } catch (Throwable t) {
                throw Libc.linkageFailure(t);
            }
            if (rc < 0) {
                int errno = Libc.errno(callState);
                if (errno == Libc.EINTR) {
                    continue;
                }
                throw Libc.error("poll fd " + fd, errno);
            }
            if (rc == 0) {
                return TIMEOUT;
            }
            if (pollFds.get(JAVA_SHORT, POLLFD_SIZE + 6) != 0) {
                return WOKEN;
            }
            if ((pollFds.get(JAVA_SHORT, 6) & Libc.POLLNVAL) != 0) {
                throw Libc.error("poll fd " + fd, 9 /* EBADF */);
            }
            return READY;
        }
    }
}
