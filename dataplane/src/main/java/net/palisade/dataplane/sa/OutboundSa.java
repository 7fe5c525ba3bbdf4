package net.palisade.dataplane.sa;

import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.palisade.dataplane.io.SockAddr;
import net.palisade.dataplane.replay.SequenceCounter;

/**
 * The shared half of one outbound SA: where its packets go and the sequence numbers they carry. Every worker
 * seals for it with its own cipher object but takes sequence numbers from the one counter here, an
 * {@link AtomicLong}: two workers sealing for the same SA never use a number twice (for AES-GCM and
 * ChaCha20-Poly1305 the number is also the IV, so this is what keeps an IV from repeating under a key). The peer may
 * see the numbers slightly out of order across workers; its replay window absorbs that.
 *
 * <p>The limits are those of {@link SequenceCounter}: at most 2^32-1 packets without ESN (2^64-2 with), and a soft
 * limit at 15/16 of that. Reaching either is reported once through {@link SaEvents}; past the hard limit
 * {@link #nextSequence()} answers {@link #EXHAUSTED} for good and the SA sends nothing more.
 */
public final class OutboundSa {
    /** Returned by {@link #nextSequence()} once the SA has used up its sequence space. */
    public static final long EXHAUSTED = SequenceCounter.EXHAUSTED;
    /**
     * Returned by {@link #nextSequence()} when no durable reservation covers the next number yet and the store is
     * slow or failing ({@link SequenceReservations#ahead()}): this packet is dropped, the SA goes on. A worker never
     * waits for a reservation: it serves every SA, and one SA's journal write must not hold up the others.
     */
    public static final long UNRESERVED = -2L;
    /** After a reservation failed, how long packets past the reservation are dropped before asking again. */
    private static final long RETRY_NANOS = 1_000_000_000L;

    /** How often (in packets: a mask of the sequence number) the byte limit is checked against the counters. */
    private static final long BYTE_CHECK_MASK = 1023;

    /** Counter fields per worker stripe. */
    public static final int PACKETS = 0;
    public static final int BYTES = 1;

    private final String label;
    private final int spi;
    private final InetAddress local;
    private final InetSocketAddress peer;
    private final boolean udpEncapsulation;
    private final String transformName;
    private final boolean esn;
    private final int maxInnerLength;
    private final SockAddr peerSockAddr;
    private final AtomicLong lastSequence;
    private final long hardLimit;
    private final long softLimit;
    private final AtomicBoolean softReported = new AtomicBoolean();
    private final AtomicBoolean hardReported = new AtomicBoolean();
    /** Bytes after which a replacement is asked for ({@link #limitBytes}); none by default. */
    private volatile long softBytes = Long.MAX_VALUE;
    private final AtomicBoolean bytesReported = new AtomicBoolean();
    private volatile boolean exhausted;
    private final StripedCounters counters;
    private final SaEvents events;
    private final SequenceReservations sequences;
    /** Numbers up to here are covered by a durable reservation; beyond it a worker extends it before sealing. */
    private volatile long reservedUpTo;
    /** The store is slow (a journal): reserve the next block when the counter passes here, without waiting. */
    private final boolean ahead;
    private volatile long aheadAt;
    /** A reservation ahead is in flight; when the last one failed (System.nanoTime, 0: it did not). Guarded by this. */
    private boolean aheadPending;
    private long failedAt;

    /**
     * @param label the tunnel's label
     * @param spi the SPI the peer expects
     * @param local our outer address
     * @param peer the peer's outer address and UDP port; port 0 means raw ESP (IP protocol 50)
     * @param transformName the transform, for counters and logs (e.g. {@code aes-128-gcm})
     * @param esn whether the SA uses 64-bit extended sequence numbers
     * @param maxInnerLength the longest inner packet whose ESP packet still fits the underlay MTU
     * @param workers number of worker stripes for the counters
     * @param events where to report sequence-space limits
     */
    public OutboundSa(String label, int spi, InetAddress local, InetSocketAddress peer, String transformName,
            boolean esn, int maxInnerLength, int workers, SaEvents events) {
        this(label, spi, local, peer, transformName, esn, maxInnerLength, workers, events, SequenceReservations.NONE);
    }

