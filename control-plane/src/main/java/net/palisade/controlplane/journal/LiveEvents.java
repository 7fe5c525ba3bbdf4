package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Tunnel events pushed to subscribers as the journal writes them ({@code /v1/events/stream}), instead of each
 * subscriber polling the journal: {@link PublishingJournalDao} hands every successful write here, and one thread
 * ({@code palisade-live-events}) looks up the rows' offsets by their keys and offers each event to each subscriber's
 * bounded buffer.
 *
 * <p>The journal writer never waits for a subscriber: it only puts the written batch into a bounded inbox, and a
 * subscriber whose buffer is full (a client that stopped reading, or reads more slowly than the node writes) is cut
 * off: its stream fails with {@link CutOff} and it is forgotten. Should the inbox itself overflow, every subscriber
 * is cut off, since each would otherwise miss events. A cut-off client reconnects with the last offset it received
 * and reads on from the journal, so it loses nothing.
 *
 * <p>Only writes made by this node's journal are seen: a pair member's API on the standby does not see the active
 * node's writes (it polls the journal instead; see {@code ControlPlane.liveEvents}).
 */
public final class LiveEvents implements Extension {
    /** Events a subscriber may have waiting before it is cut off: {@value} unless the config sets it. */
    public static final int BUFFER = 4096;
    /** The config key that overrides {@link #BUFFER}. */
    public static final String BUFFER_KEY = "palisade.live-events.buffer";
    /** Writes (starts and completions) the publishing thread may have waiting. */
    static final int INBOX = 100_000;

    /** The extension's id: one hub per ActorSystem. */
    public static final AbstractExtensionId<LiveEvents> ID = new AbstractExtensionId<>() {
        @Override
        public LiveEvents createExtension(ExtendedActorSystem system) {
            LiveEvents live = new LiveEvents(system.settings().config().hasPath(BUFFER_KEY)
                    ? system.settings().config().getInt(BUFFER_KEY) : BUFFER);
            system.registerOnTermination(live::close);
            return live;
        }
    };

