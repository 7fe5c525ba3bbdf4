package net.palisade.controlplane.ike;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The last moments of a session actor that has ended: it has told its node ({@link SessionDriver#ended}), so nothing
 * new is sent to it, but messages already on their way are passed on instead of lost — an IKE SA handed to it goes
 * back to the node, which gives it to the tunnel's next actor ({@link SessionDriver#adopt}), and a datagram of an IKE
 * SA past its IKE_SA_INIT is routed again ({@link SessionDriver#redispatch}; the node hands an IKE_SA_INIT it gave
 * the actor to another itself) — until the end it sent itself arrives, after all of them.
 */
final class EndingSession {
    /** The end an ending actor sends itself: every message queued before it has been passed on. */
    enum Ended implements IkeSessionCommands.Command { INSTANCE }

    private EndingSession() {}

    /**
     * Ends {@code self}, an actor of tunnel {@code label}: call after {@link SessionDriver#ended} (under the same lock
     * as the node's adopt, so that a hand-over either finds the actor in the node and reaches it before its end, or
     * does not find it).
     */
    static Behavior<IkeSessionCommands.Command> of(SessionDriver manager, String label,
            ActorRef<IkeSessionCommands.Command> self) {
        self.tell(Ended.INSTANCE);
        return Behaviors.receive(IkeSessionCommands.Command.class)
                .onMessage(IkeSessionCommands.Adopt.class, a -> {
                    manager.adopt(label, a);
                    return Behaviors.same();
                })
                .onMessage(IkeSessionCommands.Inbound.class, in -> {
                    if (in.pastIkeSaInit()) {
                        manager.redispatch(in); // an IKE_SA_INIT handed here goes again anyway (IkeDispatcher#forget)
                    }
                    return Behaviors.same();
                })
                .onMessage(IkeSessionCommands.Stop.class, stop -> {
                    stop.done().complete(null);
                    return Behaviors.same();
                })
                .onMessageEquals(Ended.INSTANCE, Behaviors::stopped)
                .onAnyMessage(m -> Behaviors.same()) // timers and the tunnel's commands: nothing left to do them on
                .build();
    }
}
