package net.palisade.dataplane.io;

import net.palisade.dataplane.testkit.Root;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/** Protocol-50 raw sockets over loopback. */
@ExtendWith(Root.class)
class RawEspSocketTest {
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void free() {
        arena.close();
    }

    /** SPI 0x0a0b0c0d, sequence number 1, then random "ciphertext". */
    private static byte[] espLike(int length) {
        byte[] p = new byte[length];
        ThreadLocalRandom.current().nextBytes(p);
        p[0] = 0x0a;
        p[1] = 0x0b;
        p[2] = 0x0c;
        p[3] = 0x0d;
        p[4] = 0;
        p[5] = 0;
        p[6] = 0;
        p[7] = 1;
        return p;
    }

    @Test
    void ipv4PayloadArrivesWithoutIpHeaderAndWithSource() throws Exception {
        InetAddress receiverAddr = InetAddress.ofLiteral("127.0.0.1");
        InetAddress senderAddr = InetAddress.ofLiteral("127.0.0.2");
        try (RawEspSocket receiver = RawEspSocket.open(receiverAddr);
             RawEspSocket sender = RawEspSocket.open(senderAddr)) {
            byte[] payload = espLike(1200);
            SockAddr to = SockAddr.allocate(arena);
            to.set(receiverAddr, 0);
            assertThat(sender.send(MemorySegment.ofArray(payload), payload.length, to)).isTrue();

            MemorySegment buf = arena.allocate(2048);
            SockAddr from = SockAddr.allocate(arena);
            int n = receiver.receive(buf, from, 5000);
            assertThat(n).isEqualTo(payload.length);
            assertThat(buf.asSlice(0, n).toArray(JAVA_BYTE)).isEqualTo(payload);
            assertThat(from.address()).isEqualTo(senderAddr);
            // the sender is bound to another address and must not see its own packet
            assertThat(sender.receive(arena.allocate(2048), SockAddr.allocate(arena), 100)).isZero();
        }
    }

    @Test
    void ipv6PayloadArrivesWithSource() throws Exception {
        InetAddress lo6 = InetAddress.ofLiteral("::1");
        try (RawEspSocket receiver = RawEspSocket.open(lo6);
             RawEspSocket sender = RawEspSocket.open(lo6)) {
            byte[] payload = espLike(300);
            SockAddr to = SockAddr.allocate(arena);
            to.set(lo6, 0);
            assertThat(sender.send(MemorySegment.ofArray(payload), payload.length, to)).isTrue();
            byte[] buf = new byte[2048];
            SockAddr from = SockAddr.allocate(arena);
            int n = receiver.receive(buf, from, 5000);
            assertThat(n).isEqualTo(payload.length);
            assertThat(java.util.Arrays.copyOf(buf, n)).isEqualTo(payload);
            assertThat(from.address()).isEqualTo(lo6);
        }
    }

    /** The worker's path: one sendmmsg for many ESP packets, one recvmmsg for all that arrived. */
    @Test
    void ipv4BatchArrivesWholeWithHeaderOffsetAndSources() throws Exception {
        InetAddress receiverAddr = InetAddress.ofLiteral("127.0.0.4");
        InetAddress senderAddr = InetAddress.ofLiteral("127.0.0.5");
        try (RawEspSocket receiver = RawEspSocket.open(receiverAddr);
             RawEspSocket sender = RawEspSocket.open(senderAddr)) {
            DatagramBatch tx = DatagramBatch.allocate(arena, 16, 2048);
            byte[][] sent = new byte[10][];
            for (int i = 0; i < sent.length; i++) {
                sent[i] = espLike(100 + 137 * i);
                MemorySegment.copy(sent[i], 0, tx.buffer(i), JAVA_BYTE, 0, sent[i].length);
                tx.setLength(i, sent[i].length);
                tx.address(i).set(receiverAddr, 0);
            }
            assertThat(sender.sendBatch(tx, sent.length)).isEqualTo(sent.length);

            DatagramBatch rx = DatagramBatch.allocate(arena, 16, 2048 + 60);
            int got = 0;
            while (got < sent.length) {
                int n = receiver.receiveBatch(rx, 5000);
                assertThat(n).as("packets still missing: " + (sent.length - got)).isPositive();
                for (int i = 0; i < n; i++) {
                    int at = receiver.espOffset(rx, i);
                    assertThat(at).as("IPv4 header of 20 octets before the SPI").isEqualTo(20);
                    assertThat(rx.buffer(i).asSlice(at, rx.length(i) - at).toArray(JAVA_BYTE))
                            .isEqualTo(sent[got + i]);
                    assertThat(rx.address(i).address()).isEqualTo(senderAddr);
                }
                got += n;
            }
            assertThat(receiver.malformed()).isZero();
        }
    }

