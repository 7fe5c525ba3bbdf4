package net.palisade.controlplane.cluster;

import java.net.URI;
import net.palisade.controlplane.journal.JournalSettings;
import org.junit.jupiter.api.Assumptions;

/** The test PostgreSQL server ({@code ops/lab/postgres.sh} through {@code ops/bin/test}). */
public final class PgTest {
    private PgTest() {}

    public static JournalSettings server() {
        String url = System.getenv("PALISADE_TEST_PG_URL");
        if (url == null) {
            String why = "PALISADE_TEST_PG_URL is not set: run the suite with ops/bin/test (as root it starts PostgreSQL)";
            Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), why);
            throw new AssertionError(why + ", or pass -Dpalisade.skipExternal=true to skip");
        }
        return JournalSettings.postgres(url, System.getenv("PALISADE_TEST_PG_USER"),
                System.getenv("PALISADE_TEST_PG_PASSWORD"));
    }

    /**
     * Empties the journal, its state checkpoints and the leases: the database is shared by the tests that use it
     * one after another and outlives a killed run, whose events (sealed with another node key) would fail the next
     * node's recovery.
     */
    public static void emptyJournal(JournalSettings pg) throws java.sql.SQLException {
        net.palisade.controlplane.journal.JournalSchema.createIfMissing(pg);
        try (java.sql.Connection c = net.palisade.controlplane.journal.JournalSchema.connect(pg);
                java.sql.Statement s = c.createStatement()) {
            LeaseTable.createIfMissing(c);
            s.execute("TRUNCATE event_journal, event_tag, snapshot, state_checkpoint, palisade_lease");
        }
    }

    /** The same database reached through {@code proxy}. */
    static JournalSettings through(JournalSettings pg, TcpProxy proxy) {
        URI u = URI.create(pg.url().substring("jdbc:".length()));
        String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + u.getRawPath()
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        return JournalSettings.postgres(url, pg.user(), pg.password());
    }

    static String host(JournalSettings pg) {
        return URI.create(pg.url().substring("jdbc:".length())).getHost();
    }

    static int port(JournalSettings pg) {
        int p = URI.create(pg.url().substring("jdbc:".length())).getPort();
        return p < 0 ? 5432 : p;
    }
}
