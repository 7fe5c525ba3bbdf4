package net.palisade.ops.lab;

import static net.palisade.ops.lab.RunProcess.read;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code palisade run --wireshark-keys DIR}, judged by tshark: the command runs as a process in gw-a's namespace with a
 * passive PSK tunnel, strongSwan on gw-b initiates, tcpdump records the lab's internet bridge while host-a pings
 * host-b through the tunnel. tshark then reads the capture with DIR as its configuration directory and must show
 * what only the keys reveal: the IKE_AUTH exchange's AUTH payloads (shared key) and traffic selectors, and the
 * echo requests and replies inside ESP, both directions. The same capture read with an empty configuration
 * directory shows none of it (so the decryption is the tables' doing). Two suites: AES-GCM IKE with AES-CBC and
 * HMAC-SHA2-256 ESP, and the other way round. The files are mode 0600, the node warns, and no key is in its log.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("WiresharkKeysStrongSwanTest")
class WiresharkKeysStrongSwanTest {
    private static final String PSK = "wireshark-keys-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(WiresharkKeysStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @ParameterizedTest(name = "IKE {0}, ESP {2}")
    @CsvSource({
        "aes128gcm16-prfsha256-x25519, enc aes-128-gcm prf hmac-sha2-256 group curve25519, aes256-sha256,"
                + " enc aes-256 auth hmac-sha2-256 group none",
        "aes256-sha256-x25519, enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group curve25519, aes128gcm16,"
                + " enc aes-128-gcm group none"
    })
    void tsharkDecryptsIkeAuthAndTheInnerPing(String ssIke, String ikesa, String ssEsp, String childsa,
            @TempDir Path dir) throws Exception {
        TestPrograms.require("tshark", "tcpdump");
        StrongSwan conf = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, ssIke, ssEsp);
        Path config = Files.writeString(dir.resolve("palisade.conf"), "ike passive from 10.1.0.0/24 to 10.2.0.0/24"
                + " peer 192.0.2.2 ikesa " + ikesa + " childsa " + childsa + " psk \"" + PSK + "\" label to-b\n");
        Path keys = dir.resolve("wireshark");
        Path nodeLog = dir.resolve("node.log");
        Path pcap = dir.resolve("inet.pcap");

        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", PREFIX + "-gwa",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "net.palisade.ops.Main", "run", "--config", config.toString(), "--data", dir.resolve("data").toString(),
                "--tun", "wsk1", "--workers", "1", "--wireshark-keys", keys.toString()));
        try (StrongSwan ss = conf.start()) {
            Process node = null;
            try (Tshark.Capture _ = Tshark.capture(PREFIX + "-inet", "br0", pcap)) {
                node = RunProcess.start(command, nodeLog);
                RunProcess.awaitUp(node, nodeLog);
                Lab.Result initiate = ss.swanctl("--initiate", "--child", "net");
                assertThat(initiate.exit()).as(initiate.output() + "\nnode log:\n" + read(nodeLog)).isZero();
                Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();
            } finally {
                RunProcess.stop(node);
            }
        }

        String log = read(nodeLog);
        assertThat(log).contains("WARNING: --wireshark-keys").doesNotContain(PSK);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rwx------");
        for (String table : List.of("ikev2_decryption_table", "esp_sa")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve(table))))
                    .as(table).isEqualTo("rw-------");
        }
        // not one key of the tables reached the log
        for (String key : hexKeys(Files.readString(keys.resolve("ikev2_decryption_table"))
                + Files.readString(keys.resolve("esp_sa")))) {
            assertThat(log.toLowerCase(java.util.Locale.ROOT)).doesNotContain(key);
        }

        Path empty = Files.createDirectories(dir.resolve("no-keys"));
        // IKE_AUTH (exchange type 35): with the keys, both AUTH payloads (method 2: shared key) and both sides' TS
        assertThat(tshark(pcap, keys, "isakmp.exchangetype == 35", "isakmp.auth.method"))
                .as("AUTH payloads tshark decrypted").containsExactly("2", "2");
        assertThat(tshark(pcap, keys, "isakmp.exchangetype == 35", "isakmp.ts.start_ipv4"))
                .as("traffic selectors tshark decrypted").allSatisfy(ts -> assertThat(ts).contains("10.1.0.0")
                        .contains("10.2.0.0")).hasSize(2);
        assertThat(tshark(pcap, empty, "isakmp.exchangetype == 35", "isakmp.auth.method")).isEmpty();
        // ESP: the echo requests (host-a to host-b) and the replies inside, each direction its own SA
        List<String> requests = tshark(pcap, keys, "esp && icmp.type == 8", "ip.dst");
        List<String> replies = tshark(pcap, keys, "esp && icmp.type == 0", "ip.dst");
        assertThat(requests).as("echo requests tshark found inside ESP").isNotEmpty()
                .allSatisfy(d -> assertThat(d).isEqualTo("192.0.2.2,10.2.0.10"));
        assertThat(replies).as("echo replies tshark found inside ESP").hasSameSizeAs(requests)
                .allSatisfy(d -> assertThat(d).isEqualTo("192.0.2.1,10.1.0.10"));
        assertThat(tshark(pcap, empty, "esp && icmp", "ip.dst")).isEmpty();
    }

    /** tshark's values of {@code field} for frames matching {@code filter}, with {@code configDir} as its configuration. */
    private static List<String> tshark(Path pcap, Path configDir, String filter, String field) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("tshark", "-n", "-r", pcap.toString(), "-Y", filter, "-T", "fields",
                "-e", field).redirectError(configDir.resolveSibling(configDir.getFileName() + ".tshark.err").toFile());
        pb.environment().put("WIRESHARK_CONFIG_DIR", configDir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("tshark -Y " + filter + ": " + Files.readString(
                configDir.resolveSibling(configDir.getFileName() + ".tshark.err"))).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** The keys in the tables (hex of 16 octets and more), lower case, without the 0x. */
    private static List<String> hexKeys(String tables) {
        List<String> keys = new ArrayList<>();
        Matcher m = Pattern.compile("(?:0x)?([0-9a-f]{32,})").matcher(tables);
        while (m.find()) {
            keys.add(m.group(1));
        }
        assertThat(keys).isNotEmpty();
        HexFormat.of().parseHex(keys.getFirst());
        return keys;
    }
}
