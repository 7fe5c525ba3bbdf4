package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.palisade.controlplane.config.ConfigEvent;
import net.palisade.controlplane.config.ConfigStore;
import net.palisade.controlplane.config.RevisionInfo;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelStatus;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node: cluster of one, sharding, singleton, JDBC journal on an H2 file in a temporary directory. */
class NodeTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void patience() {
        org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
    }

    static ControlPlane start(Path data, RecordingPorts ports) throws Exception {
        ControlPlane cp = ControlPlane.start(Settings.defaults(data).withCluster("127.0.0.1", 0, List.of())
                .withSnapshotEvery(4), ports);
        cp.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return cp;
    }

    static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static void awaitConfigured(ControlPlane cp, int n) {
        await().untilAsserted(() -> assertThat(get(cp.tunnels())).hasSize(n).allMatch(TunnelView::configured));
    }

    @Test
    void commitReachesTunnelsAndTheHistoryAnswersQueries() throws Exception {
        Path data = tmp.resolve("data");
        RecordingPorts ports = new RecordingPorts();
        try (ControlPlane cp = start(data, ports)) {
            var committed = get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            assertThat(committed.revision().id()).isEqualTo("c-1");
            awaitConfigured(cp, 5);
            assertThat(ports.calls()).contains("installManual static-d", "installManual static-e", "startIke site-b");
            assertThat(get(cp.tunnel("static-d")).status()).isEqualTo(TunnelStatus.UP);
            assertThat(get(cp.tunnel("site-b")).status()).isEqualTo(TunnelStatus.CONNECTING);

            Instant beforePhase1 = Instant.now();
            var live = cp.liveEvents(OptionalLong.empty()).take(2).runWith(Sink.seq(), cp.system());
            get(cp.report("site-b", r -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, r)));
            var up = get(cp.report("site-b", r -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"),
                    new SpiPair(Spi.of(0xc001), Spi.of(0xc002))), Cause.PEER, r)));
            assertThat(up.status()).isEqualTo(TunnelStatus.UP);
            assertThat(get(live)).extracting(e -> e.event().type()).containsExactly("phase1-up", "child-sa-installed");

            var events = get(cp.events("site-b", Optional.empty(), Optional.empty(), Optional.empty()));
            assertThat(events).extracting(e -> e.event().type())
                    .containsExactly("configured", "phase1-up", "child-sa-installed");
            assertThat(events.getFirst().event().cause()).isEqualTo(Cause.commit("c-1"));
            assertThat(events.getFirst().event().node()).isEqualTo(cp.nodeName()).startsWith("127.0.0.1:");
            assertThat(get(cp.events("site-b", Optional.empty(), Optional.empty(), Optional.of("phase1-up"))))
                    .singleElement().satisfies(e -> assertThat(e.event().cause()).isEqualTo(Cause.PEER));
            assertThat(get(cp.events("site-b", Optional.of(Instant.now().plusSeconds(60)), Optional.empty(),
                    Optional.empty()))).isEmpty();

            var all = get(cp.allEvents(Optional.empty(), Optional.empty(), Optional.of("configured")));
            assertThat(all).extracting(e -> e.event().label())
                    .containsExactlyInAnyOrder("site-b", "legacy-c", "road", "static-d", "static-e");
            assertThat(all).extracting(JournalEvent::offset).isSorted().doesNotHaveDuplicates();

            TunnelView then = get(cp.stateAt("site-b", beforePhase1));
            assertThat(then.configured()).isTrue();
            assertThat(then.ikeSa()).isEmpty();
            assertThat(then.status()).isEqualTo(TunnelStatus.CONNECTING);
            assertThat(get(cp.stateAt("site-b", Instant.now())).status()).isEqualTo(TunnelStatus.UP);
            assertThat(get(cp.stateAt("site-b", Instant.parse("2000-01-01T00:00:00Z"))).configured()).isFalse();

            assertThatThrownBy(() -> get(cp.adminUp("site-b", "bob"))).hasCauseInstanceOf(RejectedException.class)
                    .hasMessageContaining("already admin up");
            assertThat(get(cp.adminDown("site-b", "bob")).status()).isEqualTo(TunnelStatus.DOWN);
            assertThatThrownBy(() -> get(cp.commit("ike from 10.1.0.0/16 to any label broken\n", "bob", "x",
                    Optional.empty()))).cause().isInstanceOfSatisfying(RejectedException.class,
                            e -> assertThat(e.diagnostics()).isNotEmpty());
            assertThat(data.resolve("journal.mv.db")).exists();
        }
    }

    @Test
    void restartOnTheSameDataRecoversEverythingAndReinstalls() throws Exception {
        Path data = tmp.resolve("data");
        var running = Fixtures.config();
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            awaitConfigured(cp, 5);
            get(cp.adminDown("static-e", "bob"));
        }
        RecordingPorts ports = new RecordingPorts();
        try (ControlPlane cp = start(data, ports)) {
            var r = get(cp.running());
            assertThat(r.revision().map(RevisionInfo::id)).contains("c-1");
            assertThat(r.config()).as("secrets unsealed intact").isEqualTo(running);
            // the store's start-up sync wakes every tunnel; the admin-up manual one is installed again
            await().untilAsserted(() -> assertThat(ports.calls()).contains("installManual static-d", "startIke site-b"));
            assertThat(ports.calls()).doesNotContain("installManual static-e");
            assertThat(get(cp.tunnel("static-e")).status()).isEqualTo(TunnelStatus.DOWN);
            assertThat(get(cp.tunnel("static-d")).status()).isEqualTo(TunnelStatus.UP);
            assertThat(get(cp.events("static-d", Optional.empty(), Optional.empty(), Optional.empty())))
                    .as("an unchanged spec is not configured twice").hasSize(1);
            assertThat(get(cp.loadFile(Fixtures.CONFIG, "site.conf")).id()).as("same file: no commit").isEqualTo("c-1");
        }
    }

    @Test
    void anUnchangedConfigFileDoesNotUndoACommitMadeOverTheApi() throws Exception {
        Path data = tmp.resolve("data");
        String overApi = Fixtures.CONFIG.replace("dpd 20", "dpd 30");
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            RevisionInfo seeded = get(cp.loadFile(Fixtures.CONFIG, "site.conf"));
            assertThat(seeded.id()).isEqualTo("c-1");
            assertThat(seeded.author()).isEqualTo("file");
            get(cp.commit(overApi, "alice", "over the API", Optional.empty()));
        }
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            assertThat(get(cp.loadFile(Fixtures.CONFIG, "site.conf")).id()).as("file unchanged since last read")
                    .isEqualTo("c-2");
            assertThat(get(cp.running()).config()).isEqualTo(Fixtures.parse(overApi));
            RevisionInfo edited = get(cp.loadFile(Fixtures.CONFIG.replace("dpd 20", "dpd 40"), "site.conf"));
            assertThat(edited.id()).as("file changed: committed again").isEqualTo("c-3");
            assertThat(edited.author()).isEqualTo("file");
        }
    }

    @Test
    void secretsAreNeverInTheJournalInClear() throws Exception {
        Path data = tmp.resolve("data");
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            get(cp.commit(Fixtures.CONFIG.replace("dpd 20", "dpd 30"), "alice", "second", Optional.empty()));
            awaitConfigured(cp, 5);
            for (int i = 0; i < 5; i++) { // past snapshotEvery: snapshots hold specs too
                get(cp.adminDown("static-d", "bob"));
                get(cp.adminUp("static-d", "bob"));
            }
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int[] rows = new int[2];
        try (Connection c = JournalSchema.connect(JournalSettings.h2(data)); Statement s = c.createStatement()) {
            List<String> queries = List.of("SELECT \"event_payload\" FROM \"event_journal\"",
                    "SELECT \"snapshot_payload\" FROM \"snapshot\"");
            for (int i = 0; i < 2; i++) {
                try (ResultSet rs = s.executeQuery(queries.get(i))) {
                    while (rs.next()) {
                        all.writeBytes(rs.getBytes(1));
                        rows[i]++;
                    }
                }
            }
        }
        assertThat(rows[0]).as("journal rows").isGreaterThan(15);
        assertThat(rows[1]).as("snapshot rows").isPositive();
        byte[] journal = all.toByteArray();
        byte[] file = Files.readAllBytes(data.resolve("journal.mv.db"));
        for (byte[] canary : Fixtures.canaryForms()) {
            assertThat(Fixtures.contains(journal, canary)).as("in journal rows: %s", new String(canary)).isFalse();
            assertThat(Fixtures.contains(file, canary)).as("in the H2 file: %s", new String(canary)).isFalse();
        }
        assertThat(Fixtures.contains(journal, "site-b".getBytes())).as("the rest is readable").isTrue();
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            assertThat(get(cp.running()).config())
                    .isEqualTo(Fixtures.parse(Fixtures.CONFIG.replace("dpd 20", "dpd 30")));
        }
    }

    @Test
    void unconfirmedCommitIsRolledBackEvenAcrossARestart() throws Exception {
        Path data = tmp.resolve("data");
        String base = "manual from 10.1.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.44 spi 0x1000:0x1001 "
                + "enc aes-128-gcm enckey 0x" + Fixtures.CANARY_KEY_HEX + " label static-d\n";
        String extra = "ike from 10.1.0.0/16 to 10.9.0.0/16 peer 198.51.100.77 psk \"trial\" label trial\n";
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            get(cp.commit(base, "alice", "base", Optional.empty()));
            var pending = get(cp.commit(base + extra, "alice", "try this", Optional.of(Duration.ofSeconds(3))));
            assertThat(pending.revision().status()).isEqualTo("pending");
            awaitConfigured(cp, 2);
        } // stopped with c-2 unconfirmed
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            await().untilAsserted(() -> assertThat(get(cp.listCommits())).extracting(RevisionInfo::status)
                    .containsExactly("committed", "rolled-back"));
            assertThat(get(cp.running()).revision().map(RevisionInfo::id)).contains("c-1");
            await().untilAsserted(() -> assertThat(get(cp.events("trial", Optional.empty(), Optional.empty(),
                    Optional.of("removed")))).singleElement()
                    .satisfies(e -> assertThat(e.event().cause()).isEqualTo(Cause.commit("c-1"))));
            JdbcReadJournal rj = PersistenceQuery.get(cp.system()).getReadJournalFor(JdbcReadJournal.class,
                    JdbcReadJournal.Identifier());
            var configEvents = get(rj.currentEventsByPersistenceId(ConfigStore.PERSISTENCE_ID, 0, Long.MAX_VALUE)
                    .map(env -> (ConfigEvent) env.event()).runWith(Sink.seq(), cp.system()));
            assertThat(configEvents).extracting(ConfigEvent::type)
                    .containsExactly("committed", "committed", "commit-rolled-back");
            assertThat(configEvents.getLast().cause()).isEqualTo(Cause.TIMER);

            // and confirm in time keeps it
            var again = get(cp.commit(base + extra, "alice", "again", Optional.of(Duration.ofSeconds(30))));
            assertThat(get(cp.confirm(again.revision().id(), "alice")).status()).isEqualTo("confirmed");
            assertThat(get(cp.diff("c-1", "running"))).anyMatch(l -> l.startsWith("+ ") && l.contains("label trial"));
            assertThat(get(cp.rollback(Optional.empty(), "alice")).id()).isEqualTo("c-1");
        }
    }

    @Test
    void offlineReplayReadsACopyWithoutChangingIt() throws Exception {
        Path data = tmp.resolve("data");
        Instant middle;
        try (ControlPlane cp = start(data, new RecordingPorts())) {
            get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            awaitConfigured(cp, 5);
            get(cp.report("site-b", r -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, r)));
            middle = Instant.now();
            get(cp.report("site-b", r -> new TunnelCommand.DpdLost(Cause.TIMER, r)));
        }
        Path copy = tmp.resolve("copy");
        copyTree(data, copy);
        Map<String, String> before = digest(copy);
        try (OfflineReplay replay = OfflineReplay.open(copy)) {
            assertThat(replay.labels()).containsExactlyInAnyOrder("site-b", "legacy-c", "road", "static-d",
                    "static-e");
            List<JournalEvent> timeline = replay.timeline("site-b");
            assertThat(timeline).extracting(e -> e.event().type()).containsExactly("configured", "phase1-up",
                    "dpd-lost");
            assertThat(timeline).extracting(e -> e.event().cause().value()).containsExactly("commit:c-1", "peer",
                    "timer");
            TunnelEvent.Configured configured = (TunnelEvent.Configured) timeline.getFirst().event();
            assertThat(configured.spec()).isEqualTo(Fixtures.config().tunnel("site-b").orElseThrow());
            assertThat(replay.stateAt("site-b", middle).ikeSa()).contains("ike-1");
            assertThat(replay.stateAt("site-b", Instant.now()).lastFailure().orElseThrow()).startsWith("dpd-lost");
        }
        assertThat(digest(copy)).as("the copied directory is untouched").isEqualTo(before);
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    static Map<String, String> digest(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)))
                        + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }
}
