package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Throughput probe for the dataplane's I/O path (not a test: no assertions). Prints packets/s and the Gbit/s
 * they mean for 1400-byte packets, plus Java heap bytes allocated per packet on the measuring thread.
 *
 * <p>Everything runs in a private network namespace (root needed), addresses from 198.18.0.0/15:
 * <ul>
 *   <li>TUN write+read: one thread writes a burst of IPv4/UDP packets into the TUN to 198.19.x.y; the kernel
 *       forwards them back out of the same TUN (ip_forward on, in the namespace only); the thread reads them back.
 *       Each packet costs one write(2) and one read(2) plus the kernel's forwarding.</li>
 *   <li>TUN read: a second thread floods 198.19.0.0/16 with UDP sendmmsg batches; the probe thread reads the TUN.</li>
 *   <li>TUN write: the probe thread writes packets that the kernel forwards into a blackhole route.</li>
 *   <li>UDP: sendmmsg batches -> recvmmsg batches over loopback, one thread doing both (one core), then a sender
 *       and a receiver on two pinned threads; and sendto/recvfrom one at a time for comparison.</li>
 * </ul>
 * Run after {@code mvn test-compile}:
 * {@code java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes
 * net.palisade.dataplane.io.IoProbe [seconds per figure, default 3]}
 */
public final class IoProbe {
    private static final int SIZE = 1400;
    private static final int BATCH = 64;
    private static final InetAddress LOCAL = InetAddress.ofLiteral("198.18.0.1");
    private static final InetAddress FAR = InetAddress.ofLiteral("198.19.0.2");
    private static final InetAddress SINK = InetAddress.ofLiteral("198.19.200.2");
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long seconds;

    public static void main(String[] args) throws Exception {
        seconds = args.length > 0 ? Long.parseLong(args[0]) : 3;
        System.out.printf(Locale.ROOT, "Palisade I/O probe: %d-byte packets, batches of %d, %d s per figure, %d CPUs online%n",
                SIZE, BATCH, seconds, CpuAffinity.onlineCpus());
        if (!net.palisade.dataplane.testkit.Root.isRoot()) {
            System.err.println("IoProbe needs root (TUN device, network namespace)");
            System.exit(2);
        }
        try (NetnsThread ns = new NetnsThread("probe-netns")) {
            TunDevice tun = ns.call(() -> {
                TunDevice t = TunDevice.open("palprobe0", 1);
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/palprobe0/disable_ipv6"), "1");
                Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1");
                Files.writeString(Path.of("/proc/sys/net/ipv4/conf/all/send_redirects"), "0");
                Files.writeString(Path.of("/proc/sys/net/ipv4/conf/palprobe0/send_redirects"), "0");
                t.setMtu(1500);
                t.addAddress(LOCAL, 30);
                t.setUp(true);
                t.addRoute(IpPrefix.parse("198.19.0.0/16"), LOCAL);
                return t;
            });
            NetnsThread.Result bh = ns.exec("ip", "route", "add", "blackhole", "198.19.200.0/24");
            if (bh.exitCode() != 0) {
                throw new IllegalStateException("blackhole route: " + bh.output());
            }
            try {
                tunWriteRead(tun.queue(0));
                tunRead(ns, tun.queue(0));
                tunWrite(tun.queue(0));
            } finally {
                tun.close();
            }
            udpOneCore(ns);
            udpTwoThreads(ns);
            udpSingle(ns);
            udpGso(ns, false);
            udpGso(ns, true);
        }
    }

    private static void report(String what, long packets, long nanos, long allocatedBytes) {
        double pps = packets * 1e9 / nanos;
        System.out.printf(Locale.ROOT, "%-58s %9.0f pkt/s  %6.2f Gbit/s  %6.1f B alloc/pkt%n",
                what, pps, pps * SIZE * 8 / 1e9, packets == 0 ? 0.0 : (double) allocatedBytes / packets);
    }

    private static void pin(int cpu) {
        if (cpu < CpuAffinity.onlineCpus()) {
            CpuAffinity.pinCurrentThread(cpu);
        }
    }

