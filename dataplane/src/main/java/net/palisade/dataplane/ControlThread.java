package net.palisade.dataplane;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** Runs work on a dataplane's control thread, which entered the dataplane's network namespace. */
final class ControlThread {
    private ControlThread() {}

    /** The executor whose control thread this is ({@link #call}), on a control thread. */
    private static final ThreadLocal<ExecutorService> CONTROL = new ThreadLocal<>();

    /**
     * Runs {@code task} on the control thread (in the namespace) and waits for it; on that control thread itself
     * (a change made in one round: {@link Dataplane#installAll}) it runs at once.
     */
    static <T> T call(ExecutorService control, Callable<T> task) throws IOException {
        if (CONTROL.get() == control) {
            return callHere(task);
        }
        Future<T> f = control.submit(() -> {
            CONTROL.set(control);
            return task.call();
        });
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Runs {@code task} here: an IOException or RuntimeException as is, any other exception as an IOException. */
    static <T> T callHere(Callable<T> task) throws IOException {
        try {
            return task.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