    /**
     * An SA whose sequence numbers continue above what {@code sequences} reserved for it before (a restarted node
     * with the same manual key), reserving a first block now.
     *
     * @throws IllegalStateException or {@link java.io.UncheckedIOException} if the reservation cannot be read or
     *     written: installing the SA would risk reusing an IV
     */
    public OutboundSa(String label, int spi, InetAddress local, InetSocketAddress peer, String transformName,
            boolean esn, int maxInnerLength, int workers, SaEvents events, SequenceReservations sequences) {
        this(label, spi, local, peer, transformName, esn, maxInnerLength, workers, events, sequences,
                KeyOrigin.CONFIGURED);
    }

    /**
     * An SA whose counter starts where {@code origin} says: for {@link KeyOrigin#NEGOTIATED} keys with a store that
     * reserves ahead, the first block is usable at once; otherwise above what {@code sequences} reserved before.
     *
     * @throws IllegalStateException or {@link java.io.UncheckedIOException} as the constructor above
     */
    public OutboundSa(String label, int spi, InetAddress local, InetSocketAddress peer, String transformName,
            boolean esn, int maxInnerLength, int workers, SaEvents events, SequenceReservations sequences,
            KeyOrigin origin) {
        this(label, spi, local, peer, transformName, esn, maxInnerLength, workers, events, sequences, origin, 0);
    }

    /**
     * {@link #OutboundSa(String, int, InetAddress, InetSocketAddress, String, boolean, int, int, SaEvents,
     * SequenceReservations, KeyOrigin)} for {@link KeyOrigin#RESUMED} keys whose first window up to
     * {@code journaledUpTo} the node journaled before this install ({@link SaKeys#journaledUpTo}, one block above the
     * last number that may have been sent): the numbers of that block are used at once. A window that does not reach
     * above the last number this store knows of (0: none) is not used: the SA then asks for one and drops its packets
     * until it is durable.
     */
    public OutboundSa(String label, int spi, InetAddress local, InetSocketAddress peer, String transformName,
            boolean esn, int maxInnerLength, int workers, SaEvents events, SequenceReservations sequences,
            KeyOrigin origin, long journaledUpTo) {
        this(label, spi, local, peer, transformName, esn, maxInnerLength, workers, events,
                origin.lastIssued(sequences.lastReserved(label, spi)), defaultSoft(esn), sequences, origin,
                origin == KeyOrigin.RESUMED ? journaledUpTo : 0);
    }

    OutboundSa(String label, int spi, InetAddress local, InetSocketAddress peer, String transformName, boolean esn,
            int maxInnerLength, int workers, SaEvents events, long lastIssued, long softLimit) {
        this(label, spi, local, peer, transformName, esn, maxInnerLength, workers, events, lastIssued, softLimit,
                SequenceReservations.NONE, KeyOrigin.CONFIGURED, 0);
    }

    private OutboundSa(String label, int spi, InetAddress local, InetSocketAddress peer, String transformName,
            boolean esn, int maxInnerLength, int workers, SaEvents events, long lastIssued, long softLimit,
            SequenceReservations sequences, KeyOrigin origin, long journaledUpTo) {
        this.label = Objects.requireNonNull(label);
        this.spi = spi;
        this.local = Objects.requireNonNull(local);
        this.peer = Objects.requireNonNull(peer);
        this.udpEncapsulation = peer.getPort() != 0;
        this.transformName = transformName;
        this.esn = esn;
        this.maxInnerLength = maxInnerLength;
        this.peerSockAddr = SockAddr.of(Arena.ofAuto(), peer);
        boolean window = sequences.ahead() && Long.compareUnsigned(journaledUpTo, lastIssued) > 0;
        if (window && Long.compareUnsigned(journaledUpTo - SequenceReservations.BLOCK, lastIssued) > 0) {
            // the window is the block below journaledUpTo, above the last number the journal knew of when it was
            // written (KeyOrigin.resumedWindow): start there even if this store knew less
            lastIssued = journaledUpTo - SequenceReservations.BLOCK;
        }
        this.lastSequence = new AtomicLong(lastIssued);
        this.hardLimit = esn ? SequenceCounter.MAX_64 : SequenceCounter.MAX_32;
        this.softLimit = softLimit;
        this.counters = new StripedCounters(workers, 2);
        this.events = events == null ? SaEvents.NONE : events;
        this.sequences = sequences;
        this.ahead = sequences.ahead();
        long first = lastIssued + SequenceReservations.BLOCK + 1;
        if (ahead && origin == KeyOrigin.NEGOTIATED) {
            // keys nobody sent with: the first block needs no reservation (KeyOrigin.NEGOTIATED says why), the
            // second is asked for when half of it is used
            this.reservedUpTo = lastIssued + SequenceReservations.BLOCK;
            this.aheadAt = lastIssued + SequenceReservations.BLOCK / 2;
        } else if (window) {
            // resumed keys whose first window was journaled before this install (KeyOrigin.RESUMED): every number
            // in it is above what may have been sent and durable already; the next is asked for at half of it
            long upTo = Long.compareUnsigned(journaledUpTo, hardLimit) > 0 ? hardLimit : journaledUpTo;
            long half = upTo - SequenceReservations.BLOCK / 2;
            this.reservedUpTo = upTo;
            this.aheadAt = Long.compareUnsigned(half, lastIssued) > 0 ? half : lastIssued;
        } else if (ahead) {
            // nothing usable until the first block is durable: the install does not wait for the journal, and the
            // packets before it is are dropped (seq_unreserved), never waited for in the worker
            this.reservedUpTo = lastIssued;
            this.aheadAt = lastIssued;
            requestAhead(first);
        } else {
            // the first block now, at install: failing here refuses the install instead of an SA that cannot send
            sequences.reserve(label, spi, first);
            this.reservedUpTo = first;
        }
    }

