package net.palisade.dataplane.worker;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of one worker's counters.
 *
 * @param worker the worker's index
 * @param running false once the worker has stopped (closed, or failed: see the log)
 * @param values every {@link Counter}
 */
public record WorkerCounters(int worker, boolean running, Map<Counter, Long> values) {
    public WorkerCounters {
        values = Collections.unmodifiableMap(new EnumMap<>(values));
    }

    public long get(Counter counter) {
        return values.getOrDefault(counter, 0L);
    }

    /** All drops together. */
    public long drops() {
        long s = 0;
        for (Map.Entry<Counter, Long> e : values.entrySet()) {
            if (e.getKey().drop()) {
                s += e.getValue();
            }
        }
        return s;
    }
}
