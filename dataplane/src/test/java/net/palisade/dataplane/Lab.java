package net.palisade.dataplane;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.dataplane.testkit.LabPrefix;
import net.palisade.dataplane.testkit.TestPrograms;

/**
 * The namespace lab of {@code ops/lab/netns.sh} for one test class (its own prefix): host-a 10.1.0.10 — gw-a
 * 10.1.0.1 / 192.0.2.1 — gw-b 192.0.2.2 / 10.2.0.1 — host-b 10.2.0.10. Runs commands in its namespaces and code on
 * threads that entered them.
 */
final class Lab implements AutoCloseable {
    final String prefix;
    private final Path script;

    private Lab(String prefix, Path script) {
        this.prefix = prefix;
        this.script = script;
    }

    /** Builds the lab (tearing down an old one of the same prefix first). */
    static Lab up(String prefix) throws IOException, InterruptedException {
        TestPrograms.require("ip", "ping");
        LabPrefix.hold(prefix);
        Path script = findScript();
        Lab lab = new Lab(prefix, script);
        Result r = run(List.of("bash", script.toString(), "up", prefix), 120);
        if (r.exitCode() != 0) {
            throw new IOException("netns.sh up " + prefix + " failed: " + r.output());
        }
        return lab;
    }

    static Path findScript() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path p = d.resolve("ops/lab/netns.sh");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("ops/lab/netns.sh not found above " + dir);
    }

    /** The namespace name of a role: gwa, gwb, ha, hb, inet, lanb, gwc. */
    String ns(String role) {
        return prefix + "-" + role;
    }

    Path nsPath(String role) {
        return NetNamespace.named(ns(role));
    }

    /** Runs a command in a namespace; waits at most {@code timeoutSeconds}. */
    Result exec(String role, int timeoutSeconds, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        cmd.addAll(List.of(command));
        return run(cmd, timeoutSeconds);
    }

    /** Runs a command in a namespace and fails if it does not exit 0. */
    Result sh(String role, String... command) throws IOException, InterruptedException {
        Result r = exec(role, 30, command);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " in " + ns(role) + " failed: " + r.output());
        }
        return r;
    }

    /** Starts a command in a namespace without waiting (output merged into one stream). */
    Process start(String role, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        cmd.addAll(List.of(command));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Runs {@code task} on a fresh platform thread that entered the namespace of {@code role}. */
    <T> T inNamespace(String role, Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                NetNamespace.enter(nsPath(role));
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "in-" + ns(role));
        t.start();
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    record Result(int exitCode, String output) {
    }

    static Result run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            return new Result(-1, "timed out after " + timeoutSeconds + " s: " + cmd + "\n" + out.join());
        }
        return new Result(p.exitValue(), out.join());
    }

    static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("bash", script.toString(), "down", prefix), 60);
    }
}
