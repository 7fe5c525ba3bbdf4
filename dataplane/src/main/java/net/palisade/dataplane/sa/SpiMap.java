package net.palisade.dataplane.sa;

import java.util.Map;

/**
 * Inbound SAs by SPI: an immutable open-addressing hash table over {@code int} keys, so that the per-packet lookup
 * neither boxes nor allocates. Build a new one for every change.
 *
 * @param <T> the value (a worker's binding of an inbound SA)
 */
public final class SpiMap<T> {
    private static final SpiMap<?> EMPTY = new SpiMap<>(Map.of());

    private final int[] keys;
    private final Object[] values;
    private final int mask;
    private final int size;

    private SpiMap(Map<Integer, T> entries) {
        int capacity = Integer.highestOneBit(Math.max(4, entries.size() * 2 + 1)) << 1;
        this.keys = new int[capacity];
        this.values = new Object[capacity];
        this.mask = capacity - 1;
        this.size = entries.size();
        for (Map.Entry<Integer, T> e : entries.entrySet()) {
            int i = slot(e.getKey());
            while (values[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = e.getKey();
            values[i] = e.getValue();
        }
    }

    @SuppressWarnings("unchecked")
    public static <T> SpiMap<T> empty() {
        return (SpiMap<T>) EMPTY;
    }

    public static <T> SpiMap<T> of(Map<Integer, T> entries) {
        for (T v : entries.values()) {
            if (v == null) {
                throw new IllegalArgumentException("null value");
            }
        }
        return new SpiMap<>(entries);
    }

    /** The value for {@code spi}, or null. */
    @SuppressWarnings("unchecked")
    public T get(int spi) {
        int i = slot(spi);
        while (true) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == spi) {
                return (T) v;
            }
            i = (i + 1) & mask;
        }
    }

    public int size() {
        return size;
    }

    private int slot(int spi) {
        int h = spi * 0x9E3779B9; // Fibonacci hashing: SPIs are often sequential
        return (h ^ (h >>> 16)) & mask;
    }
}
