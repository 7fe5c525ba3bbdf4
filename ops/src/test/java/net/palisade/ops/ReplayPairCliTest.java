package net.palisade.ops;

import static net.palisade.controlplane.PairJournal.A;
import static net.palisade.controlplane.PairJournal.B;
import static net.palisade.controlplane.PairJournal.at;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.palisade.controlplane.OfflineReplayPairTest;
import net.palisade.controlplane.PairJournal;
import net.palisade.controlplane.cluster.PgTest;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.ops.CliTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code palisade replay} on a pair's journal with no node running: which node held each tunnel at instants before,
 * during and after the takeovers of {@link PairJournal#takeover()} (A active; A dies, B takes over at 12 s and
 * resumes site-b at 15 s; B leaves at 40 s, A takes over at 42 s), from a copied H2 data directory and from
 * PostgreSQL ({@code --journal-url}, {@code --key}), and the pair's node timeline itself ({@code --nodes}).
 */
class ReplayPairCliTest {
    @TempDir
    Path tmp;

    final ObjectMapper json = new ObjectMapper();
    final List<Run> runs = new ArrayList<>();

    Run replay(List<String> source, String... args) {
        List<String> all = new ArrayList<>(List.of("replay"));
        all.addAll(source);
        all.addAll(List.of(args));
        Run r = CliTest.palisade(all.toArray(String[]::new));
        runs.add(r);
        return r;
    }

    Run ok(List<String> source, String... args) {
        Run r = replay(source, args);
        assertThat(r.status()).as(r.err()).isZero();
        return r;
    }

    /** The held-by answers the scenario implies, the same from either journal. */
    void assertHeldBy(List<String> source) throws Exception {
        String before = ok(source, "site-b", "--at", at(5).toString()).out();
        assertThat(before).contains("held by: " + A + " (active since 2026-12-07T01:00:00Z, epoch 1; lease-acquired)")
                .contains("  last event by: " + A + " (phase1-up at 2026-12-07T01:00:03Z)").doesNotContain("DISAGREE");

        // B holds the role from 12 s, but has not written for site-b before it resumes it at 15 s
        String during = ok(source, "site-b", "--at", at(12.5).toString()).out();
        assertThat(during).contains("held by: " + B + " (active since 2026-12-07T01:00:12Z, epoch 2; took over from "
                + A + ": lease-expired, gap 1800 ms)")
                .contains("  last event by: " + A + " (phase1-up at 2026-12-07T01:00:03Z)")
                .contains("  differs: ").contains("written by " + A + " before " + B + " became active")
                .contains(B + " had written nothing for this tunnel yet").doesNotContain("DISAGREE");

        String after = ok(source, "site-b", "--at", at(20).toString()).out();
        assertThat(after).contains("held by: " + B + " (active since 2026-12-07T01:00:12Z, epoch 2;")
                .contains("  last event by: " + B + " (resumed at 2026-12-07T01:00:15Z)").doesNotContain("DISAGREE");
        assertThat(after).contains("node=" + A).contains("node=" + B); // each event's node, in the timeline

        String gap = ok(source, "site-b", "--at", at(41).toString()).out();
        assertThat(gap).contains("held by: no node (" + B + " stepped down at 2026-12-07T01:00:40Z: cluster-left,"
                + " epoch 2; no node active since)").doesNotContain("DISAGREE");

        String back = ok(source, "site-b").out();
        assertThat(back).contains("held by: " + A + " (active since 2026-12-07T01:00:42Z, epoch 3; took over from "
                + B + ": lease-released, gap 300 ms)")
                .contains("  last event by: " + A + " (resumed at 2026-12-07T01:00:44Z)").doesNotContain("DISAGREE");

        // A wrote legacy-c's admin-down at 13 s, after B had taken over at 12 s
        String late = ok(source, "legacy-c", "--at", at(14).toString()).out();
        assertThat(late).contains("held by: " + B).contains("  last event by: " + A + " (admin-down at"
                + " 2026-12-07T01:00:13Z)").contains("  DISAGREE: ")
                .contains("a write by a node that did not hold the active role");
        JsonNode lateJs = json.readTree(ok(source, "legacy-c", "--at", at(14).toString(), "--json").out());
        assertThat(lateJs.path("heldBy").path("conflict").asBoolean()).isTrue();
        assertThat(lateJs.path("heldBy").path("lastEvent").path("node").asText()).isEqualTo(A);

        JsonNode js = json.readTree(ok(source, "site-b", "--at", at(12.5).toString(), "--json").out());
        JsonNode heldBy = js.path("heldBy");
        assertThat(heldBy.path("node").asText()).isEqualTo(B);
        assertThat(heldBy.path("basis").asText()).isEqualTo("node-timeline");
        assertThat(heldBy.path("agree").asBoolean(true)).isFalse();
        assertThat(heldBy.path("conflict").asBoolean(true)).isFalse();
        assertThat(heldBy.path("active").path("from").asText()).isEqualTo(A);
        assertThat(heldBy.path("active").path("epoch").asLong()).isEqualTo(2);
        assertThat(heldBy.path("lastEvent").path("node").asText()).isEqualTo(A);
        assertThat(heldBy.path("lastEvent").path("type").asText()).isEqualTo("phase1-up");
        assertThat(js.path("events").findValuesAsText("node")).containsExactly(A, A);

        String nodes = ok(source, "--nodes", "--at", at(41).toString()).out();
        assertThat(nodes).contains("ha-takeover").containsPattern("ha-standby +cluster-left")
                .contains("  2026-12-07T01:00:12Z  " + A + " -> " + B + "  lease-expired, gap 1800 ms, epoch 2")
                .doesNotContain("lease-released") // A's takeover at 42 s is after the instant
                .contains("active at 2026-12-07T01:00:41Z: no node (" + B + " stepped down");
        JsonNode all = json.readTree(ok(source, "--nodes", "--json").out());
        assertThat(all.path("events")).hasSize(7);
        JsonNode takeover = all.path("events").get(2);
        assertThat(takeover.path("type").asText()).isEqualTo("ha-takeover");
        assertThat(takeover.path("time").asText()).isEqualTo("2026-12-07T01:00:12Z");
        assertThat(takeover.path("node").asText()).isEqualTo(B);
        assertThat(takeover.path("cause").asText()).isEqualTo("lease-expired");
        assertThat(takeover.path("from").asText()).isEqualTo(A);
        assertThat(takeover.path("to").asText()).isEqualTo(B);
        assertThat(takeover.path("gapMillis").asLong()).isEqualTo(1800);
        assertThat(takeover.path("epoch").asLong()).isEqualTo(2);
        assertThat(all.path("active").path("node").asText()).isEqualTo(A);
        assertThat(all.path("active").path("epoch").asLong()).isEqualTo(3);

        assertThat(ok(source).out().lines()).containsExactly("legacy-c", "site-b");
    }

