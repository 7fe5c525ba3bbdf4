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
                .isNotEmpty().allSatisfy(s -> assertThat(s).matches("(?s)^(CREATE|ALTER TABLE|DROP INDEX IF EXISTS) .*")
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

    /**
     * A journal made with the schema before 2026-12-07 (the plugin's: the ordering's UNIQUE index and a second
     * unique index on it, the identity's cache H2's 32) keeps one unique index on the ordering, which still refuses a
     * repeated ordering, and its identity hands out 1,024 values per record of its high-water mark.
     */
    @Test
    void anOlderJournalLosesTheSecondOrderingIndexAndKeepsTheOrderingUnique(@TempDir Path dir) throws Exception {
        JournalSettings h2 = JournalSettings.h2(dir);
        try (Connection c = JournalSchema.connect(h2); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE PUBLIC.\"event_journal\" (\"ordering\" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,"
                    + " \"deleted\" BOOLEAN DEFAULT false NOT NULL, \"persistence_id\" VARCHAR(255) NOT NULL,"
                    + " \"sequence_number\" BIGINT NOT NULL, \"writer\" VARCHAR NOT NULL, \"write_timestamp\" BIGINT"
                    + " NOT NULL, \"adapter_manifest\" VARCHAR NOT NULL, \"event_payload\" VARBINARY NOT NULL,"
                    + " \"event_ser_id\" INTEGER NOT NULL, \"event_ser_manifest\" VARCHAR NOT NULL, \"meta_payload\""
                    + " VARBINARY, \"meta_ser_id\" INTEGER, \"meta_ser_manifest\" VARCHAR,"
                    + " PRIMARY KEY(\"persistence_id\",\"sequence_number\"))");
            s.execute("CREATE UNIQUE INDEX \"event_journal_ordering_idx\" ON PUBLIC.\"event_journal\" (\"ordering\")");
            assertThat(orderingIndexes(s)).hasSize(2);
        }
        JournalSchema.createIfMissing(h2);
        JournalSchema.createIfMissing(h2); // a second start changes nothing
        try (Connection c = JournalSchema.connect(h2); Statement s = c.createStatement()) {
            assertThat(orderingIndexes(s)).singleElement().satisfies(i -> assertThat(i).startsWith("CONSTRAINT_INDEX"));
            try (ResultSet rs = s.executeQuery("SELECT IDENTITY_CACHE FROM INFORMATION_SCHEMA.COLUMNS"
                    + " WHERE TABLE_NAME = 'event_journal' AND COLUMN_NAME = 'ordering'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(1024);
            }
            String insert = "INSERT INTO \"event_journal\" (\"ordering\", \"persistence_id\", \"sequence_number\","
                    + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\","
                    + " \"event_ser_manifest\") VALUES (7, '%s', 1, 'w', 0, '', X'00', 1, 'm')";
            s.execute(insert.formatted("Tunnel|a"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.execute(insert.formatted("Tunnel|b")))
                    .isInstanceOf(java.sql.SQLIntegrityConstraintViolationException.class);
        }
    }

    private static List<String> orderingIndexes(Statement s) throws java.sql.SQLException {
        List<String> names = new java.util.ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEX_COLUMNS"
                + " WHERE TABLE_NAME = 'event_journal' AND COLUMN_NAME = 'ordering' AND ORDINAL_POSITION = 1")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
