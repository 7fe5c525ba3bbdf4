package net.palisade.dataplane.sa;

import java.util.Objects;
import net.palisade.dataplane.replay.ReplayWindow;

/**
 * The shared half of one inbound SA: its anti-replay window, its selectors and its counters. A packet for this SA
 * may arrive on any worker (the kernel spreads UDP flows over the workers' sockets, and raw ESP comes in on one
 * worker only), so the window is shared and each of its two steps runs under the SA's own lock — a few uncontended
 * nanoseconds; the ICV check between them runs outside it, on the worker's own cipher object:
 *
 * <pre>{@code
 * long seq = sa.replayCheck(seqLow);            // duplicates and stale packets stop here, before any crypto
 * if (transform.open(..., seq, ...) != OK) ...  // a forged packet never moves the window
 * if (!sa.replayUpdate(seq)) ...                // a copy that passed in between is a replay too
 * }</pre>
 */
public final class InboundSa {
    public static final int PACKETS = 0;
    public static final int BYTES = 1;

    private final String label;
    private final int spi;
    private final String transformName;
    private final ReplayWindow window;
    private final Selectors selectors;
    private final int maxMss4;
    private final int maxMss6;
    private final StripedCounters counters;

    /**
     * @param maxMss4 the MSS to clamp IPv4 SYNs to on the way in (they answer through our outbound SA)
     * @param maxMss6 the same for IPv6
     */
    public InboundSa(String label, int spi, String transformName, ReplayWindow window, Selectors selectors,
            int maxMss4, int maxMss6, int workers) {
        this.label = Objects.requireNonNull(label);
        this.spi = spi;
        this.transformName = transformName;
        this.window = Objects.requireNonNull(window);
        this.selectors = Objects.requireNonNull(selectors);
        this.maxMss4 = maxMss4;
        this.maxMss6 = maxMss6;
        this.counters = new StripedCounters(workers, 2);
    }

    /** Step one: the full sequence number to authenticate with, or {@link ReplayWindow#REJECT}. */
    public long replayCheck(int sequenceLow) {
        synchronized (window) {
            return window.check(sequenceLow);
        }
    }

    /** Step two, after the ICV verified: false if the packet must be dropped as a replay after all. */
    public boolean replayUpdate(long sequence) {
        synchronized (window) {
            return window.update(sequence);
        }
    }

    /**
     * The highest authenticated sequence number (64-bit with ESN), read without the lock: the node samples it about
     * once a second to keep the SA's replay high-water mark where a restarted or taking-over node finds it.
     */
    public long mark() {
        return window.mark();
    }

    /**
     * Starts the replay window at a high-water mark journaled by an earlier incarnation of this SA (see
     * {@link ReplayWindow#startAt}). Only before the SA is installed: no worker sees it yet.
     */
    public void startAt(long mark) {
        synchronized (window) {
            window.startAt(mark);
        }
    }

    /** The mark the window started at, 0 if empty. */
    public long startedAt() {
        synchronized (window) {
            return window.startedAt();
        }
    }

    /** Highest sequence number accepted so far. */
    public long highestSequence() {
        synchronized (window) {
            return window.highest();
        }
    }

    public String label() {
        return label;
    }

    public int spi() {
        return spi;
    }

    public String transformName() {
        return transformName;
    }

    public Selectors selectors() {
        return selectors;
    }

    public boolean extendedSequenceNumbers() {
        return window.extendedSequenceNumbers();
    }

    public int replayWindowSize() {
        return window.size();
    }

    public int maxMss4() {
        return maxMss4;
    }

    public int maxMss6() {
        return maxMss6;
    }

    /** Counts one accepted packet of {@code innerBytes} on {@code worker}'s stripe. */
    public void countAccepted(int worker, int innerBytes) {
        counters.increment(worker, PACKETS);
        counters.add(worker, BYTES, innerBytes);
    }

    public SaTraffic traffic() {
        return new SaTraffic(counters.sum(PACKETS), counters.sum(BYTES));
    }

    @Override
    public String toString() {
        return "InboundSa[" + label + ", spi=0x" + Integer.toHexString(spi) + ", " + transformName + "]";
    }
}
