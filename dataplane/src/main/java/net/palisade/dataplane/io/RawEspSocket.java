package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Plain ESP (IP protocol 50, no UDP encapsulation) through a raw socket: {@code socket(AF_INET[6], SOCK_RAW,
 * IPPROTO_ESP)} bound to a local address. This is what manually keyed peers without NAT traversal (Juniper,
 * SonicWall and similar) send and expect. Requires CAP_NET_RAW.
 *
 * <p>{@link #receive} hands back the ESP payload (SPI first) at offset 0 of the caller's buffer plus the source
 * address: for IPv4 the kernel delivers the whole IP datagram and the header (IHL * 4 bytes) is stripped here; IPv6
 * raw sockets never include the IPv6 header. {@link #send} gives an ESP payload to the kernel, which builds the outer
 * IP header (source = the bound address). Every raw ESP socket bound to a matching address gets a copy of each
 * incoming ESP packet: open one per address, not one per worker.
 *
 * <p>The worker's path is batched like the UDP one: {@link #sendBatch} is one sendmmsg(2) for all the ESP packets
 * sealed from one TUN read (a TCP super-packet gives dozens), {@link #receiveBatch} one recvmmsg(2) for all that are
 * queued. Raw sockets have no GSO or GRO: each ESP packet still crosses the kernel's IP stack as one skb on both
 * sides, which is what is left between this path and ESP-in-UDP (docs/benchmarks.md). {@link #send} and
 * {@link #receive} (one packet per call) remain for tests and control paths.
 *
 * <p>The kernel here has no ESP protocol handler; raw sockets still receive protocol 50, and because a raw socket
 * took the packet the kernel sends no "protocol unreachable" back.
 */
public final class RawEspSocket implements AutoCloseable {
    private final FdHandle h;
    private final InetAddress local;
    private final boolean ipv6;
    private final MemorySegment addrLen;
    private byte[] rxArray;
    private MemorySegment rxArraySegment;
    private long malformed;

    private RawEspSocket(FdHandle h, InetAddress local, boolean ipv6) {
        this.h = h;
        this.local = local;
        this.ipv6 = ipv6;
        this.addrLen = h.arena.allocate(JAVA_INT);
    }

    /** Opens a raw ESP socket in the calling thread's network namespace, bound to {@code local} (may be 0.0.0.0/::). */
    public static RawEspSocket open(InetAddress local) throws IOException {
        boolean v6 = !(local instanceof Inet4Address);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // int socket(int domain, int type, int protocol)
            fd = (int) Libc.SOCKET.invokeExact(state, v6 ? Libc.AF_INET6 : Libc.AF_INET,
                    Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_ESP);
            if (fd < 0) {
                throw Libc.error("socket(" + (v6 ? "AF_INET6" : "AF_INET") + ", SOCK_RAW, IPPROTO_ESP)", state);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        FdHandle h = new FdHandle(fd, "raw ESP " + local.getHostAddress());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            SockAddr addr = SockAddr.allocate(a);
            addr.set(local, 0);
            // int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen)
            int rc = (int) Libc.BIND.invokeExact(state, fd, addr.segment(), addr.length());
            if (rc != 0) {
                throw Libc.error("bind raw ESP " + local.getHostAddress(), state);
            }
            return new RawEspSocket(h, local, v6);
        } catch (IOException | RuntimeException e) {
            h.close();
            throw e;
        } catch (Throwable t) {
            h.close();
            throw Libc.linkageFailure(t);
        }
    }

    public InetAddress localAddress() {
        return local;
    }

    /**
     * Sets SO_RCVBUF and SO_SNDBUF (with the FORCE variants where CAP_NET_ADMIN allows, else capped by
     * net.core.[rw]mem_max). The system default (about 208 KB) overflows within a millisecond of gigabit ESP: a
     * gateway wants megabytes, as {@link UdpEndpoint.Options#DEFAULT} has.
     */
    public void setBufferSizes(int receiveBytes, int sendBytes) throws ErrnoException {
        setBuffer(Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, receiveBytes);
        setBuffer(Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, sendBytes);
    }

    private void setBuffer(int forceOption, int option, int bytes) throws ErrnoException {
        if (bytes <= 0) {
            return;
        }
        try {
            Libc.setIntSockOpt(h.fd, Libc.SOL_SOCKET, forceOption, bytes, "buffer size " + h.name);
        } catch (ErrnoException e) {
            Libc.setIntSockOpt(h.fd, Libc.SOL_SOCKET, option, bytes, "buffer size " + h.name);
        }
    }

    public boolean isIpv6() {
        return ipv6;
    }

    public int fd() {
        return h.fd;
    }

    /** Blocks for the next ESP packet; see {@link #receive(MemorySegment, SockAddr, int)}. */
    public int receive(MemorySegment buffer, SockAddr from) throws IOException {
        return receive(buffer, from, -1);
    }

    /**
     * Receives one ESP packet: the ESP payload (starting with the SPI) is placed at offset 0 of {@code buffer}
     * (which may be a heap segment; for IPv4 it needs room for the IP header too, so size it MTU + 60), the
     * sender's address in {@code from} (port 0).
     *
     * @return the ESP payload length, 0 on timeout, -1 once closed
     */
    public int receive(MemorySegment buffer, SockAddr from, int timeoutMillis) throws IOException {
        h.rxLock.lock();
        try {
            while (true) {
                if (h.isClosed()) {
                    return -1;
                }
                addrLen.set(JAVA_INT, 0, SockAddr.SIZE);
                long n;
                try {
                    // ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags,
                    //                  struct sockaddr *src_addr, socklen_t *addrlen) — critical, MSG_DONTWAIT
                    n = (long) Libc.RECVFROM.invokeExact(h.rxState, h.fd, buffer, buffer.byteSize(),
                            Libc.MSG_DONTWAIT, from.segment(), addrLen);
                } catch (Throwable t) {
                    throw Libc.linkageFailure(t);
                }
                if (n >= 0) {
                    if (ipv6) {
                        return (int) n;
                    }
                    int payload = stripIpv4Header(buffer, (int) n);
                    if (payload >= 0) {
                        return payload;
                    }
                    malformed++;
                    continue;
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
                } else if (errno != Libc.EINTR && !UdpEndpoint.isPerPacketError(errno)) {
                    throw Libc.error("recvfrom " + h.name, errno);
                }
            }
        } finally {
            h.rxLock.unlock();
        }
    }

    /** Heap-array form of {@link #receive(MemorySegment, SockAddr, int)}; payload at {@code buffer[0]}. */
    public int receive(byte[] buffer, SockAddr from, int timeoutMillis) throws IOException {
        h.rxLock.lock();
        try {
            if (buffer != rxArray) {
                rxArray = buffer;
                rxArraySegment = MemorySegment.ofArray(buffer);
            }
            return receive(rxArraySegment, from, timeoutMillis);
        } finally {
            h.rxLock.unlock();
        }
    }

    /**
     * recvmmsg(2): as many ESP packets as are queued, up to the batch's capacity, waiting at most
     * {@code timeoutMillis} for the first (0: only take what is queued). Entry {@code i} holds what the kernel
     * delivered — for IPv4 the whole datagram, IP header included: its ESP payload starts at
     * {@link #espOffset(DatagramBatch, int)}. Buffers should be the largest ESP packet plus 60 octets.
     *
     * @return the number received, 0 on timeout, -1 once closed
     */
    public int receiveBatch(DatagramBatch batch, int timeoutMillis) throws IOException {
        return h.receiveBatch(batch, timeoutMillis);
    }

    /**
     * Where the ESP payload (SPI first) of entry {@code i} of the last {@link #receiveBatch} starts: 0 for IPv6, the
     * IPv4 header length for IPv4; -1 (and counted in {@link #malformed()}) if the entry was truncated or its IPv4
     * header is malformed. The payload is {@code batch.length(i) - espOffset} octets.
     */
    public int espOffset(DatagramBatch batch, int i) {
        int n = batch.length(i);
        if (batch.truncated(i)) {
            malformed++;
            return -1;
        }
        if (ipv6) {
            return 0;
        }
        int ihl = ipv4HeaderLength(batch.buffer(i), n);
        if (ihl < 0) {
            malformed++;
        }
        return ihl;
    }

    /**
     * sendmmsg(2) of entries {@code 0 .. count-1} of {@code batch}: each an ESP payload (SPI first) for its
     * {@link DatagramBatch#address(int)} (port 0); the kernel builds each outer IP header. Waits for room when the
     * socket buffer is full; a packet the kernel refuses (no route, too big, ...) is skipped and counted in
     * {@link #sendErrors()}. Any thread; the socket's send lock makes workers sharing it take turns per batch.
     *
     * @return the number of packets handed to the kernel
     */
    public int sendBatch(DatagramBatch batch, int count) throws IOException {
        return h.sendBatch(batch, count);
    }

    /** Packets the kernel refused to send since this socket was opened. */
    public long sendErrors() {
        return h.sendErrors;
    }

    /** Moves the payload of the IPv4 datagram in {@code buf[0..n)} to offset 0; -1 if the header is malformed. */
    private static int stripIpv4Header(MemorySegment buf, int n) {
        int ihl = ipv4HeaderLength(buf, n);
        if (ihl < 0) {
            return -1;
        }
        int payload = n - ihl;
        MemorySegment.copy(buf, ihl, buf, 0, payload); // overlapping copy is safe (memmove semantics)
        return payload;
    }

    /** The header length of the IPv4 datagram in {@code buf[0..n)}, or -1 if it is malformed. */
    private static int ipv4HeaderLength(MemorySegment buf, int n) {
        if (n < 20) {
            return -1;
        }
        int vihl = buf.get(JAVA_BYTE, 0) & 0xff;
        int ihl = (vihl & 0x0f) * 4;
        if ((vihl >>> 4) != 4 || ihl < 20 || ihl > n) {
            return -1;
        }
        return ihl;
    }

    /**
     * Sends {@code length} bytes of ESP payload to {@code peer} (its port is ignored and must be 0 for IPv6).
     * {@code payload} may be a heap segment.
     *
     * @return false if the kernel refused this packet (no route, too big, ...)
     */
    public boolean send(MemorySegment payload, int length, SockAddr peer) throws IOException {
        return h.sendTo(payload, length, peer) == 0;
    }

    /** Packets dropped because their IPv4 header was malformed or they were truncated (receive side). */
    public long malformed() {
        return malformed;
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
