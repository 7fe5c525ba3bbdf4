package net.palisade.controlplane.ike;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The probe of an {@link IkeSessionActor} while its tunnel runs on another peer than the list's head: an IKE SA
 * negotiated with the head beside the current one, its events kept from the tunnel. Holds the probe's session, its
 * routed SPI and whether its endpoints are being looked up; sends its datagrams and runs its timer
 * ({@link IkeSessionActor.ProbeTick}). What a probe that came up means (switching back) is the actor's.
 */
final class HeadProbe {
    private final SessionDriver driver;
    private final TimerScheduler<IkeSessionActor.Command> timers;
    private final Clock clock;
    private final ActorRef<IkeSessionActor.Command> self;
    private final Consumer<IkeSession> closeAndForget;
    private IkeSession probe;
    private Long registered;
    private boolean resolving;

    HeadProbe(SessionDriver driver, TimerScheduler<IkeSessionActor.Command> timers, Clock clock,
            ActorRef<IkeSessionActor.Command> self, Consumer<IkeSession> closeAndForget) {
        this.driver = driver;
        this.timers = timers;
        this.clock = clock;
        this.self = self;
        this.closeAndForget = closeAndForget;
    }

    /** A probe runs, or its endpoints are being looked up. */
    boolean busy() {
        return probe != null || resolving;
    }

    /** A probe session runs. */
    boolean running() {
        return probe != null;
    }

    /** Its endpoints are being looked up. */
    void resolving(boolean now) {
        resolving = now;
    }

    /** Whether a datagram with this initiator SPI is the probe's. */
    boolean owns(long initiatorSpi) {
        return probe != null && initiatorSpi == probe.id().initiatorSpi();
    }

    /** Starts {@code session} as the probe; true when it came up at once (never, with a real peer). */
    boolean start(IkeSession session) {
        probe = session;
        IkeSession.Step step = probe.handle(new IkeInput.Start());
        registered = probe.id().initiatorSpi();
        driver.register(registered, self);
        return apply(step);
    }

    /** Hands {@code input} to the probe; true when the probe came up (it is then closed and dropped). */
    boolean handle(IkeInput input) {
        return probe != null && apply(probe.handle(input));
    }

    /** The probe's outputs sent and timed, its events kept from the tunnel; true when it came up. */
    private boolean apply(IkeSession.Step step) {
        boolean up = false;
        for (IkeOutput o : step.outputs()) {
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
        if (probe.state() == IkeState.CLOSED) {
            drop();
            return false;
        }
        if (up) {
            closeAndForget.accept(probe);
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
