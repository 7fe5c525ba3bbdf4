package net.palisade.dataplane.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.bootstrap.Bootstrap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.palisade.dataplane.io.DatagramBatch;
import net.palisade.dataplane.io.SockAddr;
import net.palisade.dataplane.io.UdpEndpoint;

/**
 * UDP transports compared on loopback, to decide whether Netty has a place in Palisade (run by
 * {@code ops/bench/udp-transport.sh}; needs root for port 500):
 * <ul>
 *   <li>{@code bulk}: one sender blasting 1400-byte datagrams (ESP-size) at one receiver for a few seconds, both
 *       batched the way each transport batches best — the project's FFM path ({@link UdpEndpoint}: sendmmsg of 64
 *       UDP GSO entries, recvmmsg with UDP GRO, as the ESP workers do) against Netty 4.2's epoll
 *       {@link EpollDatagramChannel} ({@link SegmentedDatagramPacket} GSO writes flushed 64 at a time, recvmmsg
 *       through {@code MAX_DATAGRAM_PAYLOAD_SIZE}, {@code UDP_GRO}). Reports datagrams received per second and the
 *       process's CPU time per datagram received.</li>
 *   <li>{@code pingpong}: IKE-size (500-byte) request and echo on port 500, one outstanding, as an IKE exchange
 *       goes: the JDK {@link DatagramChannel} IkeManager uses today, FFM {@link UdpEndpoint} single send/receive,
 *       and Netty epoll. Reports round trips per second and CPU per round trip.</li>
 * </ul>
 * Usage: {@code UdpTransportBenchmark bulk|pingpong ffm|netty|netty-nogro|jdk SECONDS}. One line of results on stdout.
 */
public final class UdpTransportBenchmark {
    private static final int BULK_SIZE = 1400;
    /** The largest GSO send: 46 segments of 1400 bytes stay under 65,507 bytes of UDP payload. */
    private static final int GSO_SEGMENTS = 46;
    private static final int BATCH = 64;
    private static final int IKE_SIZE = 500;
    private static final int IKE_PORT = 500;
    private static final int BULK_PORT = 45_000;

