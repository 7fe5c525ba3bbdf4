package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A platform thread that lives in a network namespace of its own (unshare(CLONE_NEWNET) affects only the calling
 * thread), with its loopback up. Everything a test creates on it — TUN devices, netlink and UDP sockets — belongs
 * to that namespace, so test traffic to 198.18.0.0/15 can never leave the machine, and the namespace disappears
 * with the thread and the last descriptor.
 */
final class NetnsThread implements AutoCloseable {
    private final ExecutorService executor;
    private final int tid;

    NetnsThread(String name) throws Exception {
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        this.tid = submit(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = Libc.newCallState(a);
                // int unshare(int flags)
                int rc;
                try {
                    rc = (int) Libc.UNSHARE.invokeExact(state, Libc.CLONE_NEWNET);
                } catch (Throwable t) {
                    throw Libc.linkageFailure(t);
                }
                if (rc != 0) {
                    throw Libc.error("unshare(CLONE_NEWNET)", state);
                }
            }
            try (RtNetlink nl = RtNetlink.open()) {
                nl.setLinkUp(1, true); // lo is ifindex 1 in a fresh namespace
            }
            return Libc.gettid();
        });
    }

    /** Runs {@code task} on the namespace thread and returns its result (exceptions are rethrown as they are). */
    <T> T call(Callable<T> task) throws Exception {
        return submit(task);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    void run(ThrowingRunnable task) throws Exception {
        submit(() -> {
            task.run();
            return null;
        });
    }

    private <T> T submit(Callable<T> task) throws Exception {
        Future<T> f = executor.submit(task);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** /proc path of the namespace, for nsenter. */
    String nsPath() {
        return "/proc/" + ProcessHandle.current().pid() + "/task/" + tid + "/ns/net";
    }

    /** Runs a command (e.g. {@code ip route}) inside the namespace; returns exit code and combined output. */
    Result exec(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + nsPath()));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        return new Result(p.exitValue(), out);
    }

    record Result(int exitCode, String output) {}

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
