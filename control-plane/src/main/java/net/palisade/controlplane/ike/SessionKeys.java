package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.util.Optional;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;

/**
 * The keys of the node's session actors ({@link IkeManager}): a tunnel's label, but for an any-peer passive tunnel
 * (IKEv2 or IKEv1), which holds one IKE SA per peer, each in an actor of its own (so that the duplicate rule,
 * INITIAL_CONTACT and IKEv1's replacement of a phase 1 apply per peer), one key per peer. A new IKE SA reaches an
 * actor by where it comes from ({@link #of(IkeTunnel, InetSocketAddress)}) or, in IKEv1 aggressive mode, by the ID of
 * its message 1; once authenticated it belongs to the actor of the identity it authenticated ({@link #identity},
 * {@link SiteIdentity}), which is under that key too. Pure.
 */
final class SessionKeys {
    private static final int IKE_PORT = 500;
    private static final int NAT_T_PORT = 4500;

    private SessionKeys() {}

    /** Whether {@code t} answers any peer: passive without a peer. */
    static boolean anyPeer(IkeTunnel t) {
        return t.mode() == IkeMode.PASSIVE && t.peers().isEmpty();
    }

    /**
     * The key of the session actor of {@code tunnel} for the IKE SA that {@code first} starts (its IKE_SA_INIT, or
     * IKEv1 phase-1 message 1): on an any-peer tunnel in aggressive mode the ID that message 1 carries (in clear: it
     * only routes; a phase 1 replaces the one beside it only once authenticated), so a site is its own wherever it
     * comes from; otherwise {@link #of(IkeTunnel, InetSocketAddress) by its address and NAT port}.
     */
    static String of(IkeTunnel tunnel, IkeSessionActor.Inbound first) {
        if (anyPeer(tunnel) && tunnel.exchange() == IkeExchange.IKEV1_AGGRESSIVE) {
            Optional<String> id = Ikev1Engine.firstMessage(first.datagram()).flatMap(Ikev1Engine.FirstMessage::id)
                    .flatMap(Ikev1Ids::text);
            if (id.isPresent()) {
                return identity(tunnel.label(), id.get().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return of(tunnel, first.from());
    }

    /**
     * The key of the session actor of {@code tunnel} for an IKE SA with {@code peer}, the source of its first
     * message: the label, but for an any-peer tunnel the label and the peer's address, and its port when that is
     * neither 500 nor 4500. A site not behind a NAT, or the one a NAT leaves its ports, comes from 500 or 4500
     * (either, as it floats), always the same actor; further sites behind the same NAT address come from ports the
     * NAT chose for each. A site back through another mapping reaches a new actor, and another site may reach a
     * site's actor (the NAT's mapping of the first site's port 500 expired a while after IKE moved to 4500, and the
     * NAT gave the second site that port): once authenticated, each IKE SA goes to its identity's actor.
     */
    static String of(IkeTunnel tunnel, InetSocketAddress peer) {
        if (!anyPeer(tunnel)) {
            return tunnel.label();
        }
        int port = peer.getPort();
        return tunnel.label() + "@" + peer.getAddress().getHostAddress()
                + (port == IKE_PORT || port == NAT_T_PORT ? "" : "/" + port);
    }

    /**
     * The key of the session actor of any-peer tunnel {@code label} that holds the IKE SAs of authenticated identity
     * {@code identity} ({@link SiteIdentity#key}); the same actor may also be under the key of the address its first
     * IKE SA came from. IKEv1 aggressive mode keys actors by the ID of message 1 the same way.
     */
    static String identity(String label, String identity) {
        return label + "@id:" + identity;
    }

    /** The actors of tunnel {@code label} in {@code sessions}: its one, or one per peer (each once, however keyed). */
    static <A> java.util.List<A> actorsOf(java.util.Map<String, A> sessions, String label) {
        java.util.Set<A> out = new java.util.LinkedHashSet<>();
        sessions.forEach((k, a) -> {
            if (k.equals(label) || k.startsWith(label + "@")) {
                out.add(a);
            }
        });
        return java.util.List.copyOf(out);
    }
}
