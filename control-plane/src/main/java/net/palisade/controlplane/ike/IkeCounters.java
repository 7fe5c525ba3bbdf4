package net.palisade.controlplane.ike;

import java.util.Map;
import java.util.TreeMap;

/**
 * Named counters of one engine: every drop and every notable branch increments one, so operators can read why
 * traffic was ignored. Names: the codec's {@code ikev2.decode.<reason>} and the engine's {@code ikev2.engine.<what>}.
 */
public final class IkeCounters {
    private final Map<String, Long> counts = new TreeMap<>();

    /** Adds one to {@code name}. */
    public void increment(String name) {
        counts.merge(name, 1L, Long::sum);
    }

    /** The count of {@code name} (0 if never incremented). */
    public long get(String name) {
        return counts.getOrDefault(name, 0L);
    }

    /** A copy of every non-zero counter, sorted by name. */
    public Map<String, Long> snapshot() {
        return Map.copyOf(new TreeMap<>(counts));
    }

    @Override
    public String toString() {
        return counts.toString();
    }
}
