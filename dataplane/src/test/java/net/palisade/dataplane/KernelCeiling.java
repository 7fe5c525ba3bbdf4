package net.palisade.dataplane;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.palisade.dataplane.io.CpuAffinity;
import net.palisade.dataplane.io.DatagramBatch;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.dataplane.io.RawEspSocket;
import net.palisade.dataplane.io.SockAddr;
import net.palisade.dataplane.io.UdpEndpoint;

/**
 * The kernel's own ceiling for each ESP encapsulation in the namespace lab (a probe, not a test: no assertions).
 * ESP-sized packets go from gw-a (192.0.2.1) to gw-b (192.0.2.2) over the lab's bridge exactly as the gateways send
 * them — a raw protocol-50 socket with {@code sendmmsg}/{@code recvmmsg} (plain ESP), or UDP port 4500 with GSO on the
 * way out and GRO on the way in (ESP in UDP) — through the same Palisade socket classes, but with no encryption, no
 * TUN device and no TCP: what is left is what the kernel costs per packet. The {@code afxdp-*} modes
 * ({@link KernelCeilingXdp}) carry the same plain ESP packets as Ethernet frames through AF_XDP sockets on both
 * gateways' {@code wan} (an XDP program on gw-b's hands protocol 50 to its socket): what plain ESP would cost past the
 * kernel's IP layer. One sending thread pinned to the first CPU of {@code --cpus}, one receiving thread pinned to the
 * second; prints packets and Mbit/s received per mode, and the CPU time of both CPUs and both threads.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp dataplane/target/classes:dataplane/target/test-classes:$(cat cp.txt) \
 *     net.palisade.dataplane.KernelCeiling [--modes raw,udp-gso,afxdp-native,afxdp-generic,afxdp-native-threaded]
 *     [--cpus 0,1] [--seconds 10] [--size 1438] [--prefix kceil] [--bridge-nf 0|1] [--xsk-spin-us 0]
 * </pre>
 * Run as root ({@code ops/bench/kernel-ceiling.sh} builds the classpath). {@code --size} is the ESP packet (SPI to ICV);
 * 1438 is what an AES-GCM ESP packet carrying a 1400-octet inner packet is. {@code --bridge-nf} sets the lab
 * bridge namespace's {@code net.bridge.bridge-nf-call-*} (whether bridged frames go through netfilter's IP hooks).
 * {@code --xsk-spin-us} lets the AF_XDP receiver spin that long on empty rings before it sleeps in poll(2). A mode
 * that cannot run (no AF_XDP in the kernel, an XDP mode that does not attach) prints one {@code FAILED} line with the
 * call and errno, and the others still run.
 */
public final class KernelCeiling {
    private static final int BATCH = 64;
    private static final int SPI = 0x5eed0001;

    private KernelCeiling() {
    }

