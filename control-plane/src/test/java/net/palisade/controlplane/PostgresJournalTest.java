package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.config.RevisionInfo;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.controlplane.tunnel.TunnelView;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on a real PostgreSQL server, the shared journal a cluster uses: commits survive a restart of the
 * node, and no secret reaches the database in clear. {@code ops/bin/test} starts the server
 * ({@code ops/lab/postgres.sh}) and passes {@code PALISADE_TEST_PG_URL}, {@code _USER}, {@code _PASSWORD}.
 */
class PostgresJournalTest {
    @TempDir
    Path tmp;

    static JournalSettings pg;

    @BeforeAll
    static void server() {
        pg = net.palisade.controlplane.cluster.PgTest.server();
        org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
    }

    /** Each test starts from an empty journal ({@link net.palisade.controlplane.cluster.PgTest#emptyJournal}). */
    @org.junit.jupiter.api.BeforeEach
    void emptyJournal() throws Exception {
        net.palisade.controlplane.cluster.PgTest.emptyJournal(pg);
    }

    private ControlPlane start(Path data) throws Exception {
        ControlPlane cp = ControlPlane.start(Settings.defaults(data).withCluster("127.0.0.1", 0, List.of())
                .withJournal(pg).withSnapshotEvery(4), new RecordingPorts());
        cp.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return cp;
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void commitsSurviveARestartAndSecretsAreSealed() throws Exception {
        Path data = tmp.resolve("data");
        String first;
        try (ControlPlane cp = start(data)) {
            first = get(cp.commit(Fixtures.CONFIG, "alice", "on postgres", Optional.empty())).revision().id();
            await().untilAsserted(() -> assertThat(get(cp.tunnels())).hasSize(5).allMatch(TunnelView::configured));
            for (int i = 0; i < 3; i++) { // past snapshotEvery: snapshots go to PostgreSQL too
                get(cp.adminDown("static-d", "bob"));
                get(cp.adminUp("static-d", "bob"));
            }
        }
        try (ControlPlane cp = start(data)) {
            var running = get(cp.running());
            assertThat(running.revision().map(RevisionInfo::id)).contains(first);
            assertThat(running.config()).as("secrets unsealed intact").isEqualTo(Fixtures.config());
            assertThat(get(cp.events("static-d", Optional.empty(), Optional.empty(), Optional.of("admin-down"))))
                    .hasSize(3);
            // state checkpoints on PostgreSQL: one every 2 events of static-d (7 events), one of them then skipped
            // as if a read had not seen it, so the read that passes it finds it written (the key refuses a second)
            var codec = new net.palisade.controlplane.journal.SerializationCodec<>(
                    org.apache.pekko.serialization.SerializationExtension.get(cp.system()),
                    net.palisade.controlplane.tunnel.TunnelState.class);
            var checkpoints = new net.palisade.controlplane.journal.StateCheckpoints<>(codec,
                    net.palisade.controlplane.tunnel.TunnelState::apply, net.palisade.controlplane.journal
                            .StateCheckpoints.fingerprint(net.palisade.controlplane.tunnel.TunnelState.class), 2);
            var empty = net.palisade.controlplane.tunnel.TunnelState.empty("static-d");
            try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement()) {
                var end = checkpoints.catchUp(c, "Tunnel|static-d", empty);
                assertThat(s.executeUpdate("UPDATE state_checkpoint SET through_nanos = " + Long.MAX_VALUE
                        + " WHERE persistence_id = 'Tunnel|static-d' AND sequence_number = 4")).isEqualTo(1);
                assertThat(checkpoints.at(c, "Tunnel|static-d", empty, java.time.Instant.now())).isEqualTo(end);
                assertThat(get(cp.stateAt("static-d", java.time.Instant.now()))).isEqualTo(end.view());
            }
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int rows = 0;
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT event_payload FROM event_journal UNION ALL SELECT snapshot_payload FROM snapshot"
                        + " UNION ALL SELECT state_payload FROM state_checkpoint")) {
            while (rs.next()) {
                all.writeBytes(rs.getBytes(1));
                rows++;
            }
        }
        assertThat(rows).isGreaterThan(10);
        for (byte[] canary : Fixtures.canaryForms()) {
            assertThat(Fixtures.contains(all.toByteArray(), canary)).as("in PostgreSQL: %s", new String(canary)).isFalse();
        }
    }
}
