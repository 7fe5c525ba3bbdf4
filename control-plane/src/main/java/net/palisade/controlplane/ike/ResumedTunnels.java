package net.palisade.controlplane.ike;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tunnels whose journaled IKE SAs this node has opened to go on with ({@link IkeManager#resume}) and not started
 * yet: they start once the tunnel has journaled their Child SAs' first sequence windows
 * ({@link IkeManager#resumeReserved}), holding those.
 */
final class ResumedTunnels {
    /** What one tunnel goes on with: its IKE SAs, and the first window of each Child SA's outbound sequence numbers. */
    record Pending(List<IkeResumption.Prepared> sas, Map<Long, Long> reserved) {}

    private final Map<String, List<IkeResumption.Prepared>> opened = new ConcurrentHashMap<>();
    private final Map<String, Map<Long, Long>> windows = new ConcurrentHashMap<>();
    /** How often each tunnel was started or stopped: a resumed session starts later, and only if nothing came between. */
    private final Map<String, Long> generation = new ConcurrentHashMap<>();

    /** {@code label} is (re)started or stopped: what an earlier start left to do later must not happen. */
    long started(String label) {
        return generation.merge(label, 1L, Long::sum);
    }

    /** True while {@code label} was neither started nor stopped again since {@link #started} returned {@code gen}. */
    boolean current(String label, long gen) {
        return generation.getOrDefault(label, 0L) == gen;
    }

    /** {@code label} goes on with {@code sas} once reserved; false (nothing kept) if there are none. */
    boolean open(List<IkeResumption.Prepared> sas, String label) {
        if (sas.isEmpty()) {
            return false;
        }
        opened.put(label, List.copyOf(sas));
        return true;
    }

    /** The windows of {@code label}'s opened SAs are journaled; false if nothing is opened for it. */
    boolean reserved(String label, Map<Long, Long> reserved) {
        if (!opened.containsKey(label)) {
            return false;
        }
        windows.put(label, Map.copyOf(reserved));
        return true;
    }

    /** What {@code label} goes on with, taken (a tunnel starts once with it). */
    Optional<Pending> take(String label) {
        List<IkeResumption.Prepared> sas = opened.remove(label);
        Map<Long, Long> w = windows.remove(label);
        return sas == null ? Optional.empty() : Optional.of(new Pending(sas, w == null ? Map.of() : w));
    }

    /** {@code label} stopped: it does not go on with what was opened. */
    void forget(String label) {
        opened.remove(label);
        windows.remove(label);
        started(label);
    }
}
