package net.palisade.dataplane.sa;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A few counters written by several worker threads and read by anyone: each worker owns its own stripe (64-octet
 * aligned apart, so two workers never write the same cache line) and is the only writer of it; a reader sums the
 * stripes. Writes and reads are opaque (atomic, never torn, eventually visible), which on x86-64 costs what a plain
 * store costs: no lock, no CAS, no fence.
 */
public final class StripedCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs per cache line. */
    private static final int LINE = 8;

    private final int fields;
    private final int stride;
    private final int stripes;
    private final long[] values;

    /**
     * @param stripes writers (workers)
     * @param fields counters per writer
     */
    public StripedCounters(int stripes, int fields) {
        if (stripes < 1 || fields < 1) {
            throw new IllegalArgumentException("stripes and fields must be positive");
        }
        this.fields = fields;
        this.stripes = stripes;
        this.stride = (fields + LINE - 1) / LINE * LINE;
        // One line of padding in front, so the first stripe does not share a line with the array header.
        this.values = new long[LINE + stride * stripes];
    }

    /** Adds {@code delta} to a field of {@code stripe}. Only the thread owning that stripe may call this. */
    public void add(int stripe, int field, long delta) {
        int i = LINE + stripe * stride + field;
        LONGS.setOpaque(values, i, (long) LONGS.getOpaque(values, i) + delta);
    }

    /** Increments a field of {@code stripe}. Only the thread owning that stripe may call this. */
    public void increment(int stripe, int field) {
        add(stripe, field, 1);
    }

    /** One stripe's value of a field. Any thread. */
    public long get(int stripe, int field) {
        return (long) LONGS.getOpaque(values, LINE + stripe * stride + field);
    }

    /** A field summed over all stripes. Any thread. */
    public long sum(int field) {
        long s = 0;
        for (int w = 0; w < stripes; w++) {
            s += get(w, field);
        }
        return s;
    }

    public int stripes() {
        return stripes;
    }

    public int fields() {
        return fields;
    }
}
