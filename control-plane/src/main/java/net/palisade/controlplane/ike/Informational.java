package net.palisade.controlplane.ike;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.palisade.model.wire.ikev2.DeletePayload;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.ProtocolId;
import net.palisade.model.event.FailureReason;

/**
 * INFORMATIONAL exchanges and liveness (RFC 7296 sections 1.4, 1.5 and 2.4; RFC 3948 section 4): the peer's
 * Deletes and liveness checks answered, the answers to ours, when a liveness check is due ({@code dpd} of silence),
 * and NAT-T keepalives while our address is translated.
 *
 * <p>Owns why the IKE SA is closing (reported when the peer answers our Delete). The requests themselves go out
 * through the session's queue; Child SA deletes are carried out by {@link ChildSas}.
 */
final class Informational {
    private final EngineContext ctx;
    private final IkeSession session;
    private final ChildSas children;
    private final IkeRekeying rekeying;
    private String closeDetail = "deleted by us";

    Informational(EngineContext ctx, IkeSession session, ChildSas children, IkeRekeying rekeying) {
        this.ctx = ctx;
        this.session = session;
        this.children = children;
        this.rekeying = rekeying;
    }

    /** Why we close the IKE SA, as reported when the peer answers our Delete. */
    void closing(String detail) {
        closeDetail = detail;
    }

    String closeDetail() {
        return closeDetail;
    }

    /** The peer's INFORMATIONAL request: our answer's payloads. */
    List<Payload> request(IkeMessage m) {
        if (m.notify(NotifyType.Known.AUTHENTICATION_FAILED).isPresent()) {
            ctx.count("peer_refused_auth");
            session.down(Optional.of(FailureReason.AUTHENTICATION_FAILED), "the peer refused our authentication");
            return List.of();
        }
        List<DeletePayload> deletes = m.all(DeletePayload.class);
        boolean deleteIke = deletes.stream().anyMatch(d -> d.protocol() == ProtocolId.Known.IKE);
        if (deleteIke && rekeying.peerDeleteEndsCollision()) {
            return List.of();
        }
        if (deleteIke) {
            ctx.count("deleted_by_peer");
            session.down(Optional.empty(), "deleted by the peer");
            return List.of();
        }
        List<Payload> answer = children.deletedByPeer(deletes);
        if (deletes.isEmpty()) {
            ctx.count("liveness_answered");
        }
        return answer;
    }

    /** The peer's answer to our INFORMATIONAL request {@code sent}. */
    void response(Request sent) {
        if (sent.kind() == Request.Kind.DELETE) {
            session.down(Optional.empty(), closeDetail);
            return;
        }
        if (sent.kind() == Request.Kind.DELETE_CHILD) {
            children.deleteAnswered(sent.child());
            session.startQueued();
            return;
        }
        ctx.count("peer_alive");
        ctx.output(new IkeOutput.PeerAlive());
        session.startQueued();
    }

    /** When the next liveness check is due: {@code dpd} after the last authenticated message or ESP traffic. */
    Optional<Instant> dpdDue(IkeState state) {
        if (state != IkeState.ESTABLISHED || ctx.tunnel.dpd().isEmpty() || ctx.lastInbound == null) {
            return Optional.empty();
        }
        return Optional.of(ctx.lastInbound.plus(ctx.tunnel.dpd().get()));
    }

    /**
     * True (and the silence restarts) if a liveness check is due at {@code now}: only when nothing else is waiting
     * to be sent, since any answer proves the peer alive as well.
     */
    boolean takeLivenessDue(IkeState state, Instant now, boolean windowIdle) {
        Optional<Instant> dpd = dpdDue(state);
        if (dpd.isPresent() && windowIdle && !now.isBefore(dpd.get())) {
            ctx.count("liveness_sent");
            ctx.lastInbound = now;
            return true;
        }
        return false;
    }

    /**
     * When the next NAT-T keepalive is due (RFC 3948 section 4): {@link IkeSettings#natKeepalive()} after we last
     * sent, while the IKE SA is up, encapsulated, and our address is translated. Only IKE and keepalives count as
     * sent: the engine does not see outbound ESP, so a busy tunnel still gets one octet per interval.
     */
    Optional<Instant> keepaliveDue(IkeState state) {
        if (!ctx.behindNat || !ctx.udpEncapsulation || ctx.settings.natKeepalive().isZero() || ctx.lastSent == null
                || (state != IkeState.ESTABLISHED && state != IkeState.DELETE_LOCAL_INFO)) {
            return Optional.empty();
        }
        return Optional.of(ctx.lastSent.plus(ctx.settings.natKeepalive()));
    }

    /** Sends a NAT-T keepalive if one is due at {@code now} and nothing else is going out in this step. */
    void keepalive(IkeState state, Instant now) {
        Optional<Instant> due = keepaliveDue(state);
        if (due.isPresent() && !now.isBefore(due.get())
                && ctx.outputs.stream().noneMatch(o -> o instanceof IkeOutput.Send)) {
            ctx.count("nat_keepalive_sent");
            ctx.output(IkeOutput.Send.natKeepalive(ctx.local, ctx.remote));
        }
    }
}
