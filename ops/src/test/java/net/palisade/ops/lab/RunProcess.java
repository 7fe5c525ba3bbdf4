package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A {@code palisade run} started as its own process by a lab test, its output in a log file. */
final class RunProcess {
    private RunProcess() {
    }

    /** Starts {@code command} (a {@code palisade run}, usually inside {@code ip netns exec}), output to {@code log}. */
    static Process start(List<String> command, Path log) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits up to 90 s until the node logged that its API is up; fails at once, with its log, if it exited. */
    static void awaitUp(Process node, Path log) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(node.isAlive()).as(read(log)).isTrue();
            assertThat(read(log)).contains(" up: API ");
        });
    }

    /** The log so far; empty before the process wrote it. */
    static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
