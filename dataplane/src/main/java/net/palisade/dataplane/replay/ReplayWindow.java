package net.palisade.dataplane.replay;

/**
 * Receiver-side anti-replay window of one SA: a ring of 64-bit words as in RFC 6479, so that sliding clears whole
 * words instead of shifting bits, with 64-bit extended sequence numbers inferred from the 32 bits on the wire
 * (RFC 4303 Appendix A2).
 *
 * <p>Use in two steps around the ICV check, so that a forged packet never moves the window:
 * <pre>{@code
 * long seq = window.check(seqLowFromPacket);          // cheap: duplicates and stale packets stop here
 * if (seq == ReplayWindow.REJECT) drop;
 * if (transform.open(..., seq, ...) != EspOutcome.OK) drop;   // ICV first
 * if (!window.update(seq)) drop;                      // a copy verified in between
 * }</pre>
 *
 * <p>Not thread-safe: one window per inbound SA, touched by that SA's worker only. Drop counters are plain fields
 * read by the same worker. The one exception is {@link #mark()}, the highest authenticated sequence number, which any
 * thread may read without a lock (an opaque read of a field written opaquely): the node samples it to journal the
 * window's high-water mark ({@link #startAt}).
 */
public final class ReplayWindow {

    /** Returned by {@link #check} for a packet to drop. No valid sequence number has this value (2^64-1). */
    public static final long REJECT = -1L;
    /** Default window, in packets (RFC 4303 asks for at least 32 and recommends 64; fast links need more). */
    public static final int DEFAULT_SIZE = 1024;
    /** Largest window accepted, in packets. */
    public static final int MAX_SIZE = 65536;

    private static final long LOW_MASK = 0xFFFF_FFFFL;

    private final boolean esn;
    private final int size;
    private final long[] bitmap;
    private final int blockMask;
    /** Highest authenticated sequence number so far (0: none yet; sequence numbers start at 1). */
    private long top;
    /** The high-water mark this window started at ({@link #startAt}), 0 if it started empty. */
    private long start;

    private long duplicates;
    private long tooOld;
    private long invalid;

