package net.palisade.controlplane.ike;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the node's IKE sessions achieved, counted on the outcome lane for {@code /metrics}: IKE SAs up, rekeyed and
 * down (by reason), negotiations failed (by reason), Child SAs installed, rekeyed and deleted, peers lost to DPD.
 * Names are {@code ike.<what>[.<reason>]}, e.g. {@code ike.negotiation-failed.NO_PROPOSAL_CHOSEN}.
 */
final class IkeOutcomeCounters {
    private final Sums counts = new Sums();

    /** Named sums, incremented from any thread. */
    static final class Sums {
        private final Map<String, LongAdder> sums = new ConcurrentHashMap<>();

        void count(String name) {
            sums.computeIfAbsent(name, n -> new LongAdder()).increment();
        }

        Map<String, Long> snapshot() {
            Map<String, Long> out = new TreeMap<>();
            sums.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }
    }

    /** Counts one engine outcome. */
    void count(IkeOutput.Event e) {
        switch (e) {
            case IkeOutput.Phase1Up _ -> add("ike.sa-up");
            case IkeOutput.IkeSaRekeyed _ -> add("ike.sa-rekeyed");
            case IkeOutput.Phase1Down d -> add("ike.sa-down." + d.reason().map(Enum::name).orElse("DELETE"));
            case IkeOutput.NegotiationFailed f -> add("ike.negotiation-failed." + f.reason().name());
            case IkeOutput.ChildSaInstalled _ -> add("ike.child-sa-installed");
            case IkeOutput.ChildSaRekeyed _ -> add("ike.child-sa-rekeyed");
            case IkeOutput.ChildSaDeleted _ -> add("ike.child-sa-deleted");
            default -> { }
        }
    }

    /** A peer stopped answering (dead peer detection). */
    void dpdLost() {
        add("ike.dpd-lost");
    }

    private void add(String name) {
        counts.count(name);
    }

    /** Every counter counted so far. */
    Map<String, Long> snapshot() {
        return counts.snapshot();
    }
}
