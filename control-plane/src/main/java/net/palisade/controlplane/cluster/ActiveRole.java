package net.palisade.controlplane.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.model.event.Cause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which node of a pair is <em>active</em>: the holder of the {@value #LEASE_NAME} lease ({@link PgLease}). The
 * active node runs every tunnel's IKE and dataplane; the standby runs none and keeps trying to take the lease. A
 * node alone on embedded H2 is {@link #sole() always active}.
 *
 * <p>This is a lease of its own, not the split-brain resolver's: the resolver takes its lease only while it decides
 * a partition and never gives it back on its own, while the active role must be held continuously, renewed, and
 * fenced on loss. Both live in the same table.
 *
 * <p>Every transition runs on one thread, in order: listeners first (IKE and ESP stop before anything else when
 * the lease is lost), then the node timeline ({@code ha-standby}, {@code ha-takeover}, {@code ha-active}).
 */
public final class ActiveRole implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ActiveRole.class);

    /** The lease of the active role. */
    public static final String LEASE_NAME = "palisade-active";

    /** Told about role changes, on the role's thread; must not block for long. */
    public interface Listener {
        /** This node is now active, holding {@code epoch}. */
        void becameActive(long epoch);

        /** This node is now standby (it lost the lease, or never had it). */
        void becameStandby(Cause cause);
    }

    private final Optional<PgLease> lease;
    private final String self;
    private final Clock clock;
    private final Duration every;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService loop;
    private volatile Consumer<HaEvent> timeline = e -> {};
    private volatile boolean active;
    private volatile boolean announced;
    private volatile boolean busy; // a round's database calls are under way
    private volatile boolean closed;
    private volatile Optional<LeaseTable.Row> lastRow = Optional.empty();
    private volatile long lastRowNanos;
    private volatile Optional<LeaseTable.Grant> lastChange = Optional.empty();

    private ActiveRole(Optional<PgLease> lease, String self, Clock clock, Duration every) {
        this.lease = lease;
        this.self = self;
        this.clock = clock;
        this.every = every;
        this.loop = lease.isPresent()
                ? Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("active-role").factory())
                : null;
        lease.ifPresent(l -> l.listen((g, changed) -> {
            if (changed) {
                lastChange = Optional.of(g);
            }
        }));
        this.active = lease.isEmpty();
    }

    /** @return {@code host:port} of a cluster address, the owner name nodes use in the lease */
    public static String ownerName(org.apache.pekko.actor.Address a) {
        return a.getHost().orElse("local") + ":" + a.getPort().map(String::valueOf).orElse("0");
    }

    /** A node alone (embedded H2): always active, epoch 0, no lease. */
    public static ActiveRole sole() {
        return new ActiveRole(Optional.empty(), "", Clock.systemUTC(), Duration.ZERO);
    }

    /**
     * A member of a pair.
     *
     * @param db the shared PostgreSQL journal (where the lease row lives)
     * @param self this node's lease owner name (its cluster address {@code host:port})
     * @param ttl lease TTL; the holder renews every {@code ttl/10}
     */
    public static ActiveRole leased(JournalSettings db, String self, Duration ttl, Clock clock) {
        Duration every = ttl.dividedBy(10);
        PgLease l = new PgLease(PgLease.settings(LEASE_NAME, self, ttl, every, ttl), db).fencingJournal();
        return new ActiveRole(Optional.of(l), self, clock, every);
    }

    /** @param l told about changes from now on (registration order is call order) @return this */
    public ActiveRole listen(Listener l) {
        listeners.add(Objects.requireNonNull(l, "listener"));
        return this;
    }

    /** @param sink where the role's transitions are journaled (the node's {@link NodeTimeline}) */
    public void journalTo(Consumer<HaEvent> sink) {
        this.timeline = Objects.requireNonNull(sink, "sink");
    }

    /** Starts contending for the lease (nothing for a sole node). */
    public void start() {
        if (loop != null) {
            loop.scheduleWithFixedDelay(this::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** @return whether this is a pair member (false: a sole node) */
    public boolean paired() {
        return lease.isPresent();
    }

    /**
     * The fencing check before anything a standby must not do (a tunnel's journal write): true while the lease is
     * held and its TTL, counted from the last renewal this node sent, has not run out. Never blocks.
     */
    public boolean mayAct() {
        return lease.map(PgLease::checkLease).orElse(true);
    }

    /** @return whether this node is active (as last announced to the listeners) */
    public boolean active() {
        return active;
    }

    /** @return the epoch this node holds or last held; 0 for a sole node */
    public long epoch() {
        return lease.map(PgLease::epoch).orElse(0L);
    }

    /** @return this node's owner name in the lease */
    public String self() {
        return self;
    }

    /**
     * @return the lease row as last read: the holder as this node sees it; empty for a sole node, before the first
     *     read, and when the last successful read is older than the TTL (this node cannot reach the database)
     */
    public Optional<LeaseTable.Row> holder() {
        if (lastRow.isEmpty() || System.nanoTime() - lastRowNanos > every.toNanos() * 10) {
            return Optional.empty();
        }
        return lastRow;
    }

    /**
     * One round, never blocking the role's thread: the database calls run on the lease's own thread and their
     * answers come back here, so a lost callback is handled at once even while the database hangs.
     */
    private void tick() {
        if (busy) {
            return;
        }
        busy = true;
        PgLease l = lease.orElseThrow();
        CompletableFuture<Void> round;
        if (!active) {
            round = l.acquire(why -> loop.execute(() -> lost(why))).toCompletableFuture()
                    .thenAcceptAsync(got -> {
                        if (got) {
                            becomeActive(l.epoch());
                        } else if (!announced) {
                            announced = true;
                            notifyStandby(new Cause("lease-held-by-other"), 0);
                        }
                    }, loop);
        } else {
            round = CompletableFuture.completedFuture(null);
        }
        round.thenCompose(v -> l.read().toCompletableFuture())
                .whenCompleteAsync((row, e) -> {
                    if (e != null) {
                        log.debug("active lease: {}", e.toString());
                    } else {
                        lastRow = row;
                        lastRowNanos = System.nanoTime();
                    }
                    busy = false;
                }, loop);
    }

    private void becomeActive(long epoch) {
        active = true;
        announced = true;
        log.info("this node ({}) is active, lease epoch {}", self, epoch);
        for (Listener x : listeners) {
            x.becameActive(epoch);
        }
        Optional<LeaseTable.Handover> from = lastChange.flatMap(LeaseTable.Grant::previous);
        Cause cause = new Cause("lease-acquired");
        if (from.isPresent() && !from.get().owner().equals(self)) {
            LeaseTable.Handover h = from.get();
            cause = new Cause(h.released() ? "lease-released" : "lease-expired");
            long gap = lastChange.map(g -> Duration.between(h.lastRenewed(), g.at()).toMillis()).orElse(0L);
            timeline.accept(new HaEvent.Takeover(clock.instant(), self, cause, h.owner(), self, gap, epoch));
        }
        timeline.accept(new HaEvent.Active(clock.instant(), self, cause, epoch));
    }

    private void lost(Optional<Throwable> why) {
        if (!active) {
            return;
        }
        active = false;
        long epoch = lease.map(PgLease::epoch).orElse(0L);
        log.warn("this node ({}) lost the active lease at epoch {}{}: standby", self, epoch,
                why.map(t -> " (" + t.getMessage() + ")").orElse(" (taken by another node)"));
        notifyStandby(new Cause("lease-lost"), epoch);
    }

    private void notifyStandby(Cause cause, long epoch) {
        for (Listener x : listeners) {
            x.becameStandby(cause);
        }
        timeline.accept(new HaEvent.Standby(clock.instant(), self, cause, epoch));
    }

    /**
     * Steps down because this node's cluster membership ended (the split-brain resolver downed it, or the ActorSystem
     * stopped under us): its tunnels are stopped as on a lost lease — IKE fenced first — and the lease is given up,
     * so that the other node takes over at once rather than after the TTL while this one still renews.
     */
    public void leave(Cause cause) {
        if (loop == null || closed) {
            return;
        }
        try {
            loop.submit(() -> {
                if (active) {
                    active = false;
                    log.warn("this node ({}) left the cluster ({}) while active: standby, lease released", self,
                            cause.value());
                    notifyStandby(cause, epoch());
                }
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("stepping down: {}", e.toString());
        }
        close();
    }

    /** Stops contending and gives the lease up, so that the other node takes over without waiting for the TTL. */
    @Override
    public void close() {
        if (loop == null || closed) {
            return;
        }
        closed = true;
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        PgLease l = lease.get();
        // also after leave() made this node standby: the row may still be ours, and the release is a no-op otherwise
        // (it matches only a row this node owns)
        if (l.epoch() > 0) {
            try {
                l.release().toCompletableFuture().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("active lease not released ({}); the other node takes over after its TTL", e.toString());
            }
        }
        l.close();
    }
}
