package net.palisade.controlplane.ike;

import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * An IKE SA's engine that runs in an actor of its own beside its tunnel's session actor, routed its initiator SPIs:
 * a half-open responder ({@link SpareResponder}) or an IKE SA being closed ({@link ClosingIkeSa}). What they share:
 * datagrams and timer ticks go to the engine, each resulting step goes to {@link #step}, a tunnel's commands are
 * not theirs, and the end unroutes the SPIs, tells the node and passes on what is still on its way ({@link
 * EndingSession}). What the engine throws (a defect) ends the actor the same way, logged ({@link #crashed}): nothing
 * is left routed to an actor that is gone.
 */
abstract class EngineAside {
    protected final SessionDriver manager;
    protected final String label;
    protected final IkeSessionCommands.Adopt held;
    protected final ActorContext<IkeSessionActor.Command> ctx;
    protected final TimerScheduler<IkeSessionActor.Command> timers;
    protected final Clock clock;
    protected final SpiRoutes routes;

    protected EngineAside(SessionDriver manager, String label, IkeSessionCommands.Adopt held,
            ActorContext<IkeSessionActor.Command> ctx, TimerScheduler<IkeSessionActor.Command> timers, Clock clock) {
        this.manager = manager;
        this.label = label;
        this.held = held;
        this.ctx = ctx;
        this.timers = timers;
        this.clock = clock;
        this.routes = new SpiRoutes(manager, ctx.getSelf());
    }

    protected final IkeSession engine() {
        return held.engine();
    }

    /**
     * Carries out {@code step}.
     *
     * @return whether the engine goes on here
     */
    protected abstract boolean step(IkeSession.Step step);

    /** Sets the engine's timer to {@code at}. */
    protected final void timerAt(java.time.Instant at) {
        timers.startSingleTimer(IkeSessionCommands.Tick.INSTANCE,
                IkeSessionCommands.max0(Duration.between(clock.instant(), at)));
    }

    /** The first step, carried out when the actor starts: {@link #behavior()}, or the end (also after a throw). */
    protected final Behavior<IkeSessionActor.Command> start(IkeSession.Step first, Object during) {
        boolean goesOn;
        try {
            goesOn = step(first);
        } catch (RuntimeException e) {
            return crashed(during, e);
        }
        return goesOn ? behavior() : end();
    }

    /** {@link #handlers()}, guarded by {@link #crashed}. */
    protected final Behavior<IkeSessionActor.Command> behavior() {
        return Behaviors.intercept(() -> new CrashGuard<>(IkeSessionActor.Command.class, this::crashed), handlers());
    }

    /**
     * The engine (or carrying out its step) threw while handling {@code during}: logged, and the actor ends as when
     * the IKE SA closes (unrouted, the node told). Its tunnel already let this IKE SA go (closing) or never had it
     * (half-open), so there is nothing to report down.
     */
    protected final Behavior<IkeSessionActor.Command> crashed(Object during, RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(getClass()).error("tunnel {}: IKE SA {} ({}) failed handling {}; dropped",
                label, engine().id(), getClass().getSimpleName(), during.getClass().getSimpleName(), e);
        try {
            return end();
        } catch (RuntimeException again) {
            org.slf4j.LoggerFactory.getLogger(getClass()).error("tunnel {}: ending after the failure failed too",
                    label, again);
            return Behaviors.stopped();
        }
    }

    private Behavior<IkeSessionActor.Command> handlers() {
        return Behaviors.receive(IkeSessionActor.Command.class)
                .onMessage(IkeSessionCommands.Inbound.class, in -> step(engine().handle(new IkeInput.Received(
                        in.datagram(), in.from(), IkeSessionCommands.at(in.to(), held.local()))))
                        ? Behaviors.same() : end())
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

    protected final Behavior<IkeSessionActor.Command> end() {
        timers.cancelAll();
        routes.routeOnly(java.util.Set.of());
        manager.ended(label, ctx.getSelf());
        return EndingSession.of(manager, label, ctx.getSelf());
    }
}
