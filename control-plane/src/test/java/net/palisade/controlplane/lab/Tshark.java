package net.palisade.controlplane.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.testkit.TestPrograms;

/**
 * tcpdump captures in a lab namespace and tshark reading them: the independent judge of what crossed a wire.
 */
public final class Tshark {
    private Tshark() {}

    /**
     * A running tcpdump; {@link #close()} stops it, after which its file is complete.
     *
     * @param process the tcpdump process
     */
    public record Capture(Process process) implements AutoCloseable {
        /** Stops tcpdump and waits up to 10 s for it to write its last packets. */
        @Override
        public void close() {
            process.destroy();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Starts tcpdump on {@code device} of namespace {@code namespace}, writing UDP and IP protocol 50 (ESP) to
     * {@code pcap} (its own messages to {@code tcpdump.log} beside it), and waits until it listens.
     *
     * @param namespace the namespace, e.g. {@code PREFIX + "-inet"}
     * @param device the interface, e.g. {@code br0}
     * @param pcap the capture file
     * @return the running capture
     * @throws Exception when tcpdump does not start listening within 10 s
     */
    public static Capture capture(String namespace, String device, Path pcap) throws Exception {
        return capture(namespace, device, pcap, "udp or ip proto 50");
    }

    /**
     * As {@link #capture(String, String, Path)}, writing what matches tcpdump's {@code filter}.
     *
     * @param filter a pcap filter, e.g. {@code "ip and dst net 10.2.0.0/16"}
     * @return the running capture
     * @throws Exception when tcpdump does not start listening within 10 s
     */
    public static Capture capture(String namespace, String device, Path pcap, String filter) throws Exception {
        TestPrograms.require("tcpdump");
        Path log = pcap.resolveSibling("tcpdump.log");
        Process p = new ProcessBuilder("ip", "netns", "exec", namespace, "tcpdump", "-i", device, "-n", "-U", "-w",
                pcap.toString(), filter).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Capture capture = new Capture(p);
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(log))
                    .contains("listening on " + device));
            return capture;
        } catch (RuntimeException | Error e) {
            capture.close();
            throw e;
        }
    }

    /**
     * One line per packet of {@code pcap} that matches display filter {@code filter}: the value of {@code field}.
     *
     * @param pcap the capture file
     * @param filter a tshark display filter
     * @param field the field printed
     * @return the non-blank values, in packet order
     * @throws Exception when tshark cannot run; an assertion error when it fails
     */
    public static List<String> fields(Path pcap, String filter, String field) throws Exception {
        TestPrograms.require("tshark");
        Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-Y", filter, "-T", "fields", "-e", field)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("tshark -Y " + filter).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
