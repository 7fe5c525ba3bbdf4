package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.controlplane.tunnel.TunnelView;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ControlPlane#close} returns only once nothing of the node holds its embedded journal: the live-events
 * publisher and the checkpoint writer, which keep connections of their own, have closed them. Otherwise the H2
 * database closes (and writes its files) after {@code close} returned, under whoever copies or deletes the data
 * directory next (CI saw a test's temporary directory refuse deletion).
 */
class ControlPlaneCloseTest {
    @TempDir
    Path tmp;

    @Test
    void afterCloseNoConnectionOfTheNodeIsOpenAndItsDatabaseThreadsHaveEnded() throws Exception {
        Path data = tmp.resolve("data");
        Settings settings = Settings.defaults(data).withCluster("127.0.0.1", 0, List.of());
        JournalSettings journal = JournalSettings.h2(data);
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet(); // other tests' nodes share this JVM
        try (ControlPlane cp = ControlPlane.start(settings, new RecordingPorts())) {
            cp.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            NodeTest.get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(NodeTest.get(cp.tunnels())).isNotEmpty().allMatch(TunnelView::configured));
            String label = NodeTest.get(cp.tunnels()).getFirst().label();
            // a live subscriber makes the publisher read offsets on its connection; 40 events make the writer
            // write the tunnel's checkpoint at its 32nd on its own
            var live = cp.liveEvents(OptionalLong.empty()).take(80).runWith(Sink.seq(), cp.system());
            for (int i = 0; i < 40; i++) {
                NodeTest.get(cp.adminDown(label, "bob"));
                NodeTest.get(cp.adminUp(label, "bob"));
            }
            assertThat(live.toCompletableFuture().get(30, TimeUnit.SECONDS)).hasSize(80);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> count(journal, "SELECT COUNT(*) FROM \"state_checkpoint\"") > 0);
            assertThat(count(journal, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS"))
                    .as("the node's own connections and this one, while it runs").isGreaterThan(2);
        }
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.isAlive() && !before.contains(t))
                .extracting(Thread::getName)
                .doesNotContain("palisade-live-events", "palisade-checkpoints", "palisade-journal-group-commit");
        assertThat(count(journal, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS"))
                .as("sessions on the journal after close, this one included").isEqualTo(1);
    }

    private static long count(JournalSettings journal, String sql) throws Exception {
        try (Connection c = JournalSchema.connect(journal); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
