package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * Where a time window's rows lie in the journal's order, found with a few probes of the write time's index (and, for
 * one tunnel, of its key), so that a read of the window goes along the ordering index (or the type's, or the
 * tunnel's key) from just before its first row and stops at its end, instead of finding every row of the window by
 * the write time and sorting them: a first page of a window over most of a million events read 650,000 rows and
 * sorted them (2.2 s on H2) to return 1,000.
 *
 * <p>Offsets follow the write time except among writes in flight at once: pekko-persistence-jdbc stamps a write
 * when the journal actor receives it ({@code JdbcAsyncWriteJournal.asyncWriteMessages}) and its DAO inserts the
 * writes in that order. On H2 one at a time ({@code NodeConfig.journalWriters}), so offsets follow the stamps and
 * {@link #REORDER_H2} only covers a clock stepped back; on PostgreSQL eight at a time on four connections, so a write
 * may be overtaken by later ones while it waits for its connection, at most the pool's connection timeout (30 s)
 * before it fails: {@link #REORDER}. Rows stamped more than that apart are in the same order by offset, so every row
 * stamped at or after {@code since} has a greater offset than any row stamped before {@code since - reorder}, and
 * every row stamped before {@code end} a smaller one than any row stamped at or after {@code end + reorder}. The
 * window's margins cost the rows written in {@code reorder} before it (and after it, when it holds fewer rows than a
 * page).
 *
 * @param lo only offsets above this (Long.MIN_VALUE: no bound)
 * @param hi only offsets below this (Long.MAX_VALUE: no bound)
 * @param first the offset of the earliest-stamped row in the window (an estimate of where it starts)
 * @param last the offset of the latest-stamped row in the window (an estimate of where it ends)
 */
record WindowSpan(long lo, long hi, long first, long last) {
    /** How far apart two rows' write times may be and their offsets still be in the other order (PostgreSQL). */
    static final Duration REORDER = Duration.ofMinutes(1);
    /** The same on H2, whose one writer inserts in the order of the stamps: a clock stepped back by up to 2 s. */
    static final Duration REORDER_H2 = Duration.ofSeconds(2);

    private static final String BEFORE = "SELECT \"ordering\" FROM \"event_journal\" WHERE \"write_timestamp\" < ?"
            + " ORDER BY \"write_timestamp\" DESC LIMIT 1";
    private static final String FROM = "SELECT \"ordering\" FROM \"event_journal\" WHERE \"write_timestamp\" >= ?"
            + " ORDER BY \"write_timestamp\" LIMIT 1";

    /**
     * The span of the rows whose write time is at or after {@code since} and before {@code end} (each optional), on a
     * journal whose offsets follow the stamps up to {@code reorder}: four probes of the write time's index, each
     * reading a row or two.
     */
    static WindowSpan of(Connection c, java.util.Optional<Instant> since, java.util.Optional<Instant> end,
            Duration reorder) throws SQLException {
        long lo = Long.MIN_VALUE;
        long first = Long.MIN_VALUE;
        if (since.isPresent()) {
            lo = probe(c, BEFORE, since.get().minus(reorder)).orElse(Long.MIN_VALUE);
            first = probe(c, FROM, since.get()).orElse(Long.MAX_VALUE);
        }
        long hi = Long.MAX_VALUE;
        long last = Long.MAX_VALUE;
        if (end.isPresent()) {
            hi = probe(c, FROM, end.get().plus(reorder)).orElse(Long.MAX_VALUE);
            last = probe(c, BEFORE, end.get()).orElse(Long.MIN_VALUE);
        }
        return new WindowSpan(lo, hi, first, last);
    }

    /** Whether the window holds no row at all (by the probes: no row stamped in it). */
    boolean empty() {
        return first == Long.MAX_VALUE || last == Long.MIN_VALUE;
    }

    /**
     * Whether reading the window's rows by the write time and sorting them costs less than reading along the
     * offsets from {@link #lo} until {@code wanted} rows are found: a window narrower than its margin plus a page.
     */
    boolean narrow(int wanted) {
        long start = first == Long.MIN_VALUE ? 0 : first;
        long margin = lo == Long.MIN_VALUE || first == Long.MIN_VALUE ? 0 : first - lo;
        return last != Long.MAX_VALUE && satSub(last, start) < margin + wanted;
    }

    private static long satSub(long a, long b) {
        long d = a - b;
        return ((a ^ b) & (a ^ d)) < 0 ? Long.MAX_VALUE : d;
    }

    static String probeSql(boolean before) {
        return before ? BEFORE : FROM;
    }

    private static OptionalLong probe(Connection c, String sql, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, at.toEpochMilli());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        }
    }

    /**
     * The greatest sequence number of {@code persistenceId} whose offset is at most {@code offset} (0 when none), by a
     * binary search on the tunnel's key: a tunnel's events get rising offsets (it writes one batch at a time), so
     * about log2(its events) point reads of the key.
     */
    static long sequenceAtOrBefore(Connection c, String persistenceId, long offset) throws SQLException {
        if (offset == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        long below = 0; // a sequence number known to be at or before (0: before the first)
        long above; // one known to be after
        try (PreparedStatement ps = c.prepareStatement("SELECT \"sequence_number\" FROM \"event_journal\" WHERE"
                + " \"persistence_id\" = ? ORDER BY \"persistence_id\" DESC, \"sequence_number\" DESC LIMIT 1")) {
            ps.setString(1, persistenceId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return 0;
                }
                above = rs.getLong(1) + 1;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(SEQUENCE_PROBE)) {
            ps.setString(1, persistenceId);
            while (above - below > 1) {
                long mid = below + (above - below) / 2;
                ps.setLong(2, mid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getLong(2) <= offset) {
                        below = rs.getLong(1); // at or after mid
                    } else { // no row from mid on at or before the offset
                        above = mid;
                    }
                }
            }
        }
        return below;
    }

    /** The first row of a persistence id at or after a sequence number: its number and offset. */
    static final String SEQUENCE_PROBE = "SELECT \"sequence_number\", \"ordering\" FROM \"event_journal\" WHERE"
            + " \"persistence_id\" = ? AND \"sequence_number\" >= ? ORDER BY \"persistence_id\", \"sequence_number\""
            + " LIMIT 1";
}
