package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A UDP socket for ESP-in-UDP and IKE (ports 4500 and 500) driven directly from a worker's own pinned thread:
 * {@link #receiveBatch} is one recvmmsg(2) for up to a batch of datagrams with their sources, {@link #sendBatch} is
 * sendmmsg(2). No event loop, no mailbox, no allocation per packet. UDP GSO (one entry sent as many datagrams,
 * {@link DatagramBatch#setSegmentSize}) and GRO ({@link Options#gro()}) ride on the same two calls.
 *
 * <p>With {@link Options#reusePort()} (the default) several workers each bind their own endpoint to the same
 * address and port (SO_REUSEPORT); the kernel then spreads peers across them by a hash of the 4-tuple, so one peer's
 * packets stay on one socket. IKE packets arrive on the same sockets (the non-ESP marker tells them apart).
 *
 * <p>An endpoint is IPv4 or IPv6 after its bind address; an IPv6 endpoint is IPV6_V6ONLY (bind one of each for
 * dual stack). Receive and send may run on two different threads; each is otherwise single-threaded.
 */
public final class UdpEndpoint implements AutoCloseable {

    /**
     * @param reusePort          SO_REUSEPORT, so several endpoints (one per worker) share the port
     * @param receiveBufferBytes SO_RCVBUF(FORCE), 0 for the system default
     * @param sendBufferBytes    SO_SNDBUF(FORCE), 0 for the system default
     * @param gro                UDP_GRO: let the kernel coalesce consecutive datagrams of one flow into one
     *                           receive entry (see {@link DatagramBatch#segmentSize}); receive buffers must then be
     *                           65535 bytes
     */
    public record Options(boolean reusePort, int receiveBufferBytes, int sendBufferBytes, boolean gro) {
        public static final Options DEFAULT = new Options(true, 4 << 20, 4 << 20, false);

        public Options withGro(boolean enabled) {
            return new Options(reusePort, receiveBufferBytes, sendBufferBytes, enabled);
        }

        public Options withReusePort(boolean enabled) {
            return new Options(enabled, receiveBufferBytes, sendBufferBytes, gro);
        }
    }

    private static final int SOL_UDP = 17;
    private static final int UDP_GRO = 104;

    private final FdHandle h;
    private final InetSocketAddress local;
    private final boolean ipv6;
    private final MemorySegment singleAddrLen;

    private UdpEndpoint(FdHandle h, InetSocketAddress local, boolean ipv6) {
        this.h = h;
        this.local = local;
        this.ipv6 = ipv6;
        this.singleAddrLen = h.arena.allocate(JAVA_INT);
    }

    public static UdpEndpoint bind(InetSocketAddress local) throws IOException {
        return bind(local, Options.DEFAULT);
    }

    /** Opens a non-blocking UDP socket in the calling thread's network namespace and binds it. */
    public static UdpEndpoint bind(InetSocketAddress local, Options options) throws IOException {
        if (local.isUnresolved()) {
            throw new IllegalArgumentException("unresolved bind address " + local);
        }
        boolean v6 = !(local.getAddress() instanceof Inet4Address);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // int socket(int domain, int type, int protocol)
            fd = (int) Libc.SOCKET.invokeExact(state, v6 ? Libc.AF_INET6 : Libc.AF_INET,
                    Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
            if (fd < 0) {
                throw Libc.error("socket(UDP) for " + local, state);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        FdHandle h = new FdHandle(fd, "UDP " + local);
        try {
            if (v6) {
                Libc.setIntSockOpt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 1, "IPV6_V6ONLY " + local);
            }
            if (options.reusePort()) {
                Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1, "SO_REUSEPORT " + local);
            }
            if (options.gro()) {
                Libc.setIntSockOpt(fd, SOL_UDP, UDP_GRO, 1, "UDP_GRO " + local);
            }
            // the socket's drop count with each datagram (DatagramBatch.newDrops): a full receive buffer is counted
            Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RXQ_OVFL, 1, "SO_RXQ_OVFL " + local);
            setBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, options.receiveBufferBytes(), local);
            setBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, options.sendBufferBytes(), local);
            InetSocketAddress bound;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = Libc.newCallState(a);
                SockAddr addr = SockAddr.of(a, local);
                // int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen)
                int rc = (int) Libc.BIND.invokeExact(state, fd, addr.segment(), addr.length());
                if (rc != 0) {
                    throw Libc.error("bind UDP " + local, state);
                }
                MemorySegment len = a.allocateFrom(JAVA_INT, SockAddr.SIZE);
                // int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
                rc = (int) Libc.GETSOCKNAME.invokeExact(state, fd, addr.segment(), len);
                if (rc != 0) {
                    throw Libc.error("getsockname UDP " + local, state);
                }
                bound = addr.toInetSocketAddress();
            }
            return new UdpEndpoint(h, bound, v6);
        } catch (IOException | RuntimeException e) {
            h.close();
            throw e;
        } catch (Throwable t) {
            h.close();
            throw Libc.linkageFailure(t);
        }
    }

    private static void setBuffer(int fd, int forceOpt, int opt, int bytes, InetSocketAddress local)
            throws ErrnoException {
        if (bytes <= 0) {
            return;
        }
        try {
            Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, forceOpt, bytes, "buffer size " + local);
        } catch (ErrnoException e) {
            // without CAP_NET_ADMIN: the plain option, capped by net.core.[rw]mem_max
            Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, opt, bytes, "buffer size " + local);
        }
    }

    /** The bound address (with the kernel-chosen port if 0 was asked). */
    public InetSocketAddress localAddress() {
        return local;
    }

    public boolean isIpv6() {
        return ipv6;
    }

    public int fd() {
        return h.fd;
    }

    /**
     * Blocks until at least one datagram is queued, then receives as many as are queued, up to the batch's capacity.
     *
     * @return the number received (&gt;= 1), or -1 once the endpoint is closed
     */
    public int receiveBatch(DatagramBatch batch) throws IOException {
        return receiveBatch(batch, -1);
    }

    /**
     * Like {@link #receiveBatch(DatagramBatch)}, waiting at most {@code timeoutMillis} (0: only take what is queued).
     *
     * @return the number received, 0 on timeout, -1 once closed
     */
    public int receiveBatch(DatagramBatch batch, int timeoutMillis) throws IOException {
        return h.receiveBatch(batch, timeoutMillis);
    }

    /**
     * Sends datagrams {@code 0 .. count-1} of {@code batch} (each to its {@link DatagramBatch#address(int)}) with as
     * few sendmmsg(2) calls as the socket buffer allows, waiting for room when it is full. A datagram the kernel
     * refuses (no route, too big, ...) is skipped and counted in {@link #sendErrors()}.
     *
     * @return the number of datagrams handed to the kernel
     * @throws IOException if the endpoint is closed or the socket is unusable
     */
    public int sendBatch(DatagramBatch batch, int count) throws IOException {
        return h.sendBatch(batch, count);
    }

    /**
     * Sends one datagram (sendto(2)); for control traffic such as IKE. {@code data} may be a heap segment.
     *
     * @return false if the kernel refused this datagram (counted in {@link #sendErrors()})
     */
    public boolean send(MemorySegment data, int length, SockAddr to) throws IOException {
        return h.sendTo(data, length, to) == 0;
    }

    /**
     * Receives one datagram (recvfrom(2)) into {@code buffer}, which may be a heap segment; source into {@code from}.
     *
     * @return the length, 0 on timeout, -1 once closed
     */
    public int receive(MemorySegment buffer, SockAddr from, int timeoutMillis) throws IOException {
        h.rxLock.lock();
        try {
            if (h.isClosed()) {
                return -1;
            }
            while (true) {
                singleAddrLen.set(JAVA_INT, 0, SockAddr.SIZE);
                long n;
                try {
                    // ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags,
                    //                  struct sockaddr *src_addr, socklen_t *addrlen) — critical
                    n = (long) Libc.RECVFROM.invokeExact(h.rxState, h.fd, buffer, buffer.byteSize(),
                            Libc.MSG_DONTWAIT, from.segment(), singleAddrLen);
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
                } else if (errno != Libc.EINTR && !isPerPacketError(errno)) {
                    throw Libc.error("recvfrom " + h.name, errno);
                }
            }
        } finally {
            h.rxLock.unlock();
        }
    }

    /** Errors that concern one datagram or one peer, not the socket: drop, count, go on. */
    static boolean isPerPacketError(int errno) {
        return switch (errno) {
            case 1 /* EPERM: netfilter */, 13 /* EACCES */, 22 /* EINVAL: bad address */, 90 /* EMSGSIZE */,
                 97 /* EAFNOSUPPORT: family mismatch */, 101 /* ENETUNREACH */, 105 /* ENOBUFS */,
                 111 /* ECONNREFUSED: ICMP */, 113 /* EHOSTUNREACH */, 99 /* EADDRNOTAVAIL */ -> true;
            default -> false;
        };
    }

    /** Datagrams the kernel refused since this endpoint was opened (read by the sending thread). */
    public long sendErrors() {
        return h.sendErrors;
    }

    /** errno of the last refused datagram, 0 if none. */
    public int lastSendErrno() {
        return h.lastSendErrno;
    }

    public boolean isClosed() {
        return h.isClosed();
    }

    /** Wakes a blocked receiver (it returns -1) and closes the socket. Idempotent. */
    @Override
    public void close() {
        h.close();
    }

    @Override
    public String toString() {
        return h.name;
    }
}
