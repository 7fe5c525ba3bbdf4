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
        CountDownLatch release = new CountDownLatch(1);
        lane.submit(() -> {
            await(release); // the lane's thread is busy: the step's batch must queue behind this
            ran.add("before");
        }, null);
        lane.batch(() -> {
            lane.submit(() -> ran.add("install"), null);
            lane.batch(() -> lane.submit(() -> ran.add("nested"), null)); // joins the outer batch
            lane.submit(() -> ran.add("send"), null);
        });
        lane.submit(() -> ran.add("after"), null);
        release.countDown();
        assertTrue(lane.close(5));
        assertEquals(List.of("before", "install", "nested", "send", "after"), ran);
        assertEquals(3, lane.handedOver(), "the step's three tasks reach the lane's thread as one");
        assertEquals(0, lane.ranHere());
    }

    @Test
    void onAnIdleLaneAStepsTasksRunOnTheSteppingThreadOnceTheStepHasEnded() throws Exception {
        OutcomeLane lane = new OutcomeLane();
        List<String> threads = new CopyOnWriteArrayList<>();
        List<String> ran = new CopyOnWriteArrayList<>();
        AtomicBoolean stepOver = new AtomicBoolean();
        AtomicBoolean ranEarly = new AtomicBoolean();
        lane.batch(() -> {
            for (String name : List.of("install", "send")) {
                lane.submit(() -> {
                    ranEarly.compareAndSet(false, !stepOver.get());
                    threads.add(Thread.currentThread().getName());
                    ran.add(name);
                }, null);
            }
            stepOver.set(true);
        });
        assertEquals(List.of("install", "send"), ran, "both ran before batch returned");
        assertFalse(ranEarly.get(), "a task of the step ran before the step ended");
        String me = Thread.currentThread().getName();
        assertEquals(List.of(me, me), threads);
        assertTrue(lane.close(5));
        assertEquals(0, lane.handedOver(), "nothing woke the lane's thread");
        assertEquals(1, lane.ranHere());
    }

    @Test
    void aStepWhileAnotherThreadRunsItsBatchQueuesBehindItOnTheLanesThread() throws Exception {
        OutcomeLane lane = new OutcomeLane();
        List<String> ran = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread first = new Thread(() -> lane.batch(() -> lane.submit(() -> {
            firstRunning.countDown();
            await(release);
            ran.add("first");
        }, null)), "first-session");
        first.start();
        assertTrue(firstRunning.await(5, TimeUnit.SECONDS));
        // the first session's thread holds the lane: this step must neither wait for it nor overtake it
        lane.batch(() -> lane.submit(() -> {
            threads.add(Thread.currentThread().getName());
            ran.add("second");
        }, null));
        assertEquals(List.of(), ran, "the second step returned without waiting and without running its task");
        release.countDown();
        first.join(5_000);
        assertTrue(lane.close(5));
        assertEquals(List.of("first", "second"), ran);
        assertEquals(List.of("palisade-ike-outcomes"), threads);
        assertEquals(1, lane.ranHere());
        assertEquals(1, lane.handedOver());
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
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
