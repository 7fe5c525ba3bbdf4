package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The schema files split into statements: a function body's own semicolons stay inside it. */
class JournalSchemaTest {
    @Test
    void theFenceFunctionAndItsTriggerAreWholeStatements() {
        List<String> pg = JournalSchema.statements(JournalSettings.postgres("jdbc:postgresql://db/x", "u", "p"));
        assertThat(pg).filteredOn(s -> s.startsWith("CREATE OR REPLACE FUNCTION palisade_journal_fence()"))
                .singleElement().satisfies(s -> assertThat(s).endsWith("$fence$").contains("RETURN NEW;"));
        assertThat(pg).filteredOn(s -> s.startsWith("DO $create$")).singleElement()
                .satisfies(s -> assertThat(s).endsWith("$create$").contains("CREATE TRIGGER"));
        assertThat(pg).allSatisfy(s -> assertThat(s).matches("(?s)^(CREATE|DO) .*"));
    }

    @Test
    void h2sSchemaIsPlainStatements() {
        assertThat(JournalSchema.statements(JournalSettings.h2(Path.of("/tmp/x"))))
                .isNotEmpty().allSatisfy(s -> assertThat(s).startsWith("CREATE").doesNotContain("$"));
    }
}
