package net.palisade.controlplane.cluster;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import net.palisade.controlplane.journal.JournalSettings;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.LeaseTimeoutException;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pekko's {@link Lease} on a PostgreSQL row ({@link LeaseTable}): held for a TTL, renewed every heartbeat interval
 * (TTL/10 by default) by a thread of its own, with the epoch of the row as fencing token.
 *
 * <p>The holder believes it holds the lease until {@code t0 + TTL - margin}, {@code t0} being its own monotonic time
 * when it <em>sent</em> the last successful renewal; the database started that renewal's TTL later, at its
 * {@code now()}. So the holder gives up before anyone else can take the row, whatever the offset between the clocks
 * (only their rates must agree). The margin (one renewal interval) covers the watchdog's own period: a renewal
 * whose answer is lost on the way back (the database committed it, later than {@code t0}) leaves almost no slack
 * otherwise, and a first test run showed the other node taking the row 24 ms before this one noticed. {@link #checkLease()} reads two volatile fields and never blocks;
 * a watchdog thread separate from the (blocking) renewal thread calls the lost callback once that instant passes
 * unrenewed, or at once when a renewal finds the row taken.
 *
 * <p>Used by the split-brain resolver ({@code lease-majority}, instantiated by Pekko from {@code palisade.lease}
 * with {@code url}, {@code user}, {@code password}) and by {@link ActiveRole} for the active node.
 */
public final class PgLease extends Lease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PgLease.class);

    /** Told about every grant (the role uses the epoch and the handover). */
    public interface GrantListener {
        /** A successful acquire or renewal; {@code changed} when this grant made this client the holder. */
        void granted(LeaseTable.Grant grant, boolean changed);
    }

    private final LeaseSettings settings;
    private final JournalSettings db;
    private final Duration ttl;
    private final Duration interval;
    private final Duration operationTimeout;
    private final ExecutorService io;
    private final ScheduledExecutorService watch;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private volatile GrantListener listener = (g, c) -> {};
    private volatile boolean fencesJournal;

    private volatile boolean holding;
    private volatile long validUntilNanos;
    private volatile long epoch;
    private volatile Consumer<Optional<Throwable>> lostCallback = w -> {};
    private Connection connection; // io thread only

    /** For Pekko's {@code LeaseProvider}: the database comes from the lease's config block. */
    public PgLease(LeaseSettings settings, ExtendedActorSystem system) {
        this(settings, fromConfig(settings.leaseConfig()));
        system.registerOnTermination(this::close);
    }

    /**
     * @param settings name, owner, TTL ({@code heartbeat-timeout}), renewal interval ({@code heartbeat-interval}),
     *     operation timeout
     * @param db the PostgreSQL database (the journal's)
     */
    public PgLease(LeaseSettings settings, JournalSettings db) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.db = Objects.requireNonNull(db, "db");
        if (db.h2()) {
            throw new IllegalArgumentException("a lease needs PostgreSQL; the journal is embedded H2");
        }
        this.ttl = settings.timeoutSettings().getHeartbeatTimeout();
        this.interval = settings.timeoutSettings().getHeartbeatInterval();
        this.operationTimeout = settings.timeoutSettings().getOperationTimeout();
        if (interval.compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("lease " + settings.leaseName() + ": heartbeat-interval " + interval
                    + " must be shorter than heartbeat-timeout " + ttl);
        }
        String n = settings.leaseName();
        this.io = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("lease-io-" + n).factory());
        this.watch = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("lease-watch-" + n).factory());
        long tick = Math.max(10, interval.toMillis() / 4);
        watch.scheduleAtFixedRate(this::watchdog, tick, tick, TimeUnit.MILLISECONDS);
    }

    /**
     * Lease settings built in code.
     *
     * @param ttl how long a grant lasts without renewal ({@code heartbeat-timeout})
     * @param interval how often the holder renews ({@code heartbeat-interval}; TTL/10 by convention)
     */
    public static LeaseSettings settings(String name, String owner, Duration ttl, Duration interval,
            Duration operationTimeout) {
        Config c = com.typesafe.config.ConfigFactory.empty()
                .withValue("heartbeat-timeout", com.typesafe.config.ConfigValueFactory.fromAnyRef(ttl.toMillis() + "ms"))
                .withValue("heartbeat-interval",
                        com.typesafe.config.ConfigValueFactory.fromAnyRef(interval.toMillis() + "ms"))
                .withValue("lease-operation-timeout",
                        com.typesafe.config.ConfigValueFactory.fromAnyRef(operationTimeout.toMillis() + "ms"));
        return new LeaseSettings(name, owner, org.apache.pekko.coordination.lease.TimeoutSettings.apply(c), c);
    }

    private static JournalSettings fromConfig(Config c) {
        return JournalSettings.postgres(c.getString("url"), c.hasPath("user") ? c.getString("user") : "",
                c.hasPath("password") ? c.getString("password") : "");
    }

    /**
     * Makes this the lease that fences tunnel journal writes (the active role's, {@code postgres.sql}'s trigger
     * checks its row): an acquire that is not a renewal takes the row from another holder only after that holder's
     * tunnel events in flight have committed ({@link LeaseTable#takeFencingJournal}).
     *
     * @return this
     */
    public PgLease fencingJournal() {
        fencesJournal = true;
        return this;
    }

    /** @param l told about each grant (before the acquire's stage completes) */
    public void listen(GrantListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
    }

    @Override
    public LeaseSettings getSettings() {
        return settings;
    }

    /** @return the epoch of the last grant (0 before the first) */
    public long epoch() {
        return epoch;
    }

    @Override
    public CompletionStage<Boolean> acquire() {
        return acquire(w -> {});
    }

    @Override
    public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
        Objects.requireNonNull(leaseLostCallback, "leaseLostCallback");
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        io.execute(() -> {
            try {
                boolean got = renewOnce(false);
                if (got) {
                    lostCallback = leaseLostCallback;
                    if (renewing.compareAndSet(false, true)) {
                        io.execute(this::renewLoop);
                    }
                }
                f.complete(got);
            } catch (SQLException e) {
                f.completeExceptionally(e);
            }
        });
        return f.orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One acquire-or-renew; on the io thread. A renewal that returns after the watchdog gave the lease up does not
     * take it back: the user was told it is lost and acquires again if it wants it (same epoch then, as nobody else
     * held it meanwhile).
     */
    private boolean renewOnce(boolean renewal) throws SQLException {
        long t0 = System.nanoTime();
        Optional<LeaseTable.Grant> grant;
        try {
            grant = fencesJournal && !renewal
                    ? LeaseTable.takeFencingJournal(connection(), settings.leaseName(), settings.ownerName(), ttl)
                    : LeaseTable.acquire(connection(), settings.leaseName(), settings.ownerName(), ttl);
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
        if (grant.isEmpty()) {
            if (holding) {
                lose(Optional.empty(), "the row belongs to another owner");
            }
            return false;
        }
        LeaseTable.Grant g = grant.get();
        boolean changed;
        synchronized (this) {
            if (renewal && !holding) {
                return false;
            }
            changed = !holding || g.epoch() != epoch;
            epoch = g.epoch();
            validUntilNanos = t0 + ttl.toNanos() - interval.toNanos();
            holding = true;
        }
        listener.granted(g, changed);
        return true;
    }

    /** Renews every interval while held; stays on the io thread between renewals (the thread is this lease's). */
    private void renewLoop() {
        if (io.isShutdown()) {
            return;
        }
        if (holding) {
            try {
                renewOnce(true);
            } catch (SQLException e) {
                log.warn("lease {}: renewal failed ({}); held until its TTL runs out unless a renewal succeeds",
                        settings.leaseName(), e.getMessage());
            }
        }
        try {
            watch.schedule(() -> {
                try {
                    io.execute(this::renewLoop);
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    // closed meanwhile
                }
            }, interval.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closed meanwhile
        }
    }

    private void watchdog() {
        if (holding && System.nanoTime() - validUntilNanos > 0) {
            lose(Optional.of(new LeaseTimeoutException("lease " + settings.leaseName() + " not renewed within "
                    + ttl.toMillis() + " ms")), "not renewed within its TTL");
        }
    }

    private synchronized void lose(Optional<Throwable> why, String text) {
        if (!holding) {
            return;
        }
        holding = false;
        log.warn("lease {}: lost by {} at epoch {}: {}", settings.leaseName(), settings.ownerName(), epoch, text);
        Consumer<Optional<Throwable>> cb = lostCallback;
        lostCallback = w -> {};
        try {
            cb.accept(why);
        } catch (RuntimeException e) {
            log.error("lease {}: lost callback failed", settings.leaseName(), e);
        }
    }

    /** @return the lease's row as the database has it now (on this lease's connection) */
    public CompletionStage<Optional<LeaseTable.Row>> read() {
        CompletableFuture<Optional<LeaseTable.Row>> f = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    f.complete(LeaseTable.read(connection(), settings.leaseName()));
                } catch (SQLException e) {
                    closeConnection();
                    f.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            f.completeExceptionally(closed);
        }
        return f.orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletionStage<Boolean> release() {
        holding = false;
        lostCallback = w -> {};
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        io.execute(() -> {
            try {
                f.complete(LeaseTable.release(connection(), settings.leaseName(), settings.ownerName()));
            } catch (SQLException e) {
                closeConnection();
                f.completeExceptionally(e);
            }
        });
        return f.orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean checkLease() {
        return holding && System.nanoTime() - validUntilNanos < 0;
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Properties p = new Properties();
            p.setProperty("user", db.user());
            p.setProperty("password", db.password());
            // a black-holed database must not hold the renewal thread much longer than the TTL: the watchdog gives
            // the lease up at the TTL regardless, but the next attempt should come soon after
            long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
            p.setProperty("connectTimeout", String.valueOf(seconds));
            p.setProperty("socketTimeout", String.valueOf(seconds));
            p.setProperty("loginTimeout", String.valueOf(seconds));
            p.setProperty("ApplicationName", "palisade-lease");
            connection = DriverManager.getConnection(db.url(), p);
            LeaseTable.createIfMissing(connection);
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    /** Stops renewing (the row expires after its TTL) and closes the connection; no lost callback. */
    @Override
    public void close() {
        holding = false;
        lostCallback = w -> {};
        watch.shutdownNow();
        try {
            io.execute(this::closeConnection);
            io.shutdown();
        } catch (java.util.concurrent.RejectedExecutionException closedBefore) {
            // closed twice
        }
    }
}
