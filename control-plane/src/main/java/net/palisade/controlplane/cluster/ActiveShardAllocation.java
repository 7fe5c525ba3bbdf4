package net.palisade.controlplane.cluster;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Puts every tunnel shard on the active node: a tunnel's entity calls its own node's ports, and only the active
 * node's ports reach IKE and the dataplane ({@link ActivePorts}). New shards go to the active node's region;
 * shards elsewhere are handed over to it at the next rebalance (every {@code rebalance-interval}). Before the active
 * node is known, or while its region is not registered yet, a shard goes to the region that asked (a node alone
 * works as before) and moves later.
 *
 * <p>Runs inside the shard coordinator, on whichever node hosts it; it learns the holder from that node's
 * {@link ActiveRole}, which reads the lease row every renewal interval.
 */
public final class ActiveShardAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {
    private final ActiveRole role;
    private final Address self;

    /** @param self this node's cluster address, for the local region's ref (which carries no host) */
    public ActiveShardAllocation(ActiveRole role, Address self) {
        this.role = role;
        this.self = self;
    }

    /** @return {@code host:port} of a cluster address, the owner name nodes use in the lease */
    public static String ownerName(Address a) {
        return a.getHost().orElse("local") + ":" + a.getPort().map(String::valueOf).orElse("0");
    }

    private Optional<String> activeOwner() {
        if (role.active()) {
            return Optional.of(role.self());
        }
        // a row naming this node is stale (it is not active): not an answer
        return role.holder().filter(LeaseTable.Row::held).map(LeaseTable.Row::owner).filter(o -> !o.equals(role.self()));
    }

    private String ownerOf(ActorRef region) {
        Address a = region.path().address();
        return ownerName(a.hasLocalScope() ? self : a);
    }

    private Optional<ActorRef> activeRegion(Map<ActorRef, IndexedSeq<String>> current) {
        Optional<String> owner = activeOwner();
        if (owner.isPresent()) {
            return current.keySet().stream().filter(r -> ownerOf(r).equals(owner.get())).findFirst();
        }
        // This node is not active and cannot tell who is (it lost the database, which is why it lost the lease,
        // while the coordinator still runs here): in a pair the active node can only be the other one.
        if (role.paired() && role.epoch() > 0) {
            List<ActorRef> others = current.keySet().stream().filter(r -> !ownerOf(r).equals(role.self())).toList();
            if (others.size() == 1) {
                return Optional.of(others.get(0));
            }
        }
        return Optional.empty();
    }

    @Override
    public Future<ActorRef> allocateShard(ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
        return Futures.successful(activeRegion(current).orElse(requester));
    }

    @Override
    public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
        Set<String> move = new HashSet<>();
        activeRegion(current).ifPresent(active -> current.forEach((region, shards) -> {
            if (!region.equals(active)) {
                for (String s : scala.jdk.javaapi.CollectionConverters.asJava(shards)) {
                    if (!inProgress.contains(s)) {
                        move.add(s);
                    }
                }
            }
        }));
        return Futures.successful(move);
    }
}
