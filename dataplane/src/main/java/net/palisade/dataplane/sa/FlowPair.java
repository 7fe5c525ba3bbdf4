package net.palisade.dataplane.sa;

/**
 * One outbound policy of a tunnel before it is bound to a worker's SA: packets from {@code local} to
 * {@code remote} go through the tunnel.
 */
public record FlowPair(Prefix local, Prefix remote) {
    public FlowPair {
        if (local.ipv6() != remote.ipv6()) {
            throw new IllegalArgumentException(local + " -> " + remote + " mixes families");
        }
    }

    /** Whether some packet matches both policies. */
    public boolean overlaps(FlowPair other) {
        return local.overlaps(other.local) && remote.overlaps(other.remote);
    }
}
