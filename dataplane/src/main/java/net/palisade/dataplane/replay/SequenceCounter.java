package net.palisade.dataplane.replay;

/**
 * Sender-side sequence numbers of one outbound SA (RFC 4303 Section 3.3.3): 1, 2, 3... and never a wrap. When the
 * next number would cycle, {@link #next()} answers {@link #EXHAUSTED} and the SA must be replaced; a soft limit
 * earlier on tells the control plane to rekey while traffic still flows.
 *
 * <p>Limits: the last number issued is 2^32-1 without ESN, 2^64-2 with ESN (2^64-1 is reserved as
 * {@link #EXHAUSTED}). For AES-GCM and ChaCha20-Poly1305 the sequence number is also the IV, so this counter is
 * what keeps an IV from ever repeating under one key.
 *
 * <p>Not thread-safe: one counter per outbound SA, owned by the worker that seals for it.
 */
public final class SequenceCounter {

    /** Returned by {@link #next()} once the SA has used up its sequence space. */
    public static final long EXHAUSTED = -1L;

    /** Last sequence number an SA without ESN may send. */
    public static final long MAX_32 = 0xFFFF_FFFFL;
    /** Last sequence number an SA with ESN may send (unsigned 2^64-2). */
    public static final long MAX_64 = 0xFFFF_FFFF_FFFF_FFFEL;

    private final boolean esn;
    private final long hardLimit;
    private final long softLimit;
    private long last;

    /**
     * A counter whose rekey threshold sits at 15/16 of the sequence space (about 268 million packets before the
     * end without ESN).
     */
    public SequenceCounter(boolean extendedSequenceNumbers) {
        this(extendedSequenceNumbers, defaultSoftLimit(extendedSequenceNumbers));
    }

    /**
     * @param softLimit from this sequence number on (unsigned), {@link #rekeyDue()} is true; must not exceed the
     *     hard limit
     */
    public SequenceCounter(boolean extendedSequenceNumbers, long softLimit) {
        this(extendedSequenceNumbers, softLimit, 0L);
    }

    SequenceCounter(boolean extendedSequenceNumbers, long softLimit, long lastIssued) {
        this.esn = extendedSequenceNumbers;
        this.hardLimit = extendedSequenceNumbers ? MAX_64 : MAX_32;
        if (softLimit == 0 || Long.compareUnsigned(softLimit, hardLimit) > 0) {
            throw new IllegalArgumentException("soft limit must be 1.." + Long.toUnsignedString(hardLimit)
                    + ", got " + Long.toUnsignedString(softLimit));
        }
        if (Long.compareUnsigned(lastIssued, hardLimit) > 0) {
            throw new IllegalArgumentException("last issued beyond the hard limit");
        }
        this.softLimit = softLimit;
        this.last = lastIssued;
    }

    /** Counter that behaves as if {@code lastIssued} had just been sent (tests and resumed benchmarks). */
    static SequenceCounter startingAfter(boolean extendedSequenceNumbers, long softLimit, long lastIssued) {
        return new SequenceCounter(extendedSequenceNumbers, softLimit, lastIssued);
    }

    private static long defaultSoftLimit(boolean esn) {
        long hard = esn ? MAX_64 : MAX_32;
        return hard - (Long.divideUnsigned(hard, 16));
    }

    /**
     * The sequence number for the next packet, or {@link #EXHAUSTED}: from then on every call answers
     * {@link #EXHAUSTED}, the counter never cycles.
     */
    public long next() {
        if (last == hardLimit) {
            return EXHAUSTED;
        }
        return ++last;
    }

    /** True once the sequence space is used up: the SA must not send again. */
    public boolean exhausted() {
        return last == hardLimit;
    }

    /** True once the soft limit has been reached: time to rekey. */
    public boolean rekeyDue() {
        return Long.compareUnsigned(last, softLimit) >= 0;
    }

    /** Last sequence number issued (0 before the first). */
    public long lastIssued() {
        return last;
    }

    /** Numbers still available before exhaustion (unsigned). */
    public long remaining() {
        return hardLimit - last;
    }

    public boolean extendedSequenceNumbers() {
        return esn;
    }

    public long softLimit() {
        return softLimit;
    }

    public long hardLimit() {
        return hardLimit;
    }

    @Override
    public String toString() {
        return "SequenceCounter[last=" + Long.toUnsignedString(last) + ", esn=" + esn + ", soft="
                + Long.toUnsignedString(softLimit) + "]";
    }
}
