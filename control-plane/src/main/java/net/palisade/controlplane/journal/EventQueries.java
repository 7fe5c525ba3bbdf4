package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import net.palisade.model.event.TunnelEvent;

/**
 * Tunnel events read straight from the journal tables with SQL that the indexes answer: one tunnel's by its
 * persistence id (the primary key), all tunnels' by the ordering column, a time window through the write timestamp
 * (indexed), an event type through the serializer manifest (the event's class; indexed with the ordering), a page at
 * a time ({@code after} an offset, at most {@code limit}), and counts ({@link #count}). The cost of a read grows with
 * what it returns, not with the journal's size; the read journal's streams ({@code currentEventsByTag}) decode every
 * event to filter them.
 *
 * <p>An event's {@code time} is taken before it is written, so its write timestamp is never earlier: {@code since}
 * bounds the write timestamp exactly. {@code until} bounds it with {@link #WRITE_LAG} of slack (an event written
 * that much after it happened would be missed by an {@code until} at its edge), and the decoded time decides.
 */
public final class EventQueries {
    /** How much later than its {@code time} an event may reach the journal and still be found by {@code until}. */
    public static final Duration WRITE_LAG = Duration.ofMinutes(10);
    /** Persistence ids of tunnels begin with this ({@code Tunnel|label}). */
    private static final String TUNNEL_PREFIX = "Tunnel|";

    /** Turns a row's payload into the event (the serializer the journal wrote it with). */
    @FunctionalInterface
    public interface Decoder {
        Object decode(byte[] payload, int serializerId, String manifest);
    }

    /** One event as read: its global offset, its number in the tunnel's journal, the event. */
    public record Row(long offset, long sequenceNr, TunnelEvent event) {}