    private static byte[] udpPacket(InetAddress dst, int srcPort) {
        return Packets.udp(InetAddress.ofLiteral("198.19.0.1"), srcPort, dst, 9, new byte[SIZE - 28]);
    }

    // ---- TUN -------------------------------------------------------------------------------------------

    private static void tunWriteRead(TunQueue q) throws Exception {
        pin(0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] packets = new MemorySegment[BATCH];
            for (int i = 0; i < BATCH; i++) {
                byte[] p = udpPacket(FAR, 1000 + i);
                packets[i] = arena.allocate(2048);
                MemorySegment.copy(p, 0, packets[i], JAVA_BYTE, 0, p.length);
            }
            MemorySegment rx = arena.allocate(2048);
            runTimed("TUN write burst of 64 + read them back (1 thread)", () -> {
                for (int i = 0; i < BATCH; i++) {
                    q.write(packets[i], SIZE);
                }
                int got = 0;
                while (got < BATCH) {
                    int n = q.read(rx, 100);
                    if (n <= 0) {
                        break;
                    }
                    got++;
                }
                return got;
            });
        }
    }

    private static void tunRead(NetnsThread ns, TunQueue q) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        UdpEndpoint sender = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(LOCAL, 0)));
        Thread flood = Thread.ofPlatform().name("flood").start(() -> {
            pin(1);
            try (Arena arena = Arena.ofConfined()) {
                DatagramBatch b = DatagramBatch.allocate(arena, BATCH, 2048);
                for (int i = 0; i < BATCH; i++) {
                    b.setLength(i, SIZE - 28);
                    b.address(i).set(FAR, 2000 + i);
                }
                while (!stop.get()) {
                    sender.sendBatch(b, BATCH);
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        });
        pin(0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rx = arena.allocate(2048);
            runTimed("TUN read (kernel fed by sendmmsg on the other CPU)", () -> q.read(rx, 100) > 0 ? 1 : 0);
        } finally {
            stop.set(true);
            flood.join();
            sender.close();
        }
        // drain what the flood left behind
        MemorySegment rx = Arena.ofAuto().allocate(2048);
        while (q.read(rx, 0) > 0) {
            // discard
        }
    }

    private static void tunWrite(TunQueue q) throws Exception {
        pin(0);
        byte[] p = udpPacket(SINK, 3000);
        runTimed("TUN write (forwarded into a blackhole route)", () -> q.write(p, 0, SIZE) ? 1 : 0);
    }

    // ---- UDP -------------------------------------------------------------------------------------------

    private static void udpOneCore(NetnsThread ns) throws Exception {
        UdpEndpoint rx = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        UdpEndpoint tx = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        pin(0);
        try (Arena arena = Arena.ofConfined(); rx; tx) {
            DatagramBatch out = DatagramBatch.allocate(arena, BATCH, 2048);
            for (int i = 0; i < BATCH; i++) {
                out.setLength(i, SIZE);
                out.address(i).set(rx.localAddress());
            }
            DatagramBatch in = DatagramBatch.allocate(arena, BATCH, 2048);
            runTimed("UDP sendmmsg 64 -> recvmmsg, loopback, one thread", () -> {
                tx.sendBatch(out, BATCH);
                int got = 0;
                while (got < BATCH) {
                    int n = rx.receiveBatch(in, 100);
                    if (n <= 0) {
                        break;
                    }
                    got += n;
                }
                return got;
            });
        }
    }

    private static void udpTwoThreads(NetnsThread ns) throws Exception {
        UdpEndpoint rx = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        UdpEndpoint tx = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        long[] sendNanos = new long[1];
        Thread sender = Thread.ofPlatform().name("udp-sender").start(() -> {
            pin(1);
            try (Arena arena = Arena.ofConfined()) {
                DatagramBatch out = DatagramBatch.allocate(arena, BATCH, 2048);
                for (int i = 0; i < BATCH; i++) {
                    out.setLength(i, SIZE);
                    out.address(i).set(rx.localAddress());
                }
                long t0 = System.nanoTime();
                long n = 0;
                while (!stop.get()) {
                    n += tx.sendBatch(out, BATCH);
                }
                sendNanos[0] = System.nanoTime() - t0;
                sent.set(n);
            } catch (Exception e) {
                e.printStackTrace();
            }
        });
        pin(0);
        try (Arena arena = Arena.ofConfined(); rx; tx) {
            DatagramBatch in = DatagramBatch.allocate(arena, BATCH, 2048);
            runTimed("UDP recvmmsg (sendmmsg on the other CPU), receiver", () -> Math.max(0, rx.receiveBatch(in, 100)));
            stop.set(true);
            sender.join();
            report("UDP sendmmsg (recvmmsg on the other CPU), sender", sent.get(), sendNanos[0], 0);
        }
    }

    private static void udpSingle(NetnsThread ns) throws Exception {
        UdpEndpoint rx = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        UdpEndpoint tx = ns.call(() -> UdpEndpoint.bind(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        pin(0);
        try (Arena arena = Arena.ofConfined(); rx; tx) {
            MemorySegment buf = arena.allocate(2048);
            SockAddr to = SockAddr.of(arena, rx.localAddress());
            SockAddr from = SockAddr.allocate(arena);
            runTimed("UDP sendto -> recvfrom one at a time, one thread", () -> {
                tx.send(buf, SIZE, to);
                return rx.receive(buf, from, 100) > 0 ? 1 : 0;
            });
        }
    }

    /** Sender: sendmmsg of 4 UDP GSO entries of 32 x 1400 bytes; receiver: recvmmsg, with or without UDP_GRO. */
    private static void udpGso(NetnsThread ns, boolean gro) throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0);
        UdpEndpoint rx = ns.call(() -> UdpEndpoint.bind(any, UdpEndpoint.Options.DEFAULT.withGro(gro)));
        UdpEndpoint tx = ns.call(() -> UdpEndpoint.bind(any));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        long[] sendNanos = new long[1];
        int entries = 4;
        int segments = 32;
        Thread sender = Thread.ofPlatform().name("gso-sender").start(() -> {
            pin(1);
            try (Arena arena = Arena.ofConfined()) {
                DatagramBatch out = DatagramBatch.allocate(arena, entries, 65535);
                for (int i = 0; i < entries; i++) {
                    out.setLength(i, segments * SIZE);
                    out.setSegmentSize(i, SIZE);
                    out.address(i).set(rx.localAddress());
                }
                long t0 = System.nanoTime();
                long n = 0;
                while (!stop.get()) {
                    n += (long) tx.sendBatch(out, entries) * segments;
                }
                sendNanos[0] = System.nanoTime() - t0;
                sent.set(n);
            } catch (Exception e) {
                e.printStackTrace();
            }
        });
        pin(0);
        try (Arena arena = Arena.ofConfined(); rx; tx) {
            DatagramBatch in = DatagramBatch.allocate(arena, BATCH, gro ? 65535 : 2048);
            runTimed(gro ? "UDP_GRO recvmmsg (GSO sender on the other CPU), receiver"
                         : "UDP recvmmsg (GSO sender on the other CPU), receiver", () -> {
                int n = rx.receiveBatch(in, 100);
                int packets = 0;
                for (int i = 0; i < n; i++) {
                    int seg = in.segmentSize(i);
                    packets += seg == 0 ? 1 : (in.length(i) + seg - 1) / seg;
                }
                return packets;
            });
            stop.set(true);
            sender.join();
            report("UDP GSO sendmmsg 4 x 32 segments, sender", sent.get(), sendNanos[0], 0);
        }
    }

    interface Step {
        /** One unit of work; returns the packets it moved. */
        int run() throws Exception;
    }

    private static void runTimed(String what, Step step) throws Exception {
        long warmEnd = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warmEnd) {
            step.run();
        }
        long packets = 0;
        long alloc0 = THREADS.getCurrentThreadAllocatedBytes();
        long t0 = System.nanoTime();
        long end = t0 + seconds * 1_000_000_000L;
        long now;
        do {
            for (int i = 0; i < 16; i++) {
                packets += step.run();
            }
            now = System.nanoTime();
        } while (now < end);
        long alloc = THREADS.getCurrentThreadAllocatedBytes() - alloc0;
        report(what, packets, now - t0, alloc);
    }
}
