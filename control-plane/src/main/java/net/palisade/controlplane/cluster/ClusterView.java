package net.palisade.controlplane.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A pair as one node sees it ({@code GET /v1/cluster}).
 *
 * @param self this node ({@code host:port})
 * @param role {@code active}, {@code standby}, or {@code sole} (a node alone on embedded H2)
 * @param members the cluster's members and whether this node can reach them
 * @param leaseHolder who holds the active lease as this node last read it (empty: nobody, or not read yet)
 * @param leaseEpoch its epoch (0 when unknown)
 * @param leaseExpires when the holder's lease runs out unless renewed (database time)
 */
public record ClusterView(String self, String role, List<Member> members, Optional<String> leaseHolder,
        long leaseEpoch, Optional<Instant> leaseExpires) {
    public ClusterView {
        members = List.copyOf(members);
    }

    /**
     * @param address {@code host:port}
     * @param status Pekko's member status ({@code up}, {@code leaving}, {@code down}...)
     * @param reachable whether this node's failure detector hears it
     * @param active whether it holds the active lease
     */
    public record Member(String address, String status, boolean reachable, boolean active) {}
}
