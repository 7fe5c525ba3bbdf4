package net.palisade.dataplane.io;

import net.palisade.dataplane.testkit.Root;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real TUN devices, each in a fresh network namespace (see {@link NetnsThread}), addressed from the benchmarking
 * ranges 198.18.0.0/15 and 2001:2::/48.
 */
@ExtendWith(Root.class)
class TunDeviceTest {
    private static final InetAddress LOCAL4 = InetAddress.ofLiteral("198.18.0.1");
    private static final InetAddress REMOTE4 = InetAddress.ofLiteral("198.19.1.2");
    private static final IpPrefix REMOTE_NET4 = IpPrefix.parse("198.19.0.0/16");
    private static final InetAddress LOCAL6 = InetAddress.ofLiteral("2001:2::1");
    private static final InetAddress REMOTE6 = InetAddress.ofLiteral("2001:2:0:1::2");
    private static final IpPrefix REMOTE_NET6 = IpPrefix.parse("2001:2:0:1::/64");
    private static final AtomicInteger SEQ = new AtomicInteger();

    private NetnsThread ns;
    private TunDevice tun;
    private final String name = "paltest" + SEQ.incrementAndGet();

    @BeforeEach
    void namespace() throws Exception {
        ns = new NetnsThread("netns-" + name);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (tun != null) {
            tun.close();
        }
        ns.close();
    }

    private TunDevice openConfigured(int queues) throws Exception {
        tun = ns.call(() -> {
            TunDevice t = TunDevice.open(name, queues);
            // No IPv6 until a test adds an IPv6 address (addAddress re-enables it): otherwise the kernel sends
            // router solicitations and MLD reports into the TUN as soon as the link is up.
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6"), "1");
            t.setMtu(1400);
            t.addAddress(LOCAL4, 30);
            t.setUp(true);
            t.addRoute(REMOTE_NET4, LOCAL4);
            return t;
        });
        return tun;
    }

    @Test
    void opensDeviceWithNameIndexMtuAndUpState() throws Exception {
        openConfigured(1);
        assertThat(tun.name()).isEqualTo(name);
        assertThat(tun.index()).isPositive();
        NetnsThread.Result link = ns.exec("ip", "-o", "link", "show", "dev", name);
        assertThat(link.exitCode()).isZero();
        assertThat(link.output()).contains("mtu 1400").contains(",UP").contains("POINTOPOINT");
        NetnsThread.Result addr = ns.exec("ip", "-o", "-4", "addr", "show", "dev", name);
        assertThat(addr.output()).contains("inet 198.18.0.1/30");
        NetnsThread.Result route = ns.exec("ip", "-o", "route", "show", "dev", name);
        assertThat(route.output()).contains("198.19.0.0/16").contains("src 198.18.0.1");
    }

    @Test
    void kernelPicksNameFromPattern() throws Exception {
        tun = ns.call(() -> TunDevice.open("palp%d", 1));
        assertThat(tun.name()).matches("palp[0-9]+");
    }

