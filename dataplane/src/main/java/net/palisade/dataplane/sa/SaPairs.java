package net.palisade.dataplane.sa;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The SA pairs of one tunnel, oldest first, and the order in which they send. Usually one pair. Several for a
 * while during an IKE rekey (RFC 7296 Section 2.8), and for good when the tunnel negotiates one pair per flow (an
 * IKEv1 quick mode per from/to pair, or several IKEv2 Child SAs with narrower selectors): every pair's inbound SA
 * keeps receiving until the pair is removed, and a packet leaves on the first pair in {@link #sendOrder()} whose
 * policies hold it. Immutable; each change answers a new instance.
 *
 * <p>The send order: the preferred pair ({@code sending}) first, then the other pairs newest first, then the held
 * ones (newest first). A pair is <em>held</em> when it was added without {@code switchOutbound}: the rekey responder
 * must not send on its new pair before the peer deleted the old one (the peer may not have its new inbound SA yet),
 * so a held pair sends only what no other pair can take. Pairs with the same selectors shadow each other in that
 * order (a rekey); pairs of different flows each take their own flow's packets.
 *
 * @param pairs the pairs, oldest first; never empty
 * @param sending index in {@code pairs} of the preferred pair
 * @param held indices of the held pairs (never {@code sending})
 * @param <T> one pair (the shared {@link TunnelSas}, or a worker's binding of it)
 */
public record SaPairs<T>(List<T> pairs, int sending, Set<Integer> held) {
    public SaPairs {
        pairs = List.copyOf(pairs);
        held = Set.copyOf(held);
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a tunnel has at least one SA pair");
        }
        Objects.checkIndex(sending, pairs.size());
        for (int h : held) {
            Objects.checkIndex(h, pairs.size());
        }
        if (held.contains(sending)) {
            throw new IllegalArgumentException("the preferred pair cannot be held");
        }
    }

    /** Pairs with no held one. */
    public SaPairs(List<T> pairs, int sending) {
        this(pairs, sending, Set.of());
    }

    /** A tunnel with one pair, which sends. */
    public static <T> SaPairs<T> of(T first) {
        return new SaPairs<>(List.of(first), 0);
    }

    /** The preferred pair: the first to send (the only one when the tunnel has one flow and no rekey runs). */
    public T sendingPair() {
        return pairs.get(sending);
    }

    public int size() {
        return pairs.size();
    }

    /** Every pair in the order a packet tries their policies (see the class comment). */
    public List<T> sendOrder() {
        List<T> order = new ArrayList<>(pairs.size());
        order.add(pairs.get(sending));
        for (int i = pairs.size() - 1; i >= 0; i--) {
            if (i != sending && !held.contains(i)) {
                order.add(pairs.get(i));
            }
        }
        for (int i = pairs.size() - 1; i >= 0; i--) {
            if (held.contains(i)) {
                order.add(pairs.get(i));
            }
        }
        return order;
    }

    /**
     * A copy with {@code pair} added as the newest: preferred if {@code switchOutbound}, else held until
     * {@link #sendingOn}.
     */
    public SaPairs<T> adding(T pair, boolean switchOutbound) {
        List<T> copy = new ArrayList<>(pairs);
        copy.add(Objects.requireNonNull(pair));
        int index = copy.size() - 1;
        if (switchOutbound) {
            return new SaPairs<>(copy, index, held);
        }
        Set<Integer> h = new HashSet<>(held);
        h.add(index);
        return new SaPairs<>(copy, sending, h);
    }

    /** A copy in which the pair at {@code index} is preferred (and no longer held). */
    public SaPairs<T> sendingOn(int index) {
        Objects.checkIndex(index, pairs.size());
        Set<Integer> h = new HashSet<>(held);
        h.remove(index);
        return new SaPairs<>(pairs, index, h);
    }

    /**
     * A copy without the pair at {@code index}; if that pair was preferred, the newest remaining pair that is not
     * held is (or, with only held ones left, the newest, no longer held).
     *
     * @throws IllegalStateException if it is the only pair (remove the tunnel instead)
     */
    public SaPairs<T> removing(int index) {
        Objects.checkIndex(index, pairs.size());
        if (pairs.size() == 1) {
            throw new IllegalStateException("the last SA pair of a tunnel goes with the tunnel");
        }
        List<T> copy = new ArrayList<>(pairs);
        copy.remove(index);
        Set<Integer> h = new HashSet<>();
        for (int i : held) {
            if (i != index) {
                h.add(i > index ? i - 1 : i);
            }
        }
        int next;
        if (index != sending) {
            next = sending > index ? sending - 1 : sending;
        } else {
            next = -1;
            for (int i = copy.size() - 1; i >= 0 && next < 0; i--) {
                if (!h.contains(i)) {
                    next = i;
                }
            }
            if (next < 0) {
                next = copy.size() - 1;
                h.remove(next);
            }
        }
        return new SaPairs<>(copy, next, h);
    }
}
