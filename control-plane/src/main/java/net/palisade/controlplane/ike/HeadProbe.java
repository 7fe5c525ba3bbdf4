package net.palisade.controlplane.ike;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.controlplane.ikev1.Ikev1State;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The probe of a session actor ({@link IkeSessionActor}, {@link Ikev1SessionActor}) while its tunnel runs on
 * another peer than the list's head: an IKE SA (or ISAKMP SA) negotiated with the head beside the current one, its
 * events kept from the tunnel. Holds the probe's engine, its routed SPI (or initiator cookie) and whether its
 * endpoints are being looked up; sends its datagrams and runs its timer ({@link IkeSessionActor.ProbeTick}). When it
 * comes up it is closed at once (its Delete sent); what that means (switching back) is the actor's.
 */
final class HeadProbe {
    /** The engine a probe runs, IKEv2 or IKEv1, as the probe needs to see it. */
    interface Engine {
        /** Its outputs for {@code input}. */
        List<IkeOutput> handle(IkeInput input);

        /** Whether it has ended. */
        boolean closed();

        /** The initiator SPI (IKEv2) or cookie (IKEv1) its messages are routed by. */
        long initiatorSpi();

        static Engine of(IkeSession s) {
            return new Engine() {
                @Override
                public List<IkeOutput> handle(IkeInput input) {
                    return s.handle(input).outputs();
                }

                @Override
                public boolean closed() {
                    return s.state() == IkeState.CLOSED;
                }

                @Override
                public long initiatorSpi() {
                    return s.id().initiatorSpi();
                }
            };
        }

        static Engine of(Ikev1Engine e) {
            return new Engine() {
                @Override
                public List<IkeOutput> handle(IkeInput input) {
                    return e.handle(input).outputs();
                }

                @Override
                public boolean closed() {
                    return e.state() == Ikev1State.CLOSED;
                }

                @Override
                public long initiatorSpi() {
                    return e.id().initiatorSpi();
                }
            };
        }
    }

    private final SessionDriver driver;
    private final TimerScheduler<IkeSessionActor.Command> timers;
    private final Clock clock;
    private final ActorRef<IkeSessionActor.Command> self;
    private Engine probe;
    private Long registered;
    private boolean resolving;

    HeadProbe(SessionDriver driver, TimerScheduler<IkeSessionActor.Command> timers, Clock clock,
            ActorRef<IkeSessionActor.Command> self) {
        this.driver = driver;
        this.timers = timers;
        this.clock = clock;
        this.self = self;
    }

    /** A probe runs, or its endpoints are being looked up. */
    boolean busy() {
        return probe != null || resolving;
    }

    /** A probe runs. */
    boolean running() {
        return probe != null;
    }

    /** Its endpoints are being looked up. */
    void resolving(boolean now) {
        resolving = now;
    }

    /** Whether a datagram with this initiator SPI (or cookie) is the probe's. */
    boolean owns(long initiatorSpi) {
        return probe != null && initiatorSpi == probe.initiatorSpi();
    }

    /** Starts {@code engine} as the probe; true when it came up at once (never, with a real peer). */
    boolean start(Engine engine) {
        probe = engine;
        List<IkeOutput> outputs = probe.handle(new IkeInput.Start());
        registered = probe.initiatorSpi();
        driver.register(registered, self);
        return apply(outputs);
    }

    /** Hands {@code input} to the probe; true when the probe came up (it is then closed and dropped). */
    boolean handle(IkeInput input) {
        return probe != null && apply(probe.handle(input));
    }

    /** The probe's outputs sent and timed, its events kept from the tunnel; true when it came up. */
    private boolean apply(List<IkeOutput> outputs) {
        boolean up = false;
        for (IkeOutput o : outputs) {
            switch (o) {
                case IkeOutput.Send s -> driver.send(s);
                case IkeOutput.SetTimer t -> {
                    Duration d = Duration.between(clock.instant(), t.at());
                    timers.startSingleTimer(IkeSessionActor.ProbeTick.INSTANCE, d.isNegative() ? Duration.ZERO : d);
                }
                case IkeOutput.Event e -> up |= e instanceof IkeOutput.Phase1Up;
            }
        }
        if (probe == null) {
            return false;
        }
        if (probe.closed()) {
            drop();
            return false;
        }
        if (up) {
            // the head answers: the probe's own SA is deleted at once, its Delete is all that is sent of it
            driver.sendAll(probe.handle(new IkeInput.Close()));
            drop();
        }
        return up;
    }

    /** Forgets the probe: its route and its timer. */
    void drop() {
        if (registered != null) {
            driver.unregister(registered, self);
            registered = null;
        }
        if (probe != null) {
            timers.cancel(IkeSessionActor.ProbeTick.INSTANCE);
            probe = null;
        }
    }
}
