package net.palisade.ops.lab;

import static net.palisade.ops.lab.RunProcess.read;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * {@code palisade ike-log LABEL}, judged by strongSwan's own log of the same exchange: {@code palisade run} in gw-a's
 * namespace with a passive tunnel, strongSwan on gw-b initiates with one IKE and one ESP proposal. For the four
 * messages of IKE_SA_INIT and IKE_AUTH, the payloads our log shows (received: strongSwan's requests; sent: our
 * responses) are the ones strongSwan logged generating and parsing, in order (its abbreviations mapped to the IANA
 * names here); the proposal strongSwan sent and the one it selected from our answer ({@code selected proposal:
 * IKE:...}, {@code ESP:...}) are shown as written there; the identities and selectors are the configured ones; and
 * nothing secret appears (the PSK, or any long hex string: nonces, key exchange values, AUTH data).
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkeLogStrongSwanTest")
class IkeLogStrongSwanTest {
    private static final String PSK = "ike-log-lab-psk-not-for-production";

    /** strongSwan's short names (its log) for the notifies it sends, and the IANA names. */
    private static final Map<String, String> STRONGSWAN_NOTIFIES = Map.ofEntries(
            Map.entry("NATD_S_IP", "NAT_DETECTION_SOURCE_IP"), Map.entry("NATD_D_IP", "NAT_DETECTION_DESTINATION_IP"),
            Map.entry("FRAG_SUP", "IKEV2_FRAGMENTATION_SUPPORTED"), Map.entry("HASH_ALG", "SIGNATURE_HASH_ALGORITHMS"),
            Map.entry("REDIR_SUP", "REDIRECT_SUPPORTED"), Map.entry("CHDLESS_SUP", "CHILDLESS_IKEV2_SUPPORTED"),
            Map.entry("INIT_CONTACT", "INITIAL_CONTACT"), Map.entry("MULT_AUTH", "MULTIPLE_AUTH_SUPPORTED"),
            Map.entry("EAP_ONLY", "EAP_ONLY_AUTHENTICATION"), Map.entry("MSG_ID_SYN_SUP",
                    "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"), Map.entry("ESP_TFC_PAD_N", "ESP_TFC_PADDING_NOT_SUPPORTED"),
            Map.entry("NON_FIRST_FRAG", "NON_FIRST_FRAGMENTS_ALSO"), Map.entry("MOBIKE_SUP", "MOBIKE_SUPPORTED"),
            Map.entry("ADD_4_ADDR", "ADDITIONAL_IP4_ADDRESS"), Map.entry("ADD_6_ADDR", "ADDITIONAL_IP6_ADDRESS"),
            Map.entry("USE_TRANSP", "USE_TRANSPORT_MODE"), Map.entry("AUTH_LFT", "AUTH_LIFETIME"),
            Map.entry("IPCOMP_SUP", "IPCOMP_SUPPORTED"), Map.entry("COOKIE", "COOKIE"));

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeLogStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void theLogShowsWhatStrongSwanSentAndSelected(@TempDir Path dir) throws Exception {
        StrongSwan conf = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes256-sha256-ecp256", "aes128gcm16-ecp256");
        Path config = Files.writeString(dir.resolve("palisade.conf"), "ike passive from 10.1.0.0/24 to 10.2.0.0/24"
                + " peer 192.0.2.2 ikesa enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group ecp256"
                + " childsa enc aes-128-gcm group ecp256 psk \"" + PSK + "\" label to-b\n");
        Path nodeLog = dir.resolve("node.log");
        Path data = dir.resolve("data");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> run = List.of("ip", "netns", "exec", PREFIX + "-gwa", java, "-cp", classPath,
                "net.palisade.ops.Main", "run", "--config", config.toString(), "--data", data.toString(),
                "--tun", "ikl1", "--workers", "1");
        String charon;
        String text;
        JsonNode json;
        try (StrongSwan ss = conf.start()) {
            Process node = null;
            try {
                node = RunProcess.start(run, nodeLog);
                RunProcess.awaitUp(node, nodeLog);
                Lab.Result initiate = ss.swanctl("--initiate", "--child", "net");
                assertThat(initiate.exit()).as(initiate.output() + "\nnode log:\n" + read(nodeLog)).isZero();
                charon = ss.log();
                text = client(dir, java, classPath, data, "ike-log", "to-b");
                json = new ObjectMapper().readTree(client(dir, java, classPath, data, "ike-log", "to-b", "--json"));
            } finally {
                RunProcess.stop(node);
            }
        }

        assertThat(json.size()).as(text).isGreaterThanOrEqualTo(4);
        for (String[] pair : new String[][] {
                {"generating", "received", "IKE_SA_INIT request 0"}, {"parsed", "sent", "IKE_SA_INIT response 0"},
                {"generating", "received", "IKE_AUTH request 1"}, {"parsed", "sent", "IKE_AUTH response 1"}}) {
            List<String> theirs = strongSwanPayloads(charon, pair[0], pair[2]);
            JsonNode ours = find(json, pair[1], pair[2]).orElseThrow(() -> new AssertionError(
                    "no " + pair[1] + " " + pair[2] + " in\n" + text));
            assertThat(ourPayloads(ours.path("message").asText())).as(pair[2] + "\n" + text + "\ncharon:\n" + charon)
                    .isEqualTo(theirs);
        }
        String ike = selected(charon, "IKE");
        String esp = selected(charon, "ESP");
        assertThat(details(find(json, "received", "IKE_SA_INIT request 0").orElseThrow())).contains("SA #1 " + ike);
        assertThat(details(find(json, "sent", "IKE_SA_INIT response 0").orElseThrow())).contains("SA #1 " + ike);
        assertThat(details(find(json, "received", "IKE_AUTH request 1").orElseThrow()))
                .contains("SA #1 " + esp, "IDi ID_IPV4_ADDR 192.0.2.2", "TSi 10.2.0.0/16", "TSr 10.1.0.0/16");
        assertThat(details(find(json, "sent", "IKE_AUTH response 1").orElseThrow()))
                .contains("SA #1 " + esp, "IDr ID_IPV4_ADDR 192.0.2.1", "AUTH SHARED_KEY_MIC");
        assertThat(text).contains("received from 192.0.2.2:500  IKE_SA_INIT request 0 [ SA KE Ni ")
                .contains("    SA #1 " + ike).doesNotContain(PSK).doesNotContainPattern("[0-9a-fA-F]{32}");
        assertThat(json.toString()).doesNotContain(PSK).doesNotContainPattern("[0-9a-fA-F]{32}");
    }

