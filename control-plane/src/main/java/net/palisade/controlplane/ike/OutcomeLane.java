package net.palisade.controlplane.ike;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IKE outcome lane ({@link IkeManager}): one thread that runs, in the order they were handed over, what the
 * sessions send and report. A session actor's step hands its outcomes over together ({@link #batch}): the tasks it
 * submits while {@code batch} runs are queued as one task at its end, in the order submitted, so a step with a
 * datagram and two reports wakes the lane once instead of three times (each hand-off to a parked lane was a futex
 * wake on the actor's thread and a context switch on the lane's). The order within a session is unchanged: its
 * tasks still run one after another, in the order it submitted them; tasks of other threads run between batches,
 * as they ran between single tasks before.
 */
final class OutcomeLane {
    private static final Logger log = LoggerFactory.getLogger(OutcomeLane.class);

    private final ThreadPoolExecutor lane = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "palisade-ike-outcomes");
                t.setDaemon(true);
                return t;
            });
    /** The tasks of the batch open on this thread (each with what to run if the lane refuses it), or null. */
    private final ThreadLocal<List<Runnable[]>> open = new ThreadLocal<>();

    /**
     * Runs {@code task} on the lane; {@code ifRefused} (may be null) runs on the caller's thread when the lane is
     * closed and the task dropped. Inside {@link #batch} the task waits for the batch's end.
     *
     * @return false when the lane is closed and refused it now (a task in a batch returns true)
     */
    boolean submit(Runnable task, Runnable ifRefused) {
        List<Runnable[]> b = open.get();
        if (b != null) {
            b.add(new Runnable[] {task, ifRefused});
            return true;
        }
        if (execute(() -> run(task))) {
            return true;
        }
        if (ifRefused != null) {
            ifRefused.run();
        }
        return false;
    }

    /**
     * Runs {@code step} on the caller's thread; what it submits to the lane is handed over as one task when it
     * returns (or throws). Nested calls join the outer batch.
     */
    void batch(Runnable step) {
        if (open.get() != null) {
            step.run();
            return;
        }
        List<Runnable[]> tasks = new ArrayList<>(4);
        open.set(tasks);
        try {
            step.run();
        } finally {
            open.remove();
            flush(tasks);
        }
    }

    private void flush(List<Runnable[]> tasks) {
        if (tasks.isEmpty()) {
            return;
        }
        Runnable all = tasks.size() == 1 ? () -> run(tasks.getFirst()[0]) : () -> {
            for (Runnable[] t : tasks) {
                run(t[0]);
            }
        };
        if (!execute(all)) {
            for (Runnable[] t : tasks) {
                if (t[1] != null) {
                    t[1].run();
                }
            }
        }
    }

    private static void run(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            log.error("IKE outcome failed", e);
        }
    }

    private boolean execute(Runnable r) {
        try {
            lane.execute(r);
            return true;
        } catch (RejectedExecutionException e) {
            log.debug("IKE outcome after close, dropped");
            return false;
        }
    }

    /** Tasks handed to the lane's thread so far (a batch is one); exact once {@link #close} has returned true. */
    long handedOver() {
        return lane.getTaskCount();
    }

    /** Refuses new tasks and waits up to {@code seconds} for those queued; false if they did not all run. */
    boolean close(long seconds) throws InterruptedException {
        lane.shutdown();
        return lane.awaitTermination(seconds, TimeUnit.SECONDS);
    }
}
