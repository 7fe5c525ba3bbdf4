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
 * pekko-persistence-jdbc's journal DAO ({@code jdbc-journal.dao}), writing exactly as the default one, that hands
 * each committed tunnel event to {@link LiveEvents} once its write has succeeded, and tells it when each write starts
 * (which orders the events by offset). Both are non-blocking offers: a subscriber never slows the writer.
 */
public final class PublishingJournalDao extends DefaultJournalDao {
    /** The offer is cheap: run it where the write completes rather than queue a task for it. */
    private static final ExecutionContext SAME_THREAD = ExecutionContext.fromExecutor(Runnable::run);
    private final LiveEvents live;

    public PublishingJournalDao(slick.jdbc.JdbcBackend.JdbcDatabaseDef db, slick.jdbc.JdbcProfile profile,
            JournalConfig config, Serialization serialization, ExecutionContext ec, Materializer mat) {
        super(db, profile, config, serialization, ec, mat);
        this.live = LiveEvents.get(mat.system());
    }

    @Override
    public Future<scala.collection.immutable.Seq<Try<BoxedUnit>>> asyncWriteMessages(
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
