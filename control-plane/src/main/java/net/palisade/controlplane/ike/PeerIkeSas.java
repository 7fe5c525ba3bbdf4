package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which IKE SA each Child SA of an any-peer passive tunnel was negotiated under, so that one peer's IKE SA going
 * takes only its own Child SAs out of the dataplane (the tunnel holds one IKE SA per peer, each with its own
 * session). A Child SA is told apart by the peer's address and port it was negotiated with (sites behind one NAT
 * share the address, not the port): each peer's session reports only its own. Not thread-safe: the outcome lane
 * only.
 */
final class PeerIkeSas {
    /** Per tunnel: the newest IKE SA of each peer address and port. */
    private final Map<String, Map<InetSocketAddress, String>> byPeer = new HashMap<>();
    /** Per tunnel: the inbound SPIs of each IKE SA's Child SAs. */
    private final Map<String, Map<String, Set<Long>>> children = new HashMap<>();

    /** IKE SA {@code ikeSa} of {@code label} came up with {@code peer}. */
    void up(String label, InetSocketAddress peer, String ikeSa) {
        byPeer.computeIfAbsent(label, k -> new HashMap<>()).put(peer, ikeSa);
        children.computeIfAbsent(label, k -> new LinkedHashMap<>()).computeIfAbsent(ikeSa,
                k -> new LinkedHashSet<>());
    }

    /**
     * The IKE SA a Child SA with {@code peer} belongs to: that address and port's newest; else the only IKE SA of
     * that address (its port changed); the tunnel's only IKE SA if the peer has none (its address changed); empty
     * otherwise.
     */
    Optional<String> owner(String label, InetSocketAddress peer) {
        Map<InetSocketAddress, String> peers = byPeer.getOrDefault(label, Map.of());
        Optional<String> of = Optional.ofNullable(peers.get(peer));
        if (of.isPresent()) {
            return of;
        }
        List<String> sameAddress = peers.entrySet().stream()
                .filter(e -> e.getKey().getAddress().equals(peer.getAddress())).map(Map.Entry::getValue).toList();
        if (sameAddress.size() == 1) {
            return Optional.of(sameAddress.getFirst());
        }
        Map<String, Set<Long>> all = children.getOrDefault(label, Map.of());
        return all.size() == 1 ? Optional.of(all.keySet().iterator().next()) : Optional.empty();
    }

    /** Child SA {@code inboundSpi} of {@code label} was installed under {@code ikeSa}. */
    void child(String label, String ikeSa, long inboundSpi) {
        children.computeIfAbsent(label, k -> new LinkedHashMap<>()).computeIfAbsent(ikeSa,
                k -> new LinkedHashSet<>()).add(inboundSpi);
    }

    /** The IKE SA of Child SA {@code inboundSpi} of {@code label}, if known. */
    Optional<String> ownerOf(String label, long inboundSpi) {
        return children.getOrDefault(label, Map.of()).entrySet().stream()
                .filter(e -> e.getValue().contains(inboundSpi)).map(Map.Entry::getKey).findFirst();
    }

    /** Child SA {@code inboundSpi} of {@code label} is gone. */
    void childGone(String label, long inboundSpi) {
        children.getOrDefault(label, Map.of()).values().forEach(s -> s.remove(inboundSpi));
    }

    /** IKE SA {@code replaced} of {@code label} was rekeyed to {@code replacement}: its Child SAs move over. */
    void rekeyed(String label, String replaced, String replacement) {
        Map<String, Set<Long>> all = children.get(label);
        if (all != null && all.containsKey(replaced)) {
            all.put(replacement, all.remove(replaced));
        }
        // not getOrDefault(label, Map.of()): an immutable map's replaceAll throws even when empty, and for every
        // tunnel that is not any-peer (no entry here) that lost the report of each IKE SA rekey
        Map<InetSocketAddress, String> peers = byPeer.get(label);
        if (peers != null) {
            peers.replaceAll((p, n) -> n.equals(replaced) ? replacement : n);
        }
    }

    /**
     * IKE SA {@code ikeSa} of {@code label}, if tracked, is now with the peer at {@code peer} (it replaced one that
     * was elsewhere: a site behind a NAT that came back from another port).
     */
    void moved(String label, String ikeSa, InetSocketAddress peer) {
        Map<InetSocketAddress, String> peers = byPeer.get(label);
        if (peers != null && peers.containsValue(ikeSa)) {
            peers.values().removeIf(ikeSa::equals);
            peers.put(peer, ikeSa);
        }
    }

    /** True when {@code label}'s IKE SA {@code ikeSa} is tracked here. */
    boolean holds(String label, String ikeSa) {
        return children.getOrDefault(label, Map.of()).containsKey(ikeSa);
    }

    /**
     * IKE SA {@code ikeSa} of {@code label} is gone: forgets it and returns the inbound SPIs of its Child SAs, for
     * removal from the dataplane.
     */
    List<Long> down(String label, String ikeSa) {
        Map<String, Set<Long>> all = children.getOrDefault(label, new HashMap<>());
        Set<Long> spis = all.remove(ikeSa);
        byPeer.getOrDefault(label, new HashMap<>()).values().removeIf(ikeSa::equals);
        return spis == null ? List.of() : List.copyOf(spis);
    }

    /** True when {@code label} has an IKE SA left. */
    boolean any(String label) {
        return !children.getOrDefault(label, Map.of()).isEmpty();
    }

    /** Every SA of {@code label} is gone. */
    void forget(String label) {
        byPeer.remove(label);
        children.remove(label);
    }
}