    @Test
    void ipv6BatchArrivesWithoutHeader() throws Exception {
        InetAddress lo6 = InetAddress.ofLiteral("::1");
        try (RawEspSocket receiver = RawEspSocket.open(lo6);
             RawEspSocket sender = RawEspSocket.open(lo6)) {
            DatagramBatch tx = DatagramBatch.allocate(arena, 4, 2048);
            byte[][] sent = {espLike(64), espLike(1400), espLike(600)};
            for (int i = 0; i < sent.length; i++) {
                MemorySegment.copy(sent[i], 0, tx.buffer(i), JAVA_BYTE, 0, sent[i].length);
                tx.setLength(i, sent[i].length);
                tx.address(i).set(lo6, 0);
            }
            assertThat(sender.sendBatch(tx, sent.length)).isEqualTo(sent.length);
            DatagramBatch rx = DatagramBatch.allocate(arena, 8, 2048);
            int got = 0;
            while (got < sent.length) {
                int n = receiver.receiveBatch(rx, 5000);
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    assertThat(receiver.espOffset(rx, i)).isZero();
                    assertThat(rx.buffer(i).asSlice(0, rx.length(i)).toArray(JAVA_BYTE)).isEqualTo(sent[got + i]);
                }
                got += n;
            }
        }
    }

    /** A packet the kernel refuses is skipped and counted; the rest of the batch still leaves. */
    @Test
    void refusedEntryIsSkippedAndCounted() throws Exception {
        InetAddress receiverAddr = InetAddress.ofLiteral("127.0.0.6");
        try (RawEspSocket receiver = RawEspSocket.open(receiverAddr);
             RawEspSocket sender = RawEspSocket.open(InetAddress.ofLiteral("127.0.0.7"))) {
            DatagramBatch tx = DatagramBatch.allocate(arena, 4, 2048);
            byte[] first = espLike(200);
            byte[] last = espLike(300);
            MemorySegment.copy(first, 0, tx.buffer(0), JAVA_BYTE, 0, first.length);
            tx.setLength(0, first.length);
            tx.address(0).set(receiverAddr, 0);
            tx.setLength(1, 100);
            tx.address(1).set(InetAddress.ofLiteral("::1"), 0); // IPv6 address on an IPv4 socket: EAFNOSUPPORT
            MemorySegment.copy(last, 0, tx.buffer(2), JAVA_BYTE, 0, last.length);
            tx.setLength(2, last.length);
            tx.address(2).set(receiverAddr, 0);
            assertThat(sender.sendBatch(tx, 3)).isEqualTo(2);
            assertThat(sender.sendErrors()).isEqualTo(1);

            DatagramBatch rx = DatagramBatch.allocate(arena, 4, 2048);
            List<byte[]> received = new ArrayList<>();
            while (received.size() < 2) {
                int n = receiver.receiveBatch(rx, 5000);
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    int at = receiver.espOffset(rx, i);
                    received.add(rx.buffer(i).asSlice(at, rx.length(i) - at).toArray(JAVA_BYTE));
                }
            }
            assertThat(received).containsExactly(first, last);
        }
    }

    @Test
    void truncatedPacketIsMalformed() throws Exception {
        InetAddress receiverAddr = InetAddress.ofLiteral("127.0.0.8");
        try (RawEspSocket receiver = RawEspSocket.open(receiverAddr);
             RawEspSocket sender = RawEspSocket.open(InetAddress.ofLiteral("127.0.0.9"))) {
            byte[] payload = espLike(1000);
            SockAddr to = SockAddr.allocate(arena);
            to.set(receiverAddr, 0);
            assertThat(sender.send(MemorySegment.ofArray(payload), payload.length, to)).isTrue();
            DatagramBatch rx = DatagramBatch.allocate(arena, 2, 512);
            assertThat(receiver.receiveBatch(rx, 5000)).isEqualTo(1);
            assertThat(receiver.espOffset(rx, 0)).isEqualTo(-1);
            assertThat(receiver.malformed()).isEqualTo(1);
        }
    }

    /**
     * Three workers' sockets on one address: the kernel queues each ESP packet on exactly one of them, every packet
     * of one SPI on the same one, and different SPIs reach different sockets (IPv4: the filter finds the SPI
     * behind the IP header).
     */
    @Test
    void ipv4WorkerSocketsEachTakeTheirOwnSpisOnce() throws Exception {
        assertSpreadByWorkerFilter(InetAddress.ofLiteral("127.0.0.10"), InetAddress.ofLiteral("127.0.0.11"));
    }

    @Test
    void ipv6WorkerSocketsEachTakeTheirOwnSpisOnce() throws Exception {
        InetAddress lo6 = InetAddress.ofLiteral("::1");
        assertSpreadByWorkerFilter(lo6, lo6);
    }

    /** Three octets of "ESP", too short for an SPI: worker 0's socket gets it (to count it), no other. */
    @Test
    void ipv4PacketTooShortForAnSpiGoesToWorkerZeroOnly() throws Exception {
        assertShortPacketOnWorkerZero(InetAddress.ofLiteral("127.0.0.12"), InetAddress.ofLiteral("127.0.0.13"));
    }

    @Test
    void ipv6PacketTooShortForAnSpiGoesToWorkerZeroOnly() throws Exception {
        InetAddress lo6 = InetAddress.ofLiteral("::1");
        assertShortPacketOnWorkerZero(lo6, lo6);
    }

    private void assertShortPacketOnWorkerZero(InetAddress receiverAddr, InetAddress senderAddr) throws Exception {
        int workers = 3;
        List<RawEspSocket> receivers = new ArrayList<>();
        try (RawEspSocket sender = RawEspSocket.open(senderAddr)) {
            for (int w = 0; w < workers; w++) {
                receivers.add(RawEspSocket.open(receiverAddr, w, workers));
            }
            SockAddr to = SockAddr.allocate(arena);
            to.set(receiverAddr, 0);
            assertThat(sender.send(MemorySegment.ofArray(new byte[] {1, 2, 3}), 3, to)).isTrue();
            DatagramBatch rx = DatagramBatch.allocate(arena, 2, 256);
            assertThat(receivers.get(0).receiveBatch(rx, 2000)).isEqualTo(1);
            assertThat(rx.buffer(0).asSlice(receivers.get(0).espOffset(rx, 0), 3).toArray(JAVA_BYTE))
                    .containsExactly(1, 2, 3);
            for (int w = 1; w < workers; w++) {
                assertThat(receivers.get(w).receiveBatch(rx, 100)).as("worker %d", w).isZero();
            }
        } finally {
            receivers.forEach(RawEspSocket::close);
        }
    }

    private void assertSpreadByWorkerFilter(InetAddress receiverAddr, InetAddress senderAddr) throws Exception {
        int workers = 3;
        List<RawEspSocket> receivers = new ArrayList<>();
        try (RawEspSocket sender = RawEspSocket.open(senderAddr)) {
            for (int w = 0; w < workers; w++) {
                receivers.add(RawEspSocket.open(receiverAddr, w, workers));
            }
            // 24 SPIs (consecutive ones and multiples of 0x100, as manual configurations have), 3 packets each
            int[] spis = new int[24];
            for (int i = 0; i < spis.length; i++) {
                spis[i] = i < 12 ? 0x1000 + i : 0x100 * (i - 11);
            }
            DatagramBatch tx = DatagramBatch.allocate(arena, spis.length * 3, 256);
            for (int i = 0; i < spis.length * 3; i++) {
                byte[] p = espLike(100);
                int spi = spis[i % spis.length];
                ByteBuffer.wrap(p).putInt(0, spi).putInt(4, i);
                MemorySegment.copy(p, 0, tx.buffer(i), JAVA_BYTE, 0, p.length);
                tx.setLength(i, p.length);
                tx.address(i).set(receiverAddr, 0);
            }
            assertThat(sender.sendBatch(tx, spis.length * 3)).isEqualTo(spis.length * 3);

            // (SPI, sequence) -> the worker socket that got it
            Map<Long, Integer> receivedBy = new HashMap<>();
            Map<Integer, Set<Integer>> workersOfSpi = new HashMap<>();
            DatagramBatch rx = DatagramBatch.allocate(arena, 128, 256 + 60);
            for (int w = 0; w < workers; w++) {
                RawEspSocket r = receivers.get(w);
                int n;
                while ((n = r.receiveBatch(rx, 200)) > 0) {
                    for (int i = 0; i < n; i++) {
                        int at = r.espOffset(rx, i);
                        ByteBuffer b = rx.buffer(i).asSlice(at, 8).asByteBuffer();
                        int spi = b.getInt(0);
                        int seq = b.getInt(4);
                        Integer earlier = receivedBy.put(((long) spi << 32) | seq, w);
                        assertThat(earlier).as("SPI 0x%x seq %d on worker %d and %s", spi, seq, w, earlier).isNull();
                        workersOfSpi.computeIfAbsent(spi, k -> new HashSet<>()).add(w);
                    }
                }
            }
            assertThat(receivedBy).as("every packet on exactly one worker's socket").hasSize(spis.length * 3);
            for (int spi : spis) {
                assertThat(workersOfSpi.get(spi)).as("SPI 0x%x on one worker", spi)
                        .containsExactly(RawEspSocket.workerFor(spi, workers));
            }
            Set<Integer> used = new HashSet<>();
            workersOfSpi.values().forEach(used::addAll);
            assertThat(used).as("24 SPIs spread over all three workers").hasSize(workers);
        } finally {
            receivers.forEach(RawEspSocket::close);
        }
    }

    @Test
    void closeWakesBlockedReceiver() throws Exception {
        RawEspSocket s = RawEspSocket.open(InetAddress.ofLiteral("127.0.0.3"));
        CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> {
            try (Arena a = Arena.ofConfined()) {
                return s.receive(a.allocate(2048), SockAddr.allocate(a));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // the reader stays blocked (nothing to read) until the close below wakes it
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200))
                .atMost(java.time.Duration.ofSeconds(5)).until(() -> !r.isDone());
        s.close();
        assertThat(r.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
    }
}
