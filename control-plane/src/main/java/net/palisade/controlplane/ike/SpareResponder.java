package net.palisade.controlplane.ike;

import java.time.Clock;
import java.time.Duration;
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
final class SpareResponder {
    private static final Logger log = LoggerFactory.getLogger(SpareResponder.class);

    private final SessionDriver manager;
    private final String label;
    private final IkeSessionCommands.Adopt negotiation;
    private final ActorContext<IkeSessionActor.Command> ctx;
    private final TimerScheduler<IkeSessionActor.Command> timers;
    private final Clock clock;
    private final SpiRoutes routes;

    private SpareResponder(SessionDriver manager, String label, IkeSessionCommands.Adopt negotiation,
            ActorContext<IkeSessionActor.Command> ctx, TimerScheduler<IkeSessionActor.Command> timers, Clock clock) {
        this.manager = manager;
        this.label = label;
        this.negotiation = negotiation;
        this.ctx = ctx;
        this.timers = timers;
        this.clock = clock;
        this.routes = new SpiRoutes(manager, ctx.getSelf());
    }

    /**
     * Goes on with {@code negotiation}'s half-open engine for tunnel {@code label}: its step (the answer to the
     * IKE_SA_INIT, or nothing when it was negotiating elsewhere) is carried out first.
     */
    static Behavior<IkeSessionActor.Command> of(SessionDriver manager, String label,
            IkeSessionCommands.Adopt negotiation) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            SpareResponder s = new SpareResponder(manager, label, negotiation, ctx, timers, Clock.systemUTC());
            if (!s.step(negotiation.step())) {
                return s.end();
            }
            negotiation.engine().nextTimer().ifPresent(at -> timers.startSingleTimer(IkeSessionCommands.Tick.INSTANCE,
                    IkeSessionCommands.max0(Duration.between(s.clock.instant(), at)))); // moved here with its timer
            return s.behavior();
        }));
    }

    private Behavior<IkeSessionActor.Command> behavior() {
        return Behaviors.receive(IkeSessionActor.Command.class)
                .onMessage(IkeSessionCommands.Inbound.class, in -> {
                    IkeSession.Step step = engine().handle(new IkeInput.Received(in.datagram(), in.from(),
                            IkeSessionCommands.at(in.to(), negotiation.local())));
                    return step(step) ? Behaviors.same() : end();
                })
                .onMessageEquals(IkeSessionCommands.Tick.INSTANCE, () ->
                        step(engine().handle(new IkeInput.Tick())) ? Behaviors.same() : end())
                .onMessage(IkeSessionCommands.Stop.class, stop -> {
                    routes.routeOnly(java.util.Set.of());
                    stop.done().complete(null);
                    return Behaviors.stopped();
                })
                .onAnyMessage(m -> Behaviors.same()) // a tunnel's commands (ping lost, sequence limits) are not its
                .build();
    }

    private IkeSession engine() {
        return negotiation.engine();
    }

    /**
     * Carries out {@code step}: authenticated, the IKE SA and the step go to the actor its IKE_AUTH chose; otherwise
     * its datagrams leave and its timer is set.
     *
     * @return whether it is still half-open here
     */
    private boolean step(IkeSession.Step step) {
        IkeSession e = engine();
        boolean up = step.outputs().stream().anyMatch(IkeOutput.Phase1Up.class::isInstance);
        if (up && e.state() != IkeState.CLOSED) {
            String chosen = e.tunnel().label();
            log.info("tunnel {}: IKE SA {} with {} (answered beside a busy session) authenticated for tunnel {};"
                    + " handing it over", label, e.id(), negotiation.remote(), chosen);
            timers.cancelAll();
            manager.adopt(chosen, new IkeSessionCommands.Adopt(e, negotiation.local(), negotiation.remote(),
                    negotiation.started(), step));
            return false;
        }
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timers.startSingleTimer(IkeSessionCommands.Tick.INSTANCE,
                        IkeSessionCommands.max0(Duration.between(clock.instant(), t.at())));
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

    private Behavior<IkeSessionActor.Command> end() {
        timers.cancelAll();
        routes.routeOnly(java.util.Set.of());
        manager.ended(label, ctx.getSelf());
        return EndingSession.of(manager, label, ctx.getSelf());
    }
}
