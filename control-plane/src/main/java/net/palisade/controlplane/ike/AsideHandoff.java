package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import net.palisade.model.IkeTunnel;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a tunnel's {@link IkeSessionActor} lets go to an IKE SA engine in an actor of its own ({@link EngineAside}):
 * a half-open responder it cannot keep beside its session ({@link SpareResponder}) — unless its engine refused the
 * IKE_SA_INIT at once (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, a cookie, ...): then only the refusal leaves, through
 * the node ({@link SessionDriver#refused}), with no actor started and no route set up, so that a flood of
 * unauthenticated requests beside a busy session costs a counter each, not an actor. Also the responder engines the
 * actor answers IKE_SA_INITs with. Actor thread only.
 */
final class AsideHandoff {
    private static final Logger log = LoggerFactory.getLogger(AsideHandoff.class);

    private final SessionDriver manager;
    private final IkeSettings settings;
    private final IkeTunnel tunnel;
    private final Clock clock;
    private final ActorRef<IkeSessionCommands.Command> self;

    AsideHandoff(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel, Clock clock,
            ActorRef<IkeSessionCommands.Command> self) {
        this.manager = manager;
        this.settings = settings;
        this.tunnel = tunnel;
        this.clock = clock;
        this.self = self;
    }

    /** A responder engine for an IKE_SA_INIT from {@code from} that {@code candidates} accept (none: ours only). */
    IkeSession responder(InetSocketAddress ours, InetSocketAddress from, List<IkeTunnel> candidates) {
        return candidates.size() > 1
                ? IkeSession.responder(candidates, ours, from, manager.environment(clock), settings)
                : IkeSession.responder(tunnel, ours, from, manager.environment(clock), settings);
    }

    /**
     * Answers {@code a} (initiator SPI {@code spi}), which the actor cannot keep beside its session: a half-open IKE
     * SA goes on in a {@link SpareResponder}; a refusal is only sent. Either way the dispatcher's route of the
     * request to the actor goes first (a retry with the same SPI, as after INVALID_KE_PAYLOAD, is a new request).
     */
    void spare(IkeSessionCommands.Answer a, long spi) {
        IkeSession spare = responder(a.local(), a.first().from(), a.candidates());
        IkeSession.Step first = spare.handle(new IkeInput.Received(a.first().datagram(), a.first().from(),
                IkeSessionCommands.at(a.first().to(), a.local())));
        manager.unregister(spi, self);
        if (spare.state() == IkeState.CLOSED || spare.state() == IkeState.IDLE) {
            // refused, or answered statelessly: nothing half-open to run (unauthenticated: logged at debug only)
            if (log.isDebugEnabled()) {
                first.outputs().stream().filter(IkeOutput.NegotiationFailed.class::isInstance)
                        .map(IkeOutput.NegotiationFailed.class::cast)
                        .forEach(f -> log.debug("tunnel {}: IKE_SA_INIT from {} beside a busy session refused: {} {}",
                                tunnel.label(), a.first().from(), f.reason(), f.detail()));
            }
            manager.refused(tunnel.label(), first);
            return;
        }
        manager.spare(tunnel.label(), new IkeSessionCommands.Adopt(spare, a.local(), a.first().from(),
                clock.instant(), first));
    }

    /** {@code beside}, the peer's half-open IKE SA the actor forgets now (its timer cancelled), goes on in a spare. */
    void spare(IkeSession beside, InetSocketAddress local, InetSocketAddress remote, Instant started) {
        manager.spare(tunnel.label(), new IkeSessionCommands.Adopt(beside, local, remote, started,
                new IkeSession.Step(beside.state(), List.of())));
    }
}
