package net.palisade.controlplane.ike;

import java.time.Clock;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A half-open responder IKE SA that a tunnel's session actor could not keep beside its session, because another one
 * was already negotiating there: several IKE_SA_INITs from one peer at once, as a gateway sends when it starts with
 * several connections to this node's tunnels (each reaches the first tunnel that accepts the peer's address; which
 * tunnel each belongs to only its IKE_AUTH says). It runs in an actor of its own until its IKE_AUTH: authenticated,
 * the IKE SA goes to the actor of the tunnel (or peer identity) it chose ({@link SessionDriver#adopt}), as one that
 * chose another tunnel always does; refused, or half-open for {@link IkeSession#HALF_OPEN}, it ends and leaves
 * nothing. Before authentication it changes nothing established: its events are logged, never reported.
 */
final class SpareResponder extends EngineAside {
    private static final Logger log = LoggerFactory.getLogger(SpareResponder.class);

    private SpareResponder(SessionDriver manager, String label, IkeSessionCommands.Adopt negotiation,
            ActorContext<IkeSessionActor.Command> ctx, TimerScheduler<IkeSessionActor.Command> timers, Clock clock) {
        super(manager, label, negotiation, ctx, timers, clock);
    }

    /**
     * Goes on with {@code negotiation}'s half-open engine for tunnel {@code label}: its step (the answer to the
     * IKE_SA_INIT, or nothing when it was negotiating elsewhere) is carried out first.
     */
    static Behavior<IkeSessionActor.Command> of(SessionDriver manager, String label,
            IkeSessionCommands.Adopt negotiation) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            SpareResponder s = new SpareResponder(manager, label, negotiation, ctx, timers, Clock.systemUTC());
            // moved here with its timer (the step was computed already: carrying it out does not move it; an end
            // cancels it)
            negotiation.engine().nextTimer().ifPresent(s::timerAt);
            return s.start(negotiation.step(), negotiation);
        }));
    }

    /**
     * Carries out {@code step}: authenticated, the IKE SA and the step go to the actor its IKE_AUTH chose; otherwise
     * its datagrams leave and its timer is set.
     *
     * @return whether it is still half-open here
     */
    @Override
    protected boolean step(IkeSession.Step step) {
        IkeSession e = engine();
        boolean up = step.outputs().stream().anyMatch(IkeOutput.Phase1Up.class::isInstance);
        if (up && e.state() != IkeState.CLOSED) {
            String chosen = e.tunnel().label();
            log.info("tunnel {}: IKE SA {} with {} (answered beside a busy session) authenticated for tunnel {};"
                    + " handing it over", label, e.id(), held.remote(), chosen);
            timers.cancelAll();
            manager.adopt(chosen, new IkeSessionCommands.Adopt(e, held.local(), held.remote(),
                    held.started(), step));
            return false;
        }
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timerAt(t.at());
                case IkeOutput.NegotiationFailed f -> log.info("tunnel {}: IKE SA {} answered beside a busy session"
                        + " failed: {} {}", label, e.id(), f.reason(), f.detail());
                case IkeOutput.Event ev -> { } // nothing else before authentication (and no keys in the log)
            }
        }
        if (e.state() == IkeState.CLOSED || e.state() == IkeState.IDLE) {
            return false;
        }
        routes.routeOnly(new java.util.HashSet<>(e.initiatorSpis()));
        return true;
    }
}
