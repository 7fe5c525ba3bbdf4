package net.palisade.dataplane.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * An {@code AF_PACKET} transmit ring (PACKET_MMAP, TPACKET_V2, {@code PACKET_QDISC_BYPASS}) on one Ethernet
 * interface, for plain ESP: the worker writes whole frames — Ethernet header, IPv4 header, ESP packet — into the
 * shared ring and one {@code send()} hands every written frame to the driver. The kernel's IP output is skipped
 * (no {@code raw_sendmsg}, route lookup, {@code ip_append_data}, netfilter OUTPUT/POSTROUTING, neighbour output, qdisc):
 * the caller has resolved the route and the next hop's MAC itself ({@link Ipv4Routes}).
 *
 * <p>The socket is opened with protocol 0, so it receives nothing. A frame's slot is the kernel's until the skb that
 * points into it is freed — on a veth that is after the peer has consumed the packet — so {@link #queue} answers
 * false when the next slot is still busy and the caller sends that packet another way. One thread per ring.
 */
public final class PacketTxRing implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_VERSION = 10;
    private static final int PACKET_TX_RING = 13;
    private static final int PACKET_QDISC_BYPASS = 20;
    private static final int TPACKET_V2 = 1;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final long SIOCGIFMTU = 0x8921;
    private static final int ARPHRD_ETHER = 1;
    /** struct tpacket2_hdr is 32 octets; TX data starts at TPACKET2_HDRLEN - sizeof(sockaddr_ll) = 52 - 20. */
    static final int DATA_OFFSET = 32;
    static final int TP_STATUS_AVAILABLE = 0;
    static final int TP_STATUS_SEND_REQUEST = 1;
    static final int TP_STATUS_WRONG_FORMAT = 4;
    public static final int ETHERNET_HEADER = 14;
    public static final int IPV4_HEADER = 20;
    private static final VarHandle STATUS = JAVA_INT.varHandle();
    private static final ValueLayout.OfShort SHORT_BE = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);

    private final int fd;
    private final String device;
    private final MemorySegment ring;
    private final int frameSize;
    private final int frames;
    private final byte[] mac;
    private final int mtu;
    private final MemorySegment state;
    /** Copy mode (no ring): frames go into this batch and leave by sendmmsg(2) on the packet socket. */
    private final DatagramBatch batch;
    private final FdHandle handle;
    private int next;
    private int sendErrorsLogged;
    private int pending;
    private short ipId;
    private long busy;
    private long sendCalls;
    private long sent;

    private PacketTxRing(int fd, String device, MemorySegment ring, int frameSize, int frames, byte[] mac, int mtu,
            Arena arena) throws ErrnoException {
        this.batch = ring == null ? DatagramBatch.allocate(arena, 64, frameSize) : null;
        this.handle = ring == null ? new FdHandle(fd, "packet socket " + device) : null;
        if (batch != null) {
            batch.sendConnected(); // the socket is bound to the interface: no sockaddr_ll per frame
        }
        this.fd = fd;
        this.device = device;
        this.ring = ring;
        this.frameSize = frameSize;
        this.frames = frames;
        this.mac = mac;
        this.mtu = mtu;
        this.state = Libc.newCallState(arena);
    }

    /**
     * Opens a transmit ring of {@code frames} frames on {@code device} in the calling thread's network namespace.
     * Needs CAP_NET_RAW.
     *
     * @throws IOException when the device does not exist, is not Ethernet, or the ring cannot be made
     */
    public static PacketTxRing open(String device, int frames, Arena arena) throws IOException {
        return open(device, frames, arena, true);
    }

    /**
     * As {@link #open(String, int, Arena)}; {@code ring} false: no PACKET_MMAP ring, frames are copied into a
     * 64-entry batch and leave by one sendmmsg(2) on the packet socket (the kernel copies them into linear skbs).
     */
    public static PacketTxRing open(String device, int frames, Arena arena, boolean ring) throws IOException {
        int ifindex = Libc.ifNameToIndex(device);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Libc.newCallState(a);
            fd = (int) Libc.SOCKET.invokeExact(st, AF_PACKET, SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("socket(AF_PACKET, SOCK_RAW) for " + device, st);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Libc.newCallState(a);
            MemorySegment sll = a.allocate(20, 4);
            sll.set(JAVA_SHORT, 0, (short) AF_PACKET);
            sll.set(JAVA_INT, 4, ifindex);
            if ((int) Libc.BIND.invokeExact(st, fd, sll, 20) != 0) {
                throw Libc.error("bind(AF_PACKET) to " + device, st);
            }
            MemorySegment name = a.allocate(20, 4);
            MemorySegment nameLen = a.allocateFrom(JAVA_INT, 20);
            if ((int) Libc.GETSOCKNAME.invokeExact(st, fd, name, nameLen) != 0) {
                throw Libc.error("getsockname(AF_PACKET) on " + device, st);
            }
            int hatype = Short.toUnsignedInt(name.get(JAVA_SHORT, 8));
            int halen = Byte.toUnsignedInt(name.get(JAVA_BYTE, 11));
            if (hatype != ARPHRD_ETHER || halen != 6) {
                throw new IOException(device + " is not an Ethernet interface (hardware type " + hatype + ")");
            }
            byte[] mac = new byte[6];
            MemorySegment.copy(name, JAVA_BYTE, 12, mac, 0, 6);
            MemorySegment ifr = a.allocate(40, 8);
            ifr.setString(0, device);
            if ((int) Libc.IOCTL.invokeExact(st, fd, SIOCGIFMTU, ifr) != 0) {
                throw Libc.error("SIOCGIFMTU on " + device, st);
            }
            int mtu = ifr.get(JAVA_INT, 16);
            Libc.setIntSockOpt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION on " + device);
            Libc.setIntSockOpt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS on " + device);
            int frameSize = Integer.highestOneBit(Math.max(2048, mtu + ETHERNET_HEADER + DATA_OFFSET) * 2 - 1);
            int blockSize = Math.max(frameSize, 1 << 16);
            int perBlock = blockSize / frameSize;
            int blocks = Math.max(1, (frames + perBlock - 1) / perBlock);
            int total = blocks * perBlock;
            MemorySegment req = a.allocate(16, 4);
            req.set(JAVA_INT, 0, blockSize);
            req.set(JAVA_INT, 4, blocks);
            req.set(JAVA_INT, 8, frameSize);
            req.set(JAVA_INT, 12, total);
            if (ring && (int) Libc.SETSOCKOPT.invokeExact(st, fd, SOL_PACKET, PACKET_TX_RING, req, 16) != 0) {
                throw Libc.error("PACKET_TX_RING on " + device, st);
            }
            // frames in flight hold socket memory until the peer consumes them: room for the whole ring
            long bytes = (long) blockSize * blocks;
            int sndbuf = (int) Math.min(Integer.MAX_VALUE / 2, bytes * 2);
            try {
                Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, sndbuf, "SO_SNDBUFFORCE " + device);
            } catch (ErrnoException e) {
                Libc.setIntSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, sndbuf, "SO_SNDBUF " + device);
            }
            if (!ring) {
                return new PacketTxRing(fd, device, null, frameSize, 64, mac, mtu, arena);
            }
            MemorySegment p = (MemorySegment) Libc.MMAP.invokeExact(st, MemorySegment.NULL, bytes,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
            if (p.address() == -1L) {
                throw Libc.error("mmap of the TX ring on " + device, st);
            }
            MemorySegment ringMemory = p.reinterpret(bytes, arena, seg -> unmap(seg));
            return new PacketTxRing(fd, device, ringMemory, frameSize, total, mac, mtu, arena);
        } catch (IOException | RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        } catch (Throwable t) {
            Libc.closeQuietly(fd);
            throw Libc.linkageFailure(t);
        }
    }

    private static void unmap(MemorySegment seg) {
        try (Arena a = Arena.ofConfined()) {
            int ignored = (int) Libc.MUNMAP.invokeExact(Libc.newCallState(a), seg, seg.byteSize());
        } catch (Throwable t) {
            // nothing to do at close
        }
    }

    public byte[] mac() {
        return mac.clone();
    }

    public int mtu() {
        return mtu;
    }

    public String device() {
        return device;
    }

    /** The largest ESP packet {@link #queue} takes: the interface's MTU less the IPv4 header. */
    public int maxEsp() {
        return Math.min(mtu, frameSize - DATA_OFFSET - ETHERNET_HEADER) - IPV4_HEADER;
    }

    /**
     * Writes one frame carrying {@code esp[off, off+len)} from {@code srcIp} to {@code dstIp} (IPv4, host order
     * ints) via the next hop {@code dstMac} into the next slot. Nothing leaves until {@link #flush}.
     *
     * @return false when the slot is still the kernel's (the ring is full of frames in flight) or the packet is
     *     larger than {@link #maxEsp()}: nothing was written
     */
    public boolean queue(byte[] dstMac, int srcIp, int dstIp, byte[] esp, int off, int len) {
        if (len > maxEsp()) {
            return false;
        }
        if (batch != null) {
            if (pending == batch.capacity()) {
                try {
                    flush();
                } catch (IOException e) {
                    return false;
                }
            }
            int n = writeIpv4Esp(batch.buffer(pending), 0, dstMac, mac, srcIp, dstIp, ipId++, esp, off, len);
            batch.setLength(pending, n);
            pending++;
            return true;
        }
        long at = (long) next * frameSize;
        int status = (int) STATUS.getAcquire(ring, at);
        if (status != TP_STATUS_AVAILABLE && status != TP_STATUS_WRONG_FORMAT) {
            busy++;
            return false;
        }
        int n = writeIpv4Esp(ring, at + DATA_OFFSET, dstMac, mac, srcIp, dstIp, ipId++, esp, off, len);
        ring.set(JAVA_INT, at + 4, n); // tp_len
        STATUS.setRelease(ring, at, TP_STATUS_SEND_REQUEST);
        next = next + 1 == frames ? 0 : next + 1;
        pending++;
        return true;
    }

    /** Frames written and not yet flushed. */
    public int pending() {
        return pending;
    }

    /** One {@code send()}: the kernel transmits every frame marked for sending. */
    public void flush() throws IOException {
        if (pending == 0) {
            return;
        }
        sent += pending;
        int count = pending;
        pending = 0;
        sendCalls++;
        if (batch != null) {
            int done = handle.sendBatch(batch, count);
            if (done < count && sendErrorsLogged++ < 5) {
                System.getLogger(PacketTxRing.class.getName()).log(System.Logger.Level.WARNING, device + ": "
                        + (count - done) + " of " + count + " frames refused: " + Libc.errnoName(handle.lastSendErrno));
            }
            return;
        }
        long r;
        try {
            r = (long) Libc.SEND.invokeExact(state, fd, MemorySegment.NULL, 0L, Libc.MSG_DONTWAIT);
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        if (r < 0) {
            int errno = Libc.errno(state);
            if (errno != Libc.EAGAIN && errno != Libc.EINTR && errno != 105 /* ENOBUFS */) {
                throw Libc.error("send on the TX ring of " + device, errno);
            }
        }
    }

    /** Times {@link #queue} found the next slot still in flight. */
    public long busy() {
        return busy;
    }

    public long sendCalls() {
        return sendCalls;
    }

    public long framesSent() {
        return sent;
    }

    /**
     * Writes an Ethernet II frame (EtherType IPv4) with an IPv4 header (no options, DF, TTL 64, protocol 50, the
     * header checksum) followed by the ESP packet at {@code dst[at...]}.
     *
     * @return the frame's length
     */
    public static int writeIpv4Esp(MemorySegment dst, long at, byte[] dstMac, byte[] srcMac, int srcIp, int dstIp,
            short id, byte[] esp, int off, int len) {
        MemorySegment.copy(dstMac, 0, dst, JAVA_BYTE, at, 6);
        MemorySegment.copy(srcMac, 0, dst, JAVA_BYTE, at + 6, 6);
        dst.set(SHORT_BE, at + 12, (short) 0x0800);
        long ip = at + ETHERNET_HEADER;
        int total = IPV4_HEADER + len;
        dst.set(SHORT_BE, ip, (short) 0x4500);
        dst.set(SHORT_BE, ip + 2, (short) total);
        dst.set(SHORT_BE, ip + 4, id);
        dst.set(SHORT_BE, ip + 6, (short) 0x4000); // DF, no fragment offset
        dst.set(SHORT_BE, ip + 8, (short) ((64 << 8) | 50)); // TTL 64, protocol ESP
        dst.set(SHORT_BE, ip + 10, (short) 0);
        dst.set(SHORT_BE.withByteAlignment(1), ip + 12, (short) (srcIp >>> 16));
        dst.set(SHORT_BE.withByteAlignment(1), ip + 14, (short) srcIp);
        dst.set(SHORT_BE.withByteAlignment(1), ip + 16, (short) (dstIp >>> 16));
        dst.set(SHORT_BE.withByteAlignment(1), ip + 18, (short) dstIp);
        int sum = 0x4500 + total + Short.toUnsignedInt(id) + 0x4000 + ((64 << 8) | 50)
                + (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        dst.set(SHORT_BE.withByteAlignment(1), ip + 10, (short) ~sum);
        MemorySegment.copy(esp, off, dst, JAVA_BYTE, ip + IPV4_HEADER, len);
        return ETHERNET_HEADER + total;
    }

    @Override
    public void close() {
        if (handle != null) {
            handle.close();
            return;
        }
        Libc.closeQuietly(fd);
    }

    @Override
    public String toString() {
        return (batch != null ? "TX ring (copy mode, sendmmsg) " : "TX ring ") + device + " (" + frames + " frames of "
                + frameSize + ")";
    }
}
