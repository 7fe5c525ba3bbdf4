package net.palisade.dataplane.sa;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StripedCountersTest {

    @Test
    void writersOnTheirOwnStripesAreSummedExactly() throws Exception {
        StripedCounters c = new StripedCounters(3, 10);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int stripe = w;
            Thread t = new Thread(() -> {
                for (int i = 0; i < 1_000_000; i++) {
                    c.increment(stripe, 9);
                    c.add(stripe, 0, 2);
                }
            });
            t.start();
            threads.add(t);
        }
        long seen = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            long now = c.sum(9);
            assertThat(now).isGreaterThanOrEqualTo(seen); // a concurrent reader never sees a counter go back
            seen = now;
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(c.sum(9)).isEqualTo(3_000_000);
        assertThat(c.sum(0)).isEqualTo(6_000_000);
        assertThat(c.get(1, 9)).isEqualTo(1_000_000);
        assertThat(c.sum(5)).isZero();
    }
}
