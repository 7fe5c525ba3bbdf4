package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An H2 journal killed with SIGKILL keeps every commit it acknowledged: H2 alone opens such a file at the version its
 * header names, which can be older than commits written into reused space (see {@link H2Recovery}).
 */
class H2RecoveryTest {
    /** Chunks freed after 1 s instead of 45: space is reused within the run, as on a node up for a minute. */
    private static final String REUSE_SOON = ";RETENTION_TIME=1000";

    @Test
    void everyAcknowledgedCommitIsThereAfterAKillNine(@TempDir Path dir) throws Exception {
        for (int round = 1; round <= 3; round++) {
            Path data = Files.createDirectories(dir.resolve("r" + round));
            long acked = writeAndKill(data, 800);
            Path copy = Files.createDirectories(dir.resolve("plain" + round));
            Files.copy(data.resolve("journal.mv.db"), copy.resolve("journal.mv.db"));
            long plain = rows(H2CrashWriter.settings(copy, REUSE_SOON)); // H2 alone, for the record
            JournalSettings settings = H2CrashWriter.settings(data, REUSE_SOON);
            JournalSchema.createIfMissing(settings); // as a node's start: recovery, then the schema
            long rows = rows(settings);
            System.out.println("H2RecoveryTest round " + round + ": acknowledged " + acked + ", H2 alone opened "
                    + plain + " rows, after recovery " + rows);
            assertThat(rows).as("rows after recovery (acknowledged %d)", acked).isGreaterThanOrEqualTo(acked);
            try (Connection c = JournalSchema.connect(settings); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT MIN(\"sequence_number\"), MAX(\"sequence_number\"),"
                            + " COUNT(*) FROM PUBLIC.\"event_journal\"")) {
                r.next();
                assertThat(r.getLong(1)).isEqualTo(1); // no hole: 1..n, each once
                assertThat(r.getLong(2)).isEqualTo(r.getLong(3));
            }
        }
    }

    @Test
    void aCleanlyClosedJournalIsLeftAsItIs(@TempDir Path dir) throws Exception {
        JournalSettings settings = JournalSettings.h2(dir);
        JournalSchema.createIfMissing(settings);
        Path file = dir.resolve("journal.mv.db");
        byte[] before = Files.readAllBytes(file);
        assertThat(H2Recovery.repair(file)).isEmpty();
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(H2Recovery.file(settings)).contains(file.toAbsolutePath());
    }

    @Test
    void aJournalOpenInThisProcessIsNeverTouched(@TempDir Path dir) throws Exception {
        JournalSettings settings = JournalSettings.h2(dir);
        JournalSchema.createIfMissing(settings);
        Path file = dir.resolve("journal.mv.db");
        try (Connection c = JournalSchema.connect(settings); Statement s = c.createStatement()) {
            s.execute("INSERT INTO PUBLIC.\"event_journal\" (\"persistence_id\", \"sequence_number\", \"writer\","
                    + " \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\","
                    + " \"event_ser_manifest\") VALUES ('Tunnel|live', 1, 'w', 0, '', X'00', 1, 'm')");
            byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(file), 8192);
            assertThat(H2Recovery.repair(file)).isEmpty(); // H2 holds the file: it is live
            assertThat(java.util.Arrays.copyOf(Files.readAllBytes(file), 8192)).isEqualTo(header);
            JournalSchema.createIfMissing(settings); // a second start in this process meets the open file
        }
        assertThat(rows(settings)).isEqualTo(1);
    }

    @Test
    void aHeaderWithAWrongChecksumIsNotTaken() {
        String good = "H:2,block:15,blockSize:1000,chunk:c,created:1a25315a751,format:3,version:c,fletcher:70daee22";
        assertThat(H2Recovery.checked(good)).containsEntry("chunk", "c");
        assertThat(H2Recovery.checked(good.replace("block:15", "block:16"))).isNull();
        assertThat(H2Recovery.checked("chunk:c,len:3")).isNull();
    }

    /** Starts the writer, kills it with SIGKILL once it acknowledged {@code atLeast} commits; the last ACK seen. */
    private static long writeAndKill(Path data, long atLeast) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                H2CrashWriter.class.getName(), data.toString(), REUSE_SOON)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long last = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    last = Long.parseLong(line.substring(4));
                    if (last >= atLeast && child.isAlive()) {
                        child.toHandle().destroyForcibly(); // SIGKILL; what it printed before dying is still read
                    }
                }
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(last).isGreaterThanOrEqualTo(atLeast);
        return last;
    }

    private static long rows(JournalSettings settings) throws Exception {
        try (Connection c = JournalSchema.connect(settings); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM PUBLIC.\"event_journal\"")) {
            r.next();
            return r.getLong(1);
        }
    }
}
