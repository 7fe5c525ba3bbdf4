package net.palisade.dataplane;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.dataplane.io.CpuAffinity;
import net.palisade.dataplane.io.DatagramBatch;
import net.palisade.dataplane.io.RawEspSocket;

/**
 * {@link KernelCeiling}'s AF_XDP modes: the same ESP-sized packets, as whole Ethernet frames (gw-a's MAC to the MAC
 * gw-a's neighbour table holds for 192.0.2.2, IPv4 with its checksum, protocol 50), sent through an AF_XDP socket on
 * gw-a's {@code wan} and taken off gw-b's {@code wan} by an XDP program that redirects protocol 50 to an AF_XDP socket
 * there (everything else goes on to the stack). {@code afxdp-native} attaches the program in the driver (veth's own
 * XDP), {@code afxdp-generic} in generic (skb) mode. Before the program is attached, 1,000 of the frames go to a raw
 * protocol-50 socket on gw-b: that gw-b's own stack accepts them. After, a ping with gw-b's neighbour table flushed
 * shows ARP and ICMP still pass.
 */
final class KernelCeilingXdp {
    private static final int TX_FRAMES = 4096;
    private static final int TX_RING = 2048;
    /** 8,192 packets of RX ring (12 ms at 0.7 Mpps) so that the receiving thread's scheduling does not drop. */
    private static final int RX_FRAMES = 16384;
    private static final int RX_RING = 8192;
    private static final int SPI = 0x5eed0001;
    private static final int CHECK_FRAMES = 1000;
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** How long the AF_XDP receiver spins on empty rings before it sleeps in poll(2) (0: it sleeps at once). */
    static int rxSpinMicros;

    private KernelCeilingXdp() {
    }

