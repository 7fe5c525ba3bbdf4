package net.palisade.dataplane;

import java.util.List;
import java.util.Optional;
import net.palisade.dataplane.worker.Counter;
import net.palisade.dataplane.worker.WorkerCounters;

/**
 * A snapshot of a dataplane's counters: per tunnel (its SAs' traffic) and per worker (drops by reason and events).
 */
public record DataplaneCounters(List<TunnelCounters> tunnels, List<WorkerCounters> workers) {
    public DataplaneCounters {
        tunnels = List.copyOf(tunnels);
        workers = List.copyOf(workers);
    }

    /** A counter summed over all workers. */
    public long total(Counter counter) {
        long s = 0;
        for (WorkerCounters w : workers) {
            s += w.get(counter);
        }
        return s;
    }

    public Optional<TunnelCounters> tunnel(String label) {
        return tunnels.stream().filter(t -> t.label().equals(label)).findFirst();
    }

    /** One line per tunnel and the non-zero worker counters, for logs and test output. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (TunnelCounters t : tunnels) {
            sb.append(String.format("tunnel %s: out spi 0x%x %d pkts %d B (seq %d) | in spi 0x%x %d pkts %d B%n",
                    t.label(), t.outboundSpi(), t.out().packets(), t.out().bytes(), t.lastSequenceOut(),
                    t.inboundSpi(), t.in().packets(), t.in().bytes()));
            if (t.pairs().size() > 1) {
                for (TunnelCounters.Pair p : t.pairs()) {
                    sb.append(String.format("  pair in spi 0x%x %d pkts | out spi 0x%x %d pkts%s%n", p.inboundSpi(),
                            p.in().packets(), p.outboundSpi(), p.out().packets(), p.sending() ? " (sending)" : ""));
                }
            }
        }
        for (Counter c : Counter.values()) {
            long v = total(c);
            if (v != 0) {
                sb.append(c.key()).append('=').append(v).append(' ');
            }
        }
        return sb.toString().trim();
    }
}
