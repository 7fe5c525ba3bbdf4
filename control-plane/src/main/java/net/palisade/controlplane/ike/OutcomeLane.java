package net.palisade.controlplane.ike;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
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
 *
 * <p><b>A batch on an idle lane runs on the stepping thread.</b> When nothing is queued for the lane's thread nor
 * running, a step's batch runs at its end on the thread that stepped (the session actor's), instead of waking the
 * lane's thread: in an IKE setup each of the three answers went through that wake-up (a futex wake on the actor's
 * thread, a context switch and on an idle vCPU a wake-up on the lane's) before it left. Whoever runs outcomes holds
 * the {@link #gate}: the lane's thread for each task it runs, a stepping thread for its batch; so outcomes still run
 * one at a time, and a batch whose thread finds anything queued or the gate taken queues behind it as before. A
 * session's order is kept: its earlier batch is either done or still counted in {@link #pending}. At most one session
 * actor's thread runs outcomes (and may wait on the dataplane's lock) at a time; the others hand over and go on.
 */
final class OutcomeLane {
    private static final Logger log = LoggerFactory.getLogger(OutcomeLane.class);

    private final ThreadPoolExecutor lane = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "palisade-ike-outcomes");
                t.setDaemon(true);
                return t;
            });
    /** Tasks handed to the lane's thread and not yet done. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Held while outcomes run: by the lane's thread for each task, by a stepping thread for its batch. */
    private final ReentrantLock gate = new ReentrantLock();
    /** Set under the {@link #gate} once closed: no stepping thread runs a batch any more. */
    private boolean closed;
    /** Batches that ran on their stepping thread. */
    private long ranHere;
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
        if (tasks.isEmpty() || runHere(tasks)) {
            return;
        }
        Runnable all = tasks.size() == 1 ? () -> run(tasks.getFirst()[0]) : () -> runAll(tasks);
        if (!execute(all)) {
            for (Runnable[] t : tasks) {
                if (t[1] != null) {
                    t[1].run();
                }
            }
        }
    }

    /** Runs {@code tasks} on this thread if the lane is idle: nothing queued, nothing running, not closed. */
    private boolean runHere(List<Runnable[]> tasks) {
        if (pending.get() != 0 || gate.isHeldByCurrentThread() || !gate.tryLock()) {
            return false;
        }
        try {
            if (closed || pending.get() != 0) {
                return false; // closed, or something was handed over meanwhile: behind it, on the lane's thread
            }
            runAll(tasks);
            ranHere++;
            return true;
        } finally {
            gate.unlock();
        }
    }

    /** A batch's tasks, in order; one that fails does not stop the others. */
    private static void runAll(List<Runnable[]> tasks) {
        for (Runnable[] t : tasks) {
            run(t[0]);
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
        pending.incrementAndGet();
        try {
            lane.execute(() -> {
                gate.lock();
                try {
                    r.run();
                } finally {
                    pending.decrementAndGet();
                    gate.unlock();
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            pending.decrementAndGet();
            log.debug("IKE outcome after close, dropped");
            return false;
        }
    }

    /** Tasks handed to the lane's thread so far (a batch is one); exact once {@link #close} has returned true. */
    long handedOver() {
        return lane.getTaskCount();
    }

    /** Batches run on their stepping thread so far; exact once {@link #close} has returned true. */
    long ranHere() {
        gate.lock();
        try {
            return ranHere;
        } finally {
            gate.unlock();
        }
    }

    /**
     * Refuses new tasks and waits up to {@code seconds} for those queued and for a batch running on a stepping
     * thread; false if they did not all end in time.
     */
    boolean close(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        lane.shutdown();
        if (!gate.tryLock(seconds, TimeUnit.SECONDS)) {
            return false;
        }
        try {
            closed = true;
        } finally {
            gate.unlock();
        }
        return lane.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
