package net.palisade.dataplane.sa;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Inbound replay high-water marks recovered from the node's store, waiting for their SAs: when an inbound SA of a
 * (label, SPI) found here is created, its replay window starts at the mark ({@link InboundSa#startAt}), so the
 * packets an earlier incarnation of the SA authenticated (before a restart or a takeover) are dropped as replays.
 * The install calls are unchanged: the dataplane consults this when it prepares any inbound SA.
 *
 * <p>An entry stays until whoever samples the installed SAs sees the SA installed ({@link #installed}) or gives up
 * on it ({@link #forget}); an SA reinstalled in between (a retried install) starts at the mark again. Thread-safe.
 */
public final class ReplayMarks {
    /** One inbound SA. */
    public record Key(String label, int spi) {}

    /** A recovered mark and when it was recovered ({@link System#nanoTime()}). */
    public record Pending(long mark, long recoveredNanos) {}

    private final Map<Key, Pending> pending = new ConcurrentHashMap<>();

    /** Records the mark of {@code label}'s inbound SA {@code spi} (the higher one, if one is known already). */
    public void recovered(String label, int spi, long mark) {
        if (mark <= 0) {
            return;
        }
        long now = System.nanoTime();
        pending.merge(new Key(label, spi), new Pending(mark, now),
                (a, b) -> new Pending(Math.max(a.mark(), b.mark()), now));
    }

    /** The mark an inbound SA of {@code label} with {@code spi} starts at; 0 if none was recovered. */
    public long markFor(String label, int spi) {
        Pending p = pending.get(new Key(label, spi));
        return p == null ? 0 : p.mark();
    }

    /** The SA is installed (and carries its mark from now on): the entry is no longer needed. */
    public void installed(Key key) {
        pending.remove(key);
    }

    /** The entries recovered before {@code nanos} ({@link System#nanoTime()}), removed. */
    public List<Key> forget(long nanos) {
        List<Key> gone = new ArrayList<>();
        pending.forEach((k, p) -> {
            if (p.recoveredNanos() - nanos < 0 && pending.remove(k, p)) {
                gone.add(k);
            }
        });
        return gone;
    }

    /** The keys waiting for their SA. */
    public java.util.Set<Key> pendingKeys() {
        return java.util.Set.copyOf(pending.keySet());
    }
}
