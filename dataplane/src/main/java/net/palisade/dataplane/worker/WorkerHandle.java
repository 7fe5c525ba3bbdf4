package net.palisade.dataplane.worker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.io.RawEspSocket;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.SaPairs;
import net.palisade.dataplane.sa.TunnelSas;

/**
 * The control handle of one worker, safe to call from any thread (the control plane wraps one in an actor per
 * worker). Changes are copy-on-write: each builds a new {@link WorkerTables} and publishes it with one volatile
 * write, so the worker never waits for the control plane; changes to one worker are serialized by this handle.
 */
public final class WorkerHandle {
    private final Worker worker;

    WorkerHandle(Worker worker) {
        this.worker = worker;
    }

    public int index() {
        return worker.index();
    }

    /**
     * Installs (or replaces, keeping its place in the policy order) a tunnel's SAs in this worker: afterwards this
     * pair is the tunnel's only one.
     *
     * @param outbound this worker's own transform for the outbound SA: no other worker may use it
     * @param inbound this worker's own transform for the inbound SA
     * @throws IllegalArgumentException if another tunnel uses the inbound SPI, or the worker has no socket for the
     *     SA's family and encapsulation
     */
    public synchronized void install(TunnelSas sas, EspTransform outbound, EspTransform inbound) {
        WorkerTables.Entry entry = entry(sas, outbound, inbound);
        publish(worker.tables.with(entry), sas.label());
    }

    /**
     * Adds an SA pair to a tunnel (installs the tunnel if this worker has none of that label): the inbound SAs of
     * its earlier pairs keep receiving. With {@code switchOutbound} the tunnel's traffic leaves on the new pair at
     * once, else on the pair that sent before.
     *
     * @throws IllegalArgumentException if any pair of any tunnel uses the inbound SPI, or the worker has no socket
     *     for the SA's family and encapsulation
     */
    public synchronized void rekey(TunnelSas sas, EspTransform outbound, EspTransform inbound,
            boolean switchOutbound) {
        WorkerTables.Entry entry = entry(sas, outbound, inbound);
        publish(worker.tables.withPair(entry, switchOutbound), sas.label());
    }

    /** Sends the tunnel's traffic on its pair with that inbound SPI; false if it has no such pair here. */
    public synchronized boolean activateOutbound(String label, int inboundSpi) {
        WorkerTables after = worker.tables.sendingOn(label, inboundSpi);
        if (after == null) {
            return false;
        }
        publish(after, label);
        return true;
    }

    /**
     * Removes one SA pair of a tunnel (the whole tunnel if it is the last); if the pair was sending, the newest
     * remaining pair takes over. False if the tunnel has no such pair here.
     */
    public synchronized boolean removePair(String label, int inboundSpi) {
        WorkerTables before = worker.tables;
        WorkerTables after = before.withoutPair(label, inboundSpi);
        publish(after, label);
        return after != before;
    }

    /** Removes a tunnel's SAs (every pair) from this worker; false if it had none of that label. */
    public synchronized boolean remove(String label) {
        WorkerTables before = worker.tables;
        WorkerTables after = before.without(label);
        publish(after, label);
        return after != before;
    }

    /**
     * Makes {@code after}, which differs only in tunnel {@code label}, the worker's tables; the transforms of the
     * pairs it dropped go to the worker, which wipes them between two packets ({@link Worker#retire}): no packet can
     * be using them then.
     */
    private void publish(WorkerTables after, String label) {
        WorkerTables before = worker.tables;
        worker.tables = after;
        worker.retire(before.transformsNotIn(after, label));
    }

    /** Inbound SPIs of a tunnel's pairs in this worker, oldest first; empty if it has none of that label. */
    public List<Integer> inboundSpis(String label) {
        SaPairs<WorkerTables.Entry> pairs = worker.tables.tunnels.get(label);
        return pairs == null ? List.of() : pairs.pairs().stream().map(WorkerTables.Entry::inboundSpi).toList();
    }

    private WorkerTables.Entry entry(TunnelSas sas, EspTransform outbound, EspTransform inbound) {
        OutboundSa out = sas.outbound();
        int udp = -1;
        RawEspSocket raw = null;
        if (out.udpEncapsulation()) {
            udp = worker.udpEndpointFor(out.local());
            if (udp < 0) {
                throw new IllegalArgumentException(sas.label() + ": no UDP socket bound for " + out.local()
                        .getHostAddress() + " (add it, or a wildcard address of its family, to the bind addresses)");
            }
        } else {
            raw = worker.rawSocketFor(out.local());
            if (raw == null) {
                throw new IllegalArgumentException(sas.label() + ": raw ESP (no udpencap) but no raw ESP socket for "
                        + out.local().getHostAddress());
            }
        }
        return new WorkerTables.Entry(sas, new OutboundBinding(out, outbound, udp, raw),
                new InboundBinding(sas.inbound(), inbound));
    }

    /** Labels of the tunnels installed in this worker, in policy order. */
    public List<String> tunnels() {
        return new ArrayList<>(worker.tables.tunnels.keySet());
    }

    /** A snapshot of this worker's counters. */
    public WorkerCounters counters() {
        Map<Counter, Long> values = new EnumMap<>(Counter.class);
        for (Counter c : Counter.values()) {
            values.put(c, worker.counter(c));
        }
        return new WorkerCounters(worker.index(), worker.running(), values);
    }

    /**
     * Sends an IKE message to {@code to} from this worker's UDP port (4500), adding the non-ESP marker.
     *
     * @return false if the kernel refused the datagram
     */
    public boolean sendIke(InetSocketAddress to, byte[] message) throws IOException {
        return worker.sendIke(to, message);
    }

    /**
     * Sends a NAT-T keepalive (one 0xFF octet, no marker; RFC 3948 section 2.3) to {@code to} from this worker's UDP
     * port (4500).
     *
     * @return false if the kernel refused the datagram
     */
    public boolean sendNatKeepalive(InetSocketAddress to) throws IOException {
        return worker.sendNatKeepalive(to);
    }
}
