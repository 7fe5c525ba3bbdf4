package net.palisade.controlplane.journal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The connections a node's journal reads ({@link EventQueries}, {@code state?at=}) use: a small pool of their own,
 * so that a read (a page of events, one of a streamed answer's many) does not open a connection of its own (on
 * PostgreSQL a TCP connection and its authentication each time), and never takes one of the journal writer's.
 * Connections idle for a minute are closed.
 */
public final class ReadConnections implements AutoCloseable {
    private final HikariDataSource pool;

    /** A pool of at most {@code size} connections to {@code journal}, none opened until a read needs one. */
    public ReadConnections(JournalSettings journal, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("palisade-journal-reads");
        config.setJdbcUrl(journal.url());
        config.setUsername(journal.user());
        config.setPassword(journal.password());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setIdleTimeout(60_000);
        config.setConnectionTimeout(30_000);
        config.setInitializationFailTimeout(-1); // opened on first use, not here
        if (!journal.h2()) {
            // the driver would make a statement used five times on a connection a server-side one, and PostgreSQL
            // then plans it once for any parameters: a window's read is planned for its own bounds, every time
            config.addDataSourceProperty("prepareThreshold", "0");
        }
        this.pool = new HikariDataSource(config);
    }

    /** A connection of the pool; closing it gives it back. */
    public Connection get() throws SQLException {
        return pool.getConnection();
    }

    @Override
    public void close() {
        pool.close();
    }
}
