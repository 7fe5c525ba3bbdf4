package net.palisade.controlplane.ike;

import java.util.List;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.FailureReason;

/**
 * Which of a tunnel's peers (in failover order) an initiator talks to. Pure: the {@link TunnelPolicy} moves on with
 * {@link #advance} when the engine reports the current peer dead ({@link #peerDead}) or never answering.
 * Peers are kept as written (addresses or host names); a name is resolved each time a session with it starts.
 */
final class PeerFailover {
    private final List<Host> peers;
    private int current;

    PeerFailover(List<Host> peers) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("no peer");
        }
        this.peers = List.copyOf(peers);
    }

    /** {@code tunnel}'s peers, in order. */
    static PeerFailover of(IkeTunnel tunnel) {
        return new PeerFailover(tunnel.peers());
    }

    /** The peer in use. */
    Host current() {
        return peers.get(current);
    }

    /** The first peer of the list. */
    Host head() {
        return peers.getFirst();
    }

    /** Whether the peer in use is the list's head. */
    boolean atHead() {
        return current == 0;
    }

    /** Whether there is another peer to fail over to. */
    boolean canSwitch() {
        return peers.size() > 1;
    }

    /** Moves to the next peer (after the last: the head) and returns it. */
    Host advance() {
        current = (current + 1) % peers.size();
        return current();
    }

    /** Moves back to the head and returns it. */
    Host backToHead() {
        current = 0;
        return current();
    }

    /**
     * Whether {@code e} says the peer of an established IKE SA stopped answering (dead peer detection, or any of our
     * requests unanswered after every retransmission), as opposed to a Delete.
     */
    static boolean peerDead(IkeOutput.Event e) {
        return e instanceof IkeOutput.Phase1Down p && p.reason().filter(FailureReason.TIMEOUT::equals).isPresent();
    }

    /** Whether {@code e} says the peer never answered while setting up the IKE SA. */
    static boolean setupTimedOut(IkeOutput.Event e) {
        return e instanceof IkeOutput.NegotiationFailed f && f.reason() == FailureReason.TIMEOUT;
    }
}
