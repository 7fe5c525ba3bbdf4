package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import net.palisade.model.event.TunnelEvent;

/**
 * A tunnel's state at an instant ({@code state?at=}) without replaying its whole history: the state after every
 * {@link #every}-th event of a persistence id is kept in the {@code state_checkpoint} table, and a read folds the
 * events after the latest usable checkpoint onto it. Reading costs one checkpoint and fewer than {@code every}
 * events, however long the tunnel's journal.
 *
 * <p>The answer is the full replay's: the longest prefix of the tunnel's journal whose events all happened at or
 * before the instant, folded from the empty state. A checkpoint after event {@code n} is usable for {@code at} when
 * all of events 1..n happened at or before {@code at}, so each keeps the latest time among them ({@code through});
 * a clock that stepped back cannot make a checkpoint skip an event the replay would have stopped at.
 *
 * <p>Checkpoints are a cache of the journal: written by the reads that pass them and by {@link #catchUp}, each at
 * most once (a second writer's identical row is refused by the key and ignored), and ignored when they cannot be
 * decoded. The state is written with the snapshot's serializer, so its secrets are sealed as in snapshots.
 *
 * <p>A checkpoint is only as right as the event handler that folded it: each row carries the handler's
 * {@link #fingerprint}, reads use only the rows of their own handler, and a node drops the others when it starts
 * ({@link #dropOthers}), so an upgrade that changes how an event applies never answers from the old version's
 * states (a pair member still on the old version keeps writing rows the new one ignores).
 *
 * @param <S> the state
 */
public final class StateCheckpoints<S> {
    /**
     * Events between two checkpoints of one tunnel: a read folds fewer than this many. A tunnel's rows lie
     * scattered among everyone's in the journal (ordered by offset), so each may cost a page read on a large
     * journal; the price of a small number is a state row every 32 events (4 % of an H2 journal's size).
     */
    public static final int EVERY = 32;

    /** A state as stored: the serializer's bytes, id and manifest. */
    public record Encoded(byte[] payload, int serializerId, String manifest) {
        public Encoded {
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(manifest, "manifest");
        }
    }

    /** Turns rows into events and states and states into rows (the ActorSystem's serialization on a node). */
    public interface Codec<S> {
        Object event(byte[] payload, int serializerId, String manifest);

        S state(byte[] payload, int serializerId, String manifest);

        Encoded encode(S state);
    }

    private final Codec<S> codec;
    private final BiFunction<S, TunnelEvent, S> fold;
    private final String handler;
    private final int every;
    private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(StateCheckpoints.class);

