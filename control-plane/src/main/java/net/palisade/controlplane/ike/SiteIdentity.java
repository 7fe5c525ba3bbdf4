package net.palisade.controlplane.ike;

import java.util.Optional;
import java.util.function.Predicate;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.wire.ikev2.IdPayload;

/**
 * The authenticated identity whose IKE SAs one session actor of an any-peer {@code passive} tunnel holds. Such a
 * tunnel holds one IKE SA per authenticated peer, each site's in an actor of its own. A new IKE SA reaches an actor
 * by where it comes from (nothing is authenticated yet), so behind a NAT one site's IKE SA may reach another site's
 * actor (the NAT gave it the address and port the other had used), and a site back through a new NAT mapping
 * reaches a new actor. Once its IKE_AUTH authenticated the peer, an IKE SA belongs to the actor of that identity:
 * the first IKE SA authenticated in an actor claims the identity for it, unless another actor holds it; any other
 * goes to the identity's actor ({@link IkeSessionCommands.Adopt}). So the duplicate and INITIAL_CONTACT rules only
 * ever compare IKE SAs of one identity, and one site's arrival never replaces another's IKE SA. Other tunnels, and
 * an IKE SA without a known identity (one resumed from the journal), are not sorted. Not thread-safe: one actor's.
 */
final class SiteIdentity {
    private final boolean perIdentity;
    /** The identity this actor holds; null until its first IKE SA authenticated (or was handed to it). */
    private String held;

    /** For an actor of {@code tunnel}: sorts only a responder of an any-peer {@code passive} tunnel. */
    SiteIdentity(IkeTunnel tunnel, boolean initiator) {
        this.perIdentity = !initiator && tunnel.mode() == IkeMode.PASSIVE && tunnel.peers().isEmpty();
    }

    /**
     * The key of {@code id} among a tunnel's sessions: its type and value (an FQDN or e-mail address as sent, an
     * address in its usual form, anything else in hex). Distinguished names are compared as encoded here.
     */
    static String key(IdPayload id) {
        String value = id.text().or(() -> id.address().map(java.net.InetAddress::getHostAddress))
                .orElseGet(() -> id.data().hex());
        return id.idType().value() + ":" + value;
    }

    /**
     * {@code step} of {@code engine}, an IKE SA of this actor: empty to keep the IKE SA here (it did not just
     * authenticate the peer, or as the identity this actor holds, or as one it has just claimed with {@code claim},
     * which asks the node), else where it must go, for the log: the session of the identity it authenticated.
     */
    Optional<String> authenticated(IkeSession engine, IkeSession.Step step, Predicate<String> claim) {
        Optional<IdPayload> id = engine.peerId();
        if (!perIdentity || id.isEmpty() || step.outputs().stream().noneMatch(IkeOutput.Phase1Up.class::isInstance)) {
            return Optional.empty();
        }
        String k = key(id.get());
        if (k.equals(held)) {
            return Optional.empty();
        }
        if (held == null && claim.test(k)) {
            held = k;
            return Optional.empty();
        }
        return Optional.of("the session of peer " + k + (held == null ? "" : " (this one holds " + held + ")"));
    }

    /** An IKE SA authenticated as {@code id} was handed to this actor, which the node made that identity's. */
    void adopted(Optional<IdPayload> id) {
        if (perIdentity && held == null) {
            held = id.map(SiteIdentity::key).orElse(null);
        }
    }
}
