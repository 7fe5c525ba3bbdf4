package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import net.palisade.model.event.TunnelEvent;

/**
 * Keeps the tunnels' state checkpoints ({@link StateCheckpoints}) written as their events are, on a thread of its
 * own, so that no {@code state?at=} read has to.
 *
 * <p>It folds each written event onto the tunnel's state it holds in memory (the state after the tunnel's latest
 * event, as the entity's own recovery would have it), so a checkpoint costs its encoding and a row, not a read of the
 * checkpoint before it and the events since. The checkpoints that fall due while it works go into one transaction:
 * on H2 every commit writes a chunk to the file, and one commit per checkpoint cost the IKE setup benchmark about
 * 15 % of the node's CPU samples. An event that does not follow the one it holds (the first events after a start, a
 * full queue) makes it forget that tunnel and catch up from the journal, as before, at the tunnel's next due
 * checkpoint. Checkpoints are a cache: a failed write is logged and costs a later read a longer fold.
 *
 * @param <S> the state
 */
public final class CheckpointWriter<S> {
    /** Events waiting for the writer; beyond this it forgets every tunnel and catches up from the journal. */
    static final int QUEUE = 65_536;

    private final StateCheckpoints<S> checkpoints;
    private final JournalSettings journal;
    private final Function<TunnelEvent, S> empty;
    private final BlockingQueue<LiveEvents.Written> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private final AtomicLong written = new AtomicLong();
    /** The state after each tunnel's latest event, by persistence id; the writer thread's alone. */
    private final Map<String, StateCheckpoints.Tail<S>> tails = new HashMap<>();
    private Connection connection;
    private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CheckpointWriter.class);

    /**
     * @param empty a tunnel's state before its first event, from any of its events (the label)
     */
    public CheckpointWriter(StateCheckpoints<S> checkpoints, JournalSettings journal, Function<TunnelEvent, S> empty) {
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.journal = Objects.requireNonNull(journal, "journal");
        this.empty = Objects.requireNonNull(empty, "empty");
    }

    /**
     * Starts the writer thread (a daemon named {@code name}); it ends, its connection closed, when {@code stop}
     * returns.
     */
    public Runnable start(String name) {
        return DatabaseLoop.start(name, queue, this::write, this::closeQuietly)::stop;
    }

    /** Takes one written event (never blocks: the journal's write path calls this). */
    public void written(LiveEvents.Written w) {
        if (!queue.offer(w)) {
            overflowed.set(true);
        }
    }

    /** Checkpoints written from the states held in memory so far, not by catch-ups (tests). */
    long checkpointsWritten() {
        return written.get();
    }

    private void write(List<LiveEvents.Written> batch) {
        if (overflowed.getAndSet(false)) {
            tails.clear(); // events were lost: what is held may not follow on
        }
        try {
            apply(batch);
        } catch (SQLException | RuntimeException e) {
            log.warn("state checkpoints not written: {}", e.toString());
            tails.clear();
            closeQuietly();
        }
    }

    /** Folds {@code batch} in; writes the checkpoints that fell due in one transaction. */
    void apply(List<LiveEvents.Written> batch) throws SQLException {
        Map<String, List<StateCheckpoints.Tail<S>>> due = new LinkedHashMap<>();
        for (LiveEvents.Written w : batch) {
            String id = w.persistenceId();
            StateCheckpoints.Tail<S> tail = tails.get(id);
            if (tail == null && w.sequenceNr() == 1) {
                tail = StateCheckpoints.Tail.empty(empty.apply(w.event()));
            }
            if (tail != null && w.sequenceNr() <= tail.sequenceNr()) {
                continue; // already folded by a catch-up that read past it
            }
            if (tail != null && w.sequenceNr() == tail.sequenceNr() + 1) {
                tail = checkpoints.next(tail, w.event());
                tails.put(id, tail);
                if (checkpoints.due(tail)) {
                    due.computeIfAbsent(id, k -> new ArrayList<>()).add(tail);
                }
            } else if (w.sequenceNr() % StateCheckpoints.EVERY == 0) {
                // not held (or a gap): the journal has it all, up to this event at least
                insert(due);
                due.clear();
                tails.put(id, checkpoints.catchUpTail(connection(), id, empty.apply(w.event())));
            } else {
                tails.remove(id);
            }
        }
        insert(due);
    }

    private void insert(Map<String, List<StateCheckpoints.Tail<S>>> due) throws SQLException {
        if (due.isEmpty()) {
            return;
        }
        checkpoints.insert(connection(), due);
        written.addAndGet(due.values().stream().mapToLong(List::size).sum());
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = JournalSchema.connect(journal);
        }
        return connection;
    }

    private void closeQuietly() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the checkpoint connection: {}", e.toString());
            }
            connection = null;
        }
    }
}
