package net.palisade.controlplane.ike;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The initiator SPIs the node routes to a session actor from outside it: to one it starts with an IKE SA ({@link
 * SpareResponder}, {@link ClosingIkeSa}, a responder adopting an IKE SA) or hands an IKE SA to, so that the peer's
 * next message reaches it before it routes them itself ({@link SpiRoutes}). The actor may run at once on another
 * thread and end at its first step (a spare responder refusing the IKE_SA_INIT), unrouting only what it routed
 * itself, possibly before the node's routes were set up: those would stay, to a stopped actor, swallowing the peer's
 * retry with the same SPI (strongSwan's after INVALID_KE_PAYLOAD), and the SPI table would grow with each failed
 * setup. So they are kept here per actor and unrouted when it ends or is stopped — exactly those, and only where
 * they still lead to it (no scan of all routes: a hub has thousands and ends thousands of actors a second).
 *
 * <p>Only under the node's lock, which its routing and the actors' end ({@link SessionDriver#ended}) both take: the
 * end always comes after the routing.
 */
final class StarterRoutes {
    private final IkeDispatcher dispatcher;
    private final Map<ActorRef<IkeSessionActor.Command>, Set<Long>> routed = new HashMap<>();

    StarterRoutes(IkeDispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /**
     * Routes {@code spis} to {@code actor} until it ends. Of those routed to it before, the ones it has unrouted since
     * are forgotten (a long-lived actor handed many IKE SAs keeps only those it still holds).
     */
    void route(ActorRef<IkeSessionActor.Command> actor, Collection<Long> spis) {
        Set<Long> mine = routed.computeIfAbsent(actor, a -> new HashSet<>());
        mine.removeIf(spi -> !dispatcher.routesTo(spi, actor));
        for (long spi : spis) {
            dispatcher.register(spi, actor);
            mine.add(spi);
        }
    }

    /**
     * Hands {@code actor}, which runs already, an IKE SA with initiator SPIs {@code spis} ({@code tell} sends it
     * there): routed first, then told, so that the peer's next request (which may come before the actor registers
     * the IKE SA) reaches it, and so that an actor that takes the IKE SA and lets it go at once (a losing duplicate,
     * handed to a {@link ClosingIkeSa}) has unrouted it after this routing, not before: a route set up after that
     * would lead the IKE SA's messages to an actor that no longer holds it.
     */
    void handOver(ActorRef<IkeSessionActor.Command> actor, Collection<Long> spis, Runnable tell) {
        route(actor, spis);
        tell.run();
    }

    /** {@code actor} ended or was stopped: the routes set up here that still lead to it go. */
    void unroute(ActorRef<IkeSessionActor.Command> actor) {
        Set<Long> spis = routed.remove(actor);
        if (spis != null) {
            spis.forEach(spi -> dispatcher.unregister(spi, actor));
        }
    }
}
