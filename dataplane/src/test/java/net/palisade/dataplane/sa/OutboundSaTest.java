package net.palisade.dataplane.sa;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import net.palisade.dataplane.replay.SequenceCounter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutboundSaTest {
    private static final InetAddress LOCAL = InetAddress.ofLiteral("192.0.2.1");
    private static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500);

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final SaEvents recorder = new SaEvents() {
        @Override
        public void outboundSoftLimit(String label, long spi) {
            events.add("soft " + label + " " + spi);
        }

        @Override
        public void outboundExhausted(String label, long spi) {
            events.add("hard " + label + " " + spi);
        }

        @Override
        public void outboundByteLimit(String label, long spi) {
            events.add("bytes " + label + " " + spi);
        }
    };

    @Test
    void aByteLimitAsksForAReplacementOnceAndTheSaGoesOnSending() {
        // an IKEv1 peer's lifetime of 1000 kilobytes: replaced at 90 %, 921,600 bytes
        OutboundSa sa = new OutboundSa("k", 0x3000, LOCAL, PEER, "aes-128-gcm", false, 1438, 2, recorder);
        sa.limitBytes(921_600);
        long sent = 0;
        int packets = 0;
        while (sent < 921_600) {
            assertThat(sa.nextSequence()).isPositive();
            sa.countSealed(packets % 2, 1000); // two workers, 1000-byte packets
            sent += 1000;
            packets++;
        }
        assertThat(events).as("not before the limit").isEmpty();
        // it is noticed within the next 1024 packets, once, and nothing stops
        for (int i = 0; i < 3000; i++) {
            assertThat(sa.nextSequence()).isPositive();
            sa.countSealed(0, 1000);
        }
        assertThat(events).containsExactly("bytes k 12288");
        assertThatThrownBy(() -> sa.limitBytes(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sequenceStartsAtOneAndExhaustsWithoutWrapping() {
        OutboundSa sa = OutboundSa.startingAfter("t", 0x1001, LOCAL, PEER, false, 1, recorder,
                SequenceCounter.MAX_32 - 3, SequenceCounter.MAX_32 - 1);
        assertThat(sa.nextSequence()).isEqualTo(SequenceCounter.MAX_32 - 2);
        assertThat(events).isEmpty();
        assertThat(sa.nextSequence()).isEqualTo(SequenceCounter.MAX_32 - 1);
        assertThat(events).containsExactly("soft t 4097");
        assertThat(sa.nextSequence()).isEqualTo(SequenceCounter.MAX_32);
        assertThat(sa.exhausted()).isFalse();
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.EXHAUSTED);
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.EXHAUSTED);
        assertThat(sa.exhausted()).isTrue();
        assertThat(sa.lastSequence()).isEqualTo(SequenceCounter.MAX_32);
        assertThat(events).containsExactly("soft t 4097", "hard t 4097");

        OutboundSa fresh = new OutboundSa("f", 0x2000, LOCAL, PEER, "aes-128-gcm", false, 1438, 1, null);
        assertThat(fresh.nextSequence()).isEqualTo(1);
        assertThat(fresh.nextSequence()).isEqualTo(2);
        assertThat(fresh.udpEncapsulation()).isTrue();
        assertThat(fresh.peerSockAddr().port()).isEqualTo(4500);
    }

    @Test
    void esnLimitIsTwoToTheSixtyFourMinusTwo() {
        OutboundSa sa = OutboundSa.startingAfter("e", 0x1001, LOCAL, PEER, true, 1, recorder,
                SequenceCounter.MAX_64 - 1, SequenceCounter.MAX_64 - 1);
        assertThat(sa.nextSequence()).isEqualTo(SequenceCounter.MAX_64);
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.EXHAUSTED);
        assertThat(events).containsExactly("hard e 4097");
    }

    @Test
    void workersSharingAnSaNeverGetTheSameNumber() throws Exception {
        OutboundSa sa = new OutboundSa("c", 0x1001, LOCAL, PEER, "aes-128-gcm", false, 1438, 4, null);
        int perThread = 200_000;
        long[][] got = new long[4][perThread];
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int w = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    got[w][i] = sa.nextSequence();
                    sa.countSealed(w, 100);
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        boolean[] seen = new boolean[4 * perThread + 1];
        for (long[] row : got) {
            for (long s : row) {
                assertThat(s).isBetween(1L, 4L * perThread);
                assertThat(seen[(int) s]).as("sequence %d issued twice", s).isFalse();
                seen[(int) s] = true;
            }
        }
        assertThat(sa.traffic()).isEqualTo(new SaTraffic(4L * perThread, 400L * perThread));
    }
}
