package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.StrongSwan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code palisade run --ike-cookie-threshold} and {@code --ike-fragment-size} reach IKE: the command runs as a
 * process in gw-a's namespace of the lab (its own prefix) with a passive PSK tunnel, strongSwan on gw-b initiates,
 * and strongSwan's log is the judge. With {@code --ike-cookie-threshold 0 --ike-fragment-size 200} strongSwan is
 * asked for a cookie and receives our IKE_AUTH response as fragments that fit 200 octets; with the defaults (30 and
 * 1280) neither happens to the same exchange. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("RunIkeFlagsStrongSwanTest")
class RunIkeFlagsStrongSwanTest {
    private static final String PSK = "run-flags-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(RunIkeFlagsStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void cookieThresholdZeroAndFragmentSize200AreWhatStrongSwanSees(@TempDir Path dir) throws Exception {
        String log = runAndLetStrongSwanInitiate(dir, List.of("--ike-cookie-threshold", "0",
                "--ike-fragment-size", "200"), "IKE: cookies demanded from 0 half-open IKE SA(s) on, fragments"
                        + " above 200-byte packets");
        // our N(COOKIE), then strongSwan's IKE_SA_INIT again with it
        assertThat(log).containsPattern("parsed IKE_SA_INIT response 0 \\[ N\\(COOKIE\\) \\]")
                .containsPattern("generating IKE_SA_INIT request 0 \\[ N\\(COOKIE\\) SA KE No");
        // our IKE_AUTH response came as fragments, each packet within 200 octets (IP, UDP, non-ESP marker included)
        assertThat(log).containsPattern("parsed IKE_AUTH response 1 \\[ EF\\(1/[2-9]\\) \\]")
                .containsPattern("received fragment #[2-9] of [2-9], reassembled fragmented IKE message");
        List<Integer> received = received4500(log);
        assertThat(received).as(log).hasSizeGreaterThan(1);
        assertThat(received).allSatisfy(bytes -> assertThat(bytes + 20 + 8 + 4).isLessThanOrEqualTo(200));
    }

    @Test
    void withTheDefaultsTheSameExchangeHasNoCookieAndNoFragments(@TempDir Path dir) throws Exception {
        String log = runAndLetStrongSwanInitiate(dir, List.of(), "IKE: cookies demanded from 30 half-open IKE SA(s)"
                + " on, fragments above 1280-byte packets");
        assertThat(log).doesNotContain("N(COOKIE)").doesNotContain("EF(").doesNotContain("received fragment")
                .containsPattern("parsed IKE_AUTH response 1 \\[ IDr AUTH");
        assertThat(received4500(log)).as(log).anySatisfy(bytes -> assertThat(bytes + 32).isGreaterThan(200));
    }

    /**
     * Starts {@code palisade run} with {@code flags} in gw-a and strongSwan on gw-b, waits for the node to say
     * {@code ikeLine} and to be up, lets strongSwan initiate, checks a ping crosses, stops both and returns
     * strongSwan's log.
     */
    private static String runAndLetStrongSwanInitiate(Path dir, List<String> flags, String ikeLine) throws Exception {
        StrongSwan conf = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
        Path config = Files.writeString(dir.resolve("palisade.conf"), "ike passive from 10.1.0.0/24 to 10.2.0.0/24"
                + " peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n");
        Path nodeLog = dir.resolve("node.log");

        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", PREFIX + "-gwa",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "net.palisade.ops.Main", "run", "--config", config.toString(), "--data", dir.resolve("data").toString(),
                "--tun", "ikst1", "--workers", "1"));
        command.addAll(flags);
        try (StrongSwan ss = conf.start()) {
            Process node = null;
            try {
                node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(nodeLog.toFile()).start();
                Process running = node;
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    assertThat(running.isAlive()).as(read(nodeLog)).isTrue();
                    assertThat(read(nodeLog)).contains(ikeLine).contains(" up: API ");
                });
                Lab.Result initiate = ss.swanctl("--initiate", "--child", "net");
                assertThat(initiate.exit()).as(initiate.output() + "\nnode log:\n" + read(nodeLog)).isZero();
                Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();
                assertThat(read(nodeLog)).doesNotContain(PSK);
                return ss.log();
            } finally {
                // SIGTERM: the node's shutdown hook stops IKE, the control plane and the dataplane
                RunProcess.stop(node);
            }
        }
    }

    /** The sizes charon logs for the IKE packets it received on port 4500. */
    private static List<Integer> received4500(String log) {
        List<Integer> sizes = new ArrayList<>();
        Matcher m = Pattern.compile("received packet: from 192\\.0\\.2\\.1\\[4500\\] to [0-9.]+\\[4500\\] \\((\\d+) bytes\\)")
                .matcher(log);
        while (m.find()) {
            sizes.add(Integer.parseInt(m.group(1)));
        }
        return sizes;
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
