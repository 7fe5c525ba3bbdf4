package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.ReplayMarks;

/**
 * Keeps every installed inbound SA's replay high-water mark in the table {@code replay_mark} ({@link ReplayMarkTable})
 * and hands the marks back when a tunnel is recovered, so that an SA whose keys outlive the process (a manual SA, an
 * IKE Child SA resumed with the pair key) starts its replay window where the last node's stood, not empty.
 *
 * <p>On a thread of its own with a connection of its own ({@link DatabaseLoop}), it samples every installed inbound
 * SA's {@link InboundSa#mark()} about once a second (an opaque read, no lock on the packet path) and writes, in
 * one transaction, the marks that advanced ({@code GREATEST}: marks only go up) and deletes the rows of SAs that are
 * gone. A new SA that did not start from a recovered mark takes its (label, SPI) over with its own mark, so a row
 * never outlives its SA's keys into an SA of the same SPI with new ones. Rows whose SA never came back (a tunnel
 * renegotiated after the restart instead of resuming) are swept once the node has been active for
 * {@link #GRACE}. Only while the node may act: a pair member that lost its lease removes its SAs after the role is
 * lost, and must not delete the rows the new active node is reading.
 *
 * <p>Not the event journal: a mark every second per SA would be most of the journal's history and all of its
 * writes, and nothing needs the history of a mark, only its latest value (as with the state checkpoints). The cost
 * is what the sampling leaves open: packets an SA authenticated after the last sample can be replayed once to the
 * node that resumes it.
 */
public final class ReplayMarkWriter {
    /** How often the marks are sampled unless {@code palisade.replay-mark-interval} (milliseconds) says otherwise. */
    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** How long after becoming active rows of SAs that are not installed are kept. */
    static final Duration GRACE = Duration.ofSeconds(60);

