package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.DeletePayload;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.ProtocolId;

/**
 * An IKE SA replaced by a rekey (or made redundant by a collision), RFC 7296 section 2.18: it keeps its own
 * {@link MessageWindow}, still answers the peer's requests (its Delete above all; anything else gets
 * TEMPORARY_FAILURE) and carries our Delete, until either completes or it is forgotten.
 */
final class OldIkeSa {
    private final EngineContext ctx;
    private final IkeSa sa;
    private final List<OldIkeSa> list;
    private boolean deleteWanted;
    private Instant forgetAt;

    /**
     * @param list the session's old IKE SAs: this one is added to it, and removes itself when done
     */
    OldIkeSa(EngineContext ctx, IkeSa sa, List<OldIkeSa> list) {
        this.ctx = ctx;
        this.sa = sa;
        this.list = list;
        list.add(this);
    }

    long spiI() {
        return sa.spiI;
    }

    boolean owns(IkeHeader h) {
        return sa.owns(h.initiatorSpi(), h.responderSpi());
    }

    /** Waits for the peer's Delete of this IKE SA for as long as the peer retransmits, then forgets it. */
    void awaitPeerDelete() {
        forgetAt = ctx.now().plus(ctx.forgetAfter());
    }

    /** Sends our Delete of this IKE SA (after any request still outstanding on it). */
    void sendDelete() {
        deleteWanted = true;
        forgetAt = null;
        if (!sa.window.idle()) {
            return;
        }
        long id = sa.window.nextRequestId();
        byte[] d = sa.outbound.seal(ctx.codec, IkeHeader.request(sa.spiI, sa.spiR, ExchangeType.Known.INFORMATIONAL,
                id, sa.initiatorRole), List.of(DeletePayload.ikeSa()), ctx.env.random());
        ctx.send(List.of(d));
        sa.window.sent(id, List.of(d), new IkeSa.Sent(ExchangeType.Known.INFORMATIONAL,
                Request.of(Request.Kind.DELETE)), ctx.now());
    }

    void received(IkeMessage m, byte[] d, InetSocketAddress from, InetSocketAddress to) {
        IkeHeader h = m.header();
        if (h.response()) {
            if (!sa.window.awaits(h.messageId()) || h.initiator() == sa.initiatorRole
                    || sa.inbound.open(ctx.codec, d).isEmpty()) {
                ctx.drop("old_sa_unexpected_response");
                return;
            }
            boolean wasDelete = sa.window.complete().orElseThrow().purpose().request().kind() == Request.Kind.DELETE;
            if (wasDelete) {
                forget("old_sa_deleted");
            } else if (deleteWanted) {
                sendDelete();
            }
            return;
        }
        switch (sa.window.request(h.messageId(), d, 0)) {
            case MessageWindow.Incoming.Retransmitted r -> {
                if (!ctx.fromPeer(from)) {
                    ctx.drop("old_sa_retransmission_other_source");
                    return;
                }
                ctx.count("retransmission_answered");
                r.response().forEach(x -> ctx.output(new IkeOutput.Send(x, to, from)));
                return;
            }
            case MessageWindow.Incoming.Differs x -> {
                ctx.drop("old_sa_retransmission_differs");
                return;
            }
            case MessageWindow.Incoming.LaterFragment x -> {
                ctx.drop("old_sa_fragment_retransmission_ignored");
                return;
            }
            case MessageWindow.Incoming.OutOfWindow x -> {
                ctx.drop("old_sa_message_id_out_of_window");
                return;
            }
            case MessageWindow.Incoming.Fresh x -> {
                if (h.initiator() == sa.initiatorRole) {
                    ctx.drop("old_sa_message_id_out_of_window");
                    return;
                }
            }
        }
        Optional<SkCipher.Opened> opened = sa.inbound.open(ctx.codec, d);
        if (opened.isEmpty()) {
            ctx.drop("integrity_failed");
            return;
        }
        DecodeResult<List<Payload>> inner = ctx.codec.decodeInner(h, opened.get().firstInner(),
                opened.get().plaintext());
        boolean deleteIke = inner instanceof DecodeResult.Ok<List<Payload>> ok && ok.value().stream()
                .anyMatch(p -> p instanceof DeletePayload del && del.protocol() == ProtocolId.Known.IKE);
        List<Payload> answer = h.exchangeType() == ExchangeType.Known.INFORMATIONAL ? List.of()
                : List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
        byte[] response = sa.outbound.seal(ctx.codec, IkeHeader.response(sa.spiI, sa.spiR, h.exchangeType(),
                h.messageId(), sa.initiatorRole), answer, ctx.env.random());
        sa.window.answered(h.messageId(), d, List.of(response));
        ctx.output(new IkeOutput.Send(response, to, from));
        if (deleteIke) {
            forget("old_sa_deleted_by_peer");
        }
    }

    /** When this IKE SA needs a tick: a retransmission of our request, or the end of the wait for the peer. */
    Instant deadline() {
        Instant t = sa.window.deadline();
        return forgetAt == null ? t : EngineContext.earliest(t, forgetAt);
    }

    void tick(Instant now) {
        if (forgetAt != null && !now.isBefore(forgetAt)) {
            forget("old_sa_forgotten");
            return;
        }
        switch (sa.window.tick(now)) {
            case MessageWindow.Timer.Resend<IkeSa.Sent> r -> ctx.send(r.datagrams());
            case MessageWindow.Timer.GaveUp<IkeSa.Sent> g -> forget("old_sa_delete_unanswered");
            case MessageWindow.Timer.Waiting<IkeSa.Sent> w -> { }
        }
    }

    private void forget(String counter) {
        ctx.count(counter);
        list.remove(this);
        sa.wipe();
    }
}
