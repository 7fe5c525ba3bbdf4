package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One non-blocking descriptor with the state every dataplane handle needs: a shared arena for its preallocated
 * native structures, a receive lock and a send lock (uncontended in the one-worker-per-handle design, a few ns),
 * a wake eventfd, and a close protocol that is safe against a thread blocked in receive:
 * mark closed, wake, take both locks (the blocked thread leaves), then close the descriptors and free the arena.
 */
final class FdHandle {
    final int fd;
    final String name;
    final Arena arena;
    final ReentrantLock rxLock = new ReentrantLock();
    final ReentrantLock txLock = new ReentrantLock();
    final FdWaiter rxWaiter;
    final FdWaiter txWaiter;
    /** errno capture for the receive side and the send side: each used only under its lock. */
    final MemorySegment rxState;
    final MemorySegment txState;
    private final int eventFd;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Takes ownership of {@code fd} (closed here if this constructor fails). */
    FdHandle(int fd, String name) throws ErrnoException {
        this.fd = fd;
        this.name = name;
        Arena a = Arena.ofShared();
        try {
            MemorySegment state = Libc.newCallState(a);
            int efd;
            try {
                // int eventfd(unsigned int initval, int flags)
                efd = (int) Libc.EVENTFD.invokeExact(state, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            } catch (Throwable t) {
                throw Libc.linkageFailure(t);
            }
            if (efd < 0) {
                throw Libc.error("eventfd for " + name, state);
            }
            this.eventFd = efd;
            this.arena = a;
            this.rxWaiter = new FdWaiter(fd, efd, a);
            this.txWaiter = new FdWaiter(fd, efd, a);
            this.rxState = Libc.newCallState(a);
            this.txState = Libc.newCallState(a);
        } catch (ErrnoException | RuntimeException | Error e) {
            a.close();
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * One datagram with sendto(2), waiting for room when the socket buffer is full. Holds {@link #txLock}.
     *
     * @return 0 once sent, or the errno of a per-packet refusal ({@link UdpEndpoint#isPerPacketError}: no route,
     *     too big, ...) for the caller to count
     * @throws IOException once closed, or for any other error
     */
    int sendTo(MemorySegment data, int length, SockAddr to) throws java.io.IOException {
        txLock.lock();
        try {
            if (isClosed()) {
                throw closedError("send");
            }
            while (true) {
                long n;
                try {
                    // ssize_t sendto(int sockfd, const void *buf, size_t len, int flags,
                    //                const struct sockaddr *dest_addr, socklen_t addrlen) — critical
                    n = (long) Libc.SENDTO.invokeExact(txState, fd, data, (long) length, Libc.MSG_DONTWAIT,
                            to.segment(), to.length());
                } catch (Throwable t) {
                    throw Libc.linkageFailure(t);
                }
                if (n >= 0) {
                    return 0;
                }
                int errno = Libc.errno(txState);
                if (errno == Libc.EAGAIN) {
                    if (txWaiter.await(Libc.POLLOUT, -1) == FdWaiter.WOKEN) {
                        throw closedError("send");
                    }
                } else if (errno != Libc.EINTR) {
                    if (UdpEndpoint.isPerPacketError(errno)) {
                        return errno;
                    }
                    throw Libc.error("sendto " + name + " -> " + to, errno);
                }
            }
        } finally {
            txLock.unlock();
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Idempotent; returns once no thread is inside a receive or send on this handle. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        wake();
        rxLock.lock();
        txLock.lock();
        try {
            Libc.closeQuietly(fd);
            Libc.closeQuietly(eventFd);
            arena.close();
        } finally {
            txLock.unlock();
            rxLock.unlock();
        }
    }

    private void wake() {
        try (Arena a = Arena.ofConfined()) {
            // ssize_t write(int fd, const void *buf, size_t count): adds 1 to the eventfd counter.
            long rc = (long) Libc.WRITE.invokeExact(Libc.newCallState(a), eventFd, a.allocateFrom(JAVA_LONG, 1L), 8L);
            assert rc == 8 || rc == -1;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    ErrnoException closedError(String operation) {
        return new ErrnoException(operation + " on closed " + name, 9 /* EBADF */);
    }
}
