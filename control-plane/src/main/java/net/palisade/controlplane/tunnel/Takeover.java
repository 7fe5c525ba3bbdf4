package net.palisade.controlplane.tunnel;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.event.SealedState;

/**
 * What a tunnel's journal holds for a node to go on with its SAs without renegotiating: each established IKE SA's
 * sealed state (an any-peer tunnel holds one per site) with the names of its Child SAs, each installed Child SA's
 * sealed state, and the outbound sequence numbers reserved per outbound SPI. The sealed parts are present only when
 * the node that wrote them had the pair key; the reservations always are.
 *
 * @param ikeSa the tunnel's newest IKE SA, if its sealed state is journaled (its name as in phase1-up)
 * @param ikeState that IKE SA's sealed state: read from snapshots in the one-IKE-SA form, never written (it is
 *     {@code ikeSas}' entry for {@code ikeSa}; written as well, every snapshot held the newest state twice)
 * @param children sealed Child SA states by Child SA name
 * @param reserved the highest reserved outbound sequence number by outbound SPI
 * @param replaced Child SAs a rekey replaced whose Delete is not journaled yet, by name ({@link Replaced}): one the
 *     peer rekeyed (until the peer deletes it, nothing in the journal says the peer ever received our answer, so a
 *     node that takes over must still be able to send on it), or one we rekeyed (the peer sends on it until our
 *     Delete reaches it, so a node that takes over must still receive on it); absent in snapshots written before
 *     it existed
 * @param ikeSas every live IKE SA's sealed state with its Child SAs, by IKE SA name, oldest first (in snapshots
 *     written before it existed: {@code ikeSa} alone, with every Child SA)
 */
