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
 * ever compare IKE SAs of one identity, and one site's arrival never replaces another's IKE SA. An IKE SA resumed
 * from the journal brings the identity it authenticated before ({@link #resumed}); one journaled before identities
 * were kept brings none and is not sorted, nor are other tunnels'. Not thread-safe: one actor's.
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
     * The key of an IKEv1 ID: as the node keys an aggressive-mode site by the ID of its message 1 (an address, or
     * an FQDN or user FQDN in lower case), so that the actor found by that ID holds the identity it authenticates;
     * other types by type and hex.
     */
    static String key(net.palisade.model.wire.ikev1.Ikev1Payload.Id id) {
        return Ikev1Ids.text(id).map(t -> t.toLowerCase(java.util.Locale.ROOT))
                .orElseGet(() -> id.idType().value() + ":" + id.data().hex());
    }

    /**
     * {@code step} of {@code engine}, an IKE SA of this actor: empty to keep the IKE SA here (see {@link
     * #authenticated(Optional, Predicate)}; also when the step did not just authenticate the peer), else the
     * identity whose actor must take it.
     */
    Optional<String> authenticated(IkeSession engine, IkeSession.Step step, Predicate<String> claim) {
        return step.outputs().stream().anyMatch(IkeOutput.Phase1Up.class::isInstance)
                ? authenticated(engine.peerId().map(SiteIdentity::key), claim) : Optional.empty();
    }

    /**
     * An IKE SA of this actor (IKEv2 or IKEv1) has just authenticated the peer as {@code id} (its {@link #key}):
     * empty to keep the IKE SA here (this actor holds that identity, or has just claimed it with {@code claim},
     * which asks the node; or this is no actor of an any-peer tunnel, or the identity is unknown), else {@code id}:
     * the actor of that identity must take it.
     */
    Optional<String> authenticated(Optional<String> id, Predicate<String> claim) {
        if (!perIdentity || id.isEmpty() || id.get().equals(held)) {
            return Optional.empty();
        }
        if (held == null && claim.test(id.get())) {
            held = id.get();
            return Optional.empty();
        }
        return id;
    }

    /** An IKE SA authenticated as {@code id} (its key) was handed to this actor, now that identity's. */
    void adopted(Optional<String> id) {
        if (perIdentity && held == null) {
            held = id.orElse(null);
        }
    }

    /**
     * {@code resumed}, an IKE SA from the journal, is this actor's: the identity it authenticated before (if the
     * journal kept it) is this actor's, as if it had just authenticated here.
     */
    IkeSession resumed(IkeSession resumed) {
        adopted(resumed.peerId().map(SiteIdentity::key));
        return resumed;
    }

    /** The identity this actor holds, if any (for log lines). */
    Optional<String> held() {
        return Optional.ofNullable(held);
    }
}
