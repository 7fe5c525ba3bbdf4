package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A loop stops between batches; a batch stuck in a database call does not hold up whoever stops it. */
class DatabaseLoopTest {
    @Test
    void anIdleLoopStopsAndClosesItsConnection() {
        LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        List<String> handled = new CopyOnWriteArrayList<>();
        CountDownLatch closed = new CountDownLatch(1);
        DatabaseLoop<String> loop = DatabaseLoop.start("test-idle", queue, handled::addAll, closed::countDown);
        assertThat(loop.stop(Duration.ofSeconds(10))).isTrue();
        assertThat(closed.getCount()).isZero();
    }

    @Test
    void aBatchStuckInADatabaseCallDoesNotHoldTheStopAndEndsWithoutAnInterrupt() throws Exception {
        LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        List<String> handled = new CopyOnWriteArrayList<>();
        List<Boolean> interrupted = new CopyOnWriteArrayList<>();
        DatabaseLoop<String> loop = DatabaseLoop.start("test-stuck", queue, batch -> {
            handled.addAll(batch);
            inside.countDown();
            try {
                release.await(); // a JDBC call that does not return
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            interrupted.add(Thread.currentThread().isInterrupted());
        }, closed::countDown);
        queue.add("first");
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(loop.stop(Duration.ofMillis(200))).isFalse(); // returned, although the batch still runs
        queue.add("after the stop");
        release.countDown();
        assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue(); // the batch ended, then the loop closed
        assertThat(interrupted).containsExactly(false);
        assertThat(handled).containsExactly("first");
    }
}
