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
 * (indexed), an event type through the serializer manifest (the event's class), and a page at a time ({@code after}
 * an offset, at most {@code limit}). The cost of a read grows with what it returns, not with the journal's size;
 * the read journal's streams ({@code currentEventsByTag}) decode every event to filter them.
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
     *
     * @throws SQLException when the database refuses
     */
    public static List<Row> run(Connection c, Query q, Decoder decoder) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT \"ordering\", \"sequence_number\", \"event_payload\", "
                + "\"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\" WHERE \"deleted\" = FALSE");
        List<Object> args = new ArrayList<>();
        if (q.label().isPresent()) {
            sql.append(" AND \"persistence_id\" = ?");
            args.add(TUNNEL_PREFIX + q.label().get());
        } else {
            // a range on the primary key's first column: every tunnel, no other entity
            sql.append(" AND \"persistence_id\" >= ? AND \"persistence_id\" < ?");
            args.add(TUNNEL_PREFIX);
            args.add(TUNNEL_PREFIX.substring(0, TUNNEL_PREFIX.length() - 1) + (char) ('|' + 1));
        }
        q.since().ifPresent(s -> {
            sql.append(" AND \"write_timestamp\" >= ?");
            args.add(s.toEpochMilli());
        });
        q.until().ifPresent(u -> {
            sql.append(" AND \"write_timestamp\" < ?");
            args.add(u.plus(WRITE_LAG).toEpochMilli());
        });
        q.type().ifPresent(t -> {
            sql.append(" AND \"event_ser_manifest\" = ?");
            args.add(MANIFESTS.get(t));
        });
        // the decoded time may drop rows the write timestamp let through (until's slack): read on until enough
        int batch = (int) Math.min((long) q.limit() + 64, 10_000);
        List<Row> out = new ArrayList<>();
        long last = q.after().orElse(Long.MIN_VALUE);
        while (out.size() < q.limit()) {
            String page = sql + (last == Long.MIN_VALUE ? "" : " AND \"ordering\" > ?") + " ORDER BY \"ordering\" LIMIT "
                    + batch;
            int read = 0;
            try (PreparedStatement ps = c.prepareStatement(page)) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                if (last != Long.MIN_VALUE) {
                    ps.setLong(args.size() + 1, last);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next() && out.size() < q.limit()) {
                        read++;
                        last = rs.getLong(1);
                        if (decoder.decode(rs.getBytes(3), rs.getInt(4), rs.getString(5)) instanceof TunnelEvent e
                                && q.since().map(s -> !e.time().isBefore(s)).orElse(true)
                                && q.until().map(u -> e.time().isBefore(u)).orElse(true)) {
                            out.add(new Row(last, rs.getLong(2), e));
                        }
                    }
                }
            }
            if (read < batch) {
                return out;
            }
        }
        return out;
    }

    /** The serializer manifest of each event type ({@code phase1-up}, ...). */
    static Map<String, String> typeManifests() {
        return MANIFESTS;
    }
}