    /** Why a subscriber's stream ended: the message is for the client. */
    public static final class CutOff extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CutOff(String message) {
            super(message, null, false, false);
        }
    }

    /** One event as written: its tunnel's persistence id and sequence number. */
    public record Written(String persistenceId, long sequenceNr, TunnelEvent event) {
        public Written {
            Objects.requireNonNull(persistenceId, "persistenceId");
            Objects.requireNonNull(event, "event");
        }
    }

    private record Subscriber(BoundedSourceQueue<EventQueries.Row> queue) {}

    private final int buffer;
    private final BlockingQueue<Message> inbox = new ArrayBlockingQueue<>(INBOX);
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final List<Consumer<Written>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong cutOff = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private volatile JournalSettings journal;
    private volatile DatabaseLoop<Message> publisher;
    private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LiveEvents.class);

    LiveEvents(int buffer) {
        if (buffer < 1) {
            throw new IllegalArgumentException(BUFFER_KEY + " must be at least 1, found " + buffer);
        }
        this.buffer = buffer;
    }

    /** The hub of {@code system}. */
    public static LiveEvents get(ActorSystem system) {
        return ID.get(system);
    }

    /** Starts publishing, reading offsets from {@code settings}' database (until then writes are not published). */
    public synchronized void attach(JournalSettings settings) {
        if (publisher != null) {
            return;
        }
        this.journal = Objects.requireNonNull(settings, "settings");
        publisher = DatabaseLoop.start("palisade-live-events", inbox, this::run, () -> closeQuietly(c));
    }

    /** Calls {@code listener} on the publishing thread with every tunnel event written (it must not block long). */
    public void onWritten(Consumer<Written> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Every tunnel event written from now on, in the order the writes completed (by offset within a write). The
     * subscription starts now, not when the source runs; the source fails with {@link CutOff} when the subscriber
     * falls {@link #buffer()} events behind.
     */
    public Source<EventQueries.Row, NotUsed> subscribe(Materializer mat) {
        var pair = Source.<EventQueries.Row>queue(buffer).preMaterialize(mat);
        Subscriber s = new Subscriber(pair.first());
        subscribers.add(s);
        return pair.second().watchTermination((nu, done) -> {
            done.whenComplete((d, e) -> subscribers.remove(s));
            return NotUsed.notUsed();
        });
    }

    /** Events a subscriber may have waiting. */
    public int buffer() {
        return buffer;
    }

    /** @return subscribers cut off so far ({@code live-events.cut-off}) */
    public long cutOff() {
        return cutOff.get();
    }

    /** @return written batches not published because the inbox was full ({@code live-events.lost}) */
    public long lost() {
        return lost.get();
    }

    /** The writer's side of the order: a write starts, then completes (see {@link #run}). */
    private sealed interface Message permits Started, Completed {}

    private record Started(long ticket, long completionsBefore) implements Message {}

    private record Completed(long ticket, long completion, List<Written> events) implements Message {}

    private final Object order = new Object();
    private long tickets;
    private long completions;
    private volatile boolean overflowed;

    /**
     * From the journal writer, before a write is queued: its ticket for {@link #completed}. Never blocks (the lock
     * covers two increments and an offer).
     */
    long started() {
        if (publisher == null) {
            return -1;
        }
        synchronized (order) {
            long t = ++tickets;
            send(new Started(t, completions));
            return t;
        }
    }

    /** From the journal writer: the write {@code ticket} is over; {@code events} are committed. Never blocks. */
    void completed(long ticket, List<Written> events) {
        if (ticket < 0) {
            return;
        }
        synchronized (order) {
            send(new Completed(ticket, ++completions, events));
        }
    }

    private void send(Message m) {
        if (!overflowed && !inbox.offer(m)) {
            overflowed = true; // the order is lost with the message: the hub stops (see run)
            lost.incrementAndGet();
        }
    }

    // the publishing thread's own state (see run)
    private Connection c;
    private final Map<Long, Long> inFlight = new HashMap<>(); // ticket -> completions before it started
    private final java.util.TreeMap<Long, Long> highestAt = new java.util.TreeMap<>(Map.of(0L, Long.MIN_VALUE));
    private long highest = Long.MIN_VALUE;
    private final List<EventQueries.Row> pending = new ArrayList<>();

    /**
     * Publishes in offset order. The journal assigns an offset when a row is inserted and several writes are in
     * flight at once, so writes complete out of offset order; but a write that starts after another completed gets
     * higher offsets. Each write in flight therefore has a floor, the highest offset known when it started, and a
     * completed event is published once no write in flight has a floor below its offset; the events published
     * together are sorted. A subscriber sees offsets only rise, so resuming after the last one it saw misses none.
     */
    private void run(List<Message> batch) {
        for (Message m : batch) {
            if (overflowed) {
                log.error("live events: {} writes waiting, the publisher stopped; event streams are cut off and end"
                        + " at once until the node restarts (reads of /v1/events are not affected)", INBOX);
                cutAll("the node's live feed fell behind its journal writes");
                inbox.clear();
                return;
            }
            step(m);
        }
    }

    private void step(Message m) {
        switch (m) {
            case Started s -> inFlight.put(s.ticket(), s.completionsBefore());
            case Completed done -> {
                inFlight.remove(done.ticket());
                for (Written w : done.events()) {
                    notifyListeners(w);
                }
                if (subscribers.isEmpty()) {
                    pending.clear();
                } else if (!done.events().isEmpty()) {
                    try {
                        if (c == null || c.isClosed()) {
                            c = JournalSchema.connect(journal);
                        }
                        for (EventQueries.Row r : offsets(c, done.events())) {
                            pending.add(r);
                            highest = Math.max(highest, r.offset());
                        }
                    } catch (SQLException e) {
                        cutAll("the node could not read the offsets of new events (" + e.getMessage() + ")");
                        pending.clear();
                        closeQuietly(c);
                        c = null;
                    }
                }
                highestAt.put(done.completion(), highest);
            }
        }
        long floor = Long.MAX_VALUE;
        long oldest = Long.MAX_VALUE;
        for (long before : inFlight.values()) {
            floor = Math.min(floor, highestAt.floorEntry(before).getValue());
            oldest = Math.min(oldest, before);
        }
        // keep the entry each write in flight needs (the greatest at or below its start), drop older ones
        Long keep = highestAt.floorKey(Math.min(oldest, highestAt.lastKey()));
        highestAt.headMap(keep, false).clear();
        if (!pending.isEmpty()) {
            long f = floor;
            List<EventQueries.Row> ready = pending.stream().filter(r -> r.offset() <= f)
                    .sorted(Comparator.comparingLong(EventQueries.Row::offset)).toList();
            pending.removeIf(r -> r.offset() <= f);
            publish(ready);
        }
    }

    private void notifyListeners(Written w) {
        for (Consumer<Written> l : listeners) {
            try {
                l.accept(w);
            } catch (RuntimeException e) {
                log.warn("live events listener failed on {} #{}", w.persistenceId(), w.sequenceNr(), e);
            }
        }
    }

    /** The batch's events with their offsets; one range query per tunnel. */
    private static List<EventQueries.Row> offsets(Connection c, List<Written> batch) throws SQLException {
        Map<String, List<Written>> byId = new HashMap<>();
        for (Written w : batch) {
            byId.computeIfAbsent(w.persistenceId(), k -> new ArrayList<>()).add(w);
        }
        List<EventQueries.Row> rows = new ArrayList<>(batch.size());
        try (PreparedStatement ps = c.prepareStatement("SELECT \"sequence_number\", \"ordering\" FROM \"event_journal\""
                + " WHERE \"persistence_id\" = ? AND \"sequence_number\" BETWEEN ? AND ?")) {
            for (var e : byId.entrySet()) {
                Map<Long, Written> bySeq = new HashMap<>();
                long low = Long.MAX_VALUE;
                long high = Long.MIN_VALUE;
                for (Written w : e.getValue()) {
                    bySeq.put(w.sequenceNr(), w);
                    low = Math.min(low, w.sequenceNr());
                    high = Math.max(high, w.sequenceNr());
                }
                ps.setString(1, e.getKey());
                ps.setLong(2, low);
                ps.setLong(3, high);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Written w = bySeq.get(rs.getLong(1));
                        if (w != null) {
                            rows.add(new EventQueries.Row(rs.getLong(2), w.sequenceNr(), w.event()));
                        }
                    }
                }
            }
        }
        return rows;
    }

    private void publish(List<EventQueries.Row> rows) {
        for (Subscriber s : subscribers) {
            for (EventQueries.Row r : rows) {
                if (s.queue().size() >= buffer) {
                    cut(s, "this client fell " + buffer + " events behind the node's journal writes");
                    break;
                }
                s.queue().offer(r);
            }
        }
    }

    private void cutAll(String why) {
        subscribers.forEach(s -> cut(s, why));
    }

    private void cut(Subscriber s, String why) {
        if (subscribers.remove(s)) {
            cutOff.incrementAndGet();
            s.queue().fail(new CutOff(why + "; live events stopped: reconnect with Last-Event-ID set to the last id"
                    + " received to read on from the journal"));
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a connection that already failed
            }
        }
    }

    /** Stops the publishing thread and ends every subscriber's stream. */
    void close() {
        DatabaseLoop<Message> loop = publisher;
        if (loop != null) {
            loop.stop();
        }
        for (Subscriber s : subscribers) {
            subscribers.remove(s);
            s.queue().complete();
        }
    }
}
