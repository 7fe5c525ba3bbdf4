package net.palisade.controlplane.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The outcome lane keeps the order a session handed its sends and reports over in, also when a step hands them
 * over together, loses none when the step fails half-way, and tells a report's waiter when the lane is closed.
 */
class OutcomeLaneTest {

    @Test
    void aStepsTasksRunInTheOrderSubmittedAndBeforeLaterOnes() throws Exception {
        OutcomeLane lane = new OutcomeLane();
        List<String> ran = new CopyOnWriteArrayList<>();
        lane.submit(() -> ran.add("before"), null);
        lane.batch(() -> {
            lane.submit(() -> ran.add("install"), null);
            lane.batch(() -> lane.submit(() -> ran.add("nested"), null)); // joins the outer batch
            lane.submit(() -> ran.add("send"), null);
        });
        lane.submit(() -> ran.add("after"), null);
        assertTrue(lane.close(5));
        assertEquals(List.of("before", "install", "nested", "send", "after"), ran);
        assertEquals(3, lane.handedOver(), "the step's three tasks reach the lane's thread as one");
    }

    @Test
    void aStepsTasksWaitForItsEndAndRunOnTheLanesThread() throws Exception {
        OutcomeLane lane = new OutcomeLane();
        CountDownLatch done = new CountDownLatch(2);
        List<String> threads = new CopyOnWriteArrayList<>();
        AtomicBoolean stepOver = new AtomicBoolean();
        AtomicBoolean ranEarly = new AtomicBoolean();
        lane.batch(() -> {
            for (int i = 0; i < 2; i++) {
                lane.submit(() -> {
                    ranEarly.compareAndSet(false, !stepOver.get());
                    threads.add(Thread.currentThread().getName());
                    done.countDown();
                }, null);
            }
            stepOver.set(true);
        });
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertFalse(ranEarly.get(), "a task of the step ran before the step ended");
        assertEquals(List.of("palisade-ike-outcomes", "palisade-ike-outcomes"), threads);
        lane.close(5);
    }

    @Test
    void whatAFailedStepSubmittedBeforeFailingStillRuns() throws Exception {
        OutcomeLane lane = new OutcomeLane();
        List<String> ran = new CopyOnWriteArrayList<>();
        assertThrows(IllegalStateException.class, () -> lane.batch(() -> {
            lane.submit(() -> ran.add("removal"), null);
            throw new IllegalStateException("the engine failed");
        }));
        lane.submit(() -> {
            throw new IllegalStateException("one task failing");
        }, null);
        lane.submit(() -> ran.add("next"), null);
        assertTrue(lane.close(5));
        assertEquals(List.of("removal", "next"), ran);
    }

    @Test
    void aClosedLaneRefusesAndTellsTheWaiter() throws Exception {
        OutcomeLane lane = new OutcomeLane();
        assertTrue(lane.close(5));
        AtomicBoolean ran = new AtomicBoolean();
        AtomicBoolean told = new AtomicBoolean();
        assertFalse(lane.submit(() -> ran.set(true), () -> told.set(true)));
        assertTrue(told.get());
        told.set(false);
        lane.batch(() -> lane.submit(() -> ran.set(true), () -> told.set(true)));
        assertTrue(told.get(), "a batched task's waiter is told when the lane refuses the batch");
        assertFalse(ran.get());
    }
}
