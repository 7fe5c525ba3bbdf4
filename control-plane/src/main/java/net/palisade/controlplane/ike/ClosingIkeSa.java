package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Clock;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An established IKE SA that its tunnel's actor has closed and forgotten (the losing one of two duplicates, the IKE
 * SA left when switching back to the first peer, one re-established after a lost ping or a moved address): its
 * Delete is a request like any other, retransmitted on the engine's schedule until the peer answers it or the
 * retransmissions run out, in an actor of its own routed the IKE SA's initiator SPIs, so that the peer's answer (and
 * a retransmitted request of that IKE SA, answered from the engine's cache) still reaches the engine. A peer may
 * ignore the first copy: strongSwan, both sides initiating at once, processed our Delete of its IKE SA before our
 * IKE_AUTH answer for it (both sent in that order) and ignored it ({@code ignoring INFORMATIONAL in IKE_SA state
 * CONNECTING}); it answers a later copy. Nothing here reaches the tunnel: the engine's events are logged only (what
 * is journaled about the IKE SA its actor reported when it let it go; its Child SAs stay out of the dataplane).
 * Then the actor ends and its routes go.
 *
 * <p>The Delete is retransmitted even when our address of the IKE SA is gone (a {@code dynamic} tunnel's address
 * moved): the sockets are bound to the wildcard address, so it leaves from whichever address routes to the peer now,
 * and the peer answers a request where it came from (RFC 7296 section 2.11; one not behind a NAT also moves the IKE
 * SA there, section 2.23), deleting its half now rather than at its own liveness check. When nothing routes to the
 * peer, every retransmission fails alike: the transport logs the first failure towards it and counts the others
 * ({@link SendFailures}).
 */
final class ClosingIkeSa extends EngineAside {
    private static final Logger log = LoggerFactory.getLogger(ClosingIkeSa.class);

    private ClosingIkeSa(SessionDriver manager, String label, IkeSessionCommands.Adopt closing,
            ActorContext<IkeSessionActor.Command> ctx, TimerScheduler<IkeSessionActor.Command> timers, Clock clock) {
        super(manager, label, closing, ctx, timers, clock);
    }

    /**
     * Closes {@code s}, an IKE SA of tunnel {@code label} (our address {@code local}) that the caller forgets now
     * (its timer cancelled). An established one goes on closing where {@link SessionDriver#closing} runs it (routed
     * there first); its Delete leaves through {@code manager}, the caller's driver, after whatever the caller sent
     * before (our IKE_AUTH answer for that IKE SA, maybe held by {@link JournalFirst}); only its retransmissions
     * come from that actor. One not established yet just ends (nothing to send).
     */
    static void close(SessionDriver manager, String label, IkeSession s, InetSocketAddress local,
            InetSocketAddress remote) {
        IkeSession.Step step = s.handle(new IkeInput.Close());
        if (s.state() != IkeState.CLOSED) {
            manager.closing(label, new IkeSessionCommands.Adopt(s, local, remote, Clock.systemUTC().instant(),
                    new IkeSession.Step(step.state(), step.outputs().stream()
                            .filter(o -> !(o instanceof IkeOutput.Send)).toList())));
        }
        manager.sendAll(step.outputs());
    }

    /**
     * Goes on closing {@code closing}'s engine for tunnel {@code label}: its step (the Delete's timer; the Delete
     * itself is sent by the actor that closed it) is carried out first. The caller routes the engine's initiator
     * SPIs here once started.
     */
    static Behavior<IkeSessionActor.Command> of(SessionDriver manager, String label, IkeSessionCommands.Adopt closing) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ClosingIkeSa c = new ClosingIkeSa(manager, label, closing, ctx, timers, Clock.systemUTC());
            // routed by its starter, which unroutes them when this actor ends (StarterRoutes); counted as routed
            // here so that they go when it lets the IKE SA go
            c.routes.routedAlready(c.engine().initiatorSpis());
            return c.start(closing.step(), closing);
        }));
    }

    /**
     * Carries out {@code step}: its datagrams leave, its timer is set, its events are logged.
     *
     * @return whether the IKE SA is still closing
     */
    @Override
    protected boolean step(IkeSession.Step step) {
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timerAt(t.at());
                case IkeOutput.Phase1Down d -> log.info("tunnel {}: IKE SA {} we closed is gone: {}", label, d.id(),
                        d.reason().map(r -> r + " ").orElse("") + d.detail());
                case IkeOutput.Event ev -> { } // the tunnel reported the IKE SA's end already (and no keys in the log)
            }
        }
        if (engine().state() == IkeState.CLOSED) {
            return false;
        }
        routes.routeOnly(new java.util.HashSet<>(engine().initiatorSpis()));
        return true;
    }
}
