package net.palisade.controlplane.ping;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.palisade.model.IkeTunnel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the {@link PingMonitor}s of the tunnels with {@code ping} on one thread: every {@link #TICK} each watched
 * tunnel whose Child SA is in the dataplane ({@link Echoes#childSaUp}) gets its monitor's echo sent; a tunnel whose
 * Child SA is gone has its monitor dropped (the next Child SA starts a new one, without verdict). Replies come from a
 * dataplane worker ({@link #reply}) and are handed to this thread at once.
 */
public final class Pinger implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pinger.class);

    /** How often the monitors are looked at (their own interval decides when an echo leaves). */
    public static final Duration TICK = Duration.ofSeconds(1);

    /** The dataplane side. */
    public interface Echoes {
        /** Sends one echo request of {@code label} through its tunnel. */
        void send(String label, InetAddress from, InetAddress to, int sequence);

        /** Whether {@code label} has a Child SA installed: pinging makes sense. */
        boolean childSaUp(String label);
    }

    /** Told when a tunnel's verdict changes (on the pinger's thread). */
    public interface Verdicts {
        /** {@code lost} echoes in a row went unanswered. */
        void lost(IkeTunnel tunnel, PingTarget target, int lost);

        /** An echo was answered (first, or again). */
        void ok(IkeTunnel tunnel, PingTarget target);
    }

    private record Watched(IkeTunnel tunnel, PingTarget target, PingMonitor monitor) {}

    private final Echoes echoes;
    private final Verdicts verdicts;
    private final Clock clock;
    private final Duration interval;
    private final int lostAfter;
    /** Confined to {@link #thread}. */
    private final Map<String, IkeTunnel> tunnels = new HashMap<>();
    private final Map<String, Watched> running = new HashMap<>();
    private final ScheduledExecutorService thread;

    /** With the documented interval and count ({@link PingMonitor#INTERVAL}, {@link PingMonitor#LOST_AFTER}). */
    public Pinger(Echoes echoes, Verdicts verdicts, Clock clock) {
        this(echoes, verdicts, clock, PingMonitor.INTERVAL, PingMonitor.LOST_AFTER, TICK);
    }

    /** With another interval, count and tick (tests). */
    public Pinger(Echoes echoes, Verdicts verdicts, Clock clock, Duration interval, int lostAfter, Duration tick) {
        this.echoes = Objects.requireNonNull(echoes, "echoes");
        this.verdicts = Objects.requireNonNull(verdicts, "verdicts");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.interval = interval;
        this.lostAfter = lostAfter;
        new PingMonitor(interval, lostAfter); // checks them now
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-ping");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::tick, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Pings {@code tunnel} (replacing an earlier spec of its label) if it has {@code ping}; else stops its ping. */
    public void watch(IkeTunnel tunnel) {
        run(() -> {
            running.remove(tunnel.label());
            if (tunnel.ping() && PingTarget.of(tunnel).isPresent()) {
                tunnels.put(tunnel.label(), tunnel);
            } else {
                tunnels.remove(tunnel.label());
            }
        });
    }

    /** Stops pinging {@code label}. */
    public void unwatch(String label) {
        run(() -> {
            tunnels.remove(label);
            running.remove(label);
        });
    }

    /** An echo reply of {@code label} arrived (any thread: a dataplane worker). */
    public void reply(String label, int sequence) {
        run(() -> {
            Watched w = running.get(label);
            if (w != null) {
                w.monitor().reply(sequence).ifPresent(v -> report(w, v));
            }
        });
    }

    private void tick() {
        try {
            for (IkeTunnel t : tunnels.values()) {
                if (!echoes.childSaUp(t.label())) {
                    running.remove(t.label());
                    continue;
                }
                Watched w = running.computeIfAbsent(t.label(), l -> new Watched(t, PingTarget.of(t).orElseThrow(),
                        new PingMonitor(interval, lostAfter)));
                PingMonitor.Step step = w.monitor().tick(clock.instant());
                step.verdict().ifPresent(v -> report(w, v));
                if (step.send().isPresent()) {
                    echoes.send(t.label(), w.target().from(), w.target().to(), step.send().getAsInt());
                }
            }
        } catch (RuntimeException e) {
            log.error("ping: a tick failed", e);
        }
    }

    private void report(Watched w, PingMonitor.Verdict v) {
        try {
            if (v == PingMonitor.Verdict.UNREACHABLE) {
                log.warn("tunnel {}: ping {} lost ({} echoes unanswered)", w.tunnel().label(), w.target(),
                        w.monitor().lost());
                verdicts.lost(w.tunnel(), w.target(), w.monitor().lost());
            } else {
                log.info("tunnel {}: ping {} answered", w.tunnel().label(), w.target());
                verdicts.ok(w.tunnel(), w.target());
            }
        } catch (RuntimeException e) {
            log.error("tunnel {}: reporting the ping verdict failed", w.tunnel().label(), e);
        }
    }

    private void run(Runnable r) {
        try {
            thread.execute(r);
        } catch (RejectedExecutionException e) {
            log.debug("ping after close, dropped");
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
