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

    /**
     * Waits up to 90 s until the node logged that its API is up, and each of {@code also} (e.g. that it resumes an
     * IKE SA); fails at once, with its log, if it exited.
     */
    static void awaitUp(Process node, Path log, String... also) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(node.isAlive()).as(read(log)).isTrue();
            String text = read(log);
            assertThat(text).contains(" up: API ");
            for (String line : also) {
                assertThat(text).contains(line);
            }
        });
    }

    /**
     * Waits up to 30 s until {@code count} pings from {@code namespace} to {@code target} are all answered; the
     * failure shows the ping's output and the node's {@code log}.
     */
    static void awaitPing(String namespace, String target, int count, Path log) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            net.palisade.controlplane.lab.Lab.Result ping = net.palisade.controlplane.lab.Lab.in(namespace, "ping",
                    "-c", String.valueOf(count), "-i", "0.2", "-W", "1", target);
            assertThat(ping.exit()).as(ping.output() + "\nnode log:\n" + read(log)).isZero();
        });
    }

    /** Stops each started node (SIGTERM, then SIGKILL after 30 s); nulls (never started) are skipped. */
    static void stop(Process... nodes) throws InterruptedException {
        for (Process p : nodes) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
    }

    /** The log so far; empty before the process wrote it. */
    static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** {@code palisade run}, one worker, TUN device {@code tun}, inside {@code namespace}, output to {@code log}. */
    static Process runIn(String namespace, Path config, Path data, String tun, Path log) throws IOException {
        return start(List.of("ip", "netns", "exec", namespace, javaBin(), "-cp", classPath(), "net.palisade.ops.Main",
                "run", "--config", config.toString(), "--data", data.toString(), "--tun", tun, "--workers", "1"), log);
    }

    /** {@code palisade ARGS} inside {@code namespace} against the node whose data directory is {@code data}. */
    static net.palisade.controlplane.lab.Lab.Result cli(String namespace, Path data, String... args)
            throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(javaBin(), "-cp", classPath(),
                "net.palisade.ops.Main"));
        command.addAll(List.of(args));
        command.addAll(List.of("--token-file", data.resolve("api-token").toString()));
        return net.palisade.controlplane.lab.Lab.in(namespace, command.toArray(String[]::new));
    }

    private static final java.util.regex.Pattern IKE_SPIS =
            java.util.regex.Pattern.compile("([0-9a-f]{16})_i\\*? ([0-9a-f]{16})_r");

    /** The first IKE SA's SPIs in strongSwan's {@code swanctl --list-sas}, as {@code INITIATOR_RESPONDER}. */
    static String ikeSpis(String listSas) {
        java.util.regex.Matcher m = IKE_SPIS.matcher(listSas);
        assertThat(m.find()).as(listSas).isTrue();
        return m.group(1) + "_" + m.group(2);
    }

    /**
     * The ESP that {@code source} sent in {@code pcap} (tshark): its SPIs in order, and the (SPI, sequence) pairs
     * that appear more than once — a sequence number sent twice under one SPI.
     */
    record EspSent(List<String> spis, List<String> repeated) {}

    static EspSent espSent(Path pcap, String source) throws Exception {
        List<String> spi = net.palisade.controlplane.lab.Tshark.fields(pcap, "esp && ip.src == " + source, "esp.spi");
        List<String> seq = net.palisade.controlplane.lab.Tshark.fields(pcap, "esp && ip.src == " + source,
                "esp.sequence");
        assertThat(spi).hasSameSizeAs(seq);
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<String> repeated = new java.util.ArrayList<>();
        for (int i = 0; i < spi.size(); i++) {
            if (!seen.add(spi.get(i) + "/" + seq.get(i))) {
                repeated.add(spi.get(i) + "/" + seq.get(i));
            }
        }
        return new EspSent(spi, repeated);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
