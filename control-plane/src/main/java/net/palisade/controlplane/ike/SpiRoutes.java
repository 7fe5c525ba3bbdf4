package net.palisade.controlplane.ike;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The initiator SPIs one session actor has the dispatcher route to it ({@link SessionDriver#register}), kept equal
 * to the SPIs of the IKE SAs it holds, so that an IKE SA it gave up (ended, or handed to another tunnel's actor)
 * leaves no route behind. Actor thread only.
 */
final class SpiRoutes {
    private final SessionDriver driver;
    private final ActorRef<IkeSessionActor.Command> self;
    private final Set<Long> routed = new HashSet<>();

    SpiRoutes(SessionDriver driver, ActorRef<IkeSessionActor.Command> self) {
        this.driver = driver;
        this.self = self;
    }

    /**
     * Counts {@code spis} as routed here: whoever started this actor routed them already ({@link
     * SessionDriver#closing}), and {@link #routeOnly} unroutes them like the others.
     */
    void routedAlready(Set<Long> spis) {
        routed.addAll(spis);
    }

    /** Routes {@code spi} here too. */
    void route(long spi) {
        driver.register(spi, self);
        routed.add(spi);
    }

    /**
     * Whether {@code spi} is not routed here and {@code in} is a message of an IKE SA past its IKE_SA_INIT (its
     * responder SPI set): then it reached this actor on its way to an IKE SA that has moved since (handed to another
     * actor, or to a {@link SpareResponder}), and goes back to the dispatcher, which routes it to where that IKE SA
     * is now. An IKE_SA_INIT stays: it may be the one a new responder here is about to answer.
     */
    boolean redirected(long spi, IkeSessionActor.Inbound in) {
        if (routed.contains(spi) || !in.pastIkeSaInit()) {
            return false;
        }
        driver.redispatch(in);
        return true;
    }

    /** Routes exactly {@code wanted} here: new ones registered, the others unregistered. */
    void routeOnly(Set<Long> wanted) {
        for (long spi : wanted) {
            if (routed.add(spi)) {
                driver.register(spi, self);
            }
        }
        for (Long spi : List.copyOf(routed)) {
            if (!wanted.contains(spi)) {
                routed.remove(spi);
                driver.unregister(spi, self);
            }
        }
    }
}
