package net.palisade.controlplane.journal;

import net.palisade.controlplane.cluster.PgTest;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link EventQueriesTest}'s reads, counts and pages on PostgreSQL with the node's schema for it (the test server
 * of {@link PgTest}; its journal emptied first).
 */
class EventQueriesPgTest extends EventQueriesTest {
    @Override
    @BeforeEach
    void journal() throws Exception {
        JournalSettings pg = PgTest.server();
        PgTest.emptyJournal(pg);
        c = JournalSchema.connect(pg);
    }
}