    /**
     * @param fold the event handler (pure: the same events give the same state)
     * @param handler names {@code fold}'s code: rows written by another are not used ({@link #fingerprint})
     * @param every a checkpoint after every this many events
     */
    public StateCheckpoints(Codec<S> codec, BiFunction<S, TunnelEvent, S> fold, String handler, int every) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.fold = Objects.requireNonNull(fold, "fold");
        this.handler = Objects.requireNonNull(handler, "handler");
        if (handler.isEmpty() || handler.length() > 64) {
            throw new IllegalArgumentException("handler must be 1 to 64 characters, found " + handler.length());
        }
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1, found " + every);
        }
        this.every = every;
    }

    /**
     * The fingerprint of an event handler's code: SHA-256 (first 16 octets, hex) of the class files of {@code
     * state} and of every class nested in it, in name order. Any change to that code (or the compiler that built
     * it) gives another; a handler that calls code outside {@code state}'s nest is not covered by it.
     */
    public static String fingerprint(Class<?> state) {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Class<?>> nest = new ArrayList<>(List.of(state.getNestMembers()));
        nest.sort(java.util.Comparator.comparing(Class::getName));
        for (Class<?> k : nest) {
            String resource = k.getName().replace('.', '/') + ".class";
            try (java.io.InputStream in = k.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("no class file " + resource);
                }
                sha.update(k.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(in.readAllBytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("reading " + resource, e);
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest(), 0, 16);
    }

    /**
     * Deletes the checkpoints another event handler wrote (a node does this as it starts).
     *
     * @return the rows deleted
     * @throws SQLException when the database refuses
     */
    public int dropOthers(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM \"state_checkpoint\" WHERE \"handler\" <> ?")) {
            ps.setString(1, handler);
            return ps.executeUpdate();
        }
    }

    /**
     * The state of {@code persistenceId} at {@code at}: its events up to the first that happened after {@code at},
     * folded onto {@code empty}. Writes the checkpoints it passes that were missing.
     *
     * @throws SQLException when the database refuses
     */
    public S at(Connection c, String persistenceId, S empty, Instant at) throws SQLException {
        return fold(c, persistenceId, empty, nanos(at)).state();
    }

    /**
     * Writes the missing checkpoints of {@code persistenceId} up to the end of its journal (a node does this as its
     * tunnels' events are written, so that no read has to).
     *
     * @return the state after the last event
     * @throws SQLException when the database refuses
     */
    public S catchUp(Connection c, String persistenceId, S empty) throws SQLException {
        return fold(c, persistenceId, empty, Long.MAX_VALUE).state();
    }

    /**
     * As {@link #catchUp}, also saying which event the state is after, so that the caller can go on folding the
     * events written next in memory ({@link #next}).
     *
     * @throws SQLException when the database refuses
     */
    public Tail<S> catchUpTail(Connection c, String persistenceId, S empty) throws SQLException {
        return fold(c, persistenceId, empty, Long.MAX_VALUE);
    }

    /**
     * A tunnel's state after its event {@code sequenceNr} (0: no event yet), with the latest time among its events so
     * far: what a checkpoint after that event holds.
     */
    public record Tail<S>(long sequenceNr, long through, S state) {
        /** Before the first event. */
        public static <S> Tail<S> empty(S state) {
            return new Tail<>(0, Long.MIN_VALUE, state);
        }
    }

    /** {@code tail} with {@code event}, its next event, folded in: what a replay of the journal gives. */
    public Tail<S> next(Tail<S> tail, TunnelEvent event) {
        return new Tail<>(tail.sequenceNr() + 1, Math.max(tail.through(), nanos(event.time())),
                fold.apply(tail.state(), event));
    }

    /** Whether a checkpoint belongs after {@code tail}'s event. */
    public boolean due(Tail<S> tail) {
        return tail.sequenceNr() > 0 && tail.sequenceNr() % every == 0;
    }

    /**
     * Writes checkpoints of several tunnels ({@link #due} tails, by persistence id) in one transaction: one disk
     * flush for all of them. A row already there (another writer's, the same) drops the batch, as in {@link #catchUp}.
     *
     * @throws SQLException when the database refuses
     */
    public void insert(Connection c, java.util.Map<String, List<Tail<S>>> due) throws SQLException {
        java.util.Map<String, List<Checkpoint<S>>> rows = new java.util.LinkedHashMap<>();
        due.forEach((id, tails) -> rows.put(id, tails.stream()
                .map(t -> new Checkpoint<>(t.sequenceNr(), t.through(), t.state())).toList()));
        write(c, rows);
    }

    /** {@code t} in nanoseconds since the epoch, held to the range of a long (an {@code at} centuries away). */
    static long nanos(Instant t) {
        try {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (ArithmeticException e) {
            return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private record Start<S>(long sequenceNr, long through, S state) {}

    private record Checkpoint<S>(long sequenceNr, long through, S state) {}

    private Tail<S> fold(Connection c, String persistenceId, S empty, long at) throws SQLException {
        Start<S> start = latest(c, persistenceId, at).orElse(new Start<>(0, Long.MIN_VALUE, empty));
        S state = start.state();
        long through = start.through();
        long last = start.sequenceNr();
        long folded = last; // the last row the state is after (last may be the one after the instant, not folded)
        List<Checkpoint<S>> passed = new ArrayList<>();
        // a read stops within a checkpoint's worth (and the event that ends it); a catch-up reads on to the end
        int batch = at == Long.MAX_VALUE ? 10_000 : (int) Math.min(every + 1L, 10_000);
        boolean more = true;
        try {
            while (more) {
                int read = 0;
                try (PreparedStatement ps = c.prepareStatement("SELECT \"sequence_number\", \"event_payload\","
                        + " \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\" WHERE \"persistence_id\" = ?"
                        + " AND \"sequence_number\" > ? AND \"deleted\" = FALSE ORDER BY \"persistence_id\","
                        + " \"sequence_number\" LIMIT " + batch)) { // the key's own order: H2 reads only the rows wanted
                    ps.setString(1, persistenceId);
                    ps.setLong(2, last);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            read++;
                            last = rs.getLong(1);
                            if (!(codec.event(rs.getBytes(2), rs.getInt(3), rs.getString(4)) instanceof TunnelEvent e)) {
                                folded = last;
                                continue;
                            }
                            long time = nanos(e.time());
                            if (time > at) {
                                more = false;
                                break;
                            }
                            state = fold.apply(state, e);
                            folded = last;
                            through = Math.max(through, time);
                            if (last % every == 0) {
                                passed.add(new Checkpoint<>(last, through, state));
                            }
                        }
                    }
                }
                more &= read == batch;
            }
        } finally {
            write(c, java.util.Map.of(persistenceId, passed));
        }
        return new Tail<>(folded, through, state);
    }

    /** The latest checkpoint whose events all happened at or before {@code at}. */
    private java.util.Optional<Start<S>> latest(Connection c, String persistenceId, long at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT \"sequence_number\", \"through_nanos\","
                + " \"state_payload\", \"state_ser_id\", \"state_ser_manifest\" FROM \"state_checkpoint\""
                + " WHERE \"persistence_id\" = ? AND \"through_nanos\" <= ? AND \"handler\" = ?"
                + " ORDER BY \"persistence_id\" DESC, \"through_nanos\" DESC, \"sequence_number\" DESC LIMIT 1")) {
            // the index's order, as above
            ps.setString(1, persistenceId);
            ps.setLong(2, at);
            ps.setString(3, handler);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                long seq = rs.getLong(1);
                long through = rs.getLong(2);
                byte[] payload = rs.getBytes(3);
                int serializer = rs.getInt(4);
                String manifest = rs.getString(5);
                try {
                    return java.util.Optional.of(new Start<>(seq, through, codec.state(payload, serializer, manifest)));
                } catch (Exception e) { // Pekko's deserialize throws Jackson's checked exceptions unchecked
                    // a cache: a checkpoint this build cannot read costs a longer replay, not the answer
                    log.warn("state checkpoint {} #{} unreadable ({}): replaying from the start", persistenceId, seq,
                            e.toString());
                    return java.util.Optional.empty();
                }
            }
        }
    }

    /**
     * Writes {@code passed} in one transaction (a commit each would cost a disk flush each). Another read may have
     * written the same rows meanwhile: the key refuses them, and the batch is dropped (the rows are the same).
     */
    private void write(Connection c, java.util.Map<String, List<Checkpoint<S>>> passed) throws SQLException {
        if (passed.values().stream().allMatch(List::isEmpty)) {
            return;
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"state_checkpoint\" (\"persistence_id\","
                + " \"sequence_number\", \"through_nanos\", \"state_ser_id\", \"state_ser_manifest\","
                + " \"state_payload\", \"handler\") SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM"
                + " \"state_checkpoint\""
                + " WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?)")) {
            for (var tunnel : passed.entrySet()) {
                String persistenceId = tunnel.getKey();
                for (Checkpoint<S> cp : tunnel.getValue()) {
                    Encoded enc = codec.encode(cp.state());
                    ps.setString(1, persistenceId);
                    ps.setLong(2, cp.sequenceNr());
                    ps.setLong(3, cp.through());
                    ps.setInt(4, enc.serializerId());
                    ps.setString(5, enc.manifest());
                    ps.setBytes(6, enc.payload());
                    ps.setString(7, handler);
                    ps.setString(8, persistenceId);
                    ps.setLong(9, cp.sequenceNr());
                    ps.addBatch();
                }
            }
            ps.executeBatch();
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            if (!"23505".equals(e.getSQLState()) && !(e.getNextException() != null
                    && "23505".equals(e.getNextException().getSQLState()))) {
                throw e;
            }
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
