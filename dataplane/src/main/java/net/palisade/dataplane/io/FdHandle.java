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
    /** The socket's drop count as its last datagram reported it (SO_RXQ_OVFL); under {@link #rxLock}. */
    private long dropsSeen;
    /** Datagrams the kernel refused (per-packet errors) and the errno of the last one; under {@link #txLock}. */
    long sendErrors;
    int lastSendErrno;

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
     *     too big, ...), counted in {@link #sendErrors}
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
                        sendErrors++;
                        lastSendErrno = errno;
                        return errno;
                    }
                    throw Libc.error("sendto " + name + " -> " + to, errno);
                }
            }
        } finally {
            txLock.unlock();
        }
    }

    /**
     * recvmmsg(2) into {@code batch}: as many datagrams as are queued, up to its capacity, waiting at most
     * {@code timeoutMillis} for the first (-1: for ever, 0: not at all). Holds {@link #rxLock}.
     *
     * @return the number received, 0 on timeout, -1 once closed
     */
    int receiveBatch(DatagramBatch batch, int timeoutMillis) throws java.io.IOException {
        rxLock.lock();
        try {
            if (isClosed()) {
                return -1;
            }
            MemorySegment headers = batch.headers();
            int capacity = batch.capacity();
            while (true) {
                batch.prepareReceive();
                int n;
                try {
                    // int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
                    //              struct timespec *timeout)
                    n = (int) Libc.RECVMMSG.invokeExact(rxState, fd, headers, capacity, Libc.MSG_DONTWAIT,
                            MemorySegment.NULL);
                } catch (Throwable t) {
                    throw Libc.linkageFailure(t);
                }
                if (n > 0) {
                    batch.completeReceive(n);
                    dropsSeen = batch.noteDrops(dropsSeen);
                    return n;
                }
                int errno = n == 0 ? Libc.EAGAIN : Libc.errno(rxState);
                if (errno == Libc.EAGAIN) {
                    int r = rxWaiter.await(Libc.POLLIN, timeoutMillis);
                    if (r == FdWaiter.WOKEN) {
                        return -1;
                    }
                    if (r == FdWaiter.TIMEOUT) {
                        return 0;
                    }
                } else if (errno != Libc.EINTR && !UdpEndpoint.isPerPacketError(errno)) {
                    throw Libc.error("recvmmsg " + name, errno);
                }
                // EINTR, or a pending ICMP error reported on the socket: try again
            }
        } finally {
            rxLock.unlock();
        }
    }

    /**
     * sendmmsg(2) of entries {@code 0 .. count-1} of {@code batch}, with as few calls as the socket buffer allows,
     * waiting for room when it is full. An entry the kernel refuses (no route, too big, ...) is skipped and counted
     * in {@link #sendErrors}. Holds {@link #txLock}.
     *
     * @return the number of entries handed to the kernel
     * @throws java.io.IOException once closed, or if the socket is unusable
     */
    int sendBatch(DatagramBatch batch, int count) throws java.io.IOException {
        if (count < 0 || count > batch.capacity()) {
            throw new IndexOutOfBoundsException("count " + count + " not in 0.." + batch.capacity());
        }
        txLock.lock();
        try {
            if (isClosed()) {
                throw closedError("sendBatch");
            }
            batch.prepareSend(count);
            int done = 0;
            int sent = 0;
            while (done < count) {
                int n;
                try {
                    // int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags)
                    n = (int) Libc.SENDMMSG.invokeExact(txState, fd, batch.headersFrom(done), count - done,
                            Libc.MSG_DONTWAIT);
                } catch (Throwable t) {
                    throw Libc.linkageFailure(t);
                }
                if (n > 0) {
                    done += n;
                    sent += n;
                    continue;
                }
                int errno = Libc.errno(txState);
                if (errno == Libc.EAGAIN) {
                    if (txWaiter.await(Libc.POLLOUT, -1) == FdWaiter.WOKEN) {
                        throw closedError("sendBatch");
                    }
                } else if (errno == Libc.EINTR) {
                    continue;
                } else if (UdpEndpoint.isPerPacketError(errno)) {
                    sendErrors++;
                    lastSendErrno = errno;
                    done++; // the first entry of this call failed: skip it
                } else {
                    throw Libc.error("sendmmsg " + name, errno);
                }
            }
            return sent;
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
