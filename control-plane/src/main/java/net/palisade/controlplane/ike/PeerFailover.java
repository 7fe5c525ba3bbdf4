package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;

/**
 * Which of a tunnel's peers (in failover order) an initiator talks to. Pure: the {@link IkeSessionActor} asks it
 * what to do when the engine reports the current peer dead ({@link #peerDead}) and moves on with {@link #advance}.
 * Peers given as names are skipped (only addresses are supported so far).
 */
final class PeerFailover {
    private final List<InetAddress> peers;
    private int current;

    PeerFailover(List<InetAddress> peers) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("no peer address");
        }
        this.peers = List.copyOf(peers);
    }

    /** The addresses of {@code tunnel}'s peers, names left out. */
    static PeerFailover of(IkeTunnel tunnel, InetAddress fallback) {
        List<InetAddress> ips = tunnel.peers().stream().map(Host::ip).flatMap(Optional::stream).toList();
        return new PeerFailover(ips.isEmpty() ? List.of(fallback) : ips);
    }

    /** The peer in use. */
    InetAddress current() {
        return peers.get(current);
    }

    /** The first peer of the list. */
    InetAddress head() {
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
    InetAddress advance() {
        current = (current + 1) % peers.size();
        return current();
    }

    /** Moves back to the head and returns it. */
    InetAddress backToHead() {
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
