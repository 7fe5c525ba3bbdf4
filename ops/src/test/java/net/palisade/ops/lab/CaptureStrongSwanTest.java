package net.palisade.ops.lab;

import static net.palisade.ops.lab.RunProcess.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code palisade capture LABEL -w FILE}, judged by tcpdump and tshark: {@code palisade run} in gw-a's namespace
 * with a passive tunnel to strongSwan on gw-b, strongSwan initiates, the client command captures tunnel
 * {@code to-b} (at most 10 packets) while host-a pings host-b five times. The file must hold exactly the five echo
 * requests (tcpdump: {@code Out}, before encryption) and the five replies ({@code In}, decrypted) with good IP
 * checksums, in order, and no ESP; it is mode 0600, and the node logs the capture's start (with the caller) and
 * its counts, and counts it in {@code /metrics}. That packets of other networks are left out is
 * {@code TunnelCaptureTest}'s. The same node's scrape then judges the Grafana dashboard
 * ({@link GrafanaDashboardCheck}): it runs the dataplane, IKE and a capture, so every family it exports is there.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("CaptureStrongSwanTest")
class CaptureStrongSwanTest {
    private static final String PSK = "capture-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(CaptureStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void theCaptureHoldsThePingOfItsTunnelBothWaysAndNothingElse(@TempDir Path dir) throws Exception {
        TestPrograms.require("tshark", "tcpdump", "curl");
        StrongSwan conf = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
        Path config = Files.writeString(dir.resolve("palisade.conf"), "ike passive from 10.1.0.0/24 to 10.2.0.0/24"
                + " peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n");
        Path nodeLog = dir.resolve("node.log");
        Path data = dir.resolve("data");
        Path pcap = dir.resolve("to-b.pcap");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));

        List<String> run = List.of("ip", "netns", "exec", PREFIX + "-gwa", java, "-cp", classPath,
                "net.palisade.ops.Main", "run", "--config", config.toString(), "--data", data.toString(),
                "--tun", "cap1", "--workers", "1");
        try (StrongSwan ss = conf.start()) {
            Process node = null;
            Process capture = null;
            try {
                node = RunProcess.start(run, nodeLog);
                RunProcess.awaitUp(node, nodeLog);
                Lab.Result initiate = ss.swanctl("--initiate", "--child", "net");
                assertThat(initiate.exit()).as(initiate.output() + "\nnode log:\n" + read(nodeLog)).isZero();
                assertThat(Lab.ping(PREFIX + "-ha", "10.2.0.10").exit()).isZero();

                List<String> client = new ArrayList<>(List.of("ip", "netns", "exec", PREFIX + "-gwa", java, "-cp",
                        classPath, "net.palisade.ops.Main", "capture", "to-b", "-w", pcap.toString(), "-c", "10",
                        "-s", "60", "--token-file", data.resolve("api-token").toString()));
                Path clientLog = dir.resolve("capture.log");
                capture = new ProcessBuilder(client).redirectErrorStream(true).redirectOutput(clientLog.toFile())
                        .start();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(read(nodeLog))
                        .contains("capture of tunnel to-b started by"));
                Lab.Result ping = Lab.in(PREFIX + "-ha", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output()).isZero();
                assertThat(capture.waitFor(30, TimeUnit.SECONDS)).as(read(clientLog)).isTrue();
                assertThat(capture.exitValue()).as(read(clientLog)).isZero();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(read(nodeLog))
                        .containsPattern("capture of tunnel to-b by \\S+ ended: 10 packets"));
                String token = Files.readString(data.resolve("api-token")).strip();
                String[] scrape = new String[1];
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    Lab.Result r = Lab.in(PREFIX + "-gwa", "curl", "-sf", "-H", "Authorization: Bearer " + token,
                            "http://127.0.0.1:8470/metrics");
                    assertThat(r.exit()).as(r.output()).isZero();
                    assertThat(r.output()).contains("palisade_capture_packets_total{result=\"written\"} 10",
                            "palisade_captures_total 1", "palisade_captures_active 0");
                    scrape[0] = r.output();
                });
                GrafanaDashboardCheck.assertQueriesExist(scrape[0]);
            } finally {
                RunProcess.stop(capture, node);
            }
        }

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pcap))).isEqualTo("rw-------");
        // tcpdump: Out = on its way into the tunnel (before encryption), In = out of it (decrypted)
        List<String> lines = run("tcpdump", "-e", "-n", "-r", pcap.toString());
        assertThat(lines).as(String.join("\n", lines)).hasSize(10);
        assertThat(lines.stream().filter(l -> l.contains(" Out ethertype IPv4 ")
                && l.contains(": 10.1.0.10 > 10.2.0.10: ICMP echo request")))
                .hasSize(5);
        assertThat(lines.stream().filter(l -> l.contains(" In ethertype IPv4 ")
                && l.contains(": 10.2.0.10 > 10.1.0.10: ICMP echo reply")))
                .hasSize(5);
        // tshark: ten ICMP packets with correct checksums, inner addresses only (no ESP, no UDP 4500)
        assertThat(run("tshark", "-n", "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE", "-T", "fields",
                "-e", "sll.pkttype", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type", "-e", "ip.checksum.status"))
                .containsExactly(
                        "4\t10.1.0.10\t10.2.0.10\t8\t1", "0\t10.2.0.10\t10.1.0.10\t0\t1",
                        "4\t10.1.0.10\t10.2.0.10\t8\t1", "0\t10.2.0.10\t10.1.0.10\t0\t1",
                        "4\t10.1.0.10\t10.2.0.10\t8\t1", "0\t10.2.0.10\t10.1.0.10\t0\t1",
                        "4\t10.1.0.10\t10.2.0.10\t8\t1", "0\t10.2.0.10\t10.1.0.10\t0\t1",
                        "4\t10.1.0.10\t10.2.0.10\t8\t1", "0\t10.2.0.10\t10.1.0.10\t0\t1");
    }

    private static List<String> run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command)).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
