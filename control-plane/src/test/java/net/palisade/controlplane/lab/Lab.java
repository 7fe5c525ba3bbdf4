package net.palisade.controlplane.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.palisade.dataplane.testkit.LabPrefix;
import net.palisade.dataplane.testkit.Root;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Assumptions;

/**
 * The namespace lab of {@code ops/lab} ({@code netns.sh} builds host-a — gw-a — inet — gw-b — host-b, plus gw-c, as
 * namespaces {@code PREFIX-ha}, {@code PREFIX-gwa} and so on) and a way to run commands, as every lab test of
 * control-plane, api and ops uses them. Published to the api and ops tests in control-plane's test-jar.
 *
 * <p>Lab tests need root ({@link Root}) and the programs of {@code ops/test-programs.txt} ({@link TestPrograms});
 * {@link #up} skips them with {@code -Dpalisade.skipExternal=true} or {@code -Dpalisade.skipRoot=true}.
 */
public final class Lab {
    /** The folder of {@code netns.sh} and {@code strongswan.sh}, found from a module's working directory. */
    public static final Path SCRIPTS = Path.of("..").toAbsolutePath().normalize().resolve("ops/lab");

    /**
     * A command's exit status and its output (stdout and stderr together).
     *
     * @param exit the exit status
     * @param output what it printed
     */
    public record Result(int exit, String output) {}

    private Lab() {}

    /**
     * Builds the lab with namespace prefix {@code prefix} after checking for root and the programs the lab runs
     * (namespaces, the NAT box, strongSwan); {@code options} follow the prefix on {@code netns.sh up}'s command line
     * (e.g. {@code nat}). Test classes use {@link LabNamespaces}, which claims the prefix.
     *
     * @param prefix the namespace prefix the calling test owns ({@link LabPrefix#claim})
     * @param options more arguments of {@code netns.sh up}
     * @throws Exception when the script cannot run
     */
    public static void up(String prefix, String... options) throws Exception {
        Assumptions.assumeFalse(skipped(), "palisade.skipExternal or palisade.skipRoot is true");
        Root.require("the namespace lab");
        TestPrograms.require("ip", "nft", "/usr/lib/ipsec/charon", "swanctl");
        LabPrefix.hold(prefix);
        List<String> command = new ArrayList<>(List.of(netnsScript(), "up", prefix));
        command.addAll(List.of(options));
        Result r = sh(command.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
    }

    /**
     * Removes the lab of {@code prefix} (nothing when the lab tests are skipped).
     *
     * @param prefix the namespace prefix given to {@link #up}
     * @throws Exception when the script cannot run
     */
    public static void down(String prefix) throws Exception {
        if (!skipped()) {
            sh(netnsScript(), "down", prefix);
        }
    }

    /** @return {@code ops/lab/netns.sh} */
    public static String netnsScript() {
        return SCRIPTS.resolve("netns.sh").toString();
    }

    /** @return {@code ops/lab/strongswan.sh} */
    public static String strongswanScript() {
        return SCRIPTS.resolve("strongswan.sh").toString();
    }

    /**
     * Runs a command and waits for it.
     *
     * @param command the program and its arguments
     * @return its exit status and output
     * @throws IOException when it cannot start
     * @throws InterruptedException when interrupted while waiting
     */
    public static Result sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    /**
     * Runs a command inside network namespace {@code namespace} ({@code ip netns exec}).
     *
     * @param namespace the namespace, e.g. {@code PREFIX + "-ha"}
     * @param command the program and its arguments
     * @return its exit status and output
     * @throws IOException when it cannot start
     * @throws InterruptedException when interrupted while waiting
     */
    public static Result in(String namespace, String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        all.addAll(List.of(command));
        return sh(all.toArray(String[]::new));
    }

    /**
     * Three pings ({@code ping -c 3 -W 2}) from namespace {@code namespace} to {@code target}.
     *
     * @param namespace where the ping starts, e.g. {@code PREFIX + "-ha"}
     * @param target the address pinged
     * @return ping's exit status and output
     * @throws IOException when it cannot start
     * @throws InterruptedException when interrupted while waiting
     */
    public static Result ping(String namespace, String target) throws IOException, InterruptedException {
        return in(namespace, "ping", "-c", "3", "-W", "2", target);
    }

    /**
     * iperf3 for {@code seconds} from {@code clientNamespace} to a one-shot server in {@code serverNamespace} at
     * {@code serverAddress} (TCP, one stream), once the server listens.
     *
     * @return the client's exit status and output (its last lines hold the sender's and receiver's totals)
     */
    public static Result iperf(String clientNamespace, String serverNamespace, String serverAddress, int seconds)
            throws Exception {
        Process server = new ProcessBuilder("ip", "netns", "exec", serverNamespace, "iperf3", "-s", "-1")
                .redirectErrorStream(true).start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .pollInterval(java.time.Duration.ofMillis(100))
                    .until(() -> in(serverNamespace, "ss", "-ltn").output().contains(":5201"));
            // bounded: an iperf3 client whose path breaks mid-test can spin for ever (seen once at 100 % CPU)
            return in(clientNamespace, "timeout", Integer.toString(seconds + 30), "iperf3", "-c", serverAddress,
                    "-t", Integer.toString(seconds));
        } finally {
            server.destroy();
        }
    }

    private static boolean skipped() {
        return Boolean.getBoolean("palisade.skipExternal") || Boolean.getBoolean("palisade.skipRoot");
    }

    /**
     * The echoes a {@code ping -D} run (without {@code -q}) never got an answer to, each with the wall-clock time of
     * the last reply before it ({@code icmp_seq=N after T}), to set beside the journal's event times when a test
     * that expects no loss fails; "none" if every sequence number up to the highest answered one came back.
     */
    public static String lostEchoes(String pingOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "\\[(\\d+\\.\\d+)\\] \\d+ bytes from [^:]+: icmp_seq=(\\d+)").matcher(pingOutput);
        java.util.TreeMap<Integer, String> answered = new java.util.TreeMap<>();
        while (m.find()) {
            answered.put(Integer.parseInt(m.group(2)), m.group(1));
        }
        if (answered.isEmpty()) {
            return "no reply at all";
        }
        StringBuilder lost = new StringBuilder();
        for (int seq = 1; seq < answered.lastKey(); seq++) {
            if (!answered.containsKey(seq)) {
                java.util.Map.Entry<Integer, String> before = answered.lowerEntry(seq);
                lost.append(lost.isEmpty() ? "" : ", ").append("icmp_seq=").append(seq).append(" after ")
                        .append(before == null ? "start" : java.time.Instant.ofEpochMilli(
                                (long) (Double.parseDouble(before.getValue()) * 1000)));
            }
        }
        return lost.isEmpty() ? "none" : lost.toString();
    }
}