    private static long defaultSoft(boolean esn) {
        long hard = esn ? SequenceCounter.MAX_64 : SequenceCounter.MAX_32;
        return hard - Long.divideUnsigned(hard, 16);
    }

    /** Test hook: an SA whose counter behaves as if {@code lastIssued} had just been sent. */
    static OutboundSa startingAfter(String label, int spi, InetAddress local, InetSocketAddress peer, boolean esn,
            int workers, SaEvents events, long lastIssued, long softLimit) {
        return new OutboundSa(label, spi, local, peer, "test", esn, 1400, workers, events, lastIssued, softLimit);
    }

    /**
     * The next sequence number, or {@link #EXHAUSTED}. Lock-free; any worker. Reports the soft limit and
     * exhaustion once each.
     */
    public long nextSequence() {
        if (exhausted) {
            return EXHAUSTED;
        }
        long last = lastSequence.get();
        if (ahead && Long.compareUnsigned(last, reservedUpTo) >= 0 && Long.compareUnsigned(last, hardLimit) < 0
                && !reservationCovers(last + 1)) {
            // nothing left of the durable reservation: dropped without spending a number, or a journal that does
            // not answer for long would use up the sequence space at the packet rate (workers racing past this
            // check spend one number each at most, below)
            return UNRESERVED;
        }
        long s = lastSequence.incrementAndGet();
        if (s == 0 || Long.compareUnsigned(s, hardLimit) > 0) {
            exhausted = true;
            if (hardReported.compareAndSet(false, true)) {
                events.outboundExhausted(label, Integer.toUnsignedLong(spi));
            }
            return EXHAUSTED;
        }
        if (ahead) {
            if (Long.compareUnsigned(s, aheadAt) >= 0) {
                requestAhead(s + SequenceReservations.BLOCK);
            }
            if (Long.compareUnsigned(s, reservedUpTo) > 0 && !reservationCovers(s)) {
                return UNRESERVED;
            }
        } else if (Long.compareUnsigned(s, reservedUpTo) > 0 && !extendReservation(s)) {
            exhausted = true;
            return EXHAUSTED;
        }
        if (s == softLimit && softReported.compareAndSet(false, true)) {
            events.outboundSoftLimit(label, Integer.toUnsignedLong(spi));
        }
        if ((s & BYTE_CHECK_MASK) == 0 && softBytes != Long.MAX_VALUE && !bytesReported.get()
                && counters.sum(BYTES) >= softBytes && bytesReported.compareAndSet(false, true)) {
            events.outboundByteLimit(label, Integer.toUnsignedLong(spi));
        }
        return s;
    }

    /**
     * Makes the durable reservation cover {@code s} (one block past it). Runs once per {@link SequenceReservations#BLOCK}
     * packets; workers that need a number beyond the reservation wait here for the write. False if it cannot be
     * written: the SA then sends nothing more rather than risk reusing a number after a restart.
     */
    private synchronized boolean extendReservation(long s) {
        while (Long.compareUnsigned(s, reservedUpTo) > 0) {
            long next = s + SequenceReservations.BLOCK;
            if (Long.compareUnsigned(next, hardLimit) > 0 || Long.compareUnsigned(next, s) < 0) {
                next = hardLimit;
            }
            try {
                sequences.reserve(label, spi, next);
            } catch (RuntimeException e) {
                System.getLogger(OutboundSa.class.getName()).log(System.Logger.Level.ERROR,
                        "tunnel " + label + ": cannot reserve sequence numbers, the SA stops sending: " + e.getMessage());
                return false;
            }
            reservedUpTo = next;
        }
        return true;
    }

