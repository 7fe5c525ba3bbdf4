package net.palisade.controlplane.dataplane;

import java.util.ArrayList;
import java.util.List;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.worker.WorkerCounters;
import net.palisade.dataplane.worker.WorkerHandle;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The control handle of one dataplane worker as an actor: the control plane reads a worker's counters and tunnels
 * and removes SAs through it. Packets never pass through it: the worker's pinned thread moves them, and this actor
 * only calls the worker's thread-safe {@link WorkerHandle} (copy-on-write tables, one volatile publish per
 * change). Installing goes through {@link Dataplane#install}, which builds each worker's own transforms.
 */
public final class WorkerControl {
    /** What the actor answers. */
    public sealed interface Command {}

    /** Replies with the worker's counters. */
    public record GetCounters(ActorRef<WorkerCounters> replyTo) implements Command {}

    /** Replies with the labels of the tunnels installed in the worker, in policy order. */
    public record GetTunnels(ActorRef<List<String>> replyTo) implements Command {}

    /** Removes a tunnel's SAs from this worker only; replies whether it had them. */
    public record Remove(String label, ActorRef<Boolean> replyTo) implements Command {}

    private WorkerControl() {}

    public static Behavior<Command> create(WorkerHandle worker) {
        return Behaviors.receive(Command.class)
                .onMessage(GetCounters.class, c -> {
                    c.replyTo().tell(worker.counters());
                    return Behaviors.same();
                })
                .onMessage(GetTunnels.class, c -> {
                    c.replyTo().tell(worker.tunnels());
                    return Behaviors.same();
                })
                .onMessage(Remove.class, c -> {
                    c.replyTo().tell(worker.remove(c.label()));
                    return Behaviors.same();
                })
                .build();
    }

    /** One actor per worker of {@code dataplane}, named {@code dataplane-worker-N}, in worker order. */
    public static List<ActorRef<Command>> spawnAll(ActorSystem<?> system, Dataplane dataplane) {
        List<ActorRef<Command>> refs = new ArrayList<>();
        for (WorkerHandle w : dataplane.workers()) {
            refs.add(system.systemActorOf(create(w), "dataplane-worker-" + w.index(), Props.empty()));
        }
        return List.copyOf(refs);
    }
}
