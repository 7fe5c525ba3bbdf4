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
 * ({@code now()}), so the nodes' clocks never decide who holds a lease: a node may take a row only if it owns it
 * already or the row has expired. The epoch grows by one whenever the holder changes (or the same holder comes back
 * after its lease expired), which makes it a fencing token: whoever holds a higher epoch than you acted after you.
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
                 VALUES (?, ?, 1, now(), now() + ?::interval)
            ON CONFLICT (name) DO UPDATE SET
                owner = EXCLUDED.owner,
                epoch = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= now() AND NOT l.released
                             THEN l.epoch ELSE l.epoch + 1 END,
                previous_owner = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= now() AND NOT l.released
                             THEN l.previous_owner ELSE l.owner END,
                previous_renewed = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= now() AND NOT l.released
                             THEN l.previous_renewed ELSE l.renewed END,
                previous_released = CASE WHEN l.owner = EXCLUDED.owner AND l.expires >= now() AND NOT l.released
                             THEN l.previous_released ELSE l.released END,
                renewed = now(),
                expires = now() + ?::interval,
                released = FALSE
              WHERE l.owner = EXCLUDED.owner AND NOT l.released AND l.expires >= now() OR l.expires < now()
                 OR l.released
            RETURNING epoch, previous_owner, previous_renewed, previous_released, now()""";

    private static final String RELEASE = """
            UPDATE palisade_lease SET released = TRUE, expires = now()
             WHERE name = ? AND owner = ? AND NOT released""";

    private static final String READ = """
            SELECT owner, epoch, renewed, expires, released, expires >= now() AND NOT released, now()
              FROM palisade_lease WHERE name = ?""";

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
