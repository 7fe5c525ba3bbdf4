package net.palisade.controlplane.ike;

import java.util.Map;
import java.util.TreeMap;

/**
 * Named counters of one engine: every drop and every notable branch increments one, so operators can read why
 * traffic was ignored. Names: the codec's {@code ikev2.decode.<reason>} and the engine's {@code ikev2.engine.<what>}.
 */
public final class IkeCounters {
    private final Map<String, Long> counts = new TreeMap<>();
    /** Also told every increment: the node's sum over its sessions ({@link IkeSettings#counted()}). */
    private final java.util.function.Consumer<String> also;

    /** Counters of their own only. */
    public IkeCounters() {
        this(name -> { });
    }

    /** Counters that also tell {@code also} of every increment. */
    public IkeCounters(java.util.function.Consumer<String> also) {
        this.also = java.util.Objects.requireNonNull(also, "also");
    }

    /** Adds one to {@code name}. */
    public void increment(String name) {
        counts.merge(name, 1L, Long::sum);
        also.accept(name);
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
