package net.palisade.dataplane.sa;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The SA pairs of one tunnel, oldest first, and the one its outbound traffic leaves on. Usually one pair; during
 * an IKE rekey (RFC 7296 Section 2.8) two or three for a while: every pair's inbound SA keeps receiving until the
 * pair is removed, but only one pair sends. Immutable; each change answers a new instance.
 *
 * <p>Which pair sends after a change follows the rekey procedure: a new pair takes over at once when added with
 * {@code switchOutbound} (the rekey initiator), else the current one keeps sending (the responder, until the peer
 * deletes the old pair); removing the sending pair hands sending over to the newest pair left.
 *
 * @param pairs the pairs, oldest first; never empty
 * @param sending index in {@code pairs} of the pair that sends
 * @param <T> one pair (the shared {@link TunnelSas}, or a worker's binding of it)
 */
public record SaPairs<T>(List<T> pairs, int sending) {
    public SaPairs {
        pairs = List.copyOf(pairs);
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a tunnel has at least one SA pair");
        }
        Objects.checkIndex(sending, pairs.size());
    }

    /** A tunnel with one pair, which sends. */
    public static <T> SaPairs<T> of(T first) {
        return new SaPairs<>(List.of(first), 0);
    }

    /** The pair that sends. */
    public T sendingPair() {
        return pairs.get(sending);
    }

    public int size() {
        return pairs.size();
    }

    /** A copy with {@code pair} added as the newest; it sends if {@code switchOutbound}, else nothing changes there. */
    public SaPairs<T> adding(T pair, boolean switchOutbound) {
        List<T> copy = new ArrayList<>(pairs);
        copy.add(Objects.requireNonNull(pair));
        return new SaPairs<>(copy, switchOutbound ? copy.size() - 1 : sending);
    }

    /** A copy in which the pair at {@code index} sends. */
    public SaPairs<T> sendingOn(int index) {
        return new SaPairs<>(pairs, index);
    }

    /**
     * A copy without the pair at {@code index}; if that pair was sending, the newest remaining one sends.
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
        int next = index == sending ? copy.size() - 1 : sending > index ? sending - 1 : sending;
        return new SaPairs<>(copy, next);
    }
}
