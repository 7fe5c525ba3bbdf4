package net.palisade.controlplane.cluster;

import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * One node's HA timeline: a persistent actor local to the node (not sharded: each node writes only its own stream,
 * {@code ha-timeline|<node>}, so two nodes never compete for one sequence of events). Its command is the event to
 * record; the state is only how many were written.
 */
public final class NodeTimeline extends EventSourcedBehavior<HaEvent, HaEvent, Long> {
    /** The tag of every node's timeline. */
    public static final String TAG = "ha";

    private NodeTimeline(String node) {
        super(persistenceId(node), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200),
                Duration.ofSeconds(10), 0.2));
    }

    /** @return the timeline of {@code node} */
    public static Behavior<HaEvent> create(String node) {
        return new NodeTimeline(node);
    }

    /** @return {@code ha-timeline|<node>} */
    public static PersistenceId persistenceId(String node) {
        return PersistenceId.of("ha-timeline", node);
    }

    @Override
    public Long emptyState() {
        return 0L;
    }

    @Override
    public Set<String> tagsFor(HaEvent event) {
        return Set.of(TAG);
    }

    @Override
    public CommandHandler<HaEvent, HaEvent, Long> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onAnyCommand((s, e) -> Effect().persist(e));
    }

    @Override
    public EventHandler<Long, HaEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((n, e) -> n + 1);
    }
}
