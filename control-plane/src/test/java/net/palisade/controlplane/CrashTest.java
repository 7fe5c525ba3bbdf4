package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.config.ConfigEvent;
import net.palisade.controlplane.config.ConfigStore;
import net.palisade.controlplane.config.RevisionInfo;
import net.palisade.controlplane.tunnel.RecordingPorts;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 during a burst of commits: every acknowledged commit survives, and nothing is half-applied (every
 * revision in the journal decodes to exactly the config committed under it, ids have no gaps, and the tunnels
 * converge on the running revision after restart).
 */
class CrashTest {
    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedCommitSurvivesKillNine() throws Exception {
        Path data = tmp.resolve("data");
        Path stderr = tmp.resolve("child.err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                CrashMain.class.getName(), data.toString(), "100000")
                .redirectError(stderr.toFile())
                .start();
        List<String> acked = new ArrayList<>();
        int lastN = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    String[] f = line.split(" ");
                    acked.add(f[1]);
                    lastN = Integer.parseInt(f[2]);
                    if (acked.size() == 25) {
                        child.destroyForcibly(); // SIGKILL, mid-burst
                        break;
                    }
                }
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(acked).as("child output; stderr: %s", Files.exists(stderr) ? Files.readString(stderr) : "")
                .hasSize(25);

        try (ControlPlane cp = NodeTest.start(data, new RecordingPorts())) {
            List<RevisionInfo> revisions = NodeTest.get(cp.listCommits());
            List<String> ids = revisions.stream().map(RevisionInfo::id).toList();
            assertThat(ids).containsAll(acked);
            for (int i = 0; i < ids.size(); i++) {
                assertThat(ids.get(i)).isEqualTo("c-" + (i + 1));
            }
            assertThat(revisions.size()).isGreaterThanOrEqualTo(lastN);

            JdbcReadJournal rj = PersistenceQuery.get(cp.system()).getReadJournalFor(JdbcReadJournal.class,
                    JdbcReadJournal.Identifier());
            List<ConfigEvent> events = NodeTest.get(rj.currentEventsByPersistenceId(ConfigStore.PERSISTENCE_ID, 0,
                    Long.MAX_VALUE).map(env -> (ConfigEvent) env.event()).runWith(Sink.seq(), cp.system()));
            for (ConfigEvent e : events) {
                ConfigEvent.Committed c = (ConfigEvent.Committed) e;
                int n = Integer.parseInt(c.message().substring(2));
                assertThat(c.config()).as(c.id()).isEqualTo(Fixtures.parse(CrashMain.config(n)));
            }
            var running = NodeTest.get(cp.running());
            assertThat(running.revision().map(RevisionInfo::id)).contains(ids.getLast());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                var view = NodeTest.get(cp.tunnel("crash-m"));
                assertThat(view.sas().getFirst().spi().inbound().value())
                        .isEqualTo(0x1000L + revisions.size());
            });
        }
    }
}