    /** strongSwan's payload list of the message it logged as {@code verb what [ ... ]}, in IANA names. */
    private static List<String> strongSwanPayloads(String charon, String verb, String what) {
        Matcher m = Pattern.compile(verb + " " + Pattern.quote(what) + " \\[ (.*) \\]").matcher(charon);
        assertThat(m.find()).as(verb + " " + what + " in charon's log:\n" + charon).isTrue();
        List<String> out = new ArrayList<>();
        for (String p : m.group(1).trim().split(" ")) {
            Matcher n = Pattern.compile("N\\((.*)\\)").matcher(p);
            if (n.matches()) {
                String iana = STRONGSWAN_NOTIFIES.get(n.group(1));
                assertThat(iana).as("the IANA name of strongSwan's N(" + n.group(1) + ")").isNotNull();
                out.add("N(" + iana + ")");
            } else {
                out.add(p);
            }
        }
        return out;
    }

    /** Our payload list, nonces written as strongSwan writes them ({@code No}). */
    private static List<String> ourPayloads(String message) {
        Matcher m = Pattern.compile("\\[ (.*) \\]").matcher(message);
        assertThat(m.find()).as(message).isTrue();
        return java.util.Arrays.stream(m.group(1).trim().split(" ")).map(p -> p.equals("Ni") || p.equals("Nr") ? "No" : p)
                .toList();
    }

    /** The proposal strongSwan selected ({@code selected proposal: IKE:...}). */
    private static String selected(String charon, String protocol) {
        Matcher m = Pattern.compile("selected proposal: (" + protocol + ":\\S+)").matcher(charon);
        assertThat(m.find()).as("selected " + protocol + " proposal in charon's log:\n" + charon).isTrue();
        return m.group(1);
    }

    private static Optional<JsonNode> find(JsonNode json, String direction, String message) {
        for (JsonNode e : json) {
            if (e.path("direction").asText().equals(direction) && e.path("message").asText().startsWith(message)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    private static List<String> details(JsonNode e) {
        List<String> out = new ArrayList<>();
        e.path("details").forEach(d -> out.add(d.asText()));
        return out;
    }

    private static String client(Path dir, String java, String classPath, Path data, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", PREFIX + "-gwa", java, "-cp", classPath,
                "net.palisade.ops.Main"));
        command.addAll(List.of(args));
        command.addAll(List.of("--token-file", data.resolve("api-token").toString()));
        Process p = new ProcessBuilder(command).redirectError(dir.resolve("client.err").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out + read(dir.resolve("client.err"))).isZero();
        return out;
    }
}
