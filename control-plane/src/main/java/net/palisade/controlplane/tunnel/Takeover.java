package net.palisade.controlplane.tunnel;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.event.SealedState;

/**
 * What a tunnel's journal holds for a node to go on with its SAs without renegotiating: the established IKE SA's
 * sealed state, each installed Child SA's, and the outbound sequence numbers reserved per outbound SPI. The sealed
 * parts are present only when the node that wrote them had the pair key; the reservations always are.
 *
 * @param ikeSa the IKE SA the sealed IKE state is for (its name as in phase1-up)
 * @param ikeState the IKE SA's sealed state
 * @param children sealed Child SA states by Child SA name
 * @param reserved the highest reserved outbound sequence number by outbound SPI
 * @param replaced Child SAs the peer rekeyed (we answered its CREATE_CHILD_SA) whose Delete is not journaled yet, by
 *     name: until the peer deletes one, nothing in the journal says the peer ever received our answer, so a node
 *     that takes over must still be able to send on it (absent in snapshots written before it existed)
 */
public record Takeover(Optional<String> ikeSa, Optional<SealedState> ikeState, Map<String, SealedState> children,
        Map<Long, Long> reserved, Map<String, Replaced> replaced) {
    /** Nothing journaled. */
    public static final Takeover NONE = new Takeover(Optional.empty(), Optional.empty(), Map.of(), Map.of(), Map.of());

    public Takeover {
        ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
        ikeState = ikeState == null ? Optional.empty() : ikeState;
        children = children == null ? Map.of() : Map.copyOf(children);
        reserved = reserved == null ? Map.of() : Map.copyOf(reserved);
        replaced = replaced == null ? Map.of() : Map.copyOf(replaced);
    }

    /** Takeover records without replaced Child SAs. */
    public Takeover(Optional<String> ikeSa, Optional<SealedState> ikeState, Map<String, SealedState> children,
            Map<Long, Long> reserved) {
        this(ikeSa, ikeState, children, reserved, Map.of());
    }

    /**
     * A Child SA replaced by the peer's rekey, kept until the peer deletes it.
     *
     * @param state its sealed state, as journaled when it was installed
     * @param by the Child SA our answer to the peer's rekey made (the latest, if the peer rekeyed it again after a
     *     takeover)
     * @param outboundSpi its outbound SPI: its sequence reservations stay while it may still send
     */
    public record Replaced(SealedState state, String by, long outboundSpi) {
        public Replaced {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(by, "by");
        }
    }

    Takeover withIke(String sa, SealedState state) {
        return new Takeover(Optional.of(sa), Optional.of(Objects.requireNonNull(state)), children, reserved, replaced);
    }

    Takeover withChild(String sa, SealedState state) {
        Map<String, SealedState> c = new HashMap<>(children);
        c.put(sa, state);
        return new Takeover(ikeSa, ikeState, c, reserved, replaced);
    }

    Takeover withReserved(long spi, long upTo) {
        Map<Long, Long> r = new HashMap<>(reserved);
        r.merge(spi, upTo, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        return new Takeover(ikeSa, ikeState, children, r, replaced);
    }

    /**
     * Only what is live stays: the Child SAs' states in {@code liveChildren}, the IKE SA's if it is
     * {@code liveIkeSa}, the reservations but {@code droppedSpis} (a manual SA's stay), and {@code stillReplaced}.
     */
    Takeover keeping(java.util.Set<String> liveChildren, Optional<String> liveIkeSa, java.util.Set<Long> droppedSpis,
            Map<String, Replaced> stillReplaced) {
        Map<String, SealedState> c = new HashMap<>(children);
        c.keySet().retainAll(liveChildren);
        Map<Long, Long> r = new HashMap<>(reserved);
        r.keySet().removeAll(droppedSpis);
        boolean ikeLive = liveIkeSa.isPresent() && liveIkeSa.equals(ikeSa);
        return new Takeover(ikeLive ? ikeSa : Optional.empty(), ikeLive ? ikeState : Optional.empty(), c, r,
                stillReplaced);
    }

    @Override
    public String toString() {
        return "Takeover[ikeSa=" + ikeSa.orElse("-") + (ikeState.isPresent() ? " (sealed)" : "") + ", children="
                + children.keySet() + ", reserved=" + reserved
                + (replaced.isEmpty() ? "" : ", replaced=" + replaced.keySet()) + "]";
    }
}