    /**
     * What to read.
     *
     * @param label one tunnel, or every tunnel
     * @param since at or after this instant
     * @param until before this instant
     * @param type only this event type ({@code phase1-up}, ...)
     * @param after only events with a greater offset (the last one of the previous page)
     * @param limit at most this many
     */
    public record Query(Optional<String> label, Optional<Instant> since, Optional<Instant> until,
            Optional<String> type, OptionalLong after, int limit) {
        public Query {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(since, "since");
            Objects.requireNonNull(until, "until");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(after, "after");
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be at least 1, found " + limit);
            }
            if (type.isPresent() && !MANIFESTS.containsKey(type.get())) {
                throw new IllegalArgumentException("unknown event type '" + type.get() + "'; known: "
                        + String.join(", ", TunnelEvent.TYPES));
            }
        }
    }

    /** The serializer manifest (class name) of each event type. */
    private static final Map<String, String> MANIFESTS = manifests();

    private EventQueries() {}

    private static Map<String, String> manifests() {
        com.fasterxml.jackson.annotation.JsonSubTypes subtypes =
                TunnelEvent.class.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class);
        return java.util.Arrays.stream(subtypes.value()).map(com.fasterxml.jackson.annotation.JsonSubTypes.Type::value)
                .collect(Collectors.toUnmodifiableMap(
                        c -> c.getAnnotation(com.fasterxml.jackson.annotation.JsonTypeName.class).value(),
                        Class::getName));
    }

    /**
     * Runs {@code q} on {@code c}: the matching events in journal order (by offset), at most {@code q.limit()}.
     * Every tunnel's events are read along the ordering index (or the type's index, or the write time's), one
     * tunnel's along its key from the event after {@code after}: each batch starts where the last one ended, so a
     * history read a page at a time costs what it returns, not the pages before it.
     *
     * @throws SQLException when the database refuses
     */
    public static List<Row> run(Connection c, Query q, Decoder decoder) throws SQLException {
        boolean h2 = h2(c);
        // the decoded time may drop rows the write timestamp let through (until's slack): read on until enough
        int size = (int) Math.min((long) q.limit() + 64, 10_000);
        List<Row> out = new ArrayList<>();
        Start start = start(c, q, size);
        if (start == null) {
            return out;
        }
        long last = start.last();
        long lastSeq = start.lastSeq();
        while (out.size() < q.limit()) {
            Batch b = batch(q, h2 ? orderingIndex(c) : null, start.span(), start.lastSeqInWindow(), last, lastSeq,
                    size);
            int read = 0;
            try (PreparedStatement ps = c.prepareStatement(b.sql())) {
                bind(ps, b.args());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next() && out.size() < q.limit()) {
                        read++;
                        last = rs.getLong(1);
                        lastSeq = rs.getLong(2);
                        if (decoder.decode(rs.getBytes(3), rs.getInt(4), rs.getString(5)) instanceof TunnelEvent e
                                && inWindow(q, e)) {
                            out.add(new Row(last, lastSeq, e));
                        }
                    }
                }
            }
            if (read < size) {
                return out;
            }
        }
        return out;
    }

    /**
     * Where a read starts: after offset {@code last} and, for one tunnel, its sequence number {@code lastSeq}; a time
     * window's span ({@code null} without one) and, for one tunnel, its last sequence number in the window.
     */
    record Start(long last, long lastSeq, WindowSpan span, long lastSeqInWindow) {}

    /** Where {@code q}'s read starts, read in batches of {@code size}; null when its time window holds no row. */
    static Start start(Connection c, Query q, int size) throws SQLException {
        long last = q.after().orElse(Long.MIN_VALUE);
        // one tunnel: continue along its key (persistence id, sequence number) after the event at offset after
        long lastSeq = q.label().isPresent() && q.after().isPresent() ? sequenceAt(c, q.label().get(), last) : 0;
        if (q.since().isEmpty() && q.until().isEmpty()) {
            return new Start(last, lastSeq, null, Long.MAX_VALUE);
        }
        // a time window: where its rows lie by offset (and in the tunnel's key), so that the read starts there
        WindowSpan span = WindowSpan.of(c, q.since(), q.until().map(u -> u.plus(WRITE_LAG)),
                h2(c) ? WindowSpan.REORDER_H2 : WindowSpan.REORDER);
        if (span.empty()) {
            return null;
        }
        long lastSeqInWindow = Long.MAX_VALUE;
        if (q.label().isPresent()) {
            String id = TUNNEL_PREFIX + q.label().get();
            if (span.lo() != Long.MIN_VALUE) {
                lastSeq = Math.max(lastSeq, WindowSpan.sequenceAtOrBefore(c, id, span.lo()));
            }
            if (span.hi() != Long.MAX_VALUE) {
                lastSeqInWindow = WindowSpan.sequenceAtOrBefore(c, id, span.hi() - 1);
            }
        } else if (!span.narrow(size)) {
            last = Math.max(last, span.lo());
        }
        return new Start(last, lastSeq, span, lastSeqInWindow);
    }

    /** One batch's SQL and its arguments. */
    record Batch(String sql, List<Object> args) {}

    /**
     * The batch of {@code size} rows of {@code q} after offset {@code last} ({@link Long#MIN_VALUE}: from the
     * first), and for one tunnel after its sequence number {@code lastSeq}, in the order of the index that finds
     * them, so that the database stops at the batch's end. A time window ({@code span}, else null) is read along the
     * same index between its span's offsets (one tunnel's up to its sequence number {@code lastSeqInWindow}), or,
     * when it is narrower than its margins and a batch, found by the write time and sorted; H2 is told which index
     * (its cost estimate chose the write time's for every window, and sorted all of a wide one for a first page).
     */
    static Batch batch(Query q, String orderingIndex, WindowSpan span, long lastSeqInWindow, long last, long lastSeq,
            int size) {
        boolean h2 = orderingIndex != null;
        List<Object> args = new ArrayList<>();
        boolean byTime = span != null && q.label().isEmpty() && span.narrow(size);
        String index = span == null || !h2 || q.label().isPresent() ? null
                : byTime ? "event_journal_write_timestamp_idx"
                : q.type().isPresent() ? "event_journal_manifest_idx" : orderingIndex;
        StringBuilder sql = new StringBuilder("SELECT \"ordering\", \"sequence_number\", \"event_payload\","
                + " \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\"")
                .append(index == null ? "" : " USE INDEX (\"" + index + "\")")
                .append(" WHERE ").append(where(q, args, Window.WHOLE, h2));
        if (q.label().isPresent()) {
            sql.append(" AND \"sequence_number\" > ?");
            args.add(lastSeq);
            if (lastSeqInWindow != Long.MAX_VALUE) {
                sql.append(" AND \"sequence_number\" <= ?");
                args.add(lastSeqInWindow);
            }
        }
        if (last != Long.MIN_VALUE) {
            sql.append(" AND \"ordering\" > ?");
            args.add(last);
        }
        if (span != null && span.hi() != Long.MAX_VALUE && q.label().isEmpty() && !byTime) {
            sql.append(" AND \"ordering\" < ?");
            args.add(span.hi());
        }
        if (q.label().isPresent()) {
            sql.append(" ORDER BY \"persistence_id\", \"sequence_number\"");
        } else { // one type: the order of its index (manifest, ordering), or H2 sorts all of the type's rows
            sql.append(" ORDER BY ").append(q.type().isPresent() && !byTime ? "\"event_ser_manifest\", " : "")
                    .append("\"ordering\"");
        }
        return new Batch(sql.append(" LIMIT ").append(size).toString(), args);
    }

    /**
     * How many events {@code q} selects (its {@code limit} aside) and the offset of the last, read from the indexes
     * without decoding an event, except those whose write time lies within {@link #WRITE_LAG} after {@code since}
     * or {@code until}, where only the decoded time decides (an event journaled later than that after it happened
     * is judged by its write time, as {@code until} already misses it in a read).
     *
     * @throws SQLException when the database refuses
     */
    public static Count count(Connection c, Query q, Decoder decoder) throws SQLException {
        boolean h2 = h2(c);
        List<Object> args = new ArrayList<>();
        String sql = "SELECT COUNT(*), MAX(\"ordering\") FROM \"event_journal\" WHERE "
                + where(q, args, Window.CORE, h2);
        long n;
        long lastOffset;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                n = rs.getLong(1);
                lastOffset = rs.getObject(2) == null ? Long.MIN_VALUE : rs.getLong(2);
            }
        }
        if (q.since().isPresent() || q.until().isPresent()) {
            List<Object> edgeArgs = new ArrayList<>();
            String edges = "SELECT \"ordering\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\" FROM"
                    + " \"event_journal\" WHERE " + where(q, edgeArgs, Window.EDGES, h2);
            try (PreparedStatement ps = c.prepareStatement(edges)) {
                bind(ps, edgeArgs);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (decoder.decode(rs.getBytes(2), rs.getInt(3), rs.getString(4)) instanceof TunnelEvent e
                                && inWindow(q, e)) {
                            n++;
                            lastOffset = Math.max(lastOffset, rs.getLong(1));
                        }
                    }
                }
            }
        }
        return new Count(n, lastOffset == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(lastOffset));
    }

    /** How many events a query selects, and the greatest offset among them (none when it selects none). */
    public record Count(long count, OptionalLong lastOffset) {}

    /**
     * Which rows of a time window a condition takes: WHOLE every row whose write time may belong (the decoded time
     * decides), CORE those whose write time alone proves they belong, EDGES the others of WHOLE.
     */
    private enum Window { WHOLE, CORE, EDGES }

    /**
     * The condition for {@code q}'s rows ({@code after} only for a count: {@link #run} adds each batch's start).
     * Every tunnel is taken, on H2, by a prefix test on the persistence id that no index answers, so that the
     * database reads in the order of the ordering index (or the type's, or the write time's) and stops at the page's
     * end: a range on the key's first column made H2 read and sort every row of every tunnel for each page.
     * PostgreSQL keeps the range, whose share of the rows it knows from its statistics.
     */
    private static String where(Query q, List<Object> args, Window w, boolean h2) {
        StringBuilder sql = new StringBuilder("\"deleted\" = FALSE");
        if (q.label().isPresent()) {
            sql.append(" AND \"persistence_id\" = ?");
            args.add(TUNNEL_PREFIX + q.label().get());
        } else if (h2) {
            sql.append(" AND LEFT(\"persistence_id\", ").append(TUNNEL_PREFIX.length()).append(") = ?");
            args.add(TUNNEL_PREFIX);
        } else { // PostgreSQL guesses 0.5% for LEFT(...) = ?, and then sorts the whole table for a first page
            sql.append(" AND \"persistence_id\" >= ? AND \"persistence_id\" < ?");
            args.add(TUNNEL_PREFIX);
            args.add(TUNNEL_PREFIX.substring(0, TUNNEL_PREFIX.length() - 1) + (char) ('|' + 1));
        }
        q.type().ifPresent(t -> {
            sql.append(" AND \"event_ser_manifest\" = ?");
            args.add(MANIFESTS.get(t));
        });
        if (w != Window.WHOLE) { // run() adds it with each batch's own start
            q.after().ifPresent(a -> {
                sql.append(" AND \"ordering\" > ?");
                args.add(a);
            });
        }
        // WHOLE: [since, until + lag); CORE: [since + lag, until); EDGES: WHOLE and not CORE
        q.since().ifPresent(s -> {
            sql.append(" AND \"write_timestamp\" >= ?");
            args.add(s.toEpochMilli());
        });
        q.until().ifPresent(u -> {
            sql.append(" AND \"write_timestamp\" < ?");
            args.add(u.plus(WRITE_LAG).toEpochMilli());
        });
        List<String> core = new ArrayList<>();
        List<Object> coreArgs = new ArrayList<>();
        q.since().ifPresent(s -> {
            core.add("\"write_timestamp\" >= ?");
            coreArgs.add(s.plus(WRITE_LAG).toEpochMilli());
        });
        q.until().ifPresent(u -> {
            core.add("\"write_timestamp\" < ?");
            coreArgs.add(u.toEpochMilli());
        });
        if (w == Window.CORE) {
            core.forEach(cond -> sql.append(" AND ").append(cond));
            args.addAll(coreArgs);
        } else if (w == Window.EDGES) {
            sql.append(" AND NOT (").append(String.join(" AND ", core)).append(")");
            args.addAll(coreArgs);
        }
        return sql.toString();
    }

    static boolean h2(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseProductName().startsWith("H2");
    }

    /** The H2 ordering index's name by database URL, looked up once. */
    private static final Map<String, String> ORDERING_INDEX = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The name of the H2 index that leads with the ordering: the one H2 made for the column's UNIQUE constraint
     * ({@code CONSTRAINT_INDEX_…}, named by H2; it sorts before the plugin's second copy,
     * {@code event_journal_ordering_idx}, which h2.sql drops and an older journal keeps until its next start).
     */
    static String orderingIndex(Connection c) throws SQLException {
        String url = c.getMetaData().getURL();
        String known = ORDERING_INDEX.get(url);
        if (known != null) {
            return known;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT \"INDEX_NAME\" FROM"
                + " \"INFORMATION_SCHEMA\".\"INDEX_COLUMNS\" WHERE \"TABLE_NAME\" = 'event_journal'"
                + " AND \"COLUMN_NAME\" = 'ordering' AND \"ORDINAL_POSITION\" = 1 ORDER BY \"INDEX_NAME\"");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the journal has no index on \"ordering\"");
            }
            String name = rs.getString(1);
            ORDERING_INDEX.put(url, name);
            return name;
        }
    }

    static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }

    private static boolean inWindow(Query q, TunnelEvent e) {
        return q.since().map(s -> !e.time().isBefore(s)).orElse(true)
                && q.until().map(u -> e.time().isBefore(u)).orElse(true);
    }

    /**
     * The sequence number of the tunnel's event at offset {@code after}, found by the ordering index; when that
     * offset is no event of this tunnel, 0 (then the tunnel's events are read from its first, those up to
     * {@code after} skipped by the ordering condition). A tunnel's events get rising offsets: it writes one batch
     * at a time.
     */
    private static long sequenceAt(Connection c, String label, long after) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT \"persistence_id\", \"sequence_number\" FROM"
                + " \"event_journal\" WHERE \"ordering\" = ?")) {
            ps.setLong(1, after);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && (TUNNEL_PREFIX + label).equals(rs.getString(1)) ? rs.getLong(2) : 0;
            }
        }
    }

    /** The serializer manifest of each event type ({@code phase1-up}, ...). */
    static Map<String, String> typeManifests() {
        return MANIFESTS;
    }
}