    static KernelCeiling.Result run(Lab lab, String mode, int sendCpu, int receiveCpu, int seconds, int size)
            throws Exception {
        int xdpFlags = switch (mode) {
            case "afxdp-native", "afxdp-native-threaded" -> AfXdp.XDP_FLAGS_DRV_MODE;
            case "afxdp-generic" -> AfXdp.XDP_FLAGS_SKB_MODE;
            default -> throw new IllegalArgumentException(
                    "AF_XDP mode must be afxdp-native, afxdp-native-threaded or afxdp-generic: " + mode);
        };
        boolean threaded = mode.endsWith("-threaded");
        lab.sh("gwa", "ping", "-c1", "-W2", "192.0.2.2"); // gw-a's neighbour entry for gw-b
        String linkA = lab.sh("gwa", "ip", "-o", "-d", "link", "show", "dev", "wan").output();
        String linkB = lab.sh("gwb", "ip", "-o", "-d", "link", "show", "dev", "wan").output();
        String neigh = lab.sh("gwa", "ip", "neigh", "show", "192.0.2.2", "dev", "wan").output();
        int ifA = ifindex(linkA);
        int ifB = ifindex(linkB);
        byte[] macA = mac(find(linkA, "link/ether ([0-9a-f:]{17})"));
        byte[] macB = mac(find(neigh, "lladdr ([0-9a-f:]{17})"));
        // one AF_XDP socket per RX queue in use (real_num_rx_queues: the rx-N under sysfs; ip -d shows those allocated)
        int rxQueues = (int) lab.sh("gwb", "ls", "/sys/class/net/wan/queues").output().lines()
                .filter(l -> l.startsWith("rx-")).count();
        int frameLength = 14 + 20 + size;
        try (AfXdp.Socket tx = lab.inNamespace("gwa",
                () -> AfXdp.Socket.open(ifA, 0, TX_FRAMES, TX_RING, false, true))) {
            for (int i = 0; i < TX_FRAMES; i++) {
                writeFrame(tx.umem.asSlice((long) i * AfXdp.Socket.FRAME, AfXdp.Socket.FRAME), macA, macB, size);
            }
            long[] free = new long[TX_FRAMES];
            for (int i = 0; i < TX_FRAMES; i++) {
                free[i] = (long) i * AfXdp.Socket.FRAME;
            }
            Sender sender = new Sender(tx, free, frameLength);
            int accepted = stackCheck(lab, sender);
            if (accepted == 0) {
                throw new IOException("gw-b's stack accepted none of " + CHECK_FRAMES + " AF_XDP frames (MACs "
                        + HexFormat.ofDelimiter(":").formatHex(macA) + " -> "
                        + HexFormat.ofDelimiter(":").formatHex(macB)
                        + ")");
            }
            AfXdp.Socket[] rxs = new AfXdp.Socket[rxQueues];
            try (AfXdp.EspRedirect xdp = lab.inNamespace("gwb", () -> AfXdp.EspRedirect.attach(ifB, xdpFlags))) {
                for (int q = 0; q < rxQueues; q++) {
                    int queue = q;
                    AfXdp.Socket rx = lab.inNamespace("gwb",
                            () -> AfXdp.Socket.open(ifB, queue, RX_FRAMES, RX_RING, true, false));
                    rxs[q] = rx;
                    for (int i = 0; i < RX_FRAMES; i++) {
                        rx.fill.desc.setAtIndex(JAVA_LONG, i, (long) i * AfXdp.Socket.FRAME);
                    }
                    rx.fill.cached = RX_FRAMES;
                    rx.fill.storeProducer(RX_FRAMES);
                    xdp.bindQueue(q, rx.fd);
                }
                String napi = threaded ? threadedNapi(lab, receiveCpu) : "";
                boolean passes;
                KernelCeiling.Result r;
                try {
                    lab.sh("gwb", "ip", "neigh", "flush", "dev", "wan");
                    passes = lab.exec("gwa", 10, "ping", "-c1", "-W2", "192.0.2.2").exitCode() == 0;
                    r = measure(sender, rxs, sendCpu, receiveCpu, seconds);
                } finally {
                    if (threaded) { // the lab outlives the mode: later modes must find gw-b's NAPI in softirq again
                        lab.sh("gwb", "sh", "-c", "echo 0 > /sys/class/net/wan/threaded");
                    }
                }
                long[] rs = new long[6];
                StringBuilder perQueue = new StringBuilder();
                for (AfXdp.Socket rx : rxs) {
                    long[] v = rx.statistics();
                    for (int i = 0; i < 6; i++) {
                        rs[i] += v[i];
                    }
                    perQueue.append(perQueue.isEmpty() ? "" : "/").append(rx.rx.cached & 0xffffffffL);
                }
                long[] ts = tx.statistics();
                String extra = String.format(Locale.ROOT,
                        "xdp=%s%s xsk=copy rx_spin_us=%d rx_queues=%d per_queue=%s stack_accepted=%d/%d"
                                + " arp_ping_through_xdp=%s rx_dropped=%d rx_ring_full=%d fill_empty=%d tx_invalid=%d"
                                + " not_esp=%d",
                        xdp.mode, napi, rxSpinMicros, rxQueues, perQueue, accepted, CHECK_FRAMES,
                        passes ? "ok" : "FAILED", rs[0], rs[3],
                        rs[4], ts[2], receiverBad.get());
                return new KernelCeiling.Result(r.sent(), r.received(), r.secs(), r.sendCalls(), r.receiveCalls(),
                        r.cpu(), extra);
            } finally {
                for (AfXdp.Socket rx : rxs) {
                    if (rx != null) {
                        rx.close();
                    }
                }
            }
        }
    }

    private static final AtomicLong receiverBad = new AtomicLong();

    /** The TX side: frames cycle between a free list, the TX ring and the completion ring. */
    private static final class Sender {
        final AfXdp.Socket s;
        final long[] free;
        int nfree;
        final int frameLength;
        final int txEntries = TX_RING;
        long completed;
        long kicks;

        Sender(AfXdp.Socket s, long[] free, int frameLength) {
            this.s = s;
            this.free = free;
            this.nfree = free.length;
            this.frameLength = frameLength;
        }

        /** Reaps completions, queues up to {@code max} frames, kicks the kernel; returns frames queued. */
        int step(int max) throws IOException {
            AfXdp.Ring cr = s.completion;
            int done = cr.loadProducer() - cr.cached;
            for (int i = 0; i < done; i++) {
                free[nfree++] = cr.desc.getAtIndex(JAVA_LONG, (cr.cached + i) & cr.mask);
            }
            if (done > 0) {
                cr.cached += done;
                cr.storeConsumer(cr.cached);
                completed += done;
            }
            AfXdp.Ring t = s.tx;
            int room = txEntries - (t.cached - t.loadConsumer());
            int k = Math.min(Math.min(room, nfree), max);
            for (int i = 0; i < k; i++) {
                long at = (long) ((t.cached + i) & t.mask) * 16;
                t.desc.set(JAVA_LONG, at, free[--nfree]);
                t.desc.set(JAVA_INT, at + 8, frameLength);
                t.desc.set(JAVA_INT, at + 12, 0);
            }
            if (k > 0) {
                t.cached += k;
                t.storeProducer(t.cached);
            }
            if (t.cached != t.loadConsumer()) {
                s.kick();
                kicks++;
            }
            return k;
        }
    }

