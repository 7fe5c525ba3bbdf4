package net.palisade.controlplane.journal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;

/**
 * The process {@link H2RecoveryTest} kills: opens the journal at {@code args[0]} (URL options {@code args[1]}, e.g.
 * a short retention so that H2 reuses space at once), then inserts journal rows one transaction each, printing
 * {@code ACK n} once each commit has returned, until killed.
 */
public final class H2CrashWriter {
    private H2CrashWriter() {}

    public static void main(String[] args) throws Exception {
        JournalSettings settings = settings(Path.of(args[0]), args[1]);
        JournalSchema.createIfMissing(settings);
        try (Connection c = JournalSchema.connect(settings); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO PUBLIC.\"event_journal\" (\"persistence_id\", \"sequence_number\", \"writer\","
                        + " \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\","
                        + " \"event_ser_manifest\") VALUES ('Tunnel|crash', ?, 'w', ?, '', ?, 1, 'm')")) {
            c.setAutoCommit(false);
            for (long n = 1; ; n++) {
                insert.setLong(1, n);
                insert.setLong(2, System.currentTimeMillis());
                insert.setBytes(3, new byte[200 + (int) (n % 300)]);
                insert.executeUpdate();
                c.commit();
                System.out.println("ACK " + n);
                System.out.flush();
                Thread.sleep(2); // a node's pace, not a tight loop: H2 frees and reuses chunk space meanwhile
            }
        }
    }

    /** The embedded journal's URL with {@code options} appended. */
    static JournalSettings settings(Path dir, String options) {
        JournalSettings h2 = JournalSettings.h2(dir);
        return new JournalSettings(h2.url() + options, "", "");
    }
}
