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
 * EndingSession}).
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

    protected final Behavior<IkeSessionActor.Command> behavior() {
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