    @Test
    void aCopiedH2DataDirectory() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        try (PairJournal w = PairJournal.open(JournalSettings.h2(data), NodeKey.loadOrCreate(data), tmp)) {
            w.takeover();
        }
        Map<String, String> before = hashes(data);
        assertHeldBy(List.of("--data", data.toString()));
        assertThat(hashes(data)).isEqualTo(before);

        Path otherKey = tmp.resolve("other");
        Files.createDirectories(otherKey);
        NodeKey.loadOrCreate(otherKey);
        Run wrongKey = replay(List.of("--data", data.toString(), "--key", otherKey.toString()), "site-b");
        assertThat(wrongKey.status()).isEqualTo(2);
        assertThat(wrongKey.err()).contains("--key " + otherKey + " does not open the journal's secrets");
    }

    @Test
    void aPairsPostgresJournal() throws Exception {
        JournalSettings pg = PgTest.server();
        PgTest.emptyJournal(pg);
        Path keyDir = tmp.resolve("key");
        Files.createDirectories(keyDir);
        NodeKey key = NodeKey.loadOrCreate(keyDir);
        try (PairJournal w = PairJournal.open(pg, key, tmp)) {
            w.takeover();
        }
        Path passwordFile = tmp.resolve("pg-password");
        Files.writeString(passwordFile, pg.password() + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        List<String> source = List.of("--journal-url", pg.url(), "--journal-user", pg.user(),
                "--journal-password-file", passwordFile.toString(), "--key", keyDir.resolve("node.key").toString());
        Map<String, String> before = OfflineReplayPairTest.tables(pg);
        assertHeldBy(source);
        // --key also takes the directory holding node.key
        assertThat(ok(List.of("--journal-url", pg.url(), "--journal-user", pg.user(), "--journal-password-file",
                passwordFile.toString(), "--key", keyDir.toString()), "site-b").out()).contains("held by: " + A);
        assertThat(OfflineReplayPairTest.tables(pg)).as("the journal as it was").isEqualTo(before);

        Run noKey = replay(source.subList(0, 6), "site-b");
        assertThat(noKey.status()).isEqualTo(2);
        assertThat(noKey.err()).contains("--journal-url needs --key");

        Path otherKey = tmp.resolve("other");
        Files.createDirectories(otherKey);
        NodeKey.loadOrCreate(otherKey);
        Run wrongKey = replay(Stream.concat(source.subList(0, 6).stream(), Stream.of("--key", otherKey.toString()))
                .toList(), "site-b");
        assertThat(wrongKey.status()).isEqualTo(2);
        assertThat(wrongKey.err()).contains("--key " + otherKey + " does not open the journal's secrets");

        Path badPassword = tmp.resolve("bad-password");
        Files.writeString(badPassword, "not-" + pg.password());
        Run refused = replay(List.of("--journal-url", pg.url(), "--journal-user", pg.user(),
                "--journal-password-file", badPassword.toString(), "--key", keyDir.toString()));
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).contains("--journal-user/--journal-password-file: the database refused the login");

        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Run unreachable = replay(List.of("--journal-url", "jdbc:postgresql://127.0.0.1:" + closed + "/palisade",
                "--key", keyDir.toString()), "--nodes");
        assertThat(unreachable.status()).isEqualTo(2);
        assertThat(unreachable.err()).contains("--journal-url jdbc:postgresql://127.0.0.1:" + closed
                + "/palisade: cannot reach the database");

        String otherDb = pg.url().substring(0, pg.url().lastIndexOf('/')) + "/postgres";
        Run noJournal = replay(List.of("--journal-url", otherDb, "--journal-user", pg.user(),
                "--journal-password-file", passwordFile.toString(), "--key", keyDir.toString()));
        assertThat(noJournal.status()).isEqualTo(2);
        assertThat(noJournal.err()).contains("--journal-url " + otherDb + ": no journal in this database");

        Run notPg = replay(List.of("--journal-url", "jdbc:mysql://127.0.0.1/x", "--key", keyDir.toString()));
        assertThat(notPg.status()).isEqualTo(2);
        assertThat(notPg.err()).contains("--journal-url: only jdbc:postgresql: URLs are supported");

        for (Run r : runs) {
            assertThat(r.out() + r.err()).as("the password is never printed").doesNotContain(pg.password());
        }
    }

    static Map<String, String> hashes(Path dir) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)))
                        + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }
}
