package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** recvmmsg/sendmmsg on loopback (no root needed). */
class UdpEndpointTest {
    private static final InetAddress LO4 = InetAddress.ofLiteral("127.0.0.1");
    private static final InetAddress LO6 = InetAddress.ofLiteral("::1");
    private static final int SIZE = 1400;

    private final Arena arena = Arena.ofShared();

    @AfterEach
    void free() {
        arena.close();
    }

    @Test
    void batchOf64FromTwoSendersKeepsSourcesAndPayloads() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint a = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint b = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            DatagramBatch tx = DatagramBatch.allocate(arena, 32, 2048);
            sendTagged(a, tx, rx.localAddress(), 0);
            sendTagged(b, tx, rx.localAddress(), 32);

            DatagramBatch in = DatagramBatch.allocate(arena, 64, 2048);
            Set<Integer> seen = new HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (seen.size() < 64 && System.nanoTime() < deadline) {
                int n = rx.receiveBatch(in, 1000);
                for (int i = 0; i < n; i++) {
                    assertThat(in.length(i)).isEqualTo(SIZE);
                    assertThat(in.truncated(i)).isFalse();
                    int tag = in.buffer(i).get(JAVA_INT_UNALIGNED, 0);
                    UdpEndpoint expectedSender = tag < 32 ? a : b;
                    assertThat(in.address(i).toInetSocketAddress()).isEqualTo(expectedSender.localAddress());
                    for (int j = 4; j < SIZE; j += 97) {
                        assertThat(in.buffer(i).get(JAVA_BYTE, j)).isEqualTo((byte) (tag + j));
                    }
                    assertThat(seen.add(tag)).as("tag %d once", tag).isTrue();
                }
            }
            assertThat(seen).hasSize(64);
        }
    }

    private static void sendTagged(UdpEndpoint from, DatagramBatch tx, InetSocketAddress to, int firstTag)
            throws Exception {
        for (int i = 0; i < tx.capacity(); i++) {
            int tag = firstTag + i;
            MemorySegment buf = tx.buffer(i);
            buf.set(JAVA_INT_UNALIGNED, 0, tag);
            for (int j = 4; j < SIZE; j++) {
                buf.set(JAVA_BYTE, j, (byte) (tag + j));
            }
            tx.setLength(i, SIZE);
            tx.address(i).set(to);
        }
        assertThat(from.sendBatch(tx, tx.capacity())).isEqualTo(tx.capacity());
    }

    @Test
    void ipv6Batch() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO6, 0));
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO6, 0))) {
            assertThat(rx.isIpv6()).isTrue();
            DatagramBatch out = DatagramBatch.allocate(arena, 8, 256);
            for (int i = 0; i < 8; i++) {
                out.buffer(i).set(JAVA_BYTE, 0, (byte) i);
                out.setLength(i, 1 + i);
                out.address(i).set(rx.localAddress());
            }
            assertThat(tx.sendBatch(out, 8)).isEqualTo(8);
            DatagramBatch in = DatagramBatch.allocate(arena, 16, 256);
            int got = 0;
            while (got < 8) {
                int n = in.capacity() > 0 ? rx.receiveBatch(in, 2000) : 0;
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    int tag = in.buffer(i).get(JAVA_BYTE, 0);
                    assertThat(in.length(i)).isEqualTo(1 + tag);
                    assertThat(in.address(i).isIpv6()).isTrue();
                    assertThat(in.address(i).toInetSocketAddress()).isEqualTo(tx.localAddress());
                }
                got += n;
            }
        }
    }

    @Test
    void reusePortLetsWorkersShareOnePortAndWithoutItBindFailsWithErrno() throws Exception {
        try (UdpEndpoint first = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint second = UdpEndpoint.bind(first.localAddress())) {
            assertThat(second.localAddress()).isEqualTo(first.localAddress());
            assertThatThrownBy(() -> UdpEndpoint.bind(first.localAddress(), UdpEndpoint.Options.DEFAULT.withReusePort(false)))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> {
                        assertThat(e.errnoName()).isEqualTo("EADDRINUSE");
                        assertThat(e.getMessage()).contains("bind UDP").contains("EADDRINUSE");
                    });
        }
    }

    @Test
    void truncatedDatagramIsFlagged() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            SockAddr to = SockAddr.of(arena, rx.localAddress());
            MemorySegment big = arena.allocate(1000);
            assertThat(tx.send(big, 1000, to)).isTrue();
            DatagramBatch in = DatagramBatch.allocate(arena, 4, 100);
            assertThat(rx.receiveBatch(in, 2000)).isEqualTo(1);
            assertThat(in.truncated(0)).isTrue();
            assertThat(in.length(0)).isEqualTo(100); // msg_len is what was copied; the rest is lost
        }
    }

    @Test
    void singleSendAndReceiveWithHeapSegments() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            byte[] msg = "IKE_SA_INIT".getBytes();
            assertThat(tx.send(MemorySegment.ofArray(msg), msg.length, SockAddr.of(arena, rx.localAddress()))).isTrue();
            byte[] buf = new byte[100];
            SockAddr from = SockAddr.allocate(arena);
            int n = rx.receive(MemorySegment.ofArray(buf), from, 2000);
            assertThat(new String(buf, 0, n)).isEqualTo("IKE_SA_INIT");
            assertThat(from.toInetSocketAddress()).isEqualTo(tx.localAddress());
        }
    }

    @Test
    void timeoutAndCloseUnblockReceivers() throws Exception {
        UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
        DatagramBatch in = DatagramBatch.allocate(arena, 4, 2048);
        assertThat(rx.receiveBatch(in, 50)).isZero();
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return rx.receiveBatch(in);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // the reader stays blocked (nothing to read) until the close below wakes it
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200))
                .atMost(java.time.Duration.ofSeconds(5)).until(() -> !blocked.isDone());
        rx.close();
        assertThat(blocked.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(rx.receiveBatch(in)).isEqualTo(-1);
        assertThatThrownBy(() -> rx.sendBatch(in, 0)).isInstanceOf(ErrnoException.class).hasMessageContaining("closed");
    }

    @Test
    void refusedDatagramIsSkippedAndCounted() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            DatagramBatch out = DatagramBatch.allocate(arena, 3, 64);
            for (int i = 0; i < 3; i++) {
                out.setLength(i, 10);
                out.address(i).set(rx.localAddress());
            }
            out.address(1).set(new InetSocketAddress(LO6, 9)); // wrong family for an IPv4 socket
            assertThat(tx.sendBatch(out, 3)).isEqualTo(2);
            assertThat(tx.sendErrors()).isEqualTo(1);
            assertThat(Libc.errnoName(tx.lastSendErrno())).isIn("EAFNOSUPPORT", "EINVAL");
        }
    }
    @Test
    void gsoEntryArrivesAsSeparateDatagrams() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0));
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            DatagramBatch out = DatagramBatch.allocate(arena, 1, 65535);
            int total = 10 * SIZE + 100; // ten full segments and a short one
            for (int j = 0; j < total; j++) {
                out.buffer(0).set(JAVA_BYTE, j, (byte) (j / SIZE));
            }
            out.setLength(0, total);
            out.setSegmentSize(0, SIZE);
            out.address(0).set(rx.localAddress());
            assertThat(tx.sendBatch(out, 1)).isEqualTo(1);

            DatagramBatch in = DatagramBatch.allocate(arena, 32, 2048);
            int got = 0;
            while (got < 11) {
                int n = rx.receiveBatch(in, 2000);
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    int k = got + i;
                    assertThat(in.length(i)).isEqualTo(k < 10 ? SIZE : 100);
                    assertThat(in.buffer(i).get(JAVA_BYTE, 0)).isEqualTo((byte) k);
                    assertThat(in.segmentSize(i)).isZero();
                    assertThat(in.address(i).toInetSocketAddress()).isEqualTo(tx.localAddress());
                }
                got += n;
            }
            assertThat(got).isEqualTo(11);
        }
    }

    @Test
    void groReceiverGetsCoalescedEntriesWithSegmentSize() throws Exception {
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0), UdpEndpoint.Options.DEFAULT.withGro(true));
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            DatagramBatch out = DatagramBatch.allocate(arena, 2, 65535);
            for (int e = 0; e < 2; e++) {
                out.setLength(e, 20 * SIZE);
                out.setSegmentSize(e, SIZE);
                out.address(e).set(rx.localAddress());
            }
            assertThat(tx.sendBatch(out, 2)).isEqualTo(2);
            DatagramBatch in = DatagramBatch.allocate(arena, 8, 65535);
            long bytes = 0;
            int coalesced = 0;
            while (bytes < 40L * SIZE) {
                int n = rx.receiveBatch(in, 2000);
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    bytes += in.length(i);
                    if (in.segmentSize(i) != 0) {
                        assertThat(in.segmentSize(i)).isEqualTo(SIZE);
                        coalesced++;
                    }
                }
            }
            assertThat(bytes).isEqualTo(40L * SIZE);
            assertThat(coalesced).as("entries that carried UDP_GRO").isPositive();
        }
    }

    /**
     * A receiver that falls behind: the kernel drops what its full receive buffer cannot take, and the next datagram
     * the socket gets reports how many (SO_RXQ_OVFL), which {@link DatagramBatch#newDrops()} gives once. The kernel's
     * own per-socket count in /proc/net/udp judges it.
     */
    @Test
    void datagramsDroppedAtAFullReceiveBufferAreCountedWithTheNextDatagram() throws Exception {
        UdpEndpoint.Options small = new UdpEndpoint.Options(false, 16 * 1024, 0, false);
        try (UdpEndpoint rx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0), small);
             UdpEndpoint tx = UdpEndpoint.bind(new InetSocketAddress(LO4, 0))) {
            DatagramBatch out = DatagramBatch.allocate(arena, 32, SIZE);
            for (int i = 0; i < out.capacity(); i++) {
                out.setLength(i, SIZE);
                out.address(i).set(rx.localAddress());
            }
            int sent = 0;
            for (int round = 0; round < 8; round++) {
                sent += tx.sendBatch(out, out.capacity());
            }
            long kernelDrops = procNetUdpDrops(rx.localAddress().getPort());
            assertThat(kernelDrops).as("the kernel dropped some of %d datagrams at a 16 KiB buffer", sent)
                    .isPositive();
            DatagramBatch in = DatagramBatch.allocate(arena, 64, 2048);
            long received = 0;
            long counted = 0;
            int n;
            while ((n = rx.receiveBatch(in, 0)) > 0) {
                received += n;
                counted += in.newDrops();
            }
            assertThat(received + kernelDrops).as("every datagram received or dropped").isEqualTo(sent);
            // the datagrams queued before the drops carry no count; the next one does
            assertThat(tx.sendBatch(out, 1)).isEqualTo(1);
            assertThat(rx.receiveBatch(in, 2000)).isEqualTo(1);
            counted += in.newDrops();
            assertThat(counted).as("drops reported to the receiver").isEqualTo(kernelDrops);
            assertThat(tx.sendBatch(out, 1)).isEqualTo(1);
            assertThat(rx.receiveBatch(in, 2000)).isEqualTo(1);
            assertThat(in.newDrops()).as("each drop is reported once").isZero();
            assertThat(rx.receiveBatch(in, 0)).isZero();
            assertThat(in.newDrops()).as("nothing received, nothing new").isZero();
        }
    }

    /** The "drops" column of the socket bound to 127.0.0.1:{@code port} in /proc/net/udp. */
    private static long procNetUdpDrops(int port) throws java.io.IOException {
        String local = String.format("0100007F:%04X", port);
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/udp"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 12 && f[1].equals(local)) {
                return Long.parseLong(f[f.length - 1]);
            }
        }
        throw new AssertionError("no socket " + local + " in /proc/net/udp");
    }
}
