package net.palisade.dataplane.io;

import net.palisade.dataplane.testkit.Root;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
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
