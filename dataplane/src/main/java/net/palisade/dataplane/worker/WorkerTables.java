package net.palisade.dataplane.worker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.sa.FlowPair;
import net.palisade.dataplane.sa.SaPairs;
import net.palisade.dataplane.sa.Spd;
import net.palisade.dataplane.sa.SpiMap;
import net.palisade.dataplane.sa.TunnelSas;

/**
 * One worker's immutable view of the SAD and SPD. A change builds a new instance from the tunnels in install
 * order; the worker picks it up with one volatile read per packet, so the packet path neither locks nor allocates.
 *
 * <p>A tunnel holds one or more SA pairs ({@link SaPairs}; several during a rekey, and one per flow when the peer
 * negotiates them so): the inbound SA of every pair is in {@link #inbound}, and the SPD holds every pair's own
 * policies in the tunnel's send order ({@link SaPairs#sendOrder()}), so a packet leaves on the first pair whose
 * selectors hold it: during a rekey the preferred of the two pairs with the same selectors, and with a pair per
 * flow the pair of its flow (a packet outside the selectors an SA was negotiated for would be dropped by the peer's
 * inbound check anyway).
 */
final class WorkerTables {
    /** One SA pair of a tunnel as this worker holds it. */
    record Entry(TunnelSas sas, OutboundBinding outbound, InboundBinding inbound) {
        String label() {
            return sas.label();
        }

        int inboundSpi() {
            return inbound.sa().spi();
        }
    }

    static final WorkerTables EMPTY = new WorkerTables(new LinkedHashMap<>());

    final Map<String, SaPairs<Entry>> tunnels;
    final Spd<OutboundBinding> spd;
    final SpiMap<InboundBinding> inbound;

    private WorkerTables(LinkedHashMap<String, SaPairs<Entry>> tunnels) {
        this.tunnels = java.util.Collections.unmodifiableMap(tunnels);
        List<Spd.Policy<OutboundBinding>> policies = new ArrayList<>();
        Map<Integer, InboundBinding> bySpi = new HashMap<>();
        for (SaPairs<Entry> t : tunnels.values()) {
            java.util.Set<FlowPair> shadowed = new java.util.HashSet<>(); // a rekey's pairs: the first one only
            for (Entry e : t.sendOrder()) {
                for (FlowPair p : e.sas().policies()) {
                    if (shadowed.add(p)) {
                        policies.add(new Spd.Policy<>(p.local(), p.remote(), e.outbound()));
                    }
                }
            }
            for (Entry e : t.pairs()) {
                bySpi.put(e.inboundSpi(), e.inbound());
            }
        }
        this.spd = Spd.of(policies);
        this.inbound = SpiMap.of(bySpi);
    }

    /** The transforms of tunnel {@code label}'s pairs here that {@code after} no longer holds (by identity). */
    List<EspTransform> transformsNotIn(WorkerTables after, String label) {
        SaPairs<Entry> mine = tunnels.get(label);
        if (mine == null) {
            return List.of();
        }
        Set<EspTransform> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        SaPairs<Entry> theirs = after.tunnels.get(label);
        if (theirs != null) {
            for (Entry e : theirs.pairs()) {
                kept.add(e.outbound().transform());
                kept.add(e.inbound().transform());
            }
        }
        List<EspTransform> gone = new ArrayList<>();
        for (Entry e : mine.pairs()) {
            for (EspTransform x : new EspTransform[] {e.outbound().transform(), e.inbound().transform()}) {
                if (kept.add(x)) {
                    gone.add(x);
                }
            }
        }
        return gone;
    }

    /** The transforms of every pair here. */
    List<EspTransform> transforms() {
        List<EspTransform> all = new ArrayList<>();
        for (String label : tunnels.keySet()) {
            all.addAll(transformsNotIn(EMPTY, label));
        }
        return all;
    }

    /** A copy with {@code entry} as the only pair of its tunnel: added, or replacing every pair in its place. */
    WorkerTables with(Entry entry) {
        checkSpi(entry, false);
        LinkedHashMap<String, SaPairs<Entry>> copy = new LinkedHashMap<>(tunnels);
        copy.put(entry.label(), SaPairs.of(entry));
        return new WorkerTables(copy);
    }

    /**
     * A copy with {@code entry} added to the pairs of its tunnel (as {@link #with} if there is no such tunnel); it
     * sends at once if {@code switchOutbound}, else the tunnel's sending pair stays.
     */
    WorkerTables withPair(Entry entry, boolean switchOutbound) {
        SaPairs<Entry> current = tunnels.get(entry.label());
        if (current == null) {
            return with(entry);
        }
        checkSpi(entry, true);
        LinkedHashMap<String, SaPairs<Entry>> copy = new LinkedHashMap<>(tunnels);
        copy.put(entry.label(), current.adding(entry, switchOutbound));
        return new WorkerTables(copy);
    }

    /** A copy in which the pair of {@code label} with that inbound SPI sends; null if there is no such pair. */
    WorkerTables sendingOn(String label, int inboundSpi) {
        SaPairs<Entry> current = tunnels.get(label);
        int i = indexOf(current, inboundSpi);
        if (i < 0) {
            return null;
        }
        if (i == current.sending()) {
            return this;
        }
        LinkedHashMap<String, SaPairs<Entry>> copy = new LinkedHashMap<>(tunnels);
        copy.put(label, current.sendingOn(i));
        return new WorkerTables(copy);
    }

    /**
     * A copy without the pair of {@code label} with that inbound SPI (without the tunnel if it was its last pair);
     * this instance if there is no such pair.
     */
    WorkerTables withoutPair(String label, int inboundSpi) {
        SaPairs<Entry> current = tunnels.get(label);
        int i = indexOf(current, inboundSpi);
        if (i < 0) {
            return this;
        }
        LinkedHashMap<String, SaPairs<Entry>> copy = new LinkedHashMap<>(tunnels);
        if (current.size() == 1) {
            copy.remove(label);
        } else {
            copy.put(label, current.removing(i));
        }
        return new WorkerTables(copy);
    }

    /** A copy without the tunnel {@code label} (this instance if there is none). */
    WorkerTables without(String label) {
        if (!tunnels.containsKey(label)) {
            return this;
        }
        LinkedHashMap<String, SaPairs<Entry>> copy = new LinkedHashMap<>(tunnels);
        copy.remove(label);
        return new WorkerTables(copy);
    }

    /** Index of the pair with that inbound SPI, or -1 (also when {@code pairs} is null). */
    static int indexOf(SaPairs<Entry> pairs, int inboundSpi) {
        if (pairs != null) {
            for (int i = 0; i < pairs.size(); i++) {
                if (pairs.pairs().get(i).inboundSpi() == inboundSpi) {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * Refuses an inbound SPI that another tunnel's pair uses, or, if {@code sameTunnelToo} (a pair added next to the
     * others), another pair of the same tunnel.
     */
    private void checkSpi(Entry entry, boolean sameTunnelToo) {
        String label = entry.label();
        int spi = entry.inboundSpi();
        for (Map.Entry<String, SaPairs<Entry>> t : tunnels.entrySet()) {
            if (!sameTunnelToo && t.getKey().equals(label)) {
                continue;
            }
            if (indexOf(t.getValue(), spi) >= 0) {
                throw new IllegalArgumentException("inbound SPI 0x" + Integer.toHexString(spi) + " of " + label
                        + " is already used by " + (t.getKey().equals(label) ? "another SA pair of tunnel "
                        : "tunnel ") + t.getKey());
            }
        }
    }
}
