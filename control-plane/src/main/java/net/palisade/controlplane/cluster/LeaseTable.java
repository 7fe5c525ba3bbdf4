package net.palisade.controlplane.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Leases as rows of one PostgreSQL table, {@code palisade_lease}: one row per lease name with its owner, an expiry
 * and an epoch. Every decision is one statement evaluated by the database against the database's clock
 * ({@code statement_timestamp()}: the same as {@code now()} alone, and after the lock wait inside
 * {@link #takeFencingJournal}'s transaction), so the nodes' clocks never decide who holds a lease: a node may take
 * a row only if it owns it already or the row has expired. The epoch grows by one whenever the holder changes (or
 * the same holder comes back after its lease expired), which makes it a fencing token: whoever holds a higher epoch
 * than you acted after you.
 *
 * <p>Synchronous JDBC on the caller's connection; {@link PgLease} runs it on its own threads.
 */
public final class LeaseTable {
    static final String DDL = """
            CREATE TABLE IF NOT EXISTS palisade_lease (
                name VARCHAR(255) PRIMARY KEY,
                owner VARCHAR(255) NOT NULL,
                epoch BIGINT NOT NULL,
                renewed TIMESTAMPTZ NOT NULL,
                expires TIMESTAMPTZ NOT NULL,
                released BOOLEAN NOT NULL DEFAULT FALSE,
                previous_owner VARCHAR(255),
                previous_renewed TIMESTAMPTZ,
                previous_released BOOLEAN
            )""";

    /*
     * Take or renew. The WHERE of ON CONFLICT is the whole rule: the row changes only for its owner, or for anyone
     * once it expired. Column references on the right of SET are the old row, so previous_* records whom we took it
     * from and when that one last renewed (the takeover gap).
     */
    private static final String ACQUIRE = """
            INSERT INTO palisade_lease AS l (name, owner, epoch, renewed, expires)
                 VALUES (?, ?, 1, statement_timestamp(), statement_timestamp() + ?::interval)
            ON CONFLICT (name) DO UPDATE SET
                owner = EXCLUDED.owner,
                epoch = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= statement_timestamp()
                             AND NOT l.released THEN l.epoch ELSE l.epoch + 1 END,
                previous_owner = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= statement_timestamp()
                             AND NOT l.released THEN l.previous_owner ELSE l.owner END,
                previous_renewed = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= statement_timestamp()
                             AND NOT l.released THEN l.previous_renewed ELSE l.renewed END,
                previous_released = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= statement_timestamp()
                             AND NOT l.released THEN l.previous_released ELSE l.released END,
                renewed = statement_timestamp(),
                expires = statement_timestamp() + ?::interval,
                released = FALSE
              WHERE l.owner = EXCLUDED.owner AND NOT l.released AND l.expires >= statement_timestamp()
                 OR l.expires < statement_timestamp() OR l.released
            RETURNING epoch, previous_owner, previous_renewed, previous_released, statement_timestamp()""";

    private static final String RELEASE = """
            UPDATE palisade_lease SET released = TRUE, expires = statement_timestamp()
             WHERE name = ? AND owner = ? AND NOT released""";

    private static final String READ = """
            SELECT owner, epoch, renewed, expires, released, expires >= statement_timestamp() AND NOT released,
                   statement_timestamp()
              FROM palisade_lease WHERE name = ?""";

    /*
     * Taking a lease from another holder waits for that holder's tunnel events in flight: postgres.sql's trigger
     * palisade_journal_fence holds this advisory lock shared from its check until the event's commit, a takeover
     * holds it exclusively around the change of holder. So every event the old holder's check let through is
     * committed before the new epoch exists, and none passes the check after. Renewals do not take it (they change
     * no holder), so a busy journal never delays them. The key is "palisade" in ASCII; postgres.sql has the same.
     */
    static final long JOURNAL_FENCE_LOCK = 0x70616c6973616465L;

    /* held by another owner and valid: nothing to take, and no reason to stall that holder's journal writes */
    private static final String HELD_BY_OTHER = """
            SELECT 1 FROM palisade_lease
             WHERE name = ? AND owner <> ? AND NOT released AND expires >= statement_timestamp()""";

    private LeaseTable() {}

    /** Creates the table if it is missing (idempotent, run at every start). */
    public static void createIfMissing(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(DDL);
        }
    }

    /**
     * What a successful acquire or renewal learned.
     *
     * @param epoch the fencing token now held
     * @param previous set when the holder changed with this call: whom it was taken from (empty owner for a new row)
     * @param at the database's time of the grant
     */
    public record Grant(long epoch, Optional<Handover> previous, Instant at) {}

    /**
     * The holder before a change.
     *
     * @param owner the previous owner
     * @param lastRenewed the database time it last renewed (or took) the lease
     * @param released whether it gave the lease up itself, rather than letting it expire
     */
    public record Handover(String owner, Instant lastRenewed, boolean released) {
        public Handover {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(lastRenewed, "lastRenewed");
        }
    }

    /**
     * A lease row as read.
     *
     * @param owner the owner, current or (when not {@code held}) the last one
     * @param epoch its epoch
     * @param renewed database time of the last renewal
     * @param expires database time it expires (or expired)
     * @param held whether it is held now: not expired and not released
     */
    public record Row(String owner, long epoch, Instant renewed, Instant expires, boolean held) {}

    /**
     * Takes the lease for {@code owner}, or renews it when {@code owner} holds it.
     *
     * @return the grant; empty when someone else holds the lease
     */
    public static Optional<Grant> acquire(Connection c, String name, String owner, Duration ttl) throws SQLException {
        String interval = ttl.toMillis() + " milliseconds";
        try (PreparedStatement ps = c.prepareStatement(ACQUIRE)) {
            ps.setString(1, name);
            ps.setString(2, owner);
            ps.setString(3, interval);
            ps.setString(4, interval);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long epoch = rs.getLong(1);
                String prev = rs.getString(2);
                Timestamp prevRenewed = rs.getTimestamp(3);
                boolean prevReleased = rs.getBoolean(4);
                Instant at = rs.getTimestamp(5).toInstant();
                Optional<Handover> handover = Optional.empty();
                // previous_* only change when the holder changes; a plain renewal leaves them as they were, so
                // a handover is reported for the call that made it: the one whose epoch differs from the last seen
                if (prev != null && prevRenewed != null) {
                    handover = Optional.of(new Handover(prev, prevRenewed.toInstant(), prevReleased));
                }
                return Optional.of(new Grant(epoch, handover, at));
            }
        }
    }

    /**
     * {@link #acquire} for the lease that fences the journal (the active role's): when this would take the row from
     * another holder, it does so holding {@link #JOURNAL_FENCE_LOCK} exclusively, in one transaction, so that the
     * old holder's tunnel events already past their fence check commit first. Renewals go through {@link #acquire}.
     */
    public static Optional<Grant> takeFencingJournal(Connection c, String name, String owner, Duration ttl)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(HELD_BY_OTHER)) {
            ps.setString(1, name);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return Optional.empty();
                }
            }
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            // a stalled writer of the old holder is rolled back by the server after the TTL (JournalFence); until
            // then this attempt gives up after the TTL and the next one waits again
            try (PreparedStatement bound = c.prepareStatement("SELECT set_config('lock_timeout', ?, true)");
                    PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                bound.setString(1, Math.max(1, ttl.toMillis()) + "ms");
                bound.execute();
                lock.setLong(1, JOURNAL_FENCE_LOCK);
                lock.execute();
            }
            Optional<Grant> g = acquire(c, name, owner, ttl);
            c.commit();
            return g;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Gives the lease up if {@code owner} holds it; the next taker's epoch is one higher. @return whether it was held */
    public static boolean release(Connection c, String name, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RELEASE)) {
            ps.setString(1, name);
            ps.setString(2, owner);
            return ps.executeUpdate() == 1;
        }
    }

    /** @return the row of {@code name}; empty when nobody ever took it */
    public static Optional<Row> read(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(READ)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Row(rs.getString(1), rs.getLong(2), rs.getTimestamp(3).toInstant(),
                        rs.getTimestamp(4).toInstant(), rs.getBoolean(6)));
            }
        }
    }
}
