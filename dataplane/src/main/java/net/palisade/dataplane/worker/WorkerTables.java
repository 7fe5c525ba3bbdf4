package net.palisade.dataplane.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.palisade.dataplane.sa.FlowPair;
import net.palisade.dataplane.sa.Spd;
import net.palisade.dataplane.sa.SpiMap;
import net.palisade.dataplane.sa.TunnelSas;

/**
 * One worker's immutable view of the SAD and SPD. A change builds a new instance from the tunnels in install
 * order; the worker picks it up with one volatile read per packet.
 */
final class WorkerTables {
    /** One installed tunnel as this worker holds it. */
    record Entry(TunnelSas sas, OutboundBinding outbound, InboundBinding inbound) {
    }

    static final WorkerTables EMPTY = new WorkerTables(new LinkedHashMap<>());

    final Map<String, Entry> tunnels;
    final Spd<OutboundBinding> spd;
    final SpiMap<InboundBinding> inbound;

    private WorkerTables(LinkedHashMap<String, Entry> tunnels) {
        this.tunnels = java.util.Collections.unmodifiableMap(tunnels);
        List<Spd.Policy<OutboundBinding>> policies = new ArrayList<>();
        Map<Integer, InboundBinding> bySpi = new HashMap<>();
        for (Entry e : tunnels.values()) {
            for (FlowPair p : e.sas().policies()) {
                policies.add(new Spd.Policy<>(p.local(), p.remote(), e.outbound()));
            }
            bySpi.put(e.inbound().sa().spi(), e.inbound());
        }
        this.spd = Spd.of(policies);
        this.inbound = SpiMap.of(bySpi);
    }

    /** A copy with {@code entry} added, or replacing the tunnel of the same label in its place. */
    WorkerTables with(Entry entry) {
        String label = entry.sas().label();
        int spi = entry.inbound().sa().spi();
        for (Entry e : tunnels.values()) {
            if (!e.sas().label().equals(label) && e.inbound().sa().spi() == spi) {
                throw new IllegalArgumentException("inbound SPI 0x" + Integer.toHexString(spi) + " of " + label
                        + " is already used by tunnel " + e.sas().label());
            }
        }
        LinkedHashMap<String, Entry> copy = new LinkedHashMap<>(tunnels);
        copy.put(label, entry);
        return new WorkerTables(copy);
    }

    /** A copy without the tunnel {@code label} (this instance if there is none). */
    WorkerTables without(String label) {
        if (!tunnels.containsKey(label)) {
            return this;
        }
        LinkedHashMap<String, Entry> copy = new LinkedHashMap<>(tunnels);
        copy.remove(label);
        return new WorkerTables(copy);
    }
}