    private UdpTransportBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: UdpTransportBenchmark bulk|pingpong ffm|netty|netty-nogro|jdk SECONDS");
            System.exit(2);
        }
        String mode = args[0];
        String transport = args[1];
        int seconds = Integer.parseInt(args[2]);
        if (transport.equals("netty") && !Epoll.isAvailable()) {
            throw new IllegalStateException("Netty epoll is not available", Epoll.unavailabilityCause());
        }
        Result r = switch (mode + "/" + transport) {
            case "bulk/ffm" -> bulkFfm(seconds);
            case "bulk/netty" -> bulkNetty(seconds, true);
            case "bulk/netty-nogro" -> bulkNetty(seconds, false);
            case "pingpong/ffm" -> pingPongFfm(seconds);
            case "pingpong/jdk" -> pingPongJdk(seconds);
            case "pingpong/netty" -> pingPongNetty(seconds);
            default -> throw new IllegalArgumentException("unknown mode/transport: " + mode + "/" + transport);
        };
        System.out.println(String.format(Locale.ROOT, "%-8s %-6s %12.0f %s/s %10.0f ns-cpu/%s", mode, transport,
                r.count / r.seconds, r.unit, r.cpuNanos / Math.max(1.0, r.count), r.unit));
    }

    private record Result(double count, double seconds, long cpuNanos, String unit) {}

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Runs {@code counter} for a one-second warm-up, then measures {@code seconds}. */
    private static Result measure(int seconds, AtomicLong counter, String unit) throws InterruptedException {
        Thread.sleep(1000); // warm-up: JIT and socket buffers settle before the window opens
        long c0 = counter.get();
        long cpu0 = processCpu();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long c1 = counter.get();
        long cpu1 = processCpu();
        long t1 = System.nanoTime();
        return new Result(c1 - c0, (t1 - t0) / 1e9, cpu1 - cpu0, unit);
    }

    // ---- bulk, FFM ---------------------------------------------------------------------------------------------

    private static Result bulkFfm(int seconds) throws Exception {
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", BULK_PORT);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong received = new AtomicLong();
        try (UdpEndpoint rx = UdpEndpoint.bind(to, UdpEndpoint.Options.DEFAULT.withGro(true));
                UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress("127.0.0.1", 0))) {
            Thread receiver = Thread.ofPlatform().name("ffm-rx").start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    DatagramBatch batch = DatagramBatch.allocate(arena, BATCH, 65_535);
                    while (!stop.get()) {
                        int n = rx.receiveBatch(batch, 100);
                        long datagrams = 0;
                        for (int i = 0; i < n; i++) {
                            int seg = batch.segmentSize(i);
                            datagrams += seg == 0 ? 1 : (batch.length(i) + seg - 1) / seg;
                        }
                        received.addAndGet(datagrams);
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        e.printStackTrace();
                    }
                }
            });
            Thread sender = Thread.ofPlatform().name("ffm-tx").start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    DatagramBatch batch = DatagramBatch.allocate(arena, BATCH, BULK_SIZE * GSO_SEGMENTS);
                    for (int i = 0; i < BATCH; i++) {
                        batch.buffer(i).fill((byte) 0x5a);
                        batch.setLength(i, BULK_SIZE * GSO_SEGMENTS);
                        batch.setSegmentSize(i, BULK_SIZE);
                        batch.address(i).set(to);
                    }
                    while (!stop.get()) {
                        tx.sendBatch(batch, BATCH);
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        e.printStackTrace();
                    }
                }
            });
            Result r = measure(seconds, received, "datagram");
            stop.set(true);
            rx.close();
            tx.close();
            receiver.join();
            sender.join();
            return r;
        }
    }

    // ---- bulk, Netty ---------------------------------------------------------------------------------------------

    /**
     * @param gro UDP_GRO on the receiver, with 64 KiB per recvmmsg entry (a coalesced datagram must fit); off:
     *     recvmmsg of 64 entries of 1400 bytes
     */
    private static Result bulkNetty(int seconds, boolean gro) throws Exception {
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", BULK_PORT);
        AtomicLong received = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        // one event loop each, as two FFM threads above: sender and receiver never share a thread
        EventLoopGroup rxGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup txGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel rx = new Bootstrap().group(rxGroup).channel(EpollDatagramChannel.class)
                    .option(EpollChannelOption.UDP_GRO, gro)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, gro ? 65_535 : BULK_SIZE)
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(gro ? 16 * 65_535 : BATCH * BULK_SIZE))
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            // Netty splits a GRO'd datagram into its segments; count by size all the same
                            received.addAndGet((p.content().readableBytes() + BULK_SIZE - 1) / BULK_SIZE);
                        }
                    }).bind(to).sync().channel();
            Channel tx = new Bootstrap().group(txGroup).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {}

                        @Override
                        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                            if (ctx.channel().isWritable()) {
                                sendBurst(ctx.channel(), to, stop);
                            }
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            tx.eventLoop().execute(() -> sendBurst(tx, to, stop));
            Result r = measure(seconds, received, "datagram");
            stop.set(true);
            tx.close().sync();
            rx.close().sync();
            return r;
        } finally {
            rxGroup.shutdownGracefully().sync();
            txGroup.shutdownGracefully().sync();
        }
    }

    /** On tx's event loop: 64 GSO writes and one flush, again while the channel stays writable. */
    private static void sendBurst(Channel tx, InetSocketAddress to, AtomicBoolean stop) {
        if (stop.get() || !tx.isActive()) {
            return;
        }
        for (int i = 0; i < BATCH && tx.isWritable(); i++) {
            ByteBuf buf = tx.alloc().directBuffer(BULK_SIZE * GSO_SEGMENTS);
            buf.writerIndex(BULK_SIZE * GSO_SEGMENTS);
            tx.write(new SegmentedDatagramPacket(buf, BULK_SIZE, to), tx.voidPromise());
        }
        tx.flush();
        if (tx.isWritable()) {
            tx.eventLoop().execute(() -> sendBurst(tx, to, stop));
        }
    }

    // ---- ping-pong (IKE-size, port 500) ------------------------------------------------------------------------

    private static Result pingPongJdk(int seconds) throws Exception {
        AtomicLong trips = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (DatagramChannel server = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", IKE_PORT));
                DatagramChannel client = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            Thread echo = Thread.ofPlatform().name("jdk-echo").start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(65_535);
                try {
                    while (!stop.get()) {
                        b.clear();
                        var from = server.receive(b);
                        b.flip();
                        server.send(b, from);
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        e.printStackTrace();
                    }
                }
            });
            Thread ping = Thread.ofPlatform().name("jdk-ping").start(() -> {
                ByteBuffer out = ByteBuffer.allocateDirect(IKE_SIZE);
                ByteBuffer in = ByteBuffer.allocateDirect(65_535);
                InetSocketAddress to = new InetSocketAddress("127.0.0.1", IKE_PORT);
                try {
                    while (!stop.get()) {
                        out.clear();
                        client.send(out, to);
                        in.clear();
                        client.receive(in);
                        trips.incrementAndGet();
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        e.printStackTrace();
                    }
                }
            });
            Result r = measure(seconds, trips, "round-trip");
            stop.set(true);
            server.close();
            client.close();
            echo.join();
            ping.join();
            return r;
        }
    }

    private static Result pingPongFfm(int seconds) throws Exception {
        AtomicLong trips = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        InetSocketAddress serverAt = new InetSocketAddress("127.0.0.1", IKE_PORT);
        try (UdpEndpoint server = UdpEndpoint.bind(serverAt);
                UdpEndpoint client = UdpEndpoint.bind(new InetSocketAddress("127.0.0.1", 0))) {
            Thread echo = Thread.ofPlatform().name("ffm-echo").start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment b = arena.allocate(65_535);
                    SockAddr from = SockAddr.allocate(arena);
                    while (!stop.get()) {
                        int n = server.receive(b, from, 100);
                        if (n > 0) {
                            server.send(b, n, from);
                        }
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        e.printStackTrace();
                    }
                }
            });
            Thread ping = Thread.ofPlatform().name("ffm-ping").start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment out = arena.allocate(IKE_SIZE);
                    MemorySegment in = arena.allocate(65_535);
                    SockAddr to = SockAddr.of(arena, serverAt);
                    SockAddr from = SockAddr.allocate(arena);
                    while (!stop.get()) {
                        client.send(out, IKE_SIZE, to);
                        if (client.receive(in, from, 100) > 0) {
                            trips.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        e.printStackTrace();
                    }
                }
            });
            Result r = measure(seconds, trips, "round-trip");
            stop.set(true);
            echo.join();
            ping.join();
            return r;
        }
    }

    private static Result pingPongNetty(int seconds) throws Exception {
        AtomicLong trips = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        InetSocketAddress serverAt = new InetSocketAddress("127.0.0.1", IKE_PORT);
        EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel server = new Bootstrap().group(serverGroup).channel(EpollDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            ctx.writeAndFlush(new DatagramPacket(p.content().retain(), p.sender()), ctx.voidPromise());
                        }
                    }).bind(serverAt).sync().channel();
            CountDownLatch closed = new CountDownLatch(1);
            Channel client = new Bootstrap().group(clientGroup).channel(EpollDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            trips.incrementAndGet();
                            if (!stop.get()) {
                                ping(ctx.channel(), serverAt);
                            } else {
                                closed.countDown();
                            }
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            client.eventLoop().execute(() -> ping(client, serverAt));
            Result r = measure(seconds, trips, "round-trip");
            stop.set(true);
            closed.await();
            client.close().sync();
            server.close().sync();
            return r;
        } finally {
            serverGroup.shutdownGracefully().sync();
            clientGroup.shutdownGracefully().sync();
        }
    }

    private static void ping(Channel client, InetSocketAddress to) {
        ByteBuf b = client.alloc().directBuffer(IKE_SIZE);
        b.writerIndex(IKE_SIZE);
        client.writeAndFlush(new DatagramPacket(b, to), client.voidPromise());
    }
}
