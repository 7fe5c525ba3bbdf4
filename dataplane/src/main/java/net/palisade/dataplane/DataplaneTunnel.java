package net.palisade.dataplane;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedSet;
import net.palisade.dataplane.sa.FlowPair;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.SaPairs;
import net.palisade.dataplane.sa.SaTraffic;
import net.palisade.dataplane.sa.TunnelSas;

/**
 * What the {@link Dataplane} knows of one installed tunnel: its SA pairs (the workers hold the same pairs, each with
 * its own cipher objects) and the traffic of pairs removed since the tunnel was installed. Immutable.
 *
 * <p>The traffic of a removed pair is not summed at once: a worker that read the tables just before the pair went
 * may still count one last packet on it. So the pair is kept as {@code retiring} and its counters keep being read
 * live; only at the next removal (normally a rekey interval later) are they folded into {@code retiredOut} and
 * {@code retiredIn}. At most the pairs of one removal are kept this way, and only their shared SA state — the
 * worker's cipher objects went with the worker's tables.
 *
 * @param label the tunnel
 * @param pairs the pairs installed now
 * @param retiredOut outbound traffic of pairs removed before the last removal
 * @param retiredIn inbound traffic of those pairs
 * @param retiring the pairs of the last removal, still read live
 */
record DataplaneTunnel(String label, SaPairs<TunnelSas> pairs, SaTraffic retiredOut, SaTraffic retiredIn,
        List<TunnelSas> retiring) {
    private static final SaTraffic NONE = new SaTraffic(0, 0);

    DataplaneTunnel {
        Objects.requireNonNull(label);
        Objects.requireNonNull(pairs);
        retiring = List.copyOf(retiring);
    }

    /** A tunnel just installed with one pair. */
    static DataplaneTunnel of(TunnelSas first) {
        return new DataplaneTunnel(first.label(), SaPairs.of(first), NONE, NONE, List.of());
    }

    /** The pair that sends. */
    TunnelSas sending() {
        return pairs.sendingPair();
    }

    /** Inbound SPIs of the pairs, oldest first. */
    List<Integer> inboundSpis() {
        return pairs.pairs().stream().map(p -> p.inbound().spi()).toList();
    }

    /** Whether a pair of this tunnel receives on {@code spi}. */
    boolean hasInboundSpi(int spi) {
        return indexOf(spi) >= 0;
    }

    /** Index of the pair with that inbound SPI, or -1. */
    int indexOf(int inboundSpi) {
        List<TunnelSas> list = pairs.pairs();
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).inbound().spi() == inboundSpi) {
                return i;
            }
        }
        return -1;
    }

    /** With {@code sas} added as the newest pair, sending at once if {@code switchOutbound}. */
    DataplaneTunnel adding(TunnelSas sas, boolean switchOutbound) {
        if (!sas.label().equals(label)) {
            throw new IllegalArgumentException("SA pair of " + sas.label() + " added to " + label);
        }
        return new DataplaneTunnel(label, pairs.adding(sas, switchOutbound), retiredOut, retiredIn, retiring);
    }

    /** With the pair of that inbound SPI sending; empty if there is no such pair. */
    Optional<DataplaneTunnel> sendingOn(int inboundSpi) {
        int i = indexOf(inboundSpi);
        return i < 0 ? Optional.empty()
                : Optional.of(new DataplaneTunnel(label, pairs.sendingOn(i), retiredOut, retiredIn, retiring));
    }

    /**
     * Without the pair of that inbound SPI: the pairs removed before are folded into the retired totals, this one
     * is retiring.
     *
     * @throws IllegalArgumentException if there is no such pair
     * @throws IllegalStateException if it is the last pair (remove the tunnel instead)
     */
    DataplaneTunnel removing(int inboundSpi) {
        int i = indexOf(inboundSpi);
        if (i < 0) {
            throw new IllegalArgumentException(label + " has no SA pair with inbound SPI 0x"
                    + Integer.toHexString(inboundSpi));
        }
        SaPairs<TunnelSas> after = pairs.removing(i);
        SaTraffic out = retiredOut;
        SaTraffic in = retiredIn;
        for (TunnelSas r : retiring) {
            out = plus(out, r.outbound().traffic());
            in = plus(in, r.inbound().traffic());
        }
        return new DataplaneTunnel(label, after, out, in, List.of(pairs.pairs().get(i)));
    }

    /** The remote prefixes of every pair, without repeats, in pair order (the routes the tunnel needs). */
    SequencedSet<Prefix> remotePrefixes() {
        SequencedSet<Prefix> all = new LinkedHashSet<>();
        for (TunnelSas p : pairs.pairs()) {
            all.addAll(p.inbound().selectors().remote());
        }
        return all;
    }

    /**
     * A snapshot: the preferred pair's SPIs and sequence numbers, the tunnel's total traffic, each pair (sending: it
     * takes the packets of its selectors).
     */
    TunnelCounters counters() {
        SaTraffic out = retiredOut;
        SaTraffic in = retiredIn;
        for (TunnelSas r : retiring) {
            out = plus(out, r.outbound().traffic());
            in = plus(in, r.inbound().traffic());
        }
        // a pair sends unless one before it in the send order has the same policies (a rekey's other pair)
        java.util.Set<List<FlowPair>> seen = new java.util.HashSet<>();
        java.util.Set<TunnelSas> senders = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (TunnelSas p : pairs.sendOrder()) {
            if (seen.add(p.policies())) {
                senders.add(p);
            }
        }
        List<TunnelCounters.Pair> each = new ArrayList<>(pairs.size());
        TunnelCounters.Pair sendingPair = null;
        for (int i = 0; i < pairs.size(); i++) {
            TunnelSas p = pairs.pairs().get(i);
            OutboundSa o = p.outbound();
            InboundSa n = p.inbound();
            TunnelCounters.Pair c = new TunnelCounters.Pair(Integer.toUnsignedLong(n.spi()),
                    Integer.toUnsignedLong(o.spi()), senders.contains(p), o.traffic(), n.traffic(),
                    o.lastSequence(), n.highestSequence(), o.exhausted());
            each.add(c);
            if (i == pairs.sending()) {
                sendingPair = c;
            }
            out = plus(out, c.out());
            in = plus(in, c.in());
        }
        return new TunnelCounters(label, sendingPair.outboundSpi(), sendingPair.inboundSpi(), out, in,
                sendingPair.lastSequenceOut(), sendingPair.highestSequenceIn(), sendingPair.outboundExhausted(), each);
    }

    private static SaTraffic plus(SaTraffic a, SaTraffic b) {
        return new SaTraffic(a.packets() + b.packets(), a.bytes() + b.bytes());
    }

    /** Whether some policy of {@code a} overlaps one of {@code b}. */
    static boolean overlaps(List<FlowPair> a, List<FlowPair> b) {
        for (FlowPair x : a) {
            for (FlowPair y : b) {
                if (x.overlaps(y)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Refuses an inbound SPI that a pair of another of {@code tunnels} receives on, or, if {@code sameTunnelToo},
     * another pair of the same tunnel.
     */
    static void checkInboundSpi(java.util.Collection<DataplaneTunnel> tunnels, TunnelSas sas, boolean sameTunnelToo) {
        String label = sas.label();
        int spi = sas.inbound().spi();
        for (DataplaneTunnel other : tunnels) {
            boolean same = other.label().equals(label);
            if ((sameTunnelToo || !same) && other.hasInboundSpi(spi)) {
                throw new IllegalArgumentException("inbound SPI 0x" + Integer.toHexString(spi) + " of " + label
                        + " is already used by " + (same ? "another SA pair of tunnel " : "tunnel ") + other.label());
            }
        }
    }
}
