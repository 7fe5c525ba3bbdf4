package net.palisade.dataplane.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A Linux packet socket ({@code AF_PACKET}, {@code SOCK_DGRAM}) on one interface: a copy of every packet the kernel
 * sends to or receives from it, as {@code tcpdump -i DEV} sees them. On the dataplane's TUN device that is the
 * tunnels' cleartext: packets the kernel sends to the device are on their way into a tunnel (not yet encrypted),
 * packets it receives from the device came out of one (decrypted). The kernel makes these copies only while such a
 * socket is open, so a node without a capture pays nothing; the workers are not involved.
 *
 * <p>Not for hot loops: each {@link #receive} allocates its call state. One thread uses a socket at a time.
 */
public final class PacketSocket implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    /** {@code ETH_P_ALL}, in network byte order as bind(2) wants it. */
    private static final short ETH_P_ALL_BE = (short) 0x0300;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_STATISTICS = 6;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_DONTWAIT = 0x40;
    private static final short POLLIN = 1;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    /** {@code struct sockaddr_ll}: family, protocol, ifindex, hatype, pkttype, halen, addr[8]. */
    private static final int SOCKADDR_LL_BYTES = 20;
    private static final int PKTTYPE_OFFSET = 10;
    private static final int PROTOCOL_OFFSET = 2;
    private static final java.lang.foreign.ValueLayout.OfShort NETWORK_SHORT =
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    /** {@code sll_pkttype} of a packet the kernel sent out of the interface. */
    public static final int PACKET_OUTGOING = 4;

    private final int fd;
    private final String device;
    private volatile boolean closed;

    private PacketSocket(int fd, String device) {
        this.fd = fd;
        this.device = device;
    }

    /**
     * Opens a packet socket on {@code device}, in network namespace {@code netns} when given (opened from a thread
     * that enters it; the socket stays there). Needs CAP_NET_RAW.
     *
     * @throws IOException when the device does not exist or the socket cannot be made
     */
    public static PacketSocket open(String device, Optional<Path> netns) throws IOException {
        if (netns.isEmpty()) {
            return openHere(device);
        }
        CompletableFuture<PacketSocket> f = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("palisade-capture-open").start(() -> {
            try {
                NetNamespace.enter(netns.get());
                f.complete(openHere(device));
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        try {
            t.join();
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted opening a packet socket on " + device, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static PacketSocket openHere(String device) throws IOException {
        int ifindex = Libc.ifNameToIndex(device);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            int fd = (int) Libc.SOCKET.invokeExact(state, AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    (int) ETH_P_ALL_BE);
            if (fd < 0) {
                throw Libc.error("socket(AF_PACKET) for " + device, state);
            }
            MemorySegment sll = a.allocate(SOCKADDR_LL_BYTES);
            sll.set(JAVA_SHORT, 0, (short) AF_PACKET);
            sll.set(JAVA_SHORT, PROTOCOL_OFFSET, ETH_P_ALL_BE); // already in network order
            sll.set(JAVA_INT, 4, ifindex);
            int rc = (int) Libc.BIND.invokeExact(state, fd, sll, SOCKADDR_LL_BYTES);
            if (rc != 0) {
                IOException e = Libc.error("bind(AF_PACKET) to " + device, state);
                Libc.closeQuietly(fd);
                throw e;
            }
            return new PacketSocket(fd, device);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /**
     * One packet, waiting up to {@code timeoutMillis} for it.
     *
     * @param buffer where its first {@code buffer.byteSize()} octets go
     * @return the packet (its length on the wire may exceed what was copied), or empty on timeout
     * @throws IOException when the socket fails or was closed
     */
    public Optional<Received> receive(MemorySegment buffer, int timeoutMillis) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            MemorySegment pfd = a.allocate(8);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, POLLIN);
            int ready = (int) Libc.POLL.invokeExact(state, pfd, 1L, timeoutMillis);
            if (closed) {
                throw new IOException("packet socket on " + device + " closed");
            }
            if (ready < 0) {
                if (Libc.errno(state) == EINTR) {
                    return Optional.empty();
                }
                throw Libc.error("poll on the packet socket of " + device, state);
            }
            if (ready == 0) {
                return Optional.empty();
            }
            MemorySegment from = a.allocate(SOCKADDR_LL_BYTES);
            MemorySegment fromLen = a.allocateFrom(JAVA_INT, SOCKADDR_LL_BYTES);
            long n = (long) Libc.RECVFROM.invokeExact(state, fd, buffer, buffer.byteSize(), MSG_TRUNC | MSG_DONTWAIT,
                    from, fromLen);
            if (n < 0) {
                int errno = Libc.errno(state);
                if (errno == EAGAIN || errno == EINTR) {
                    return Optional.empty();
                }
                throw Libc.error("recvfrom on the packet socket of " + device, state);
            }
            int protocol = Short.toUnsignedInt(from.get(NETWORK_SHORT, PROTOCOL_OFFSET));
            return Optional.of(new Received((int) Math.min(n, buffer.byteSize()), (int) n,
                    Byte.toUnsignedInt(from.get(JAVA_BYTE, PKTTYPE_OFFSET)), protocol));
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /**
     * One packet's facts.
     *
     * @param captured octets copied into the buffer
     * @param length   the packet's full length
     * @param pktType  {@code sll_pkttype}: {@link #PACKET_OUTGOING}, or 0 (to this host) for one received
     * @param protocol its EtherType: 0x0800 IPv4, 0x86DD IPv6
     */
    public record Received(int captured, int length, int pktType, int protocol) {}

    /**
     * Packets the kernel queued for this socket and packets it dropped because the socket's buffer was full, since
     * the last call ({@code PACKET_STATISTICS} resets them).
     *
     * @return {received, dropped}
     */
    public long[] statistics() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            MemorySegment v = a.allocate(8);
            MemorySegment len = a.allocateFrom(JAVA_INT, 8);
            int rc = (int) Libc.GETSOCKOPT.invokeExact(state, fd, SOL_PACKET, PACKET_STATISTICS, v, len);
            if (rc != 0) {
                throw Libc.error("PACKET_STATISTICS on " + device, state);
            }
            return new long[] {Integer.toUnsignedLong(v.get(JAVA_INT, 0)), Integer.toUnsignedLong(v.get(JAVA_INT, 4))};
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.closeQuietly(fd);
        }
    }
}