public record Takeover(Optional<String> ikeSa,
        @com.fasterxml.jackson.annotation.JsonProperty(access = com.fasterxml.jackson.annotation.JsonProperty.Access
                .WRITE_ONLY) Optional<SealedState> ikeState,
        Map<String, SealedState> children,
        Map<Long, Long> reserved, Map<String, Replaced> replaced, Map<String, IkeSaState> ikeSas) {
    /** Nothing journaled. */
    public static final Takeover NONE = new Takeover(Optional.empty(), Optional.empty(), Map.of(), Map.of(), Map.of());

    public Takeover {
        ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
        ikeState = ikeState == null ? Optional.empty() : ikeState;
        children = children == null ? Map.of() : Map.copyOf(children);
        reserved = reserved == null ? Map.of() : Map.copyOf(reserved);
        replaced = replaced == null ? Map.of() : Map.copyOf(replaced);
        if (ikeSas == null || ikeSas.isEmpty()) {
            // the one-IKE-SA form: its Child SAs were all the tunnel's
            ikeSas = ikeSa.isPresent() && ikeState.isPresent()
                    ? Map.of(ikeSa.get(), new IkeSaState(ikeState.get(), children.keySet())) : Map.of();
        }
        ikeSas = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(ikeSas));
        if (ikeState.isEmpty() && ikeSa.isPresent() && ikeSas.containsKey(ikeSa.get())) {
            ikeState = Optional.of(ikeSas.get(ikeSa.get()).state()); // as read from a snapshot
        }
    }

    /** Takeover records in the one-IKE-SA form (as written before {@code ikeSas} existed). */
    public Takeover(Optional<String> ikeSa, Optional<SealedState> ikeState, Map<String, SealedState> children,
            Map<Long, Long> reserved, Map<String, Replaced> replaced) {
        this(ikeSa, ikeState, children, reserved, replaced, null);
    }

    /**
     * One IKE SA's takeover state.
     *
     * @param state its sealed state
     * @param children the names of the Child SAs negotiated under it (their states are in {@link #children()})
     */
    public record IkeSaState(SealedState state, Set<String> children) {
        public IkeSaState {
            Objects.requireNonNull(state, "state");
            children = children == null ? Set.of() : Set.copyOf(children);
        }
    }

    /**
     * What one IKE SA resumes with: its sealed state, its Child SAs' and the replaced Child SAs whose successor is
     * one of its own (those whose successor is unknown go with the newest IKE SA).
     */
    public record Resume(String ikeSa, SealedState ikeState, Map<String, SealedState> children,
            Map<String, Replaced> replaced) {}

    /**
     * The IKE SAs a node can go on with: those with at least one Child SA, each journaled with its sealed state.
     * Oldest first.
     */
    public List<Resume> resumable() {
        List<Resume> out = new java.util.ArrayList<>();
        String newest = ikeSas.isEmpty() ? null : List.copyOf(ikeSas.keySet()).getLast();
        for (Map.Entry<String, IkeSaState> e : ikeSas.entrySet()) {
            Set<String> own = e.getValue().children();
            if (own.isEmpty() || !children.keySet().containsAll(own)) {
                continue;
            }
            Map<String, SealedState> c = new HashMap<>(children);
            c.keySet().retainAll(own);
            Map<String, Replaced> r = new HashMap<>();
            replaced.forEach((name, old) -> {
                boolean mine = own.contains(old.by());
                boolean nobodys = ikeSas.values().stream().noneMatch(s -> s.children().contains(old.by()));
                if (mine || nobodys && e.getKey().equals(newest)) {
                    r.put(name, old);
                }
            });
            out.add(new Resume(e.getKey(), e.getValue().state(), c, r));
        }
        return out;
    }

    /** Takeover records without replaced Child SAs. */
    public Takeover(Optional<String> ikeSa, Optional<SealedState> ikeState, Map<String, SealedState> children,
            Map<Long, Long> reserved) {
        this(ikeSa, ikeState, children, reserved, Map.of());
    }

    /**
     * A Child SA replaced by a rekey whose Delete is not journaled yet: the peer's rekey (kept until the peer deletes
     * it: the peer may never have had our answer, so it may still be the one to send on), or ours (kept until our
     * Delete of it is answered: the peer sends on it until that Delete reaches it, RFC 7296 section 2.8, so a node
     * taking over must still receive on it).
     *
     * @param state its sealed state, as journaled when it was installed
     * @param by the Child SA the rekey made (the latest, if the peer rekeyed it again after a takeover)
     * @param outboundSpi its outbound SPI: its sequence reservations stay while it may still send
     * @param ours we rekeyed it (our Delete of it is due or in flight): a node taking over receives on it and sends
     *     on {@code by}; false in snapshots written before it existed, when only the peer's rekeys were kept
     */
    public record Replaced(SealedState state, String by, long outboundSpi, boolean ours) {
        public Replaced {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(by, "by");
        }

        /** One the peer rekeyed. */
        public Replaced(SealedState state, String by, long outboundSpi) {
            this(state, by, outboundSpi, false);
        }
    }

    /** The sealed state of IKE SA {@code sa} (journaled again after each of our requests: it replaces the last). */
    Takeover withIke(String sa, SealedState state) {
        Map<String, IkeSaState> i = new LinkedHashMap<>(ikeSas);
        IkeSaState before = i.remove(sa);
        i.put(sa, new IkeSaState(state, before == null ? Set.of() : before.children()));
        return new Takeover(Optional.of(sa), Optional.of(Objects.requireNonNull(state)), children, reserved, replaced,
                i);
    }

    Takeover withChild(String sa, SealedState state) {
        Map<String, SealedState> c = new HashMap<>(children);
        c.put(sa, state);
        return new Takeover(ikeSa, ikeState, c, reserved, replaced, ikeSas);
    }

    Takeover withReserved(long spi, long upTo) {
        Map<Long, Long> r = new HashMap<>(reserved);
        r.merge(spi, upTo, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        return new Takeover(ikeSa, ikeState, children, r, replaced, ikeSas);
    }

    /**
     * Only what is live stays: the Child SAs' states in {@code liveChildren}, the IKE SAs' in {@code liveIkeSas}
     * (the tunnel's, oldest first: the last is the newest) each with the live Child SAs {@code owners} puts under it
     * (one without a known IKE SA goes under the newest), the reservations but {@code droppedSpis} (a manual SA's
     * stay), and {@code stillReplaced}.
     */
    Takeover keeping(Set<String> liveChildren, List<String> liveIkeSas, Map<String, String> owners,
            Set<Long> droppedSpis, Map<String, Replaced> stillReplaced) {
        Map<String, SealedState> c = new HashMap<>(children);
        c.keySet().retainAll(liveChildren);
        Map<Long, Long> r = new HashMap<>(reserved);
        r.keySet().removeAll(droppedSpis);
        String newest = liveIkeSas.isEmpty() ? null : liveIkeSas.getLast();
        Map<String, IkeSaState> i = new LinkedHashMap<>();
        for (String name : liveIkeSas) {
            IkeSaState st = ikeSas.get(name);
            if (st != null) {
                Set<String> own = new java.util.HashSet<>();
                for (String child : liveChildren) {
                    String o = owners.get(child);
                    if (name.equals(o) || o == null && name.equals(newest)) {
                        own.add(child);
                    }
                }
                i.put(name, new IkeSaState(st.state(), own));
            }
        }
        Optional<String> top = Optional.ofNullable(newest).filter(i::containsKey);
        return new Takeover(top, top.map(n -> i.get(n).state()), c, r, stillReplaced, i);
    }

    @Override
    public String toString() {
        return "Takeover[ikeSa=" + ikeSa.orElse("-") + (ikeState.isPresent() ? " (sealed)" : "")
                + (ikeSas.size() > 1 ? ", ikeSas=" + ikeSas.keySet() : "") + ", children="
                + children.keySet() + ", reserved=" + reserved
                + (replaced.isEmpty() ? "" : ", replaced=" + replaced.keySet()) + "]";
    }
}