    @Test
    void ipv4DatagramSentToRoutedAddressIsReadFromTun() throws Exception {
        openConfigured(1);
        byte[] payload = "hello through pal".getBytes(StandardCharsets.US_ASCII);
        int localPort = ns.call(() -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(0))) {
                s.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(REMOTE4, 9999)));
                return s.getLocalPort();
            }
        });
        byte[] buf = new byte[2048];
        Packets.Parsed p = readUdp(tun.queue(0), buf, 4);
        assertThat(p.src()).isEqualTo(LOCAL4); // the route's preferred source
        assertThat(p.dst()).isEqualTo(REMOTE4);
        assertThat(p.srcPort()).isEqualTo(localPort);
        assertThat(p.dstPort()).isEqualTo(9999);
        assertThat(p.payload()).isEqualTo(payload);
        assertThat(p.checksumsValid()).isTrue();
    }

    @Test
    void ipv4PacketWrittenToTunReachesLocalSocket() throws Exception {
        openConfigured(1);
        try (DatagramSocket s = ns.call(() -> new DatagramSocket(new InetSocketAddress(LOCAL4, 0)))) {
            s.setSoTimeout(5000);
            byte[] payload = "from the tunnel".getBytes(StandardCharsets.US_ASCII);
            byte[] packet = Packets.udp(REMOTE4, 7777, LOCAL4, s.getLocalPort(), payload);
            // through a native segment this time
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(2048);
                MemorySegment.copy(packet, 0, seg, JAVA_BYTE, 0, packet.length);
                assertThat(tun.queue(0).write(seg, packet.length)).isTrue();
            }
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            s.receive(got);
            assertThat(got.getAddress()).isEqualTo(REMOTE4);
            assertThat(got.getPort()).isEqualTo(7777);
            assertThat(new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII))
                    .isEqualTo("from the tunnel");
        }
    }

    @Test
    void malformedPacketWriteIsCountedNotThrown() throws Exception {
        openConfigured(1);
        byte[] junk = new byte[] {(byte) 0xff, 1, 2, 3};
        tun.queue(0).write(junk, 0, junk.length);
        // The kernel may accept garbage into its stack (and drop it there) or refuse it; it must never throw.
        assertThat(tun.queue(0).writeDrops()).isBetween(0L, 1L);
    }

    @Test
    void ipv6BothDirections() throws Exception {
        openConfigured(1);
        ns.run(() -> {
            tun.addAddress(LOCAL6, 64);
            tun.addRoute(REMOTE_NET6, LOCAL6);
        });
        assertThat(ns.exec("ip", "-o", "-6", "route", "show", "dev", name).output()).contains("2001:2:0:1::/64");

        byte[] payload = "v6 out".getBytes(StandardCharsets.US_ASCII);
        int localPort = ns.call(() -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(0))) {
                s.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(REMOTE6, 4500)));
                return s.getLocalPort();
            }
        });
        Packets.Parsed out = readUdp(tun.queue(0), new byte[2048], 6);
        assertThat(out.src()).isEqualTo(LOCAL6);
        assertThat(out.dst()).isEqualTo(REMOTE6);
        assertThat(out.srcPort()).isEqualTo(localPort);
        assertThat(out.dstPort()).isEqualTo(4500);
        assertThat(out.payload()).isEqualTo(payload);
        assertThat(out.checksumsValid()).isTrue();

        try (DatagramSocket s = ns.call(() -> new DatagramSocket(new InetSocketAddress(LOCAL6, 0)))) {
            s.setSoTimeout(5000);
            byte[] in = "v6 in".getBytes(StandardCharsets.US_ASCII);
            byte[] packet = Packets.udp(REMOTE6, 6000, LOCAL6, s.getLocalPort(), in);
            assertThat(tun.queue(0).write(packet, 0, packet.length)).isTrue();
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            s.receive(got);
            assertThat(got.getAddress()).isEqualTo(REMOTE6);
            assertThat(got.getPort()).isEqualTo(6000);
            assertThat(new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII)).isEqualTo("v6 in");
        }
    }

    @Test
    void multiQueueSpreadsFlowsAndEveryQueueReads() throws Exception {
        openConfigured(2);
        assertThat(tun.queues()).hasSize(2);
        int flows = 64;
        AtomicInteger[] perQueue = {new AtomicInteger(), new AtomicInteger()};
        CountDownLatch all = new CountDownLatch(flows);
        List<Thread> readers = new ArrayList<>();
        for (TunQueue q : tun.queues()) {
            Thread t = Thread.ofPlatform().name("reader-" + q.index()).start(() -> {
                byte[] buf = new byte[2048];
                try {
                    int n;
                    while ((n = q.read(buf, 0, buf.length)) >= 0) {
                        Packets.Parsed p = Packets.parse(buf, n);
                        if (p.udp() && p.dstPort() == 9999) {
                            perQueue[q.index()].incrementAndGet();
                            all.countDown();
                        }
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            readers.add(t);
        }
        ns.run(() -> {
            byte[] one = {1};
            for (int i = 0; i < flows; i++) {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(0))) { // a new source port = a new flow
                    s.send(new DatagramPacket(one, 1, new InetSocketAddress(REMOTE4, 9999)));
                }
            }
        });
        assertThat(all.await(10, TimeUnit.SECONDS)).as("all %d flows read", flows).isTrue();
        assertThat(perQueue[0].get()).as("queue 0").isPositive();
        assertThat(perQueue[1].get()).as("queue 1").isPositive();
        tun.close(); // wakes both readers
        for (Thread t : readers) {
            t.join(5000);
            assertThat(t.isAlive()).isFalse();
        }
    }

    @Test
    void closeWakesBlockedReader() throws Exception {
        openConfigured(1);
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> {
            try (Arena arena = Arena.ofConfined()) {
                return tun.queue(0).read(arena.allocate(2048));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // the reader stays blocked (nothing to read) until the close below wakes it
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200))
                .atMost(java.time.Duration.ofSeconds(5)).until(() -> !result.isDone());
        tun.queue(0).close();
        assertThat(result.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(tun.queue(0).read(new byte[10], 0, 10)).isEqualTo(-1);
    }

    @Test
    void readTimesOut() throws Exception {
        openConfigured(1);
        long start = System.nanoTime();
        assertThat(tun.queue(0).read(new byte[2048], 0, 2048, 100)).isZero();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(90_000_000L);
    }

    @Test
    void routesAreRemovedExplicitlyAndOnClose() throws Exception {
        openConfigured(1);
        IpPrefix other = IpPrefix.parse("198.19.128.0/17");
        ns.run(() -> tun.addRoute(other, null));
        assertThat(routes()).contains("198.19.0.0/16").contains("198.19.128.0/17");

        ns.run(() -> tun.removeRoute(other));
        assertThat(routes()).contains("198.19.0.0/16").doesNotContain("198.19.128.0/17");
        assertThat(tun.routes()).containsExactly(REMOTE_NET4);

        tun.close();
        assertThat(routes()).doesNotContain("198.19.0.0/16");
        assertThat(ns.exec("ip", "link", "show", "dev", name).exitCode()).isNotZero(); // the device is gone
    }

    @Test
    void netlinkErrorsNameTheRequestAndErrno() throws Exception {
        openConfigured(1);
        assertThatThrownBy(() -> ns.run(() -> tun.addRoute(REMOTE_NET4, LOCAL4)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.getMessage()).contains("RTM_NEWROUTE 198.19.0.0/16 dev " + name).contains("EEXIST");
                });
        assertThatThrownBy(() -> ns.run(() -> tun.removeRoute(IpPrefix.parse("198.19.200.0/24"))))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining("RTM_DELROUTE")
                .hasMessageContaining("ESRCH");
        assertThatThrownBy(() -> ns.run(() -> tun.setMtu(10)))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining("RTM_NEWLINK " + name + " mtu 10")
                .hasMessageContaining("EINVAL");
    }

    @Test
    void moreQueuesAttachByNameAndLongNamesAreRejected() throws Exception {
        openConfigured(1);
        // Same name: attaching another multi-queue queue works; the device stays one device.
        try (TunDevice again = ns.call(() -> TunDevice.open(name, 1))) {
            assertThat(again.index()).isEqualTo(tun.index());
        }
        assertThatThrownBy(() -> TunDevice.open("x".repeat(16), 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private String routes() throws Exception {
        return ns.exec("ip", "-o", "route", "show").output();
    }

    /** Reads packets until a UDP packet of {@code version} arrives (skips e.g. IPv6 router solicitations). */
    private static Packets.Parsed readUdp(TunQueue q, byte[] buf, int version) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            int n = q.read(buf, 0, buf.length, 500);
            if (n > 0) {
                Packets.Parsed p = Packets.parse(buf, n);
                if (p.version() == version && p.udp()) {
                    return p;
                }
            }
        }
        throw new AssertionError("no IPv" + version + " UDP packet read from " + q);
    }
}
