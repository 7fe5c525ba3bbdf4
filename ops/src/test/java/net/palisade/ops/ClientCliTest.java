package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.palisade.api.ApiServer;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.ops.CliTest.Run;
import net.palisade.ops.client.ApiClient;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands (configure, status, sas, events, replay) as a user types them, against a real node in this
 * JVM: control plane with its H2 journal in a temporary directory and the HTTP API on a free port. The tests run in
 * order, as one operator session: errors first (nothing committed), then a load, an edit with -time 60 and its
 * confirmation, a -time 2 commit the node rolls back, a rollback, the status, the events, and finally the node is
 * stopped and a copy of its data directory is replayed offline.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientCliTest {
    private static final String CANARY = "canary-psk-5e2a7c";
    private static final String CANARY_KEY = "0x7c1f6b2e6b3d6b4c6b5b6b6a6b796b886b976ba6";
    private static final String CONFIG = """
            ipsec {
              ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk "%s" label to-b
              manual from 10.1.0.0/16 to 10.3.0.0/16 local 192.0.2.1 peer 192.0.2.9 spi 0x1000:0x1001 enc aes-128-gcm enckey %s label legacy
            }
            """.formatted(CANARY, CANARY_KEY);
    private static final ObjectMapper json = new ObjectMapper();
    private static final List<Run> runs = new ArrayList<>();

    @TempDir static Path dir;
    private static ControlPlane node;
    private static ServerBinding binding;
    private static String api;
    private static Path tokenPath;
    private static boolean stopped;

    @BeforeAll
    static void start() throws Exception {
        node = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()));
        node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        tokenPath = dir.resolve("api-token");
        TokenFile token = TokenFile.loadOrCreate(tokenPath);
        binding = new ApiServer(token, node, Optional::empty, () -> true).bind(node.system(), "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        api = "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        stopNode();
    }

    private static void stopNode() throws Exception {
        if (!stopped) {
            stopped = true;
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
            node.close();
        }
    }

    /** {@code palisade COMMAND --api URL --token-file FILE ARGS...}. */
    private static Run client(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--api", api, "--token-file", tokenPath.toString()));
        all.addAll(List.of(args));
        Run r = CliTest.palisade(all.toArray(String[]::new));
        runs.add(r);
        return r;
    }

    private static Run configure(String... script) {
        List<String> args = new ArrayList<>(List.of("--"));
        args.addAll(List.of(script));
        return client("configure", args.toArray(String[]::new));
    }

    private static String runningConfig() {
        Run r = configure("show", "ipsec");
        assertThat(r.status()).as(r.err()).isZero();
        return r.out();
    }

    private static Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static String caller() {
        return ApiClient.defaultCaller(System.getenv()).orElse("api");
    }

    @Test
    @Order(1)
    void anUnreachableNodeIsExit2WithTheUrl() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        Run r = CliTest.palisade("status", "--api", url, "--token-file", tokenPath.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("palisade: cannot reach the node at " + url + " (is 'palisade run' running?)\n");
        assertThat(r.out()).isEmpty();

        Run bad = CliTest.palisade("status", "--api", "http://", "--token-file", tokenPath.toString());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--api: expected a URL like http://127.0.0.1:8470");
    }

    @Test
    @Order(2)
    void aWrongOrMissingTokenIsExit2NamingTheTokenFile() throws Exception {
        Path wrong = write("wrong-token", "not-the-token-0123456789\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        Run r = CliTest.palisade("status", "--api", api, "--token-file", wrong.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("palisade: 401 Unauthorized: the bearer token is not valid\n")
                .contains("refused the token in " + wrong).contains("--token-file");

        Path missing = dir.resolve("no-such-token");
        Run m = CliTest.palisade("events", "--all", "--api", api, "--token-file", missing.toString());
        assertThat(m.status()).isEqualTo(2);
        assertThat(m.err()).contains("no token file at " + missing).contains("--token-file");
    }

    @Test
    @Order(3)
    void anInvalidFileIsExit1WithLineColumnErrorsAndChangesNothing() throws Exception {
        Path bad = write("bad.conf", "ike from 10.1.0.0/16 to 10.2.0.0/16 peeer 192.0.2.2 psk \"" + CANARY + "\"\n"
                + "manual from 10.1.0.0/16 to 10.3.0.0/16 local 192.0.2.1 peer 192.0.2.9 spi 0x1000 enc aes-128-gcm"
                + " enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b\n");
        Run r = configure("load", bad.toString(), "broken");
        assertThat(r.status()).isEqualTo(1);
        List<String> lines = r.err().lines().toList();
        assertThat(lines.get(0)).isEqualTo("palisade: 422 Invalid configuration: 2 error(s)");
        assertThat(lines.get(1)).isEqualTo("1:37: ike: unknown keyword 'peeer'; did you mean 'peer'?");
        assertThat(lines.get(2)).startsWith("2:").contains(": enckey: aes-128-gcm needs 20 bytes");
        assertThat(r.err()).doesNotContain(CANARY).doesNotContain("6b6b6b6b");
        assertThat(r.out()).isEmpty();

        Run commits = configure("show", "commits");
        assertThat(commits.out()).isEqualTo("no commits yet\n");
        assertThat(runningConfig()).startsWith("# no configuration committed yet\n");

        Run missing = configure("load", dir.resolve("absent.conf").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file: " + dir.resolve("absent.conf"));
    }

    @Test
    @Order(4)
    void aMalformedSessionScriptIsExit2NamingTheWordAndSendsNothing() {
        record Case(List<String> script, String named) {}
        List<Case> cases = List.of(
                new Case(List.of("frobnicate", "ipsec"), "'frobnicate'"),
                new Case(List.of("edit", "ipsec", "--", "replace", "peer", "192.0.2.2", "--", "commit"), "'replace' needs 'with'"),
                new Case(List.of("edit", "ipsec", "--", "replace", "peer", "192.0.2.2", "with", "--", "commit"), "nothing after 'with'"),
                new Case(List.of("edit", "firewall"), "'firewall'"),
                new Case(List.of("replace", "a", "with", "b", "--", "commit"), "'replace' edits the configuration"),
                new Case(List.of("edit", "ipsec", "--", "delete", "legacy", "--", "commit", "-time", "soon"), "'soon'"),
                new Case(List.of("edit", "ipsec", "--", "delete", "legacy", "--", "commit", "-time", "0"), "-time 0"),
                new Case(List.of("edit", "ipsec", "--", "delete", "legacy", "--", "commit", "try", "backup"), "'backup'"),
                new Case(List.of("edit", "ipsec", "--", "delete", "legacy", "--", "commit", "-confirm", "9"), "'-confirm'"),
                new Case(List.of("commit"), "nothing to commit"),
                new Case(List.of("show", "everything"), "'everything'"),
                new Case(List.of(), "nothing to do"));
        for (Case c : cases) {
            Run r = configure(c.script().toArray(String[]::new));
            assertThat(r.status()).as("%s: %s", c.script(), r.err()).isEqualTo(2);
            assertThat(r.err()).as("%s", c.script()).startsWith("palisade: configure: ").contains(c.named());
            assertThat(r.out()).isEmpty();
        }
        assertThat(configure("show", "commits").out()).isEqualTo("no commits yet\n");
    }

    @Test
    @Order(5)
    void editsWithoutCommitAreOnlyShown() {
        Run r = configure("edit", "ipsec", "--", "replace", "peer", "192.0.2.2", "with", "peer", "192.0.2.3", "--",
                "delete", "legacy");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("nothing sent")
                .contains("replace 'peer 192.0.2.2' with 'peer 192.0.2.3'")
                .contains("delete tunnel 'legacy'")
                .contains("-- commit");
        assertThat(configure("show", "commits").out()).isEqualTo("no commits yet\n");
    }

    @Test
    @Order(10)
    void loadCommitsAFileAndShowPrintsTheRunningConfigRedacted() throws Exception {
        Path file = write("site.conf", CONFIG);
        Run r = configure("load", file.toString(), "first");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("c-1\n");
        assertThat(r.err()).isEmpty();

        String running = runningConfig();
        assertThat(running).startsWith("# running revision c-1\n")
                .contains("peer 192.0.2.2").contains("label to-b").contains("label legacy").contains("psk [redacted]")
                .doesNotContain(CANARY);
    }

    @Test
    @Order(11)
    void theFirewallLineEditsCommitsWithConfirmTimeAndConfirms() {
        Run r = client("configure", "--", "edit", "ipsec", "--", "replace", "peer", "192.0.2.2", "with", "peer",
                "192.0.2.3", "--", "commit", "-time", "60", "try backup");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("c-2\n");
        assertThat(r.err()).contains("c-2").contains("rolled back in 60 s")
                .contains("palisade configure -- commit-confirm c-2");
        assertThat(runningConfig()).contains("# running revision c-2").contains("peer 192.0.2.3")
                .doesNotContain("peer 192.0.2.2 ");

        String pending = configure("show", "commits").out();
        assertThat(pending.lines().findFirst().orElseThrow()).matches("ID\\s+STATUS\\s+RUNNING\\s+TIME\\s+AUTHOR\\s+TUNNELS\\s+CONFIRM BY\\s+MESSAGE");
        assertThat(pending).containsPattern("(?m)^c-1\\s+committed\\s+-\\s+\\S+Z\\s+" + caller() + "\\s+2\\s+-\\s+first$")
                .containsPattern("(?m)^c-2\\s+pending\\s+yes\\s+\\S+Z\\s+" + caller() + "\\s+2\\s+\\S+Z\\s+try backup$");

        Run confirmed = configure("commit-confirm", "c-2");
        assertThat(confirmed.status()).as(confirmed.err()).isZero();
        assertThat(confirmed.out()).isEqualTo("c-2\n");
        assertThat(confirmed.err()).contains("c-2 confirmed");
        assertThat(configure("show", "commits").out()).containsPattern("(?m)^c-2\\s+confirmed\\s+yes\\s");

        Run again = configure("commit-confirm", "c-2");
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).startsWith("palisade: 409 Conflict");
    }

    @Test
    @Order(12)
    void aCommitNotConfirmedInTimeIsRolledBackByTheNode() {
        Run r = configure("edit", "ipsec", "--", "delete", "legacy", "--", "commit", "-time", "2", "drop legacy");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("c-3\n");
        assertThat(r.err()).contains("rolled back in 2 s");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(runningConfig()).contains("# running revision c-2").contains("label legacy"));
        assertThat(configure("show", "commits").out()).containsPattern("(?m)^c-3\\s+rolled-back\\s+-\\s");
        // c-3 did run (legacy removed) before the node restored c-2 (legacy configured again)
        Run events = client("events", "legacy", "--since", "-10m");
        assertThat(events.out()).containsPattern("(?s)removed\\s+commit:c-3.*configured\\s+commit:c-2");
    }

    @Test
    @Order(13)
    void rollbackAndDiff() {
        Run diff = configure("show", "diff", "c-1", "c-2");
        assertThat(diff.status()).as(diff.err()).isZero();
        assertThat(diff.out()).startsWith("--- c-1\n+++ c-2\n")
                .containsPattern("(?m)^- .*peer 192\\.0\\.2\\.2 .*label to-b")
                .containsPattern("(?m)^\\+ .*peer 192\\.0\\.2\\.3 .*label to-b")
                .doesNotContain(CANARY);

        Run r = configure("rollback", "c-1");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("c-1\n");
        assertThat(runningConfig()).contains("# running revision c-1").contains("peer 192.0.2.2 ");

        Run unknown = configure("rollback", "c-99");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("palisade: 409 Conflict: ").contains("c-99");
        Run noSuchEdit = configure("edit", "ipsec", "--", "replace", "peer", "203.0.113.1", "with", "peer", "203.0.113.2",
                "--", "commit");
        assertThat(noSuchEdit.status()).isEqualTo(1);
        assertThat(noSuchEdit.err()).startsWith("palisade: 422 Edit cannot be applied: edits[0].replace: ")
                .contains("not in the running configuration");
    }

    @Test
    @Order(20)
    void statusIsATableOfTheTunnels() throws Exception {
        Run r = client("status");
        assertThat(r.status()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("LABEL\\s+KIND\\s+STATUS\\s+ADMIN\\s+PEER\\s+SINCE\\s+LAST FAILURE");
        assertThat(lines.get(1)).matches("to-b\\s+ike\\s+(down|connecting|up)\\s+up\\s+192\\.0\\.2\\.2\\s+\\S+Z\\s+-");
        assertThat(lines.get(2)).matches("legacy\\s+manual\\s+up\\s+up\\s+192\\.0\\.2\\.9\\s+\\S+Z\\s+-");

        JsonNode raw = json.readTree(client("status", "--json").out());
        assertThat(raw.isArray()).isTrue();
        assertThat(raw.findValuesAsText("label")).contains("to-b", "legacy");

        Run one = client("status", "legacy");
        assertThat(one.out()).contains("legacy").contains("enckey [redacted]").doesNotContain("to-b");
        Run none = client("status", "nope");
        assertThat(none.status()).isEqualTo(1);
        assertThat(none.err()).startsWith("palisade: 404 Not found: no tunnel labelled 'nope'");
    }

    @Test
    @Order(21)
    void sasShowsEachTunnelsSas() throws Exception {
        Run r = client("sas");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^legacy\\s+manual\\s+up\\s+peer 192\\.0\\.2\\.9$")
                .containsPattern("(?m)^  SA \\S+\\s+in 0x1000\\s+out 0x1001$")
                .containsPattern("(?m)^to-b\\s+ike\\s+\\S+\\s+peer 192\\.0\\.2\\.2$")
                .contains("no dataplane counters");
        JsonNode raw = json.readTree(client("sas", "--json").out());
        assertThat(raw.findValuesAsText("label")).containsExactly("to-b", "legacy");
    }

    @Test
    @Order(22)
    void eventsAreATimeline() throws Exception {
        Run r = client("events", "to-b");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  configured  commit:c-1  kind=ike  peer=192\\.0\\.2\\.2$")
                .containsPattern("(?m)^\\S+Z  configured  commit:c-2  kind=ike  peer=192\\.0\\.2\\.3$")
                .doesNotContain(CANARY).doesNotContain("redacted");

        Run legacy = client("events", "legacy");
        assertThat(legacy.out()).contains("removed").contains("commit:c-3");

        Run all = client("events", "--all", "--type", "configured", "--since", "-1h");
        assertThat(all.status()).as(all.err()).isZero();
        assertThat(all.out().lines()).allMatch(l -> l.matches("\\S+Z  (to-b  |legacy)  configured  \\S+.*"));
        assertThat(all.out()).contains("legacy").contains("to-b");

        Run future = client("events", "to-b", "--since", "2999-01-01T00:00:00Z");
        assertThat(future.status()).isZero();
        assertThat(future.out()).isEmpty();
        assertThat(future.err()).contains("no events");

        JsonNode raw = json.readTree(client("events", "to-b", "--json").out());
        assertThat(raw.findValuesAsText("cause")).contains("commit:c-1");

        Run badTime = client("events", "to-b", "--since", "yesterday");
        assertThat(badTime.status()).isEqualTo(2);
        assertThat(badTime.err()).contains("--since: not a time: 'yesterday'");
        Run badType = client("events", "to-b", "--type", "exploded");
        assertThat(badType.status()).isEqualTo(2);
        assertThat(badType.err()).contains("'exploded'").contains("negotiation-failed");
        assertThat(client("events").status()).isEqualTo(2);
    }

    @Test
    @Order(99)
    void offlineReplayOfACopiedDataDirectoryShowsWhatTheNodeShowed() throws Exception {
        String at = Instant.now().toString();
        Run online = client("replay", "to-b", "--at", at);
        assertThat(online.status()).as(online.err()).isZero();
        assertThat(online.out()).contains("events of to-b up to").contains("configured  commit:c-1")
                .contains("state of to-b at");
        Run onlineEvents = client("events", "to-b");

        stopNode();
        Path copy = dir.resolve("copy");
        copyTree(dir.resolve("data"), copy);
        Map<String, String> before = hashes(copy);

        Run offline = CliTest.palisade("replay", "--data", copy.toString(), "to-b", "--at", at);
        assertThat(offline.status()).as(offline.err()).isZero();
        assertThat(offline.out()).isEqualTo(online.out());
        assertThat(offline.out()).contains(onlineEvents.out());

        JsonNode js = json.readTree(CliTest.palisade("replay", "--data", copy.toString(), "legacy", "--json").out());
        assertThat(js.path("events").findValuesAsText("type")).contains("configured", "removed");
        assertThat(js.path("state").path("configured").asBoolean()).isTrue();
        assertThat(js.toString()).doesNotContain(CANARY).doesNotContain(CANARY_KEY.substring(2));

        Run labels = CliTest.palisade("replay", "--data", copy.toString());
        assertThat(labels.out().lines()).containsExactlyInAnyOrder("to-b", "legacy");
        Run unknown = CliTest.palisade("replay", "--data", copy.toString(), "nope");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).contains("no events for tunnel 'nope'").contains("legacy");

        assertThat(hashes(copy)).isEqualTo(before);

        Run noJournal = CliTest.palisade("replay", "--data", dir.toString(), "to-b");
        assertThat(noJournal.status()).isEqualTo(2);
        assertThat(noJournal.err()).contains("no journal in");
    }

    @Test
    @Order(100)
    void noSecretEverCameOut() {
        assertThat(runs).isNotEmpty();
        for (Run r : runs) {
            assertThat(r.out() + r.err()).doesNotContain(CANARY).doesNotContain(CANARY_KEY.substring(2));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** Every path under {@code root} with the SHA-256 of its content (directories: "dir"). */
    private static Map<String, String> hashes(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.toList()) {
                out.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }
}