    /**
     * @param size packets covered to the left of the highest one received; rounded up to a multiple of 64, at
     *     least 64, at most {@link #MAX_SIZE}
     * @param extendedSequenceNumbers whether the SA negotiated ESN
     */
    public ReplayWindow(int size, boolean extendedSequenceNumbers) {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("replay window must be 1.." + MAX_SIZE + " packets, got " + size);
        }
        this.size = (size + 63) & ~63;
        // One spare word beyond the window so that the word being refilled is never one still in use.
        int blocks = Integer.highestOneBit(this.size / 64 + 1);
        if (blocks < this.size / 64 + 1) {
            blocks <<= 1;
        }
        this.bitmap = new long[blocks];
        this.blockMask = blocks - 1;
        this.esn = extendedSequenceNumbers;
    }

    /** A window of {@link #DEFAULT_SIZE} packets. */
    public static ReplayWindow withDefaultSize(boolean extendedSequenceNumbers) {
        return new ReplayWindow(DEFAULT_SIZE, extendedSequenceNumbers);
    }

    /** The window size in packets, after rounding. */
    public int size() {
        return size;
    }

    public boolean extendedSequenceNumbers() {
        return esn;
    }

    /** Highest sequence number accepted so far, 0 before the first. */
    public long highest() {
        return top;
    }

    /**
     * The same as {@link #highest()}, for any thread and without a lock: an opaque read, which sees each value
     * {@link #update} wrote as it was written (never torn), possibly a little late. For sampling.
     */
    public long mark() {
        return (long) TOP.getOpaque(this);
    }

    /**
     * Starts the window at a high-water mark that an earlier incarnation of this SA had authenticated (a node
     * restart or takeover resuming the SA's keys): {@code mark} becomes the highest sequence number and it and every
     * number below it count as received, so a packet recorded before the restart is dropped as a replay; the next
     * packet above it is accepted. Call before the first packet; 0 leaves the window empty.
     *
     * @param mark the full (64-bit for ESN) sequence number; for a 32-bit SA at most 2^32-1
     * @throws IllegalStateException if the window has received a packet already
     * @throws IllegalArgumentException for a mark a 32-bit SA cannot have
     */
    public void startAt(long mark) {
        if (top != 0) {
            throw new IllegalStateException("the replay window has received packets already");
        }
        if (!esn && Long.compareUnsigned(mark, LOW_MASK) > 0) {
            throw new IllegalArgumentException("mark " + Long.toUnsignedString(mark) + " needs extended sequence"
                    + " numbers");
        }
        if (mark == 0) {
            return;
        }
        java.util.Arrays.fill(bitmap, -1L); // every earlier block: received
        int bitsUpToMark = (int) (mark & 63) + 1;
        // the mark's own block: the numbers up to it received, those above it (not yet sent) not
        bitmap[blockIndex(mark)] = bitsUpToMark == 64 ? -1L : (1L << bitsUpToMark) - 1;
        TOP.setOpaque(this, mark);
        start = mark;
    }

    /** The mark this window started at ({@link #startAt}), 0 if it started empty. */
    public long startedAt() {
        return start;
    }

    /**
     * Pre-ICV check of a packet's sequence number.
     *
     * @param sequenceLow the 32-bit Sequence Number field of the packet
     * @return the full 64-bit sequence number to authenticate the packet with (for ESN: the inferred high bits
     *     and these low bits), or {@link #REJECT} for a duplicate, a packet left of the window or sequence 0
     */
    public long check(int sequenceLow) {
        long seq = esn ? infer(sequenceLow) : sequenceLow & LOW_MASK;
        if (seq == REJECT || seq == 0) {
            invalid++;
            return REJECT;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            return seq;
        }
        if (Long.compareUnsigned(top - seq, size) >= 0) {
            tooOld++;
            return REJECT;
        }
        if ((bitmap[blockIndex(seq)] & bit(seq)) != 0) {
            duplicates++;
            return REJECT;
        }
        return seq;
    }

    /**
     * Records an authenticated packet. Call only after the ICV verified.
     *
     * @param sequenceNumber the value {@link #check} returned
     * @return false (and nothing recorded) if the packet became a duplicate or fell out of the window since
     *     {@link #check}: drop it
     */
    public boolean update(long sequenceNumber) {
        if (sequenceNumber == REJECT || sequenceNumber == 0) {
            invalid++;
            return false;
        }
        if (Long.compareUnsigned(sequenceNumber, top) > 0) {
            long currentBlock = top >>> 6;
            long newBlock = sequenceNumber >>> 6;
            long toClear = Math.min(newBlock - currentBlock, bitmap.length);
            for (long i = 1; i <= toClear; i++) {
                bitmap[(int) ((currentBlock + i) & blockMask)] = 0L;
            }
            TOP.setOpaque(this, sequenceNumber); // a plain store on x86/ARM; read by mark() on other threads
        } else if (Long.compareUnsigned(top - sequenceNumber, size) >= 0) {
            tooOld++;
            return false;
        }
        int index = blockIndex(sequenceNumber);
        long mask = bit(sequenceNumber);
        if ((bitmap[index] & mask) != 0) {
            duplicates++;
            return false;
        }
        bitmap[index] |= mask;
        return true;
    }

    /**
     * RFC 4303 Appendix A2.2: choose the high 32 bits that put {@code sequenceLow} closest to the window. Returns
     * {@link #REJECT} when that would be before the SA's first packet or past 2^64-1.
     */
    private long infer(int sequenceLow) {
        long seq = sequenceLow & LOW_MASK;
        long tl = top & LOW_MASK;
        long th = top >>> 32;
        long w = size;
        long high;
        if (tl >= w - 1) {
            // Case A: the window lies within one 2^32 subspace.
            high = seq >= tl - w + 1 ? th : th + 1;
        } else {
            // Case B: the window spans two subspaces; its bottom is in the previous one.
            long bottom = (tl - w + 1) & LOW_MASK;
            high = seq >= bottom ? th - 1 : th;
        }
        if (high < 0 || high > LOW_MASK) {
            return REJECT;
        }
        long full = (high << 32) | seq;
        return full == REJECT ? REJECT : full;
    }

    private int blockIndex(long seq) {
        return (int) ((seq >>> 6) & blockMask);
    }

    private static final java.lang.invoke.VarHandle TOP;

    static {
        try {
            TOP = java.lang.invoke.MethodHandles.lookup().findVarHandle(ReplayWindow.class, "top", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static long bit(long seq) {
        return 1L << (seq & 63);
    }

    /** Packets dropped as already received. */
    public long duplicates() {
        return duplicates;
    }

    /** Packets dropped as left of the window. */
    public long tooOld() {
        return tooOld;
    }

    /** Packets dropped for sequence number 0 or an ESN inference below the SA's start. */
    public long invalid() {
        return invalid;
    }

    @Override
    public String toString() {
        return "ReplayWindow[size=" + size + ", esn=" + esn + ", highest=" + Long.toUnsignedString(top) + "]";
    }
}
