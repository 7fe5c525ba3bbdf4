package net.palisade.dataplane.worker;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import net.palisade.dataplane.esp.EspConstants;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.io.CpuAffinity;
import net.palisade.dataplane.io.DatagramBatch;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.dataplane.io.Poller;
import net.palisade.dataplane.io.RawEspSocket;
import net.palisade.dataplane.io.SockAddr;
import net.palisade.dataplane.io.TunQueue;
import net.palisade.dataplane.io.UdpEndpoint;
import net.palisade.dataplane.packet.IcmpErrors;
import net.palisade.dataplane.packet.IpPacket;
import net.palisade.dataplane.packet.MssClamp;
import net.palisade.dataplane.packet.TcpCoalescer;
import net.palisade.dataplane.packet.TcpSegmenter;
import net.palisade.dataplane.packet.VirtioNetHeader;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.StripedCounters;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * One dataplane worker: a platform thread, pinned to a CPU, that owns TUN queue {@code i}, its own UDP sockets
 * (bound with SO_REUSEPORT to port 4500 on each bind address) and its own raw ESP sockets, one per bind address, whose
 * socket filter keeps only the ESP packets whose SPI hashes to this worker ({@link RawEspSocket#workerFor}): the
 * kernel spreads plain ESP over the workers by SA, as SO_REUSEPORT spreads ESP in UDP by flow.
 *
 * <p>The loop: poll(2) over the TUN queue, the sockets and a wake-up eventfd, then drain whatever is readable in
 * bounded batches.
 * <ul>
 *   <li>Outbound, TUN to peer: parse, drop IPv6 link-scope noise, SPD lookup, MTU check (an ICMP error back into
 *       the TUN if the packet may not be fragmented), MSS clamp, seal with a sequence number from the SA's shared
 *       counter, queue into a sendmmsg batch (UDP 4500, or the raw ESP socket of the SA's local address).</li>
 *   <li>Inbound, peer to TUN: recvmmsg a batch; the non-ESP marker means IKE (to the {@link IkeSink}); a lone
 *       0xFF is a NAT-T keepalive; anything else is ESP: SPI lookup, replay check, ICV check and decryption, replay
 *       update, inner policy check against the SA's selectors, MSS clamp, TUN write. Raw ESP arrives the same
 *       way, by recvmmsg on the worker's raw sockets, without the marker checks.</li>
 * </ul>
 * Every reject branch counts a {@link Counter}; nothing a packet contains can make the loop throw.
 *
 * <p>With a TUN device opened with the virtio-net header ({@link Config#virtioNetHeader()}), the kernel hands over
 * TCP super-packets of up to 64 KB, which the worker cuts into segments itself ({@link TcpSegmenter}), and it takes
 * coalesced ones back ({@link TcpCoalescer}): one TUN read and one TUN write for dozens of packets, and the kernel
 * forwards them as one. On the wire every ESP packet still carries one ordinary inner packet.
 *
 * <p>Per packet the loop allocates nothing of its own: packets are read into and sealed in heap arrays (SunJCE is
 * fastest on those), copied once into the native sendmmsg buffers on the way out and once out of the recvmmsg
 * buffers on the way in. The JCE AEAD ciphers allocate a little per packet themselves (see the esp package).
 */
public final class Worker {
    private static final System.Logger LOG = System.getLogger(Worker.class.getName());

    /** Room before the inner packet for the ESP header and the longest IV, so that sealing works in place. */
    static final int HEAD = 64;
    /** Room after the inner packet for padding, trailer and the longest ICV. */
    static final int TAIL = 512;
    /** Largest packet a TUN read may return. */
    static final int MAX_INNER = 65535;
    /** Largest single ESP packet accepted (jumbo frames and reassembled datagrams included). */
    static final int RX_BUFFER = 16384;
    /** Receive buffer per recvmmsg entry with UDP GRO: one coalesced super-datagram. */
    static final int GRO_BUFFER = 65535;
    /** Most ESP packets in one UDP GSO send (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    static final int GSO_MAX_SEGMENTS = 64;
    /** Most octets in one UDP GSO send (below 65535 minus the IPv6 and UDP headers). */
    static final int GSO_MAX_BYTES = 65000;
    /** Most exceptions logged per worker, so that a flood of one bug cannot fill the disk. */
    private static final int MAX_LOGGED = 20;

    /**
     * What a worker is given.
     *
     * @param index 0-based
     * @param netns the network namespace to enter first, if the dataplane lives in one
     * @param cpu the CPU to pin to, or -1 to leave the thread unpinned
     * @param queue this worker's TUN queue
     * @param udpBinds the addresses (with port, normally 4500) to bind a UDP socket to, one each
     * @param udpOptions socket options (SO_REUSEPORT must be on when there are several workers)
     * @param rawSockets this worker's raw ESP sockets, one per bind address (may be empty), each filtered to the
     *     SPIs of this worker ({@link RawEspSocket#open(InetAddress, int, int)}); it reads and sends on them
     * @param tunMtu the TUN device's MTU
     * @param batch datagrams per recvmmsg/sendmmsg and packets per TUN drain
     * @param gso send consecutive same-size ESP packets to one peer as one UDP GSO datagram (UDP_SEGMENT)
     * @param virtioNetHeader the TUN queue was opened with IFF_VNET_HDR: packets read and written start with a
     *     virtio-net header; reads may be TCP super-packets, writes coalesce TCP segments
     * @param ikeSink where IKE messages go
     * @param pings the tunnels' ICMP echoes: requests to seal (worker 0), replies to keep from the TUN
     */
    public record Config(int index, Optional<Path> netns, int cpu, TunQueue queue, List<InetSocketAddress> udpBinds,
            UdpEndpoint.Options udpOptions, List<RawEspSocket> rawSockets, int tunMtu, int batch, boolean gso,
            boolean virtioNetHeader, IkeSink ikeSink, TunnelPings pings) {
        public Config {
            Objects.requireNonNull(netns);
            Objects.requireNonNull(queue);
            udpBinds = List.copyOf(udpBinds);
            rawSockets = List.copyOf(rawSockets);
            if (batch < 1 || batch > 1024) {
                throw new IllegalArgumentException("batch must be 1..1024: " + batch);
            }
            ikeSink = ikeSink == null ? IkeSink.DISCARD : ikeSink;
            pings = pings == null ? new TunnelPings() : pings;
        }
    }

    private final Config config;
    private final int index;
    private final Thread thread;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final StripedCounters counters = new StripedCounters(1, Counter.values().length);
    private final WorkerHandle handle;
    private final AtomicInteger logged = new AtomicInteger();
    volatile WorkerTables tables = WorkerTables.EMPTY;
    /** Transforms of pairs gone from {@link #tables}, wiped by this worker between two packets ({@link #retire}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<EspTransform> retired =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean stopRequested;
    private volatile boolean running;
    private volatile List<UdpEndpoint> endpoints = List.of();
    private volatile Poller poller;

    // ---- owned by the worker thread -----------------------------------------------------------------------
    private final IpPacket packet = new IpPacket();
    /** Where TUN reads land: the packet at {@link #HEAD}, a virtio-net header (if any) right before it. */
    private final byte[] tunBuffer = new byte[HEAD + MAX_INNER + TAIL];
    private final MemorySegment tunSegment = MemorySegment.ofArray(tunBuffer);
    private final MemorySegment tunReadSegment;
    /** Where segments of a TCP super-packet are cut to, one at a time, at {@link #HEAD}. */
    private final byte[] segmentBuffer = new byte[HEAD + MAX_INNER + TAIL];
    private final byte[] in = new byte[RX_BUFFER];
    /** The inbound ESP path: decryption, checks, coalescing, the TUN write. */
    private final EspReceiver receiver;
    private final byte[] icmp = new byte[VirtioNetHeader.LENGTH + IcmpErrors.MAX_LENGTH];
    private final MemorySegment icmpWriteSegment;
    private final int tunHeader;
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private DatagramBatch rx;
    private DatagramBatch[] tx;
    private int[] txCount;
    /** Per endpoint: the SA of the last entry, its GSO segment size while it may still grow (else 0), segments. */
    private OutboundSa[] txSa;
    private int[] txSegment;
    private int[] txSegments;
    /** Per raw ESP socket (in {@link Config#rawSockets()} order): a sendmmsg batch and its entries in use. */
    private DatagramBatch[] rawTx;
    private int[] rawTxCount;
    /** recvmmsg batch for the raw ESP sockets (null without any). */
    private DatagramBatch rawRx;

    private Worker(Config config) {
        this.config = config;
        this.index = config.index();
        this.tunHeader = config.virtioNetHeader() ? VirtioNetHeader.LENGTH : 0;
        this.tunReadSegment = tunSegment.asSlice(HEAD - tunHeader, MAX_INNER + tunHeader);
        this.icmpWriteSegment = MemorySegment.ofArray(icmp).asSlice(VirtioNetHeader.LENGTH - tunHeader);
        this.receiver = new EspReceiver(index, RX_BUFFER, config.virtioNetHeader(), config.queue()::write,
                config.pings(), this::count);
        this.handle = new WorkerHandle(this);
        this.thread = new Thread(this::run, "palisade-dp-" + config.queue().deviceName() + "-w" + index);
        this.thread.setDaemon(true);
    }

    /**
     * Starts a worker thread. It enters the namespace, pins itself, opens its sockets, then completes
     * {@link #started()} (exceptionally if any of that failed) and loops until {@link #stop()}.
     */
    public static Worker start(Config config) {
        Worker w = new Worker(config);
        w.thread.start();
        return w;
    }

    /** True if an installed SA pair receives on {@code spi} (the published tables; no lock). */
    public boolean receivesOn(int spi) {
        return tables.inbound.get(spi) != null;
    }

    /** Completes once the worker is ready to move packets (its sockets are bound). */
    public CompletableFuture<Void> started() {
        return started;
    }

    public WorkerHandle handle() {
        return handle;
    }

    public int index() {
        return index;
    }

    /**
     * Hands over the transforms of SA pairs already removed from {@link #tables}: the worker closes them (wiping
     * their keys) at the top of its next loop, when no packet is in progress and every later one reads the new
     * tables; a worker that is not running has no packet in progress, and they are closed at once.
     */
    void retire(List<EspTransform> transforms) {
        if (transforms.isEmpty()) {
            return;
        }
        retired.addAll(transforms);
        if (!running) {
            closeRetired();
        }
        wake();
    }

    private void closeRetired() {
        for (EspTransform t; (t = retired.poll()) != null; ) {
            try {
                t.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, thread.getName() + ": closing the transform of a removed SA "
                        + "failed; its Cleaner frees it later", e);
            }
        }
    }

    /** Wakes the loop to seal the queued echo requests of {@link TunnelPings}; any thread. */
    public void wake() {
        Optional.ofNullable(poller).ifPresent(Poller::wake);
    }

    /** Asks the loop to end and waits for the thread to finish; the worker closes its own sockets. Idempotent. */
    public void stop() throws InterruptedException {
        stopRequested = true;
        wake();
        thread.join();
    }

    /** The UDP sockets this worker bound (empty before {@link #started()} completes). */
    public List<UdpEndpoint> endpoints() {
        return endpoints;
    }

    boolean running() {
        return running;
    }

    long counter(Counter c) {
        return counters.get(0, c.ordinal());
    }

    private void count(Counter c) {
        counters.increment(0, c.ordinal());
    }

    private void count(Counter c, long n) {
        counters.add(0, c.ordinal(), n);
    }

    /** The index of the UDP endpoint to send from {@code local}, or -1. */
    int udpEndpointFor(InetAddress local) {
        List<UdpEndpoint> eps = endpoints;
        for (int i = 0; i < eps.size(); i++) {
            if (eps.get(i).localAddress().getAddress().equals(local)) {
                return i;
            }
        }
        boolean v6 = local instanceof Inet6Address;
        for (int i = 0; i < eps.size(); i++) {
            InetAddress a = eps.get(i).localAddress().getAddress();
            if (a.isAnyLocalAddress() && (a instanceof Inet6Address) == v6) {
                return i;
            }
        }
        return -1;
    }

    /** The raw ESP socket for the family of {@code local}, or null. */
    RawEspSocket rawSocketFor(InetAddress local) {
        boolean v6 = local instanceof Inet6Address;
        RawEspSocket wildcard = null;
        for (RawEspSocket r : config.rawSockets()) {
            if (r.localAddress().equals(local)) {
                return r;
            }
            if (r.isIpv6() == v6 && r.localAddress().isAnyLocalAddress() && wildcard == null) {
                wildcard = r;
            }
        }
        return wildcard;
    }

    /** Sends an IKE message (the non-ESP marker is added here) from this worker's UDP socket; any thread. */
    boolean sendIke(InetSocketAddress to, byte[] message) throws IOException {
        byte[] framed = new byte[4 + message.length];
        System.arraycopy(message, 0, framed, 4, message.length);
        return sendUdp(to, framed);
    }

    /** Sends a NAT-T keepalive (one 0xFF octet, RFC 3948 section 2.3) from this worker's UDP socket; any thread. */
    boolean sendNatKeepalive(InetSocketAddress to) throws IOException {
        return sendUdp(to, new byte[] {(byte) 0xff});
    }

    /** Sends {@code datagram} as it is from this worker's UDP socket of {@code to}'s family; any thread. */
    private boolean sendUdp(InetSocketAddress to, byte[] datagram) throws IOException {
        int e = udpEndpointFor(to.getAddress() instanceof Inet6Address ? InetAddress.ofLiteral("::")
                : InetAddress.ofLiteral("0.0.0.0"));
        List<UdpEndpoint> eps = endpoints;
        if (e < 0) {
            for (int i = 0; i < eps.size(); i++) {
                if (eps.get(i).isIpv6() == (to.getAddress() instanceof Inet6Address)) {
                    e = i;
                    break;
                }
            }
        }
        if (e < 0) {
            throw new IOException("no UDP socket of the family of " + to);
        }
        try (Arena a = Arena.ofConfined()) {
            return eps.get(e).send(MemorySegment.ofArray(datagram), datagram.length, SockAddr.of(a, to));
        }
    }

    // ---- the thread ---------------------------------------------------------------------------------------

    private void run() {
        Arena arena = Arena.ofConfined();
        List<UdpEndpoint> opened = new ArrayList<>();
        Poller p = null;
        try {
            if (config.netns().isPresent()) {
                NetNamespace.enter(config.netns().get());
            }
            if (config.cpu() >= 0) {
                CpuAffinity.pinCurrentThread(config.cpu());
            }
            for (InetSocketAddress bind : config.udpBinds()) {
                opened.add(UdpEndpoint.bind(bind, config.udpOptions()));
            }
            // With GSO/GRO an entry holds up to 64 ESP packets: fewer, larger entries (a few MB per worker).
            int txBuffer = config.gso() ? GSO_MAX_BYTES : Math.max(config.tunMtu(), 1500) + TAIL;
            int txEntries = config.gso() ? Math.min(config.batch(), 16) : config.batch();
            boolean gro = config.udpOptions().gro();
            rx = DatagramBatch.allocate(arena, gro ? Math.min(config.batch(), 32) : config.batch(),
                    gro ? GRO_BUFFER : RX_BUFFER);
            tx = new DatagramBatch[opened.size()];
            txCount = new int[opened.size()];
            txSa = new OutboundSa[opened.size()];
            txSegment = new int[opened.size()];
            txSegments = new int[opened.size()];
            for (int i = 0; i < tx.length; i++) {
                tx[i] = DatagramBatch.allocate(arena, txEntries, txBuffer);
            }
            List<RawEspSocket> raws = config.rawSockets();
            rawTx = new DatagramBatch[raws.size()];
            rawTxCount = new int[raws.size()];
            for (int i = 0; i < rawTx.length; i++) {
                rawTx[i] = DatagramBatch.allocate(arena, config.batch(),
                        Math.min(65535, Math.max(config.tunMtu(), 1500) + HEAD + TAIL));
            }
            if (!raws.isEmpty()) {
                // room for the IPv4 header the kernel hands over in front of the ESP packet
                rawRx = DatagramBatch.allocate(arena, config.batch(), RX_BUFFER + 60);
            }
            p = new Poller(1 + opened.size() + raws.size());
            p.add(config.queue().fd());
            for (UdpEndpoint ep : opened) {
                p.add(ep.fd());
            }
            for (RawEspSocket r : raws) {
                p.add(r.fd());
            }
            endpoints = List.copyOf(opened);
            poller = p;
            running = true;
        } catch (Throwable t) {
            opened.forEach(UdpEndpoint::close);
            if (p != null) {
                p.close();
            }
            arena.close();
            started.completeExceptionally(t);
            return;
        }
        started.complete(null);
        try {
            loop(p, config.rawSockets().size());
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, thread.getName() + " stopped by an error: packets on its queue "
                    + "and sockets are no longer processed", t);
        } finally {
            running = false;
            // no packet is in progress any more: the keys of the SAs still installed are wiped too
            retired.addAll(tables.transforms());
            closeRetired();
            endpoints.forEach(UdpEndpoint::close);
            p.close();
            arena.close();
        }
    }

    private void loop(Poller p, int rawCount) throws IOException {
        List<UdpEndpoint> eps = endpoints;
        int udpCount = eps.size();
        while (!stopRequested) {
            p.await(-1);
            count(Counter.POLL_WAKEUPS);
            if (p.woken()) {
                p.clearWake();
                if (stopRequested) {
                    return;
                }
                closeRetired();
                sealPings();
            }
            if (p.readable(0) && !drainTun()) {
                return;
            }
            for (int e = 0; e < udpCount; e++) {
                if (p.readable(1 + e)) {
                    drainUdp(eps.get(e));
                }
            }
            for (int r = 0; r < rawCount; r++) {
                if (p.readable(1 + udpCount + r)) {
                    drainRaw(config.rawSockets().get(r));
                }
            }
        }
    }

    private void logOnce(String what, Throwable t) {
        if (logged.incrementAndGet() <= MAX_LOGGED) {
            LOG.log(System.Logger.Level.WARNING, thread.getName() + ": " + what + " (dropped and counted)", t);
        }
    }

    // ---- outbound -----------------------------------------------------------------------------------------

    /** Reads up to a batch from the TUN queue; false once the queue is closed. */
    private boolean drainTun() throws IOException {
        TunQueue queue = config.queue();
        boolean open = true;
        for (int i = 0; i < config.batch(); i++) {
            int n = queue.read(tunReadSegment, 0);
            if (n <= 0) {
                open = n == 0;
                break;
            }
            try {
                if (tunHeader == 0) {
                    outbound(tunBuffer, n);
                } else {
                    fromTunWithHeader(n);
                }
            } catch (RuntimeException e) {
                count(Counter.MALFORMED);
                logOnce("outbound packet of " + n + " octets", e);
            }
        }
        flush();
        return open;
    }

    /** The tunnels' echo requests ({@link TunnelPings}), sealed like packets read from the TUN device. */
    private void sealPings() throws IOException {
        for (byte[] echo; (echo = config.pings().poll()) != null; ) {
            System.arraycopy(echo, 0, segmentBuffer, HEAD, echo.length);
            outbound(segmentBuffer, echo.length);
        }
        flush();
    }

    /** A read of {@code n} octets that starts with a virtio-net header at {@code HEAD - 10}. */
    private void fromTunWithHeader(int n) throws IOException {
        int h = HEAD - VirtioNetHeader.LENGTH;
        int length = n - VirtioNetHeader.LENGTH;
        if (length <= 0) {
            count(Counter.MALFORMED);
            return;
        }
        int gsoType = VirtioNetHeader.gsoType(tunBuffer, h) & ~VirtioNetHeader.GSO_ECN;
        if (gsoType == VirtioNetHeader.GSO_NONE) {
            if ((VirtioNetHeader.flags(tunBuffer, h) & VirtioNetHeader.F_NEEDS_CSUM) != 0
                    && !VirtioNetHeader.completeChecksum(tunBuffer, HEAD, length,
                            VirtioNetHeader.csumStart(tunBuffer, h), VirtioNetHeader.csumOffset(tunBuffer, h))) {
                count(Counter.MALFORMED);
                return;
            }
            outbound(tunBuffer, length);
            return;
        }
        if ((gsoType != VirtioNetHeader.GSO_TCPV4 && gsoType != VirtioNetHeader.GSO_TCPV6)
                || !segmenter.start(tunBuffer, HEAD, length, VirtioNetHeader.gsoSize(tunBuffer, h))) {
            count(Counter.MALFORMED);
            return;
        }
        count(Counter.TSO_SUPER_PACKETS);
        int segment;
        while ((segment = segmenter.next(segmentBuffer, HEAD)) > 0) {
            outbound(segmentBuffer, segment);
        }
    }

    /** One inner packet at {@code buf[HEAD, HEAD + n)}: policy, MTU, clamp, seal in place, queue for sending. */
    private void outbound(byte[] buf, int n) throws IOException {
        IpPacket p = packet;
        if (!p.parse(buf, HEAD, n)) {
            count(Counter.MALFORMED);
            return;
        }
        if (p.ipv6LinkScope()) {
            count(Counter.IPV6_LINK_SCOPE);
            return;
        }
        WorkerTables t = tables;
        OutboundBinding b = p.isIpv6()
                ? t.spd.lookup6(p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo())
                : t.spd.lookup4(p.src4(), p.dst4());
        if (b == null) {
            count(Counter.NO_SA);
            return;
        }
        OutboundSa sa = b.sa();
        int length = p.totalLength();
        int maxInner = sa.maxInnerLength();
        if (length > maxInner) {
            int mtu = maxInner;
            boolean refuse = p.dontFragment();
            if (p.isIpv6() && mtu < 1280) {
                // IPv6 links carry 1280 octets: below that, let the outer packet be fragmented (RFC 8200 Section 5).
                refuse = length > 1280;
                mtu = 1280;
            }
            if (refuse) {
                count(Counter.MTU_EXCEEDED);
                int e = IcmpErrors.tooBig(p, buf, mtu, icmp, VirtioNetHeader.LENGTH);
                if (e > 0) {
                    VirtioNetHeader.writeNone(icmp, 0);
                    if (config.queue().write(icmpWriteSegment, e + tunHeader)) {
                        count(Counter.ICMP_TOO_BIG_SENT);
                    } else {
                        count(Counter.TUN_WRITE_FAILED);
                    }
                }
                return;
            }
        }
        if (p.protocol() == IpPacket.PROTO_TCP
                && MssClamp.clamp(p, buf, MssClamp.mssFor(Math.min(maxInner, config.tunMtu()), p.isIpv6()))) {
            count(Counter.MSS_CLAMPED);
        }
        long seq = sa.nextSequence();
        if (seq == OutboundSa.EXHAUSTED || seq == OutboundSa.UNRESERVED) {
            count(seq == OutboundSa.EXHAUSTED ? Counter.SEQ_EXHAUSTED : Counter.SEQ_UNRESERVED);
            return;
        }
        EspTransform transform = b.transform();
        int espOffset = HEAD - EspConstants.HEADER_LENGTH - transform.ivLength();
        int sealed = transform.sealTunnel(sa.spi(), seq, buf, HEAD, length, buf, espOffset);
        if (b.raw() != null) {
            int r = rawIndex(b.raw());
            if (r < 0 || sealed > rawTx[r].bufferSize()) {
                count(Counter.SEND_FAILED);
                return;
            }
            queueRaw(r, sa, buf, espOffset, sealed);
            count(Counter.SEALED);
            sa.countSealed(index, length);
            return;
        }
        int e = b.udpEndpoint();
        if (sealed > tx[e].bufferSize()) {
            count(Counter.SEND_FAILED);
            return;
        }
        queueUdp(e, sa, buf, espOffset, sealed, length <= maxInner);
        count(Counter.SEALED);
        sa.countSealed(index, length);
    }

    /**
     * Queues the ESP packet at {@code out[espOffset, +sealed)} for sendmmsg on endpoint {@code e}. With GSO, a packet
     * for the same SA as the previous entry joins it as one more segment while the entry's segments are all of the
     * same size (the last one may be shorter, and then closes the entry), so that one datagram of up to 64 ESP
     * packets crosses the kernel's stack (and, with UDP GRO at the peer, its receive path) as one unit.
     *
     * @param fits false if the packet exceeds the path MTU (a non-DF packet left to IP fragmentation): never GSO
     */
    private void queueUdp(int e, OutboundSa sa, byte[] out, int espOffset, int sealed, boolean fits)
            throws IOException {
        DatagramBatch batch = tx[e];
        int k = txCount[e];
        int segment = txSegment[e];
        if (k > 0 && segment > 0 && txSa[e] == sa && sealed <= segment && txSegments[e] < GSO_MAX_SEGMENTS
                && batch.length(k - 1) + sealed <= GSO_MAX_BYTES) {
            int at = batch.length(k - 1);
            MemorySegment.copy(out, espOffset, batch.buffer(k - 1), JAVA_BYTE, at, sealed);
            batch.setLength(k - 1, at + sealed);
            batch.setSegmentSize(k - 1, segment);
            txSegments[e]++;
            if (sealed < segment) {
                txSegment[e] = 0;
            }
            return;
        }
        if (k == batch.capacity()) {
            flush(e);
            k = 0;
        }
        MemorySegment.copy(out, espOffset, batch.buffer(k), JAVA_BYTE, 0, sealed);
        batch.setLength(k, sealed);
        batch.setSegmentSize(k, 0);
        batch.address(k).copyFrom(sa.peerSockAddr());
        txCount[e] = k + 1;
        txSa[e] = sa;
        txSegment[e] = config.gso() && fits ? sealed : 0;
        txSegments[e] = 1;
    }

    /** The position of {@code raw} in {@link Config#rawSockets()} (one or two entries), or -1. */
    private int rawIndex(RawEspSocket raw) {
        List<RawEspSocket> raws = config.rawSockets();
        for (int i = 0; i < raws.size(); i++) {
            if (raws.get(i) == raw) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Queues the ESP packet at {@code out[espOffset, +sealed)} for one sendmmsg on raw socket {@code r}: the packets
     * sealed from one TUN read (a TCP super-packet gives dozens) leave in one call instead of one sendto each.
     */
    private void queueRaw(int r, OutboundSa sa, byte[] out, int espOffset, int sealed) throws IOException {
        DatagramBatch batch = rawTx[r];
        int k = rawTxCount[r];
        if (k == batch.capacity()) {
            flushRaw(r);
            k = 0;
        }
        MemorySegment.copy(out, espOffset, batch.buffer(k), JAVA_BYTE, 0, sealed);
        batch.setLength(k, sealed);
        batch.address(k).copyFrom(sa.peerSockAddr());
        rawTxCount[r] = k + 1;
    }

    private void flush() throws IOException {
        for (int e = 0; e < txCount.length; e++) {
            if (txCount[e] > 0) {
                flush(e);
            }
        }
        for (int r = 0; r < rawTxCount.length; r++) {
            if (rawTxCount[r] > 0) {
                flushRaw(r);
            }
        }
    }

    private void flushRaw(int r) throws IOException {
        int n = rawTxCount[r];
        rawTxCount[r] = 0;
        int sent = config.rawSockets().get(r).sendBatch(rawTx[r], n);
        count(Counter.RAW_ESP_SEND_BATCHES);
        if (sent < n) {
            count(Counter.SEND_FAILED, n - sent);
        }
    }

    private void flush(int e) throws IOException {
        int n = txCount[e];
        txCount[e] = 0;
        txSa[e] = null;
        txSegment[e] = 0;
        int sent = endpoints.get(e).sendBatch(tx[e], n);
        count(Counter.UDP_DATAGRAMS_SENT, sent);
        if (sent < n) {
            count(Counter.SEND_FAILED, n - sent); // datagrams: a refused GSO datagram counts once
        }
    }

    // ---- inbound ------------------------------------------------------------------------------------------

    private void drainUdp(UdpEndpoint ep) throws IOException {
        int n = ep.receiveBatch(rx, 0);
        if (n > 0) {
            count(Counter.UDP_DATAGRAMS_RECEIVED, n);
            if (rx.newDrops() > 0) {
                count(Counter.SOCKET_DROPS, rx.newDrops());
            }
        }
        for (int i = 0; i < n; i++) {
            int length = rx.length(i);
            if (rx.truncated(i) || length == 0) {
                count(Counter.MALFORMED);
                continue;
            }
            // With UDP GRO one entry may hold several datagrams of one flow, each segmentSize long but the last.
            int segment = rx.segmentSize(i) > 0 ? rx.segmentSize(i) : length;
            MemorySegment buffer = rx.buffer(i);
            for (int at = 0; at < length; at += segment) {
                int datagram = Math.min(segment, length - at);
                if (datagram > RX_BUFFER) {
                    count(Counter.MALFORMED);
                    continue;
                }
                MemorySegment.copy(buffer, JAVA_BYTE, at, in, 0, datagram);
                try {
                    inboundUdp(datagram, rx.address(i), ep);
                } catch (RuntimeException e) {
                    count(Counter.MALFORMED);
                    logOnce("inbound datagram of " + datagram + " octets", e);
                }
            }
        }
        writeCoalesced();
    }

    private void inboundUdp(int length, SockAddr from, UdpEndpoint ep) throws IOException {
        if (length == 1 && in[0] == (byte) 0xff) {
            count(Counter.KEEPALIVE);
            return;
        }
        if (length >= 4 && in[0] == 0 && in[1] == 0 && in[2] == 0 && in[3] == 0) {
            count(Counter.IKE);
            byte[] message = Arrays.copyOfRange(in, 4, length);
            try {
                config.ikeSink().ike(from.toInetSocketAddress(), ep.localAddress(), message);
            } catch (RuntimeException e) {
                logOnce("IKE sink failed", e);
            }
            return;
        }
        esp(length);
    }

    private void drainRaw(RawEspSocket raw) throws IOException {
        DatagramBatch batch = rawRx;
        int n = raw.receiveBatch(batch, 0);
        if (n > 0) {
            count(Counter.RAW_ESP_RECEIVE_BATCHES);
            if (batch.newDrops() > 0) {
                count(Counter.SOCKET_DROPS, batch.newDrops());
            }
        }
        for (int i = 0; i < n; i++) {
            int at = raw.espOffset(batch, i);
            int length = batch.length(i) - at;
            if (at < 0 || length > RX_BUFFER) {
                count(Counter.MALFORMED);
                continue;
            }
            MemorySegment.copy(batch.buffer(i), JAVA_BYTE, at, in, 0, length);
            try {
                esp(length);
            } catch (RuntimeException e) {
                count(Counter.MALFORMED);
                logOnce("inbound ESP packet of " + length + " octets", e);
            }
        }
        writeCoalesced();
    }

    /** Writes the TCP super-packet waiting in the coalescer, if any. */
    private void writeCoalesced() throws IOException {
        receiver.flush();
    }

    /** Processes the ESP packet in {@code in[0, length)}. */
    private void esp(int length) throws IOException {
        receiver.esp(in, length, tables.inbound);
    }


    @Override
    public String toString() {
        return thread.getName();
    }
}
