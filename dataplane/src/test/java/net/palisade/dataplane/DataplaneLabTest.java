package net.palisade.dataplane;

import net.palisade.dataplane.testkit.LabPrefix;
import net.palisade.dataplane.testkit.Root;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import net.palisade.dataplane.io.RawEspSocket;
import net.palisade.dataplane.worker.Counter;
import net.palisade.dataplane.worker.WorkerCounters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * End to end through two user-space ESP gateways in the namespace lab ({@code ops/lab/netns.sh}, prefix
 * derived from the class by {@link LabPrefix}): host-a 10.1.0.10 — gw-a — "internet" — gw-b — host-b 10.2.0.10, with a {@link Dataplane} in
 * gw-a and one in gw-b, both in this JVM, configured from manual-keying config text. Needs root; fails with a clear
 * message without it, or is skipped with {@code -Dpalisade.skipRoot=true}.
 */
@ExtendWith(Root.class)
class DataplaneLabTest {
    static final String PREFIX = LabPrefix.claim(DataplaneLabTest.class);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static Lab lab;

    @BeforeAll
    static void labUp() throws Exception {
        lab = Lab.up(PREFIX);
    }

    @AfterAll
    static void labDown() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private static Lab.Result ping(String role, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ping";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return lab.exec(role, 60, cmd);
    }

