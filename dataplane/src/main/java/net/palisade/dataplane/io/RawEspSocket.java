package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
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
 * incoming ESP packet, so several workers cannot simply open one each: {@link #open(InetAddress, int, int)} gives
 * worker {@code i} of {@code n} a socket with a classic BPF filter (SO_ATTACH_FILTER) that keeps only the packets
 * whose SPI hashes to {@code i} ({@link #workerFor}); the kernel then queues each packet on exactly one of them,
 * and all packets of one SA on the same one, in order. The other sockets still get a clone of the packet that
 * their filter drops: a few dozen ns each, no copy of the data.
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
        return open(local, 0, 1);
    }

    /**
     * Which of {@code workers} sockets opened by {@link #open(InetAddress, int, int)} receives ESP packets of
     * {@code spi}: a multiplicative hash (so that consecutive or evenly spaced SPIs, as manual configurations use,
     * still spread), its top 16 bits modulo {@code workers}. The socket filter computes the same in the kernel.
     */
    public static int workerFor(int spi, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1: " + workers);
        }
        return ((spi * SPI_HASH) >>> 16) % workers;
    }

    private static final int SPI_HASH = 0x9e3779b1;

    /**
     * Opens worker {@code worker}'s raw ESP socket of {@code workers} for {@code local}: it receives only the ESP
     * packets whose SPI {@link #workerFor hashes} to {@code worker} (with one worker, every packet). The filter is in
     * place before the socket is bound and whatever reached the socket before it is discarded, so no packet is ever
     * queued on two of them. A packet too short to hold an SPI (or an IPv4 header whose length points past it)
     * matches no filter and is dropped by the kernel, uncounted.
     */
    public static RawEspSocket open(InetAddress local, int worker, int workers) throws IOException {
        if (workers < 1 || worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " of " + workers);
        }
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
        FdHandle h = new FdHandle(fd, "raw ESP " + local.getHostAddress()
                + (workers > 1 ? " (worker " + worker + " of " + workers + ")" : ""));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // the socket's drop count with each packet (DatagramBatch.newDrops): a full receive buffer is counted; a
            // packet the SPI filter turns away is not (the kernel counts only what it could not queue)
            Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RXQ_OVFL, 1, "SO_RXQ_OVFL " + h.name);
            if (workers > 1) {
                attachSpiFilter(fd, v6, worker, workers, a, h.name);
                discardQueued(fd, a);
            }
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

    // Classic BPF (linux/filter.h): opcode classes, sizes, modes and operations used below.
    private static final int LDX_B_MSH = 0x01 | 0x10 | 0xa0; // X = 4 * (P[k] & 0xf): the IPv4 header length
    private static final int LD_W_IND = 0x00 | 0x00 | 0x40;  // A = P[X + k], 32 bits, network order
    private static final int LD_W_ABS = 0x00 | 0x00 | 0x20;  // A = P[k]
    private static final int ALU_MUL_K = 0x04 | 0x20;
    private static final int ALU_RSH_K = 0x04 | 0x70;
    private static final int ALU_MOD_K = 0x04 | 0x90;
    private static final int JMP_JEQ_K = 0x05 | 0x10;
    private static final int JMP_JGE_K = 0x05 | 0x30;
    private static final int JMP_JGE_X = 0x05 | 0x30 | 0x08;
    private static final int LD_W_LEN = 0x00 | 0x00 | 0x80; // A = the packet's length
    private static final int ALU_ADD_K = 0x04;
    private static final int MISC_TAX = 0x07;
    private static final int MISC_TXA = 0x07 | 0x80;
    private static final int RET_K = 0x06;
    private static final int SO_ATTACH_FILTER = 26;
    private static final int FILTER_SIZE = 8; // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }

    /**
     * The filter that keeps the packets of worker {@code worker}: an IPv4 raw socket's filter sees the datagram
     * from its IP header (the SPI follows IHL * 4 octets), an IPv6 one sees the ESP header at offset 0. A packet too
     * short to hold an SPI goes to worker 0, which drops and counts it as malformed (a load past the end would end
     * the program with 0: dropped by the kernel, uncounted).
     */
    static List<Insn> spiFilter(boolean ipv6, int worker, int workers) {
        List<Insn> p = new ArrayList<>();
        int shortPacket = worker == 0 ? -1 : 0;
        if (!ipv6) {
            p.add(new Insn(LDX_B_MSH, 0, 0, 0));
            p.add(new Insn(MISC_TXA, 0, 0, 0));
            p.add(new Insn(ALU_ADD_K, 0, 0, 4));
            p.add(new Insn(MISC_TAX, 0, 0, 0));
            p.add(new Insn(LD_W_LEN, 0, 0, 0));
            p.add(new Insn(JMP_JGE_X, 1, 0, 0)); // length >= IHL * 4 + 4: an SPI is there
            p.add(new Insn(RET_K, 0, 0, shortPacket));
            p.add(new Insn(LDX_B_MSH, 0, 0, 0));
            p.add(new Insn(LD_W_IND, 0, 0, 0));
        } else {
            p.add(new Insn(LD_W_LEN, 0, 0, 0));
            p.add(new Insn(JMP_JGE_K, 1, 0, 4));
            p.add(new Insn(RET_K, 0, 0, shortPacket));
            p.add(new Insn(LD_W_ABS, 0, 0, 0));
        }
        p.add(new Insn(ALU_MUL_K, 0, 0, SPI_HASH));
        p.add(new Insn(ALU_RSH_K, 0, 0, 16));
        p.add(new Insn(ALU_MOD_K, 0, 0, workers));
        p.add(new Insn(JMP_JEQ_K, 0, 1, worker));
        p.add(new Insn(RET_K, 0, 0, -1)); // keep the whole packet
        p.add(new Insn(RET_K, 0, 0, 0));  // not ours
        return p;
    }

    /** One classic BPF instruction. */
    record Insn(int code, int jt, int jf, int k) {
    }

    private static void attachSpiFilter(int fd, boolean v6, int worker, int workers, Arena a, String name)
            throws ErrnoException {
        List<Insn> program = spiFilter(v6, worker, workers);
        MemorySegment insns = a.allocate((long) FILTER_SIZE * program.size(), 8);
        for (int i = 0; i < program.size(); i++) {
            Insn in = program.get(i);
            long at = (long) FILTER_SIZE * i;
            insns.set(JAVA_SHORT, at, (short) in.code());
            insns.set(JAVA_BYTE, at + 2, (byte) in.jt());
            insns.set(JAVA_BYTE, at + 3, (byte) in.jf());
            insns.set(JAVA_INT, at + 4, in.k());
        }
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer at offset 8 on LP64
        MemorySegment fprog = a.allocate(16, 8);
        fprog.set(JAVA_SHORT, 0, (short) program.size());
        fprog.set(ADDRESS, 8, insns);
        try {
            MemorySegment state = Libc.newCallState(a);
            int rc = (int) Libc.SETSOCKOPT.invokeExact(state, fd, Libc.SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16);
            if (rc != 0) {
                throw Libc.error("SO_ATTACH_FILTER (SPI hash) on " + name, state);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** Reads and drops what the socket queued before its filter was attached (it took every ESP packet). */
    private static void discardQueued(int fd, Arena a) {
        MemorySegment scratch = a.allocate(65536);
        MemorySegment state = Libc.newCallState(a);
        try {
            while ((long) Libc.RECV.invokeExact(state, fd, scratch, scratch.byteSize(), Libc.MSG_DONTWAIT) >= 0) {
                // another packet that may also sit on another worker's socket
            }
        } catch (Throwable t) {
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
