package net.palisade.controlplane.journal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * A daemon thread that takes work from a queue, in batches, and talks to the database about it. It is stopped
 * between two batches, never inside one, and {@link #stop} returns once its connection is closed: interrupting a
 * thread inside a JDBC call can close an embedded H2 database's file under every other connection, and a thread that
 * closes its connection after the node has stopped races whoever deletes or copies the data directory next (H2
 * closes the database, and writes to its files, when the last connection closes).
 *
 * @param <T> the work
 */
final class DatabaseLoop<T> {
    private final BlockingQueue<T> queue;
    private final Consumer<List<T>> handle;
    private final Runnable finish;
    /** Held while a batch is handled: {@link #stop} interrupts only a thread that is not inside one. */
    private final java.util.concurrent.locks.ReentrantLock busy = new java.util.concurrent.locks.ReentrantLock();
    private volatile boolean stopping;
    private final Thread thread;

    private DatabaseLoop(String name, BlockingQueue<T> queue, Consumer<List<T>> handle, Runnable finish) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.handle = Objects.requireNonNull(handle, "handle");
        this.finish = Objects.requireNonNull(finish, "finish");
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    /**
     * Starts a thread named {@code name} that hands {@code handle} what {@code queue} holds (at least one item, in
     * queue order) until stopped, then runs {@code finish} (closing its connection).
     */
    static <T> DatabaseLoop<T> start(String name, BlockingQueue<T> queue, Consumer<List<T>> handle,
            Runnable finish) {
        DatabaseLoop<T> loop = new DatabaseLoop<>(name, queue, handle, finish);
        loop.thread.start();
        return loop;
    }

    private void run() {
        List<T> batch = new ArrayList<>();
        try {
            while (!stopping) {
                batch.add(queue.take());
                queue.drainTo(batch);
                busy.lock();
                try {
                    if (stopping) {
                        break;
                    }
                    handle.accept(batch);
                } finally {
                    busy.unlock();
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            // stop() woke the thread in take(): nothing was being handled
        } finally {
            Thread.interrupted(); // closing the connection must not see the interrupt
            finish.run();
        }
    }

    /** How long {@link #stop} waits for the thread to end. */
    static final Duration STOP_WAIT = Duration.ofSeconds(10);

    /**
     * Stops the thread after the batch it is handling, if any, and waits up to {@link #STOP_WAIT} for it to have
     * closed its connection (a warning names the thread if it did not). Handled items are done; those still queued
     * are dropped.
     */
    void stop() {
        stop(STOP_WAIT);
    }

    /**
     * {@link #stop()}, waiting at most about {@code wait} twice: for a batch in progress to end (a database call that
     * hangs must not hold up whoever stops the loop, such as the ActorSystem's termination), then for the thread to
     * close its connection. A thread still inside its batch is left to end after it, without an interrupt.
     *
     * @return true if the thread has ended
     */
    boolean stop(Duration wait) {
        stopping = true;
        if (Thread.currentThread() == thread) {
            return false; // handle() stopped its own loop: it ends after this batch
        }
        boolean idle;
        try {
            idle = busy.tryLock(wait.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            idle = false;
        }
        if (idle) {
            try {
                thread.interrupt(); // in take(), or about to be: it sees stopping
            } finally {
                busy.unlock();
            }
            try {
                thread.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (thread.isAlive()) {
            org.slf4j.LoggerFactory.getLogger(DatabaseLoop.class).warn("{}: the thread did not stop within {} ms{}",
                    thread.getName(), wait.toMillis(), idle ? "" : " (still inside a database call: it ends after it)");
            return false;
        }
        return true;
    }
}