    private final JournalSettings journal;
    private final ReplayMarkTable table;
    private final Supplier<List<InboundSa>> installed;
    private final ReplayMarks marks;
    private final BooleanSupplier mayAct;
    private final Duration interval;
    private final Duration grace;
    private final DelayQueue<Tick> queue = new DelayQueue<>();
    /** The SAs seen installed at the last sample and the mark written for each; the writer thread's alone. */
    private final Map<ReplayMarks.Key, Tracked> tracked = new HashMap<>();
    private long activeSince = -1;
    private long lastSweep;
    private Connection connection;
    private final Object loading = new Object();
    private Connection loadConnection; // guarded by loading
    private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReplayMarkWriter.class);

    private record Tracked(InboundSa sa, long written) {}

    /**
     * @param installed the node's installed inbound SAs ({@code Dataplane::inboundSas})
     * @param marks where recovered marks wait for their SAs ({@code Dataplane.replayMarks()})
     * @param mayAct whether this node may act now (a sole node: always; a pair member: while it holds the lease)
     */
    public ReplayMarkWriter(JournalSettings journal, Supplier<List<InboundSa>> installed, ReplayMarks marks,
            BooleanSupplier mayAct) {
        this(journal, installed, marks, mayAct, Duration.ofMillis(Long.getLong("palisade.replay-mark-interval",
                INTERVAL.toMillis())), GRACE);
    }

    ReplayMarkWriter(JournalSettings journal, Supplier<List<InboundSa>> installed, ReplayMarks marks,
            BooleanSupplier mayAct, Duration interval, Duration grace) {
        this.grace = grace;
        this.journal = Objects.requireNonNull(journal, "journal");
        this.table = new ReplayMarkTable(journal.h2());
        this.installed = Objects.requireNonNull(installed, "installed");
        this.marks = Objects.requireNonNull(marks, "marks");
        this.mayAct = Objects.requireNonNull(mayAct, "mayAct");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("palisade.replay-mark-interval must be positive, got " + interval);
        }
        this.interval = interval;
    }

    /** Starts the sampling thread (a daemon named {@code name}); it ends, its connection closed, when the returned stop does. */
    public Runnable start(String name) {
        queue.add(new Tick(System.nanoTime()));
        DatabaseLoop<Tick> loop = DatabaseLoop.start(name, queue, batch -> {
            sampleLogged();
            queue.add(new Tick(System.nanoTime() + interval.toNanos()));
        }, this::closeQuietly);
        return () -> {
            loop.stop();
            closeLoader();
        };
    }

    /** Closes the connection {@link #recover} opened (the node did not start, or stopped). */
    public void closeLoader() {
        synchronized (loading) {
            loadConnection = close(loadConnection);
        }
    }

    /**
     * Reads the marks of {@code label}'s inbound SAs into the dataplane's {@link ReplayMarks}: called when the
     * tunnel's journal has been replayed, before its SAs are installed again (on the entity's thread: one indexed
     * query). A failure is logged and leaves the tunnel's windows empty, as before marks were kept.
     */
    public void recover(String label) {
        synchronized (loading) {
            try {
                if (loadConnection == null || loadConnection.isClosed()) {
                    loadConnection = JournalSchema.connect(journal);
                }
                Map<Integer, Long> found = table.load(loadConnection, label);
                found.forEach((spi, mark) -> marks.recovered(label, spi, mark));
                if (!found.isEmpty()) {
                    log.info("tunnel {}: inbound replay windows start at their recorded marks ({})", label,
                            found.entrySet().stream().map(e -> "spi 0x" + Integer.toHexString(e.getKey()) + " at "
                                    + e.getValue()).toList());
                }
            } catch (SQLException | RuntimeException e) {
                log.warn("tunnel {}: replay marks not read, its inbound replay windows start empty: {}", label,
                        e.toString());
                loadConnection = close(loadConnection);
            }
        }
    }

    private void sampleLogged() {
        try {
            sample();
        } catch (SQLException | RuntimeException e) {
            log.warn("replay marks not written: {}", e.toString());
            tracked.clear(); // written again, all of them, at the next sample
            connection = close(connection);
        }
    }

    /** One sample: writes the marks that advanced and deletes the rows of SAs that went, in one transaction. */
    void sample() throws SQLException {
        List<InboundSa> now = installed.get();
        // after the SAs were read: a pair member that lost its lease loses it before its SAs are removed
        boolean acting = mayAct.getAsBoolean();
        long nanos = System.nanoTime();
        List<ReplayMarkTable.Write> writes = new ArrayList<>();
        List<ReplayMarks.Key> deletes = new ArrayList<>();
        Set<ReplayMarks.Key> seen = new HashSet<>();
        for (InboundSa sa : now) {
            ReplayMarks.Key key = new ReplayMarks.Key(sa.label(), sa.spi());
            seen.add(key);
            Tracked t = tracked.get(key);
            long mark = sa.mark();
            if (t == null || t.sa() != sa) {
                marks.installed(key);
                // a new SA: from a recovered mark it goes on above it; without one it replaces what the row held
                writes.add(new ReplayMarkTable.Write(key, mark, sa.startedAt() == 0));
                tracked.put(key, new Tracked(sa, mark));
            } else if (mark > t.written()) {
                writes.add(new ReplayMarkTable.Write(key, mark, false));
                tracked.put(key, new Tracked(sa, mark));
            }
        }
        for (var it = tracked.keySet().iterator(); it.hasNext();) {
            ReplayMarks.Key key = it.next();
            if (!seen.contains(key)) {
                it.remove();
                if (acting) {
                    deletes.add(key);
                }
            }
        }
        if (!acting) {
            activeSince = -1;
        } else if (activeSince < 0) {
            activeSince = nanos;
            lastSweep = nanos;
        } else if (nanos - lastSweep >= grace.toNanos()) {
            lastSweep = nanos;
            marks.forget(nanos - grace.toNanos());
            Set<ReplayMarks.Key> waiting = marks.pendingKeys();
            for (ReplayMarks.Key key : table.keys(connection())) {
                if (!seen.contains(key) && !waiting.contains(key) && !deletes.contains(key)) {
                    deletes.add(key);
                }
            }
        }
        if (!writes.isEmpty() || !deletes.isEmpty()) {
            table.apply(connection(), writes, deletes);
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = JournalSchema.connect(journal);
        }
        return connection;
    }

    private void closeQuietly() {
        connection = close(connection);
    }

    private Connection close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                log.debug("closing a replay mark connection: {}", e.toString());
            }
        }
        return null;
    }

    /** A sample due at {@code dueNanos}. */
    private record Tick(long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }
    }
}
