package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schema files split into statements: a function body's own semicolons stay inside it; an older journal's tables
 * get the columns added since.
 */
class JournalSchemaTest {
    @Test
    void theFenceFunctionAndItsTriggerAreWholeStatements() {
        List<String> pg = JournalSchema.statements(JournalSettings.postgres("jdbc:postgresql://db/x", "u", "p"));
        assertThat(pg).filteredOn(s -> s.startsWith("CREATE OR REPLACE FUNCTION palisade_journal_fence()"))
                .singleElement().satisfies(s -> assertThat(s).endsWith("$fence$").contains("RETURN NEW;"));
        assertThat(pg).filteredOn(s -> s.startsWith("DO $create$")).singleElement()
                .satisfies(s -> assertThat(s).endsWith("$create$").contains("CREATE TRIGGER"));
        assertThat(pg).allSatisfy(s -> assertThat(s).matches("(?s)^(CREATE|DO|ALTER TABLE) .*"));
    }

    @Test
    void h2sSchemaIsPlainStatements() {
        assertThat(JournalSchema.statements(JournalSettings.h2(Path.of("/tmp/x"))))
                .isNotEmpty().allSatisfy(s -> assertThat(s).matches("(?s)^(CREATE|ALTER TABLE) .*")
                        .doesNotContain("$"));
    }

    @Test
    void aJournalMadeBeforeCheckpointsNamedTheirHandlerGetsTheColumnAndKeepsItsRows(@TempDir Path dir)
            throws Exception {
        JournalSettings h2 = JournalSettings.h2(dir);
        try (Connection c = JournalSchema.connect(h2); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE PUBLIC.\"state_checkpoint\" (\"persistence_id\" VARCHAR(255) NOT NULL,"
                    + " \"sequence_number\" BIGINT NOT NULL, \"through_nanos\" BIGINT NOT NULL, \"state_ser_id\""
                    + " INTEGER NOT NULL, \"state_ser_manifest\" VARCHAR NOT NULL, \"state_payload\" VARBINARY NOT"
                    + " NULL, PRIMARY KEY(\"persistence_id\",\"sequence_number\"))");
            s.execute("INSERT INTO \"state_checkpoint\" VALUES ('Tunnel|a', 32, 1, 1, 'm', X'00')");
        }
        JournalSchema.createIfMissing(h2);
        JournalSchema.createIfMissing(h2); // a second start changes nothing
        try (Connection c = JournalSchema.connect(h2); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT \"persistence_id\", \"handler\" FROM \"state_checkpoint\"")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("Tunnel|a");
            assertThat(rs.getString(2)).isEmpty();
            assertThat(rs.next()).isFalse();
        }
    }
}