    public static void main(String[] args) throws Exception {
        List<String> modes = List.of("raw", "udp-gso");
        int sendCpu = 0;
        int receiveCpu = 1;
        int seconds = 10;
        int size = 1438;
        String prefix = "kceil";
        String bridgeNf = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--cpus" -> {
                    String[] c = args[++i].split(",");
                    sendCpu = Integer.parseInt(c[0].trim());
                    receiveCpu = Integer.parseInt(c[1].trim());
                }
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--prefix" -> prefix = args[++i];
                case "--bridge-nf" -> bridgeNf = args[++i];
                case "--xsk-spin-us" -> KernelCeilingXdp.rxSpinMicros = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (!net.palisade.dataplane.testkit.Root.isRoot()) {
            System.err.println("KernelCeiling needs root (network namespaces)");
            System.exit(2);
        }
        if (size < 16 || size > 1472) {
            System.err.println("--size must be 16..1472 (one packet in the lab's 1500-octet MTU)");
            System.exit(2);
        }
        try (Lab lab = Lab.up(prefix)) {
            if (bridgeNf != null) { // the lab bridge's br_netfilter hooks: 1 (a new namespace's default here) or 0
                lab.sh("inet", "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=" + bridgeNf,
                        "net.bridge.bridge-nf-call-ip6tables=" + bridgeNf,
                        "net.bridge.bridge-nf-call-arptables=" + bridgeNf);
            }
            String nf = lab.sh("inet", "sysctl", "-n", "net.bridge.bridge-nf-call-iptables").output().trim();
            for (String mode : modes) {
                Result r;
                try {
                    r = mode.startsWith("afxdp") ? KernelCeilingXdp.run(lab, mode, sendCpu, receiveCpu, seconds, size)
                            : run(lab, mode, sendCpu, receiveCpu, seconds, size);
                } catch (Exception e) { // one mode failing (no AF_XDP, an XDP mode that does not attach) ends only it
                    String why = String.valueOf(e.getMessage());
                    if (e.getCause() != null && !why.contains(String.valueOf(e.getCause().getMessage()))) {
                        why += ": " + e.getCause();
                    }
                    System.out.printf(Locale.ROOT, "kernel-ceiling: mode=%s cpus=%d,%d FAILED: %s%n", mode, sendCpu,
                            receiveCpu, why.replace('\n', ' '));
                    continue;
                }
                System.out.printf(Locale.ROOT,
                        "kernel-ceiling: mode=%s bridge_nf=%s size=%d cpus=%d,%d seconds=%d sent_pps=%.0f"
                                + " received_pps=%.0f received_mbps=%.0f loss=%.1f%% send_calls=%d receive_calls=%d"
                                + " %s%s%n",
                        mode, nf, size, sendCpu, receiveCpu, seconds, r.sent / r.secs, r.received / r.secs,
                        r.received * size * 8 / r.secs / 1e6,
                        r.sent == 0 ? 0.0 : 100.0 * Math.max(0, r.sent - r.received) / r.sent, r.sendCalls,
                        r.receiveCalls, r.cpu, r.extra.isEmpty() ? "" : " " + r.extra);
            }
        }
    }

    record Result(long sent, long received, double secs, long sendCalls, long receiveCalls, String cpu,
            String extra) {
    }

    private static Result run(Lab lab, String mode, int sendCpu, int receiveCpu, int seconds, int size)
            throws Exception {
        boolean raw = switch (mode) {
            case "raw" -> true;
            case "udp-gso" -> false;
            default -> throw new IllegalArgumentException("mode must be raw or udp-gso: " + mode);
        };
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("192.0.2.2");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong received = new AtomicLong();
        AtomicLong receiveCalls = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        AtomicLong sendCalls = new AtomicLong();
        CountDownLatch receiverReady = new CountDownLatch(1);
        List<Throwable> failures = new ArrayList<>();
        Thread receiver = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                NetNamespace.enter(lab.nsPath("gwb"));
                CpuAffinity.pinCurrentThread(receiveCpu);
                DatagramBatch rx = DatagramBatch.allocate(arena, BATCH, 65535);
                if (raw) {
                    try (RawEspSocket s = RawEspSocket.open(b)) {
                        s.setBufferSizes(4 << 20, 4 << 20);
                        receiverReady.countDown();
                        while (!stop.get()) {
                            int n = s.receiveBatch(rx, 100);
                            if (n > 0) {
                                received.addAndGet(n);
                                receiveCalls.incrementAndGet();
                            }
                        }
                    }
                } else {
                    try (UdpEndpoint s = UdpEndpoint.bind(new InetSocketAddress(b, 4500),
                            UdpEndpoint.Options.DEFAULT.withGro(true))) {
                        receiverReady.countDown();
                        while (!stop.get()) {
                            int n = s.receiveBatch(rx, 100);
                            if (n > 0) {
                                receiveCalls.incrementAndGet();
                                long packets = 0;
                                for (int i = 0; i < n; i++) {
                                    int seg = rx.segmentSize(i);
                                    packets += seg <= 0 ? 1 : (rx.length(i) + seg - 1) / seg;
                                }
                                received.addAndGet(packets);
                            }
                        }
                    }
                }
            } catch (Throwable e) {
                synchronized (failures) {
                    failures.add(e);
                }
                receiverReady.countDown();
            }
        }, "ceiling-rx");
        receiver.start();
        receiverReady.await();
        CpuWindow window = new CpuWindow(sendCpu, receiveCpu, receiver);
        Thread sender = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                NetNamespace.enter(lab.nsPath("gwa"));
                CpuAffinity.pinCurrentThread(sendCpu);
                int perDatagram = raw ? 1 : Math.min(64, 65000 / size);
                DatagramBatch tx = DatagramBatch.allocate(arena, BATCH, size * perDatagram);
                SockAddr to = SockAddr.of(arena, new InetSocketAddress(b, raw ? 0 : 4500));
                for (int i = 0; i < BATCH; i++) {
                    MemorySegment buf = tx.buffer(i);
                    buf.fill((byte) 0x5a);
                    for (int k = 0; k < perDatagram; k++) {
                        buf.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN),
                                (long) k * size, SPI);
                    }
                    tx.setLength(i, size * perDatagram);
                    tx.address(i).segment().copyFrom(to.segment());
                    if (!raw) {
                        tx.setSegmentSize(i, size);
                    }
                }
                long deadlineWarm = System.nanoTime() + 1_000_000_000L;
                long end = deadlineWarm + seconds * 1_000_000_000L;
                try (RawEspSocket rawSocket = raw ? RawEspSocket.open(a) : null;
                        UdpEndpoint udp = raw ? null : UdpEndpoint.bind(new InetSocketAddress(a, 4500))) {
                    if (raw) {
                        rawSocket.setBufferSizes(4 << 20, 4 << 20);
                    }
                    boolean counting = false;
                    while (true) {
                        long now = System.nanoTime();
                        if (!counting && now >= deadlineWarm) { // the window starts after 1 s of sending
                            counting = true;
                            window.start(now, received.get());
                            sent.set(0);
                            sendCalls.set(0);
                            receiveCalls.set(0);
                        }
                        if (now >= end) {
                            window.end(now, received.get());
                            break;
                        }
                        int n = raw ? rawSocket.sendBatch(tx, BATCH) : udp.sendBatch(tx, BATCH);
                        sent.addAndGet((long) n * perDatagram);
                        sendCalls.incrementAndGet();
                    }
                }
            } catch (Throwable e) {
                synchronized (failures) {
                    failures.add(e);
                }
            }
        }, "ceiling-tx");
        sender.start();
        sender.join();
        stop.set(true);
        receiver.join();
        if (!failures.isEmpty()) {
            throw new IllegalStateException(mode + " failed", failures.get(0));
        }
        return new Result(sent.get(), window.received(), window.seconds(), sendCalls.get(), receiveCalls.get(),
                window.cpu(), "");
    }
}