    /** Waits until {@code value} reaches {@code atLeast}, polling; fails with {@code what} at the deadline. */
    private static void awaitAtLeast(String what, LongSupplier value, long atLeast) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (value.getAsLong() < atLeast) {
            if (System.nanoTime() > deadline) {
                fail(what + ": expected at least " + atLeast + ", still " + value.getAsLong() + " after " + WAIT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static void assertNoDrops(Dataplane dp, Counter... counters) {
        DataplaneCounters c = dp.counters();
        for (Counter counter : counters) {
            assertThat(c.total(counter)).as(counter.key() + " on " + dp.settings().netns().orElseThrow() + ": "
                    + c.describe()).isZero();
        }
    }

    private static void assertWorkersRunning(Dataplane dp) {
        for (WorkerCounters w : dp.counters().workers()) {
            assertThat(w.running()).as("worker " + w.worker() + " running").isTrue();
        }
    }

    @Test
    void aesGcmOverUdpCarriesPingAndIperfAndCountsPerSa() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm())) {
            assertThat(lab.exec("gwa", 10, "ip", "route", "show", "10.2.0.0/24").output())
                    .as("route through the TUN with the LAN address as preferred source")
                    .contains("dev pal0").contains("src 10.1.0.1");

            Lab.Result ping = ping("ha", "-c", "5", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            assertThat(ping.output()).contains("5 received");

            Iperf.Result iperf = Iperf.run(lab, "10.2.0.10", 3, 1);
            System.out.printf("iperf3 host-a -> host-b, AES-128-GCM ESP-in-UDP, 1 worker per gateway: %.0f Mbit/s "
                    + "(%d bytes, %d retransmits)%n", iperf.mbps(), iperf.bytes(), iperf.retransmits());
            assertThat(iperf.bytes()).isPositive();

            awaitInFlight(pair);
            TunnelCounters a = pair.a.counters().tunnel("lab").orElseThrow();
            TunnelCounters b = pair.b.counters().tunnel("lab").orElseThrow();
            System.out.println("gw-a: " + pair.a.counters().describe());
            System.out.println("gw-b: " + pair.b.counters().describe());
            assertThat(a.outboundSpi()).isEqualTo(0x1001);
            assertThat(a.out().packets()).isGreaterThanOrEqualTo(5 + iperf.bytes() / 1500);
            assertThat(b.in().packets()).isEqualTo(a.out().packets());
            assertThat(b.in().bytes()).isEqualTo(a.out().bytes());
            assertThat(b.out().packets()).isGreaterThanOrEqualTo(5);
            assertThat(a.in().packets()).isEqualTo(b.out().packets());
            assertThat(a.lastSequenceOut()).isEqualTo(a.out().packets());
            assertThat(b.highestSequenceIn()).isEqualTo(a.lastSequenceOut());
            assertThat(pair.a.counters().total(Counter.MSS_CLAMPED)).as("SYN clamped on the way out").isPositive();
            DataplaneCounters ca = pair.a.counters();
            DataplaneCounters cb = pair.b.counters();
            assertThat(ca.total(Counter.TSO_SUPER_PACKETS)).as("TCP super-packets read from the TUN").isPositive();
            assertThat(ca.total(Counter.UDP_DATAGRAMS_SENT)).as("UDP GSO: fewer datagrams than packets")
                    .isLessThan(ca.total(Counter.SEALED));
            assertThat(cb.total(Counter.GRO_SUPER_PACKETS)).as("coalesced writes to the TUN").isPositive();
            for (Dataplane dp : List.of(pair.a, pair.b)) {
                assertNoDrops(dp, Counter.REPLAY, Counter.ICV_FAILED, Counter.UNKNOWN_SPI, Counter.POLICY_MISMATCH,
                        Counter.MALFORMED, Counter.NO_SA, Counter.SEQ_EXHAUSTED, Counter.MTU_EXCEEDED,
                        Counter.TUN_WRITE_FAILED, Counter.SEND_FAILED, Counter.SOCKET_DROPS);
                assertWorkersRunning(dp);
            }
        }
    }

    @Test
    void withoutOffloadsEveryPacketTakesItsOwnReadWriteAndDatagram() throws Exception {
        GatewayPair.Options plain = GatewayPair.Options.defaults().withTunOffloads(false).withUdpOffloads(false);
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm(), plain)) {
            Lab.Result ping = ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            Iperf.Result iperf = Iperf.run(lab, "10.2.0.10", 2, 1);
            System.out.printf("iperf3 without TUN or UDP offloads: %.0f Mbit/s%n", iperf.mbps());
            assertThat(iperf.bytes()).isPositive();
            awaitInFlight(pair);
            DataplaneCounters a = pair.a.counters();
            assertThat(a.total(Counter.UDP_DATAGRAMS_SENT)).isEqualTo(a.total(Counter.SEALED));
            assertThat(a.total(Counter.TSO_SUPER_PACKETS)).isZero();
            assertThat(pair.b.counters().total(Counter.GRO_SUPER_PACKETS)).isZero();
            assertThat(pair.b.counters().tunnel("lab").orElseThrow().in().packets())
                    .isEqualTo(a.tunnel("lab").orElseThrow().out().packets());
            assertNoDrops(pair.b, Counter.ICV_FAILED, Counter.MALFORMED, Counter.REPLAY, Counter.TUN_WRITE_FAILED);
        }
    }

    @Test
    void rawEspWithoutUdpEncapsulation() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm().rawEsp())) {
            Lab.Result ping = ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            Iperf.Result iperf = Iperf.run(lab, "10.2.0.10", 2, 1);
            System.out.printf("iperf3 raw ESP (IP protocol 50), AES-128-GCM: %.0f Mbit/s%n", iperf.mbps());
            assertThat(iperf.bytes()).isPositive();
            TunnelCounters b = pair.b.counters().tunnel("lab").orElseThrow();
            assertThat(b.in().packets()).isGreaterThanOrEqualTo(3);
            assertNoDrops(pair.b, Counter.ICV_FAILED, Counter.MALFORMED, Counter.UNKNOWN_SPI, Counter.REPLAY);
            DataplaneCounters a = pair.a.counters();
            System.out.printf("raw ESP: %d packets sealed in %d sendmmsg batches; gw-b read %d packets in %d "
                    + "recvmmsg batches%n", a.total(Counter.SEALED), a.total(Counter.RAW_ESP_SEND_BATCHES),
                    b.in().packets(), pair.b.counters().total(Counter.RAW_ESP_RECEIVE_BATCHES));
            assertThat(a.total(Counter.RAW_ESP_SEND_BATCHES)).as("a TCP super-packet leaves in one sendmmsg")
                    .isPositive().isLessThan(a.total(Counter.SEALED) / 4);
            assertThat(pair.b.counters().total(Counter.RAW_ESP_RECEIVE_BATCHES)).isPositive()
                    .isLessThan(b.in().packets());
            assertThat(a.total(Counter.UDP_DATAGRAMS_SENT)).as("nothing went by UDP").isZero();
        }
    }

    /**
     * Plain ESP with two workers per gateway and two tunnels whose inbound SPIs hash to different workers: each
     * gateway's workers both open packets (each worker's raw socket takes its own SPIs), and no packet is lost,
     * duplicated or dropped as a replay on the way.
     */
    @Test
    void rawEspSasAreSpreadOverTheWorkersWithoutLossOrReplay() throws Exception {
        int workers = 2;
        // inbound SPIs of gw-b (tunnels one, two) and of gw-a, one of each pair per worker
        int bIn1 = spiOfWorker(0x2000, 0, workers);
        int bIn2 = spiOfWorker(bIn1 + 1, 1, workers);
        int aIn1 = spiOfWorker(0x3000, 1, workers);
        int aIn2 = spiOfWorker(aIn1 + 1, 0, workers);
        String configA = manual("one", "10.1.0.0/24", "10.2.0.0/25", "192.0.2.1", "192.0.2.2", aIn1, bIn1)
                + manual("two", "10.1.0.0/24", "10.2.0.128/25", "192.0.2.1", "192.0.2.2", aIn2, bIn2);
        String configB = manual("one", "10.2.0.0/25", "10.1.0.0/24", "192.0.2.2", "192.0.2.1", bIn1, aIn1)
                + manual("two", "10.2.0.128/25", "10.1.0.0/24", "192.0.2.2", "192.0.2.1", bIn2, aIn2);
        lab.sh("hb", "ip", "addr", "add", "10.2.0.200/24", "dev", "eth0");
        try (GatewayPair pair = GatewayPair.start(lab, configA, configB,
                GatewayPair.Options.defaults().withWorkers(workers))) {
            for (String target : List.of("10.2.0.10", "10.2.0.200")) {
                Lab.Result ping = ping("ha", "-c", "3", "-i", "0.2", "-W", "2", target);
                assertThat(ping.exitCode()).as(ping.output()).isZero();
                Iperf.Result iperf = Iperf.run(lab, target, 2, 2);
                System.out.printf("iperf3 raw ESP to %s, 2 workers: %.0f Mbit/s%n", target, iperf.mbps());
                assertThat(iperf.bytes()).isPositive();
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> inFlightDone(pair, "one") && inFlightDone(pair, "two"));
            for (String label : List.of("one", "two")) {
                TunnelCounters a = pair.a.counters().tunnel(label).orElseThrow();
                TunnelCounters b = pair.b.counters().tunnel(label).orElseThrow();
                assertThat(a.out().packets()).as(label + ": gw-a sent").isGreaterThan(1000);
                assertThat(b.highestSequenceIn()).as(label + ": gw-b accepted up to the last sent, none lost")
                        .isEqualTo(a.lastSequenceOut()).isEqualTo(b.in().packets());
                assertThat(a.highestSequenceIn()).as(label + ": the acknowledgements too")
                        .isEqualTo(b.lastSequenceOut()).isEqualTo(a.in().packets());
            }
            for (Dataplane dp : List.of(pair.a, pair.b)) {
                System.out.println(dp.settings().netns().orElseThrow() + ": " + dp.counters().describe());
                // SOCKET_DROPS: nothing was lost, and the packets each worker's SPI filter turned away are not drops
                assertNoDrops(dp, Counter.REPLAY, Counter.ICV_FAILED, Counter.UNKNOWN_SPI, Counter.MALFORMED,
                        Counter.POLICY_MISMATCH, Counter.TUN_WRITE_FAILED, Counter.SEND_FAILED, Counter.SOCKET_DROPS);
                assertWorkersRunning(dp);
                for (WorkerCounters w : dp.counters().workers()) {
                    assertThat(w.get(Counter.OPENED)).as("worker " + w.worker() + " of "
                            + dp.settings().netns().orElseThrow() + " opened plain ESP").isGreaterThan(100);
                    assertThat(w.get(Counter.RAW_ESP_RECEIVE_BATCHES)).isPositive();
                }
            }
        } finally {
            lab.sh("hb", "ip", "addr", "del", "10.2.0.200/24", "dev", "eth0");
        }
    }

    /** The first SPI from {@code from} on whose packets worker {@code worker} of {@code workers} receives. */
    private static int spiOfWorker(int from, int worker, int workers) {
        int spi = from;
        while (RawEspSocket.workerFor(spi, workers) != worker) {
            spi++;
        }
        return spi;
    }

    private static String manual(String label, String from, String to, String local, String peer, int inSpi,
            int outSpi) {
        String in = label + Integer.toHexString(inSpi);
        String out = label + Integer.toHexString(outSpi);
        return "manual from " + from + " to " + to + " local " + local + " peer " + peer + " spi 0x"
                + Integer.toHexString(inSpi) + ":0x" + Integer.toHexString(outSpi) + " enc aes-128-gcm enckey "
                + GatewayPair.key("enc" + inSpi, 20) + ":" + GatewayPair.key("enc" + outSpi, 20) + " label "
                + label + "\n";
    }

    private static boolean inFlightDone(GatewayPair pair, String label) {
        TunnelCounters a = pair.a.counters().tunnel(label).orElseThrow();
        TunnelCounters b = pair.b.counters().tunnel(label).orElseThrow();
        return b.in().packets() == a.out().packets() && a.in().packets() == b.out().packets();
    }

    @Test
    void aesCbcWithHmacSha256() throws Exception {
        GatewayPair.Spec spec = GatewayPair.Spec.gcm().withEnc("aes-128", "hmac-sha2-256");
        try (GatewayPair pair = GatewayPair.start(lab, spec)) {
            assertThat(pair.a.tunMtu()).as("1500 - 85 (AES-CBC + HMAC-SHA2-256 in UDP over IPv4)").isEqualTo(1415);
            Lab.Result ping = ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            Iperf.Result iperf = Iperf.run(lab, "10.2.0.10", 2, 1);
            System.out.printf("iperf3 AES-128-CBC + HMAC-SHA2-256, ESP-in-UDP: %.0f Mbit/s%n", iperf.mbps());
            assertThat(iperf.bytes()).isPositive();
            assertNoDrops(pair.b, Counter.ICV_FAILED, Counter.MALFORMED, Counter.REPLAY);
        }
    }

    @Test
    void wrongKeyFailsTheIcvAndNothingCrashes() throws Exception {
        GatewayPair.Spec wrong = GatewayPair.Spec.gcm().withWrongKeyOnB();
        try (GatewayPair pair = GatewayPair.start(lab, wrong)) {
            Lab.Result ping = ping("ha", "-c", "3", "-i", "0.2", "-W", "1", "10.2.0.10");
            assertThat(ping.exitCode()).as("ping must fail: " + ping.output()).isNotZero();
            assertThat(pair.b.counters().total(Counter.ICV_FAILED)).isGreaterThanOrEqualTo(3);
            assertThat(pair.b.counters().tunnel("lab").orElseThrow().in().packets()).isZero();
            assertThat(pair.b.counters().tunnel("lab").orElseThrow().highestSequenceIn())
                    .as("forged packets never move the replay window").isZero();
            assertWorkersRunning(pair.b);

            // Install the right key on gw-b (replacing the tunnel): traffic flows again.
            pair.b.install(pair.tunnelB(GatewayPair.Spec.gcm()));
            Lab.Result again = ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(again.exitCode()).as(again.output()).isZero();
        }
    }

    @Test
    void replayedCorruptedAndStrayPacketsAreCountedAndDropped() throws Exception {
        LinkedBlockingQueue<String> ike = new LinkedBlockingQueue<>();
        GatewayPair.Options options = GatewayPair.Options.defaults().withIkeSinkB(
                (from, local, message) -> ike.add(from.getAddress().getHostAddress() + " "
                        + new String(message, StandardCharsets.US_ASCII)));
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm(), options)) {
            assertThat(ping("ha", "-c", "2", "-i", "0.2", "-W", "2", "10.2.0.10").exitCode()).isZero();

            // Capture one real ESP packet from gw-a to gw-b off gw-b's wire, then replay it.
            byte[] esp = captureEspPacket();
            assertThat(ByteBuffer.wrap(esp).getInt()).as("SPI").isEqualTo(0x1001);
            Dataplane b = pair.b;
            long replays = b.counters().total(Counter.REPLAY);
            long highest = b.counters().tunnel("lab").orElseThrow().highestSequenceIn();
            send(esp);
            awaitAtLeast("replay after re-sending a captured packet", () -> b.counters().total(Counter.REPLAY),
                    replays + 1);

            // Corrupted: a fresh sequence number (authenticated: the ICV fails) and a flipped ICV octet.
            byte[] freshSeq = esp.clone();
            ByteBuffer.wrap(freshSeq).putInt(4, (int) highest + 1000);
            byte[] flipped = freshSeq.clone();
            flipped[flipped.length - 1] ^= 0x01;
            byte[] flippedCiphertext = freshSeq.clone();
            flippedCiphertext[20] ^= (byte) 0x80;
            long icv = b.counters().total(Counter.ICV_FAILED);
            send(freshSeq);
            send(flipped);
            send(flippedCiphertext);
            awaitAtLeast("icv_failed after corrupted packets", () -> b.counters().total(Counter.ICV_FAILED), icv + 3);
            assertThat(b.counters().tunnel("lab").orElseThrow().highestSequenceIn())
                    .as("the window did not move for packets that failed the ICV").isEqualTo(highest);

            // Malformed: a truncated packet with a valid SPI; a stub shorter than an ESP header.
            long malformed = b.counters().total(Counter.MALFORMED);
            send(Arrays.copyOf(freshSeq, 14));
            send(new byte[] {0x00, 0x00, 0x10});
            awaitAtLeast("malformed", () -> b.counters().total(Counter.MALFORMED), malformed + 2);

            // An SPI nobody installed; a NAT-T keepalive; an IKE message behind the non-ESP marker.
            long unknown = b.counters().total(Counter.UNKNOWN_SPI);
            byte[] stranger = freshSeq.clone();
            ByteBuffer.wrap(stranger).putInt(0, 0xdeadbeef);
            send(stranger);
            awaitAtLeast("unknown_spi", () -> b.counters().total(Counter.UNKNOWN_SPI), unknown + 1);
            send(new byte[] {(byte) 0xff});
            awaitAtLeast("keepalive", () -> b.counters().total(Counter.KEEPALIVE), 1);
            send(new byte[] {0, 0, 0, 0, 'I', 'K', 'E'});
            assertThat(ike.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("192.0.2.1 IKE");

            // Nothing crashed, the real traffic still flows, and the SA counts only genuine packets.
            assertWorkersRunning(b);
            Lab.Result after = ping("ha", "-c", "2", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(after.exitCode()).as(after.output()).isZero();
            awaitInFlight(pair);
            TunnelCounters t = b.counters().tunnel("lab").orElseThrow();
            assertThat(t.in().packets()).isEqualTo(pair.a.counters().tunnel("lab").orElseThrow().out().packets());
            System.out.println("gw-b after injections: " + b.counters().describe());
        }
    }

    /** Sends a datagram to gw-b's port 4500 from a plain socket in gw-a's namespace. */
    private static void send(byte[] payload) throws Exception {
        lab.inNamespace("gwa", () -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 0))) {
                s.send(new DatagramPacket(payload, payload.length,
                        new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500)));
            }
            return null;
        });
    }

    /** tshark on gw-b's wan while host-a pings: the UDP payload of one ESP-in-UDP packet from gw-a. */
    private static byte[] captureEspPacket() throws Exception {
        Path file = Files.createTempFile("esp", ".pcap");
        try {
            Process tshark = lab.start("gwb", "tshark", "-i", "wan", "-f", "udp dst port 4500 and src host 192.0.2.1",
                    "-c", "1", "-F", "pcap", "-w", file.toString());
            CompletableFuture<Boolean> capturing = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(tshark.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.contains("Capture started") || line.contains("Capturing on")) {
                            capturing.complete(true);
                        }
                    }
                } catch (IOException e) {
                    // tshark is gone
                }
                capturing.complete(false);
            });
            reader.setDaemon(true);
            reader.start();
            if (!capturing.get(30, TimeUnit.SECONDS)) {
                fail("tshark did not start capturing in gw-b (is tshark installed?)");
            }
            // "Capturing on" precedes the socket's readiness by a moment: ping until tshark has its packet.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (tshark.isAlive()) {
                if (System.nanoTime() > deadline) {
                    tshark.destroyForcibly();
                    fail("tshark captured nothing");
                }
                ping("ha", "-c", "1", "-W", "1", "10.2.0.10");
            }
            return udpPayloadOfFirstPacket(Files.readAllBytes(file));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Classic pcap, little-endian, Ethernet: the UDP payload of the first packet. */
    private static byte[] udpPayloadOfFirstPacket(byte[] pcap) {
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).as("pcap magic").isEqualTo(0xa1b2c3d4);
        assertThat(b.getInt(20)).as("link type Ethernet").isEqualTo(1);
        int captured = b.getInt(24 + 8);
        int frame = 24 + 16;
        int ip = frame + 14;
        int ihl = (pcap[ip] & 0x0f) * 4;
        int udp = ip + ihl;
        int udpLength = ((pcap[udp + 4] & 0xff) << 8) | (pcap[udp + 5] & 0xff);
        assertThat(14 + ihl + udpLength).as("whole packet captured").isLessThanOrEqualTo(captured);
        return Arrays.copyOfRange(pcap, udp + 8, udp + udpLength);
    }

    @Test
    void ipv6InsideTheTunnelAndPacketTooBig() throws Exception {
        lab.sh("gwa", "ip", "-6", "addr", "replace", "fd00:1::1/64", "dev", "lan", "nodad");
        lab.sh("ha", "ip", "-6", "addr", "replace", "fd00:1::10/64", "dev", "eth0", "nodad");
        lab.sh("ha", "ip", "-6", "route", "replace", "default", "via", "fd00:1::1");
        lab.sh("gwb", "ip", "-6", "addr", "replace", "fd00:2::1/64", "dev", "lan", "nodad");
        lab.sh("hb", "ip", "-6", "addr", "replace", "fd00:2::10/64", "dev", "eth0", "nodad");
        lab.sh("hb", "ip", "-6", "route", "replace", "default", "via", "fd00:2::1");
        GatewayPair.Spec spec = GatewayPair.Spec.gcm().withNets("10.1.0.0/24 fd00:1::/64", "10.2.0.0/24 fd00:2::/64");
        // A TUN MTU above what fits after ESP (1438): the gateway, not the kernel, must answer "too big".
        GatewayPair.Options options = GatewayPair.Options.defaults().withTunMtu(1500);
        try (GatewayPair pair = GatewayPair.start(lab, spec, options)) {
            assertThat(lab.exec("gwa", 10, "ip", "-6", "route", "show", "fd00:2::/64").output())
                    .contains("dev pal0").contains("src fd00:1::1");
            Lab.Result ping6 = ping("ha", "-6", "-c", "3", "-i", "0.2", "-W", "2", "fd00:2::10");
            assertThat(ping6.exitCode()).as(ping6.output()).isZero();
            Lab.Result ping4 = ping("ha", "-c", "2", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping4.exitCode()).as("IPv4 through the same tunnel: " + ping4.output()).isZero();

            // TCP over IPv6 through the tunnel, MSS clamped both ways to fit (1438 - 60 = 1378) although the TUN says
            // 1500. (Before the too-big pings below: afterwards host-a knows the path MTU and advertises 1378 itself.)
            Iperf.Result iperf = Iperf.run(lab, "fd00:2::10", 2, 1);
            System.out.printf("iperf3 over IPv6 inside the tunnel: %.0f Mbit/s%n", iperf.mbps());
            assertThat(iperf.bytes()).isPositive();
            assertThat(pair.a.counters().total(Counter.MSS_CLAMPED)).as("SYN clamped by gw-a").isPositive();
            assertThat(pair.b.counters().total(Counter.MSS_CLAMPED)).as("SYN-ACK clamped by gw-b").isPositive();

            Lab.Result big6 = ping("ha", "-6", "-M", "do", "-s", "1452", "-c", "2", "-W", "2", "fd00:2::10");
            assertThat(big6.output()).as(big6.output()).containsPattern("mtu[=:] ?1438");
            Lab.Result big4 = ping("ha", "-M", "do", "-s", "1472", "-c", "2", "-W", "2", "10.2.0.10");
            assertThat(big4.output()).as(big4.output()).containsPattern("mtu ?=? ?1438");
            assertThat(pair.a.counters().total(Counter.MTU_EXCEEDED)).isGreaterThanOrEqualTo(2);
            assertThat(pair.a.counters().total(Counter.ICMP_TOO_BIG_SENT)).isGreaterThanOrEqualTo(2);

            // The kernel's ND/MLD noise on the IPv6-enabled TUN is counted apart (ipv6_link_scope), not as no_sa.
            assertNoDrops(pair.a, Counter.NO_SA, Counter.ICV_FAILED, Counter.MALFORMED, Counter.POLICY_MISMATCH);
            assertNoDrops(pair.b, Counter.NO_SA, Counter.ICV_FAILED, Counter.MALFORMED, Counter.POLICY_MISMATCH,
                    Counter.REPLAY);
        }
    }

    @Test
    void ipv6OuterAddresses() throws Exception {
        lab.sh("gwa", "ip", "-6", "addr", "replace", "2001:db8:ff::1/64", "dev", "wan", "nodad");
        lab.sh("gwb", "ip", "-6", "addr", "replace", "2001:db8:ff::2/64", "dev", "wan", "nodad");
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm().outerIpv6())) {
            assertThat(pair.a.tunMtu()).as("1500 - 85 (AES-GCM in UDP over IPv6)").isEqualTo(1415);
            Lab.Result ping = ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            assertThat(pair.b.counters().tunnel("lab").orElseThrow().in().packets()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void twoWorkersPerGateway() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm(),
                GatewayPair.Options.defaults().withWorkers(2))) {
            long overflowsBefore = udpRcvbufErrors("gwa") + udpRcvbufErrors("gwb");
            Iperf.Result iperf = Iperf.run(lab, "10.2.0.10", 3, 4);
            System.out.printf("iperf3 -P 4, AES-128-GCM, 2 workers per gateway: %.0f Mbit/s%n", iperf.mbps());
            assertThat(iperf.bytes()).isPositive();
            for (WorkerCounters w : pair.a.counters().workers()) {
                System.out.printf("gw-a worker %d: sealed %d, opened %d%n", w.worker(), w.get(Counter.SEALED),
                        w.get(Counter.OPENED));
            }
            // Both gateways' four workers, iperf3 and the veths' softirqs share two CPUs: a receiving worker can be
            // off its CPU long enough for its socket's 4 MiB buffer to fill (since 2026-12-07 IPsec-MB's AES-GCM seals
            // faster than the other side opens and writes to the TUN), and then the kernel drops whole datagrams,
            // counted in the namespace's Udp RcvbufErrors, as it would on a real gateway that falls behind. Nothing
            // may be lost inside the gateways: every ESP packet sent and not counted in must be in such a datagram
            // (one holds at most 64 packets, UDP GRO's limit).
            awaitSettled(pair);
            // the kernel reports a socket's drops with its next datagram: a ping each way gives every socket one
            Lab.Result ping = ping("ha", "-c", "2", "-i", "0.2", "-W", "2", "10.2.0.10");
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            awaitSettled(pair);
            long overflows = udpRcvbufErrors("gwa") + udpRcvbufErrors("gwb") - overflowsBefore;
            assertThat(pair.a.counters().total(Counter.SOCKET_DROPS) + pair.b.counters().total(Counter.SOCKET_DROPS))
                    .as("the gateways count (socket_drops) what the kernel dropped at their sockets").isEqualTo(overflows);
            TunnelCounters a = pair.a.counters().tunnel("lab").orElseThrow();
            TunnelCounters b = pair.b.counters().tunnel("lab").orElseThrow();
            long lost = a.out().packets() - b.in().packets() + b.out().packets() - a.in().packets();
            System.out.printf("ESP packets not counted in: %d; datagrams the kernel dropped at a full receive buffer:"
                    + " %d%n", lost, overflows);
            assertThat(b.in().packets()).isLessThanOrEqualTo(a.out().packets());
            assertThat(a.in().packets()).isLessThanOrEqualTo(b.out().packets());
            assertThat(lost).as("ESP packets lost inside the gateways (gw-a %s; gw-b %s), kernel receive-buffer drops %d",
                    describe(pair.a), describe(pair.b), overflows).isLessThanOrEqualTo(overflows * 64);
            assertNoDrops(pair.b, Counter.ICV_FAILED, Counter.MALFORMED, Counter.REPLAY);
        }
    }

    /**
     * The keys of an SA pair taken out of a worker are wiped by that worker itself, between two packets, right after
     * the removal — not up to a GC cycle later by a Cleaner — while the tunnel beside it goes on carrying traffic.
     * The pair's transforms are real AES-GCM transforms in a wrapper that records who closed them.
     */
    @Test
    void aRemovedPairsKeysAreWipedByItsWorkerAtOnceAndTrafficGoesOn() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm())) {
            net.palisade.dataplane.worker.WorkerHandle worker = pair.a.workers().getFirst();
            ClosingSpy out = new ClosingSpy(net.palisade.dataplane.esp.EspTransforms.create("aes-128-gcm",
                    net.palisade.dataplane.esp.EspTransforms.NONE, new byte[20], false));
            ClosingSpy in = new ClosingSpy(net.palisade.dataplane.esp.EspTransforms.create("aes-128-gcm",
                    net.palisade.dataplane.esp.EspTransforms.NONE, new byte[20], false));
            worker.install(extraPair(), out, in);
            assertThat(ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10").exitCode()).isZero();
            assertThat(out.closedBy()).as("closed while installed").isNull();
            assertThat(worker.remove("extra")).isTrue();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                    .until(() -> out.closedBy() != null && in.closedBy() != null);
            assertThat(out.closedBy()).as("closed by the worker thread").startsWith("palisade-dp-")
                    .isEqualTo(in.closedBy());
            assertThat(out.closes.get() + in.closes.get()).as("each closed once").isEqualTo(2);
            assertThat(ping("ha", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.10").exitCode()).isZero();
            assertWorkersRunning(pair.a);
        }
    }

    /** A second pair on gw-a for 10.9.0.0/24, never used by traffic. */
    private static net.palisade.dataplane.sa.TunnelSas extraPair() {
        net.palisade.dataplane.sa.Prefix local = net.palisade.dataplane.sa.Prefix.of(
                net.palisade.model.Network.parse("10.1.0.0/24")).getFirst();
        net.palisade.dataplane.sa.Prefix remote = net.palisade.dataplane.sa.Prefix.of(
                net.palisade.model.Network.parse("10.9.0.0/24")).getFirst();
        net.palisade.dataplane.sa.OutboundSa out = new net.palisade.dataplane.sa.OutboundSa("extra", 0x7002,
                InetAddress.ofLiteral("192.0.2.1"), new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500),
                "aes-128-gcm", false, 1438, 1, null);
        net.palisade.dataplane.sa.InboundSa in = new net.palisade.dataplane.sa.InboundSa("extra", 0x7001,
                "aes-128-gcm", new net.palisade.dataplane.replay.ReplayWindow(64, false),
                new net.palisade.dataplane.sa.Selectors(List.of(local), List.of(remote)), 1395, 1375, 1);
        return new net.palisade.dataplane.sa.TunnelSas("extra", out, in,
                List.of(new net.palisade.dataplane.sa.FlowPair(local, remote)));
    }

    /** A real transform that records which thread closed it, and how often. */
    private static final class ClosingSpy implements net.palisade.dataplane.esp.EspTransform {
        private final net.palisade.dataplane.esp.EspTransform real;
        private final java.util.concurrent.atomic.AtomicReference<String> closedBy =
                new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();

        ClosingSpy(net.palisade.dataplane.esp.EspTransform real) {
            this.real = real;
        }

        String closedBy() {
            return closedBy.get();
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            closedBy.compareAndSet(null, Thread.currentThread().getName());
            real.close();
        }

        @Override
        public net.palisade.model.crypto.EncryptionAlgorithm encryption() {
            return real.encryption();
        }

        @Override
        public java.util.Optional<net.palisade.model.crypto.AuthAlgorithm> integrity() {
            return real.integrity();
        }

        @Override
        public boolean extendedSequenceNumbers() {
            return real.extendedSequenceNumbers();
        }

        @Override
        public String name() {
            return real.name();
        }

        @Override
        public int ivLength() {
            return real.ivLength();
        }

        @Override
        public int icvLength() {
            return real.icvLength();
        }

        @Override
        public int alignment() {
            return real.alignment();
        }

        @Override
        public int sealedLength(int payloadLength) {
            return real.sealedLength(payloadLength);
        }

        @Override
        public int openedLength(int packetLength) {
            return real.openedLength(packetLength);
        }

        @Override
        public int seal(int spi, long sequenceNumber, int nextHeader, byte[] payload, int payloadOffset,
                int payloadLength, byte[] out, int outOffset) {
            return real.seal(spi, sequenceNumber, nextHeader, payload, payloadOffset, payloadLength, out, outOffset);
        }

        @Override
        public net.palisade.dataplane.esp.EspOutcome open(byte[] packet, int offset, int length, long sequenceNumber,
                byte[] out, int outOffset, net.palisade.dataplane.esp.EspOpenResult result) {
            return real.open(packet, offset, length, sequenceNumber, out, outOffset, result);
        }
    }

    @Test
    void unmatchedTrafficCountsNoSaAndRemovingATunnelRemovesItsRoutes() throws Exception {
        try (GatewayPair pair = GatewayPair.start(lab, GatewayPair.Spec.gcm())) {
            lab.sh("gwa", "ip", "route", "replace", "10.9.0.0/24", "dev", "pal0");
            ping("ha", "-c", "2", "-i", "0.2", "-W", "1", "10.9.0.1");
            assertThat(pair.a.counters().total(Counter.NO_SA)).isGreaterThanOrEqualTo(2);
            lab.sh("gwa", "ip", "route", "del", "10.9.0.0/24", "dev", "pal0");

            assertThat(pair.a.remove("lab")).isTrue();
            assertThat(pair.a.tunnels()).isEmpty();
            assertThat(lab.exec("gwa", 10, "ip", "route", "show", "dev", "pal0").output()).doesNotContain("10.2.0.0");
            Lab.Result ping = ping("ha", "-c", "1", "-W", "1", "10.2.0.10");
            assertThat(ping.exitCode()).isNotZero();
            assertThat(pair.a.remove("lab")).isFalse();
        }
    }

    /**
     * Waits until every ESP packet each side sent has been counted in by the other: right after iperf3 or ping
     * returns, the last segments may still be on their way (a few milliseconds on a loaded machine).
     */
    private static void awaitInFlight(GatewayPair pair) {
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .pollInterval(java.time.Duration.ofMillis(20)).until(() -> {
                        TunnelCounters a = pair.a.counters().tunnel("lab").orElseThrow();
                        TunnelCounters b = pair.b.counters().tunnel("lab").orElseThrow();
                        return b.in().packets() == a.out().packets() && a.in().packets() == b.out().packets();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("ESP packets sent and counted in differ after 10 s: gw-a " + describe(pair.a)
                    + "\ngw-b " + describe(pair.b), e);
        }
    }

    /** Waits until neither side counts another ESP packet in for 200 ms (at most 10 s). */
    private static void awaitSettled(GatewayPair pair) {
        long[] last = {-1, -1};
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
                    long a = pair.a.counters().tunnel("lab").orElseThrow().in().packets();
                    long b = pair.b.counters().tunnel("lab").orElseThrow().in().packets();
                    boolean same = a == last[0] && b == last[1];
                    last[0] = a;
                    last[1] = b;
                    return same;
                });
    }

    /** The kernel's count of UDP datagrams dropped in a namespace because a socket's receive buffer was full. */
    private static long udpRcvbufErrors(String role) throws Exception {
        String snmp = lab.exec(role, 10, "cat", "/proc/net/snmp").output();
        List<String> header = null;
        for (String line : snmp.split("\n")) {
            if (line.startsWith("Udp: ")) {
                List<String> fields = List.of(line.substring(5).trim().split("\\s+"));
                if (header == null) {
                    header = fields;
                } else {
                    return Long.parseLong(fields.get(header.indexOf("RcvbufErrors")));
                }
            }
        }
        throw new IllegalStateException("no Udp counters in /proc/net/snmp of " + role + ": " + snmp);
    }

    private static String describe(Dataplane g) {
        TunnelCounters t = g.counters().tunnel("lab").orElseThrow();
        StringBuilder sb = new StringBuilder("out " + t.out().packets() + ", in " + t.in().packets() + "; drops:");
        for (Counter c : Counter.values()) {
            if (c.drop() && g.counters().total(c) > 0) {
                sb.append(' ').append(c.key()).append('=').append(g.counters().total(c));
            }
        }
        return sb.toString();
    }
}
