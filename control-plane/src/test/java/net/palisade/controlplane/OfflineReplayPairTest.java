package net.palisade.controlplane;

import static net.palisade.controlplane.PairJournal.A;
import static net.palisade.controlplane.PairJournal.B;
import static net.palisade.controlplane.PairJournal.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.palisade.controlplane.cluster.HaEvent;
import net.palisade.controlplane.cluster.PgTest;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offline replay of a pair's journal, two nodes' events across takeovers written through the node's persistence
 * plugin ({@link PairJournal}): the node timeline and each tunnel's events come back with the node that wrote them,
 * from a copied H2 data directory and from PostgreSQL, and PostgreSQL is read without a single write.
 */
public class OfflineReplayPairTest {
    @TempDir
    Path tmp;

    static final List<String> NODE_TIMELINE = List.of("ha-active " + A, "ha-standby " + B, "ha-takeover " + B,
            "ha-active " + B, "ha-standby " + B, "ha-takeover " + A, "ha-active " + A);

    static void assertPairJournal(OfflineReplay replay) throws SQLException {
        assertThat(replay.labels()).containsExactly("legacy-c", "site-b");
        List<HaEvent> nodes = replay.nodeTimeline();
        assertThat(nodes).extracting(e -> e.type() + " " + e.node()).containsExactlyElementsOf(NODE_TIMELINE);
        assertThat(nodes.get(2)).isEqualTo(new HaEvent.Takeover(at(12), B, new net.palisade.model.event.Cause(
                "lease-expired"), A, B, 1800, 2));
        List<JournalEvent> siteB = replay.timeline("site-b");
        assertThat(siteB).extracting(e -> e.event().type() + " " + e.event().node()).containsExactly(
                "configured " + A, "phase1-up " + A, "resumed " + B, "resumed " + A);
        TunnelEvent.Configured configured = (TunnelEvent.Configured) siteB.getFirst().event();
        assertThat(configured.spec()).as("secrets unsealed with the node key")
                .isEqualTo(Fixtures.config().tunnel("site-b").orElseThrow());
        assertThat(replay.stateAt("site-b", at(5)).ikeSa()).contains("ike-1");
        assertThat(replay.timeline("legacy-c")).extracting(e -> e.event().node()).containsExactly(A, A);
    }

    @Test
    void aCopiedH2DirectoryGivesBothNodesTimelines() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        NodeKey key = NodeKey.loadOrCreate(data);
        try (PairJournal w = PairJournal.open(JournalSettings.h2(data), key, tmp.resolve("scratch"))) {
            w.takeover();
        }
        Map<String, String> before = NodeTest.digest(data);
        try (OfflineReplay replay = OfflineReplay.open(data)) {
            assertPairJournal(replay);
        }
        assertThat(NodeTest.digest(data)).isEqualTo(before);

        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        NodeKey.loadOrCreate(other);
        assertThatThrownBy(() -> OfflineReplay.open(data, NodeKey.loadFrom(other.resolve(NodeKey.FILE_NAME))))
                .isInstanceOfSatisfying(OfflineReplay.UnreadableEvent.class,
                        e -> assertThat(e.sealedWithAnotherKey()).isTrue())
                .hasMessageContaining(key.keyId());
    }

    @Test
    void postgresIsReadInOneReadOnlyTransaction() throws Exception {
        JournalSettings pg = PgTest.server();
        PgTest.emptyJournal(pg);
        NodeKey key = NodeKey.random();
        try (PairJournal w = PairJournal.open(pg, key, tmp)) {
            w.takeover();
        }
        Map<String, String> before = tables(pg);
        try (OfflineReplay replay = OfflineReplay.openPostgres(pg, key)) {
            assertPairJournal(replay);
            try (Statement s = replay.connection().createStatement()) {
                assertThatThrownBy(() -> s.executeUpdate("DELETE FROM event_journal"))
                        .isInstanceOfSatisfying(SQLException.class,
                                e -> assertThat(e.getSQLState()).as(e.getMessage()).isEqualTo("25006"));
            }
        }
        assertThat(tables(pg)).as("every journal table as it was").isEqualTo(before);

        assertThatThrownBy(() -> OfflineReplay.openPostgres(pg, NodeKey.random()))
                .isInstanceOfSatisfying(OfflineReplay.UnreadableEvent.class,
                        e -> assertThat(e.sealedWithAnotherKey()).isTrue());
    }

    @Test
    void aUserWithSelectOnlyIsEnough() throws Exception {
        JournalSettings pg = PgTest.server();
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user")) {
            Assumptions.assumeTrue(rs.next() && rs.getBoolean(1), "the test user may not create roles");
        }
        PgTest.emptyJournal(pg);
        NodeKey key = NodeKey.random();
        try (PairJournal w = PairJournal.open(pg, key, tmp)) {
            w.takeover();
        }
        String reader = pg.user() + "_reader";
        String password = java.util.UUID.randomUUID().toString();
        dropRole(pg, reader); // left by a killed run
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + reader + " LOGIN PASSWORD '" + password + "'");
            s.execute("GRANT SELECT ON event_journal TO " + reader);
        }
        try (OfflineReplay replay = OfflineReplay.openPostgres(JournalSettings.postgres(pg.url(), reader, password),
                key)) {
            assertPairJournal(replay);
        } finally {
            dropRole(pg, reader);
        }
    }

    private static void dropRole(JournalSettings pg, String role) throws SQLException {
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'")) {
            if (rs.next()) {
                s.execute("REVOKE ALL ON event_journal FROM " + role);
                s.execute("DROP ROLE " + role);
            }
        }
    }

    /** Every row of every table of the journal's schema, as text, by table. */
    public static Map<String, String> tables(JournalSettings pg) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement()) {
            List<String> names = new java.util.ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            for (String t : names) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), coalesce(md5(string_agg(x::text, ',' ORDER BY"
                        + " x::text)), '') FROM " + t + " x")) {
                    rs.next();
                    out.put(t, rs.getLong(1) + " rows " + rs.getString(2));
                }
            }
        }
        assertThat(out.get("event_journal")).doesNotStartWith("0 rows");
        return out;
    }
}