    /**
     * Asks the store for numbers up to {@code upTo} (at least one block past what is reserved) unless a request is in
     * flight or one failed less than {@link #RETRY_NANOS} ago.
     */
    private void requestAhead(long upTo) {
        long target;
        synchronized (this) {
            if (aheadPending || (failedAt != 0 && System.nanoTime() - failedAt < RETRY_NANOS)) {
                return;
            }
            aheadPending = true;
            target = upTo;
            long min = reservedUpTo + SequenceReservations.BLOCK;
            if (Long.compareUnsigned(min, target) > 0) {
                target = min;
            }
            if (Long.compareUnsigned(target, hardLimit) > 0 || Long.compareUnsigned(target, reservedUpTo) < 0) {
                target = hardLimit;
            }
        }
        long t = target;
        sequences.reserveAhead(label, spi, t, ok -> reserved(t, ok));
    }

    private synchronized void reserved(long upTo, boolean ok) {
        aheadPending = false;
        if (ok) {
            failedAt = 0;
            if (Long.compareUnsigned(upTo, reservedUpTo) > 0) {
                reservedUpTo = upTo;
                aheadAt = upTo - SequenceReservations.BLOCK / 2;
            }
        } else {
            failedAt = System.nanoTime() | 1;
            System.getLogger(OutboundSa.class.getName()).log(System.Logger.Level.ERROR, "tunnel " + label
                    + ": cannot reserve sequence numbers past " + Long.toUnsignedString(reservedUpTo)
                    + "; packets beyond are dropped until it can");
        }
    }

    /**
     * Whether a durable reservation covers {@code s} now. If none does, a request for one is made unless one is in
     * flight or the last failed less than {@link #RETRY_NANOS} ago, and the caller drops its packet: the worker does
     * not wait.
     */
    private boolean reservationCovers(long s) {
        if (Long.compareUnsigned(s, reservedUpTo) <= 0) {
            return true;
        }
        requestAhead(s + SequenceReservations.BLOCK); // nothing if one is in flight or failed just now
        return Long.compareUnsigned(s, reservedUpTo) <= 0; // a store may answer at once, on this thread
    }

    /** The highest number a durable reservation covers (numbers up to here may have been sent). */
    public long reservedUpTo() {
        return reservedUpTo;
    }

    /** True once the sequence space is used up. */
    public boolean exhausted() {
        return exhausted;
    }

    /** The last sequence number handed out (may exceed the hard limit by the attempts that failed). */
    public long lastSequence() {
        long s = lastSequence.get();
        return exhausted ? hardLimit : s;
    }

    public String label() {
        return label;
    }

    public int spi() {
        return spi;
    }

    public InetAddress local() {
        return local;
    }

    public InetSocketAddress peer() {
        return peer;
    }

    /** True for ESP-in-UDP (RFC 3948), false for raw ESP. */
    public boolean udpEncapsulation() {
        return udpEncapsulation;
    }

    /** The peer as a native socket address, for the send path. Shared read-only by the workers. */
    public SockAddr peerSockAddr() {
        return peerSockAddr;
    }

    public String transformName() {
        return transformName;
    }

    public boolean extendedSequenceNumbers() {
        return esn;
    }

    /** The longest inner packet that fits the underlay MTU once sealed. */
    public int maxInnerLength() {
        return maxInnerLength;
    }

    /** Counts one sealed packet of {@code innerBytes} on {@code worker}'s stripe. */
    public void countSealed(int worker, int innerBytes) {
        counters.increment(worker, PACKETS);
        counters.add(worker, BYTES, innerBytes);
    }

    /**
     * Asks for a replacement once this SA has sent {@code bytes} (checked every 1,024 packets, so a little
     * later): for a lifetime in kilobytes, which the peer enforces too. Reported once through
     * {@link SaEvents#outboundByteLimit}; the SA goes on sending.
     */
    public void limitBytes(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("byte limit must be positive, found " + bytes);
        }
        softBytes = bytes;
    }

    public SaTraffic traffic() {
        return new SaTraffic(counters.sum(PACKETS), counters.sum(BYTES));
    }

    @Override
    public String toString() {
        return "OutboundSa[" + label + ", spi=0x" + Integer.toHexString(spi) + ", " + transformName + " -> "
                + peer.getAddress().getHostAddress() + (udpEncapsulation ? ":" + peer.getPort() : " (ESP)") + "]";
    }
}