    /** Sends {@link #CHECK_FRAMES} frames to a raw ESP socket on gw-b (no XDP yet); returns how many it read. */
    private static int stackCheck(Lab lab, Sender sender) throws Exception {
        try (RawEspSocket raw = lab.inNamespace("gwb", () -> RawEspSocket.open(InetAddress.getByName("192.0.2.2")));
                Arena arena = Arena.ofConfined()) {
            raw.setBufferSizes(4 << 20, 4 << 20);
            int queued = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while ((queued < CHECK_FRAMES || sender.completed < CHECK_FRAMES) && System.nanoTime() < deadline) {
                queued += sender.step(Math.min(64, CHECK_FRAMES - queued));
            }
            DatagramBatch rx = DatagramBatch.allocate(arena, 64, 65535);
            int got = 0;
            int idle = 0;
            while (got < CHECK_FRAMES && idle < 5) {
                int n = raw.receiveBatch(rx, 100);
                if (n <= 0) {
                    idle++;
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    MemorySegment b = rx.buffer(i);
                    if (b.get(BE_INT, raw.espOffset(rx, i)) == SPI) {
                        got++;
                    }
                }
            }
            sender.completed = 0;
            return got;
        }
    }

    private static KernelCeiling.Result measure(Sender sender, AfXdp.Socket[] rxs, int sendCpu, int receiveCpu,
            int seconds) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong received = new AtomicLong();
        AtomicLong receiveCalls = new AtomicLong();
        CountDownLatch receiverReady = new CountDownLatch(1);
        List<Throwable> failures = new ArrayList<>();
        receiverBad.set(0);
        Thread receiver = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                CpuAffinity.pinCurrentThread(receiveCpu);
                long mask = ~(long) (AfXdp.Socket.FRAME - 1);
                AfXdp.Socket.PollSet pollSet = new AfXdp.Socket.PollSet(arena, rxs);
                long spinNanos = rxSpinMicros * 1000L;
                long idleSince = 0;
                receiverReady.countDown();
                while (!stop.get()) {
                    int total = 0;
                    for (AfXdp.Socket rx : rxs) {
                        AfXdp.Ring r = rx.rx;
                        AfXdp.Ring f = rx.fill;
                        int n = r.loadProducer() - r.cached;
                        if (n == 0) {
                            continue;
                        }
                        long bad = 0;
                        for (int i = 0; i < n; i++) {
                            long at = (long) ((r.cached + i) & r.mask) * 16;
                            long addr = r.desc.get(JAVA_LONG, at);
                            if (rx.umem.get(JAVA_BYTE, addr + 23) != 50 || rx.umem.get(BE_INT, addr + 34) != SPI) {
                                bad++;
                            }
                            f.desc.setAtIndex(JAVA_LONG, (f.cached + i) & f.mask, addr & mask);
                        }
                        r.cached += n;
                        r.storeConsumer(r.cached);
                        f.cached += n;
                        f.storeProducer(f.cached);
                        total += n;
                        if (bad != 0) {
                            receiverBad.addAndGet(bad);
                        }
                    }
                    if (total == 0) {
                        if (spinNanos > 0 && idleSince == 0) {
                            idleSince = System.nanoTime();
                        }
                        if (spinNanos == 0 || System.nanoTime() - idleSince > spinNanos) {
                            pollSet.await(100);
                            idleSince = 0;
                        } else {
                            Thread.onSpinWait();
                        }
                        continue;
                    }
                    idleSince = 0;
                    received.addAndGet(total);
                    receiveCalls.incrementAndGet();
                }
            } catch (Throwable e) {
                synchronized (failures) {
                    failures.add(e);
                }
                receiverReady.countDown();
            }
        }, "ceiling-xsk-rx");
        receiver.start();
        receiverReady.await();
        CpuWindow window = new CpuWindow(sendCpu, receiveCpu, receiver);
        long[] sentKicks = new long[2];
        Thread tx = new Thread(() -> {
            try {
                CpuAffinity.pinCurrentThread(sendCpu);
                long deadlineWarm = System.nanoTime() + 1_000_000_000L;
                long end = deadlineWarm + seconds * 1_000_000_000L;
                boolean counting = false;
                long c0 = 0;
                long k0 = 0;
                while (true) {
                    long now = System.nanoTime();
                    if (!counting && now >= deadlineWarm) {
                        counting = true;
                        window.start(now, received.get());
                        c0 = sender.completed;
                        k0 = sender.kicks;
                        receiveCalls.set(0);
                    }
                    if (now >= end) {
                        window.end(now, received.get());
                        sentKicks[0] = sender.completed - c0;
                        sentKicks[1] = sender.kicks - k0;
                        break;
                    }
                    sender.step(64);
                }
            } catch (Throwable e) {
                synchronized (failures) {
                    failures.add(e);
                }
            }
        }, "ceiling-xsk-tx");
        tx.start();
        tx.join();
        stop.set(true);
        receiver.join();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("AF_XDP run failed", failures.get(0));
        }
        return new KernelCeiling.Result(sentKicks[0], window.received(), window.seconds(), sentKicks[1],
                receiveCalls.get(), window.cpu(), "");
    }

    /**
     * Turns on threaded NAPI for gw-b's wan (veth's NAPI exists once native XDP is attached) and pins its kernel
     * thread to {@code cpu}: gw-b's receive work (the XDP program, the copy into the UMEM) then runs there instead of
     * in the softirq of the CPU that sent the frame into the veth. Returns " napi_threads=[PID]@cpuN".
     */
    private static String threadedNapi(Lab lab, int cpu) throws Exception {
        java.util.Set<Long> before = napiThreads();
        lab.sh("gwb", "sh", "-c", "echo 1 > /sys/class/net/wan/threaded");
        java.util.Set<Long> added = napiThreads();
        added.removeAll(before);
        if (added.isEmpty()) {
            throw new IOException("no new napi/wan-* kernel thread after enabling threaded NAPI on gw-b's wan");
        }
        for (long pid : added) {
            Lab.Result r = Lab.run(List.of("taskset", "-pc", Integer.toString(cpu), Long.toString(pid)), 10);
            if (r.exitCode() != 0) {
                throw new IOException("taskset of napi thread " + pid + ": " + r.output());
            }
        }
        return " napi_threads=" + added + "@cpu" + cpu;
    }

    private static java.util.Set<Long> napiThreads() throws IOException {
        java.util.Set<Long> out = new java.util.TreeSet<>();
        try (var dirs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
            for (var d : (Iterable<java.nio.file.Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (java.nio.file.Files.readString(d.resolve("comm")).trim().startsWith("napi/wan-")) {
                        out.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return out;
    }

    private static void writeFrame(MemorySegment f, byte[] src, byte[] dst, int size) {
        f.fill((byte) 0x5a);
        MemorySegment.copy(dst, 0, f, JAVA_BYTE, 0, 6);
        MemorySegment.copy(src, 0, f, JAVA_BYTE, 6, 6);
        f.set(BE_SHORT, 12, (short) 0x0800);
        f.set(JAVA_BYTE, 14, (byte) 0x45);
        f.set(JAVA_BYTE, 15, (byte) 0);
        f.set(BE_SHORT, 16, (short) (20 + size));
        f.set(BE_SHORT, 18, (short) 0);
        f.set(BE_SHORT, 20, (short) 0x4000); // DF
        f.set(JAVA_BYTE, 22, (byte) 64);
        f.set(JAVA_BYTE, 23, (byte) 50);
        f.set(BE_SHORT, 24, (short) 0);
        f.set(BE_INT, 26, 0xc0000201); // 192.0.2.1
        f.set(BE_INT, 30, 0xc0000202); // 192.0.2.2
        f.set(BE_SHORT, 24, AfXdp.ipChecksum(f, 14, 20));
        f.set(BE_INT, 34, SPI);
        f.set(BE_INT, 38, 1); // sequence number
    }

    private static int ifindex(String ipLinkLine) throws IOException {
        return Integer.parseInt(find(ipLinkLine, "^(\\d+):"));
    }

    private static String find(String text, String regex) throws IOException {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        if (!m.find()) {
            throw new IOException("no " + regex + " in: " + text.trim());
        }
        return m.group(1);
    }

    private static byte[] mac(String s) {
        return HexFormat.ofDelimiter(":").parseHex(s);
    }
}
