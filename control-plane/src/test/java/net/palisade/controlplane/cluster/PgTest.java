package net.palisade.controlplane.cluster;

import java.net.URI;
import net.palisade.controlplane.journal.JournalSettings;
import org.junit.jupiter.api.Assumptions;

/** The test PostgreSQL server ({@code ops/lab/postgres.sh} through {@code ops/bin/test}). */
final class PgTest {
    private PgTest() {}

    static JournalSettings server() {
        String url = System.getenv("PALISADE_TEST_PG_URL");
        if (url == null) {
            String why = "PALISADE_TEST_PG_URL is not set: run the suite with ops/bin/test (as root it starts PostgreSQL)";
            Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), why);
            throw new AssertionError(why + ", or pass -Dpalisade.skipExternal=true to skip");
        }
        return JournalSettings.postgres(url, System.getenv("PALISADE_TEST_PG_USER"),
                System.getenv("PALISADE_TEST_PG_PASSWORD"));
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
