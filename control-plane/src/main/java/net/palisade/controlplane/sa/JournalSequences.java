package net.palisade.controlplane.sa;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.dataplane.sa.SequenceReservations;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Outbound sequence-number reservations kept in the tunnels' journals ({@code sequence-reserved} events) instead of
 * one file per SA on the node's disk: whichever node goes on with an SA (this one after a restart, or the other
 * node of a pair taking over) reads them from the shared journal and starts above the last one.
 *
 * <p>The journal is slower than a local fsync, so the dataplane asks ahead ({@link #ahead()}): an SA requests its
 * next block when half of the current one is used, and a worker never waits for the answer (it drops a packet no
 * durable reservation covers). What the
 * journal acknowledged is remembered here, and the reservations a replayed journal holds are handed in by the tunnel
 * entity on recovery ({@link #recovered}); SAs installed after that start above them.
 *
 * <p>The files an older release wrote ({@code DATA/sequences/LABEL-SPI}) are still read, never written: a manual SA
 * continues above whichever of the two is higher.
 */
public final class JournalSequences implements SequenceReservations {
    /** Where a reservation goes: the tunnel entity of {@code label}; the stage fails if it was refused. */
    public interface Journal {
        CompletionStage<?> report(String label, Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input);
    }

    private static final long WAIT_SECONDS = 5;

    private final Map<String, Long> known = new ConcurrentHashMap<>();
    private final SequenceReservations legacy;
    private volatile Journal journal;
    /** Requests made before {@link #attach}. Guarded by this. */
    private final List<Runnable> waiting = new ArrayList<>();

    /** @param legacyDir the directory of the older on-disk reservations (read only) */
    public JournalSequences(Path legacyDir) {
        this.legacy = SequenceReservations.inDirectory(Objects.requireNonNull(legacyDir, "legacyDir"));
    }

    /** The control plane is up: reservations can be journaled; those asked for before now go first. */
    public void attach(Journal j) {
        List<Runnable> before;
        synchronized (this) {
            this.journal = Objects.requireNonNull(j, "journal");
            before = List.copyOf(waiting);
            waiting.clear();
        }
        before.forEach(Runnable::run);
    }

    /** A tunnel's journal was replayed: its reservations, by outbound SPI. */
    public void recovered(String label, Map<Long, Long> reserved) {
        reserved.forEach((spi, upTo) -> remember(key(label, spi), upTo));
    }

    @Override
    public boolean ahead() {
        return true;
    }

    @Override
    public long lastReserved(String label, int spi) {
        long journaled = known.getOrDefault(key(label, Integer.toUnsignedLong(spi)), 0L);
        long old = legacy.lastReserved(label, spi);
        return Long.compareUnsigned(journaled, old) >= 0 ? journaled : old;
    }

    @Override
    public void reserveAhead(String label, int spi, long upTo, Consumer<Boolean> done) {
        Journal j;
        synchronized (this) {
            j = journal;
            if (j == null) {
                // a manual SA installed while its tunnel recovers, before the node is up: journaled at attach
                waiting.add(() -> reserveAhead(label, spi, upTo, done));
                return;
            }
        }
        long outboundSpi = Integer.toUnsignedLong(spi);
        CompletionStage<?> s;
        try {
            s = j.report(label, r -> new TunnelCommand.SequenceReserved(outboundSpi, upTo, Cause.NODE, r));
        } catch (RuntimeException e) {
            s = CompletableFuture.failedFuture(e);
        }
        s.whenComplete((v, ex) -> {
            if (ex == null) {
                remember(key(label, outboundSpi), upTo);
            }
            done.accept(ex == null);
        });
    }

    /** Waits (at most {@value #WAIT_SECONDS} s) for the journal: for callers that cannot ask ahead. */
    @Override
    public void reserve(String label, int spi, long upTo) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        reserveAhead(label, spi, upTo, f::complete);
        boolean ok;
        try {
            ok = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        } catch (ExecutionException | TimeoutException e) {
            ok = false;
        }
        if (!ok) {
            throw new UncheckedIOException("the journal did not record the sequence reservation for " + label,
                    new java.io.IOException("not acknowledged"));
        }
    }

    private void remember(String key, long upTo) {
        known.merge(key, upTo, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }

    private static String key(String label, long spi) {
        return label + "|" + spi;
    }
}
