package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import net.palisade.model.IkeTunnel;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one tunnel's {@link IkeSession} (the pure engine): datagrams and timer ticks in, the session's outputs out
 * through the {@link IkeManager} (transport, dataplane, tunnel events). An initiator whose IKE SA ends (failure,
 * delete, timeout) starts a fresh session after {@link #RETRY}, doubled after each attempt that did not bring phase
 * 1 up, up to {@link #RETRY_MAX}; a responder actor stops with its session.
 */
final class IkeSessionActor {
    private static final Logger log = LoggerFactory.getLogger(IkeSessionActor.class);

    /** Pause before an initiator negotiates again after its IKE SA ended. */
    static final Duration RETRY = Duration.ofSeconds(5);

    /** Longest pause between attempts. */
    static final Duration RETRY_MAX = Duration.ofMinutes(5);

    /** What the actor accepts. */
    sealed interface Command {}

    /** A datagram for this session (non-ESP marker already removed). */
    record Inbound(byte[] datagram, InetSocketAddress from, InetSocketAddress to) implements Command {}

    /** The session's timer. */
    enum Tick implements Command { INSTANCE }

    /** Start a new initiator session. */
    enum Restart implements Command { INSTANCE }

    /** Delete the IKE SA (the Delete is sent once, not retransmitted) and stop; {@code done} completes then. */
    record Stop(java.util.concurrent.CompletableFuture<Void> done) implements Command {}

    private final IkeManager manager;
    private final IkeTunnel tunnel;
    private final boolean initiator;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private IkeSession session;
    private Long registered;
    private int failedAttempts;

    private IkeSessionActor(IkeManager manager, IkeTunnel tunnel, boolean initiator, InetSocketAddress local,
            InetSocketAddress remote, ActorContext<Command> ctx, TimerScheduler<Command> timers) {
        this.manager = manager;
        this.tunnel = tunnel;
        this.initiator = initiator;
        this.local = local;
        this.remote = remote;
        this.ctx = ctx;
        this.timers = timers;
    }

    /** An initiator towards {@code remote}. */
    static Behavior<Command> initiator(IkeManager manager, IkeTunnel tunnel, InetSocketAddress local,
            InetSocketAddress remote) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            IkeSessionActor a = new IkeSessionActor(manager, tunnel, true, local, remote, ctx, timers);
            a.startInitiator();
            return a.behavior();
        }));
    }

    /** A responder to {@code first}, an IKE_SA_INIT request. */
    static Behavior<Command> responder(IkeManager manager, IkeTunnel tunnel, InetSocketAddress local,
            Inbound first) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            IkeSessionActor a = new IkeSessionActor(manager, tunnel, false, local, first.from(), ctx, timers);
            a.session = IkeSession.responder(tunnel, local, first.from(), IkeEnvironment.standard(Clock.systemUTC()));
            a.inbound(first);
            return a.session.state() == IkeState.CLOSED ? a.end() : a.behavior();
        }));
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Inbound.class, in -> {
                    inbound(in);
                    return afterStep();
                })
                .onMessageEquals(Tick.INSTANCE, () -> {
                    if (session != null) {
                        apply(session.handle(new IkeInput.Tick()));
                    }
                    return afterStep();
                })
                .onMessageEquals(Restart.INSTANCE, () -> {
                    if (session == null || session.state() == IkeState.CLOSED) {
                        startInitiator();
                    }
                    return Behaviors.same();
                })
                .onMessage(Stop.class, stop -> {
                    try {
                        if (session != null && session.state() != IkeState.CLOSED) {
                            apply(session.handle(new IkeInput.Close()));
                        }
                        unregister();
                    } finally {
                        stop.done().complete(null);
                    }
                    return Behaviors.stopped();
                })
                .build();
    }

    private void startInitiator() {
        unregister();
        session = IkeSession.initiator(tunnel, local, remote, IkeEnvironment.standard(Clock.systemUTC()));
        IkeSession.Step step = session.handle(new IkeInput.Start());
        register(); // before anything is sent: the answer may come at once
        apply(step);
    }

    private void inbound(Inbound in) {
        if (session == null) {
            return;
        }
        InetSocketAddress to = in.to().getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(local.getAddress(), in.to().getPort()) : in.to();
        IkeSession.Step step = session.handle(new IkeInput.Received(in.datagram(), in.from(), to));
        register();
        apply(step);
    }

    /** After a step: a closed initiator retries later, a closed responder stops. */
    private Behavior<Command> afterStep() {
        if (session == null || session.state() != IkeState.CLOSED) {
            return Behaviors.same();
        }
        if (initiator) {
            unregister();
            session = null;
            timers.startSingleTimer(Restart.INSTANCE, retryDelay(failedAttempts++));
            return Behaviors.same();
        }
        return end();
    }

    /** {@link #RETRY} doubled {@code failed} times, at most {@link #RETRY_MAX}. */
    static Duration retryDelay(int failed) {
        Duration d = RETRY.multipliedBy(1L << Math.min(failed, 10));
        return d.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : d;
    }

    private Behavior<Command> end() {
        unregister();
        return Behaviors.stopped();
    }

    private void register() {
        long spi = session.id().initiatorSpi();
        if (registered == null || registered != spi) {
            unregister();
            manager.register(spi, ctx.getSelf());
            registered = spi;
        }
    }

    private void unregister() {
        if (registered != null) {
            manager.unregister(registered, ctx.getSelf());
            registered = null;
        }
    }

    private void apply(IkeSession.Step step) {
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timers.startSingleTimer(Tick.INSTANCE,
                        max0(Duration.between(Instant.now(), t.at())));
                case IkeOutput.Event e -> {
                    if (e instanceof IkeOutput.Phase1Up) {
                        failedAttempts = 0;
                    }
                    try {
                        manager.event(tunnel.label(), e);
                    } catch (RuntimeException ex) {
                        log.error("tunnel {}: handling {} failed", tunnel.label(), e.getClass().getSimpleName(), ex);
                    }
                }
            }
        }
    }

    private static Duration max0(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** For logs. */
    @Override
    public String toString() {
        return "IkeSessionActor[" + tunnel.label() + (initiator ? " initiator" : " responder") + " "
                + Optional.ofNullable(session).map(IkeSession::id).map(Object::toString).orElse("-") + "]";
    }
}
