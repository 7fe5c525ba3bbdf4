package net.palisade.controlplane.journal;

import java.util.ArrayList;
import java.util.List;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * pekko-persistence-jdbc's journal DAO ({@code jdbc-journal.dao}), writing as the default one, that hands each
 * committed tunnel event to {@link LiveEvents} once its write has succeeded, and tells it when each write starts
 * (which orders the events by offset). Both are non-blocking offers: a subscriber never slows the writer.
 *
 * <p>Group commit ({@value #WINDOW_KEY}: 5 ms on H2, none on PostgreSQL, see {@code NodeConfig}): the writes that
 * arrive within the window after the first go to the plugin as one, so one transaction commits them all. On H2 every
 * commit writes a chunk whose cost hardly depends on how many rows it holds (the changed B-tree pages are written
 * whole), and the plugin alone groups only what queues while a commit is in flight: at a few thousand small writes a
 * second most found the writer idle and committed alone. Each write is still acknowledged only once the transaction holding it committed,
 * with its own result (a write its serializer refused fails alone, as before).
 */
public final class PublishingJournalDao extends DefaultJournalDao {
    /** The group commit window; 0 (the default) writes each call as it comes. */
    public static final String WINDOW_KEY = "palisade.journal.group-commit-window";
    /** The offer is cheap: run it where the write completes rather than queue a task for it. */
    private static final ExecutionContext SAME_THREAD = ExecutionContext.fromExecutor(Runnable::run);
    private final LiveEvents live;
    private final long windowNanos;
    private final java.util.concurrent.ScheduledExecutorService timer;
    /** Writes waiting for the window to close; guarded by itself. */
    private final List<Pending> pending = new ArrayList<>();
    private boolean flushScheduled;

    /** A call's writes and the future its caller holds. */
    private record Pending(scala.collection.immutable.Seq<AtomicWrite> messages,
            scala.concurrent.Promise<scala.collection.immutable.Seq<Try<BoxedUnit>>> result) {}

    public PublishingJournalDao(slick.jdbc.JdbcBackend.JdbcDatabaseDef db, slick.jdbc.JdbcProfile profile,
            JournalConfig config, Serialization serialization, ExecutionContext ec, Materializer mat) {
        super(db, profile, config, serialization, ec, mat);
        this.live = LiveEvents.get(mat.system());
        com.typesafe.config.Config c = mat.system().settings().config();
        this.windowNanos = c.hasPath(WINDOW_KEY) ? c.getDuration(WINDOW_KEY).toNanos() : 0;
        if (windowNanos < 0) {
            throw new IllegalArgumentException(WINDOW_KEY + " must not be negative");
        }
        this.timer = windowNanos == 0 ? null : java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("palisade-journal-group-commit").unstarted(r));
        if (timer != null) { // a flush already scheduled still runs; then the thread ends
            mat.system().registerOnTermination(timer::shutdown);
        }
    }

    @Override
    public Future<scala.collection.immutable.Seq<Try<BoxedUnit>>> asyncWriteMessages(
            scala.collection.immutable.Seq<AtomicWrite> messages) {
        if (timer == null) {
            return write(messages);
        }
        scala.concurrent.Promise<scala.collection.immutable.Seq<Try<BoxedUnit>>> result = scala.concurrent.Promise.apply();
        boolean schedule;
        synchronized (pending) {
            pending.add(new Pending(messages, result));
            schedule = !flushScheduled;
            flushScheduled = true;
        }
        if (schedule) {
            try {
                timer.schedule(this::flush, windowNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                flush();
            }
        }
        return result.future();
    }

    /** Writes what the window gathered as one call and gives each caller its own writes' results. */
    private void flush() {
        List<Pending> batch;
        synchronized (pending) {
            batch = List.copyOf(pending);
            pending.clear();
            flushScheduled = false;
        }
        if (batch.isEmpty()) {
            return;
        }
        scala.collection.mutable.ListBuffer<AtomicWrite> all = new scala.collection.mutable.ListBuffer<>();
        for (Pending p : batch) {
            all.addAll(p.messages());
        }
        Future<scala.collection.immutable.Seq<Try<BoxedUnit>>> written;
        try { // on the timer's thread: an exception must fail the callers' futures, not vanish with the task
            written = write(batch.size() == 1 ? batch.getFirst().messages() : all.toList());
        } catch (RuntimeException e) {
            written = scala.concurrent.Future$.MODULE$.failed(e);
        }
        written.onComplete(outcome -> {
            if (outcome.isFailure()) {
                batch.forEach(p -> p.result().failure(outcome.failed().get()));
                return BoxedUnit.UNIT;
            }
            scala.collection.immutable.Seq<Try<BoxedUnit>> results = outcome.get();
            int from = 0;
            for (Pending p : batch) {
                int n = p.messages().size();
                // an empty result says every write succeeded; otherwise one result per write, in order
                p.result().success(results.isEmpty() ? results
                        : (scala.collection.immutable.Seq<Try<BoxedUnit>>) results.slice(from, from + n));
                from += n;
            }
            return BoxedUnit.UNIT;
        }, SAME_THREAD);
    }

    private Future<scala.collection.immutable.Seq<Try<BoxedUnit>>> write(
            scala.collection.immutable.Seq<AtomicWrite> messages) {
        long ticket = live.started();
        Future<scala.collection.immutable.Seq<Try<BoxedUnit>>> written;
        try {
            written = super.asyncWriteMessages(messages);
        } catch (RuntimeException e) {
            live.completed(ticket, List.of());
            throw e;
        }
        written.onComplete(result -> {
            live.completed(ticket, result.isSuccess() ? tunnelEvents(messages, result.get()) : List.of());
            return BoxedUnit.UNIT;
        }, SAME_THREAD);
        return written;
    }

    /** The tunnel events of the writes that succeeded (a write refused by its serializer is not in the journal). */
    private static List<LiveEvents.Written> tunnelEvents(scala.collection.immutable.Seq<AtomicWrite> messages,
            scala.collection.immutable.Seq<Try<BoxedUnit>> results) {
        List<LiveEvents.Written> out = new ArrayList<>();
        var writes = messages.iterator();
        var outcomes = results.iterator();
        while (writes.hasNext()) {
            AtomicWrite w = writes.next();
            boolean ok = !outcomes.hasNext() || outcomes.next().isSuccess(); // an empty result: all succeeded
            if (!ok) {
                continue;
            }
            var reprs = w.payload().iterator();
            while (reprs.hasNext()) {
                PersistentRepr r = reprs.next();
                Object payload = r.payload() instanceof Tagged t ? t.payload() : r.payload();
                if (payload instanceof TunnelEvent e) {
                    out.add(new LiveEvents.Written(r.persistenceId(), r.sequenceNr(), e));
                }
            }
        }
        return out;
    }
}
