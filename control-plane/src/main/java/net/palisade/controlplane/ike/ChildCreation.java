package net.palisade.controlplane.ike;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.TrafficSelector;
import net.palisade.model.wire.ikev2.TsPayload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Child SA is never silently missing: new Child SAs by CREATE_CHILD_SA without REKEY_SA (RFC 7296 section 1.3.1).
 * When the tunnel's last Child SA is gone while the IKE SA stays (the peer deleted it, it expired, its rekey failed),
 * an {@code active} or {@code dynamic} tunnel creates a new one for the tunnel's selectors at once — a moment later
 * when the peer deleted it, since a peer that deletes on hard expiry (strongSwan) re-creates it itself — and after a
 * failure again with a doubling pause. Every tunnel accepts the peer's CREATE_CHILD_SA within its selectors, with the
 * same PFS rule as rekeys; {@code NO_ADDITIONAL_SAS} only beyond {@link #MAX_CHILD_SAS}.
 *
 * <p>Two new Child SAs made at once by both sides are left to {@link ChildSas#queueRedundantDeletes}.
 */
final class ChildCreation {
    private static final Logger LOG = LoggerFactory.getLogger(ChildCreation.class);
    /** The most Child SAs one IKE SA carries; the peer's CREATE_CHILD_SA beyond it is refused. */
    static final int MAX_CHILD_SAS = net.palisade.model.config.Defaults.SA_PER_FLOW_PAIRS_MAX;
    /** How long we leave a peer that deleted the last Child SA to create its replacement itself. */
    static final Duration PEER_GRACE = Duration.ofSeconds(1);
    /** The longest pause between two failed attempts. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    private final EngineContext ctx;
    private final IkeSession session;
    private final ChildSas children;
    /** Our CREATE_CHILD_SA in flight (null otherwise). */
    private Create create;
    /** Failed attempts since the last Child SA was installed. */
    private int failures;
    /** When the next attempt may go after a failure (null: none failed). */
    private Instant retryAt;

    ChildCreation(EngineContext ctx, IkeSession session, ChildSas children) {
        this.ctx = ctx;
        this.session = session;
        this.children = children;
    }

    /** Our request: its new inbound SPI, nonce, key exchange and the selectors offered. */
    private record Create(long spiIn, byte[] nonce, Optional<KeyExchange> keyExchange, boolean retried,
            List<TrafficSelector> tsi, List<TrafficSelector> tsr) {}

    /** This side re-creates a missing Child SA: not a {@code passive} tunnel, which only answers. */
    private boolean creates() {
        return ctx.tunnel.mode() != IkeMode.PASSIVE;
    }

    /**
     * The first of our Child SA proposals no Child SA carries, while the IKE SA has some (with {@code sa-per-flow}:
     * a from/to pair whose Child SA is not made yet, or was deleted or expired).
     */
    private Optional<SelectorPolicy.Offer> uncovered() {
        if (!ctx.tunnel.saPerFlow() || children.size() == 0) {
            return Optional.empty();
        }
        return SelectorPolicy.offers(ctx.tunnel, IpAddresses.family(ctx.remote.getAddress())).stream()
                .filter(o -> !children.covers(o)).findFirst();
    }

    /** Whether a Child SA is wanted: none at all since {@link ChildSas#missing}, or a flow pair without one. */
    boolean wanted() {
        return children.missing().isPresent() || uncovered().isPresent();
    }

    /**
     * When our CREATE_CHILD_SA is due, if a Child SA is wanted and none is on its way: a flow pair without one is due
     * {@code now} (the caller's instant: a real clock has moved on by the time it is compared).
     */
    private Optional<Instant> due(Instant now) {
        if (!creates() || create != null) {
            return Optional.empty();
        }
        Optional<ChildSas.Missing> missing = children.missing();
        Instant at;
        if (missing.isPresent()) {
            at = missing.get().byPeer() ? missing.get().since().plus(PEER_GRACE) : missing.get().since();
        } else if (uncovered().isPresent()) {
            at = now;
        } else {
            return Optional.empty();
        }
        return Optional.of(retryAt != null && retryAt.isAfter(at) ? retryAt : at);
    }

    /** Queues our CREATE_CHILD_SA when due. */
    void tick(Instant now, boolean queued) {
        if (!wanted()) {
            failures = 0;
            retryAt = null;
            return;
        }
        Optional<Instant> due = due(now);
        if (!queued && due.isPresent() && !now.isBefore(due.get())) {
            session.enqueue(Request.of(Request.Kind.CREATE_CHILD));
        }
    }

    /**
     * The earliest of {@code next} and when our CREATE_CHILD_SA is due; {@code next} once it is {@code queued}: it goes
     * when the window is free, not on a timer (a deadline always due would spin the actor).
     */
    Instant nextDeadline(Instant next, boolean queued) {
        if (queued) {
            return next;
        }
        return due(ctx.now()).map(d -> EngineContext.earliest(next, d)).orElse(next);
    }

    /** True if our request is in flight. */
    boolean creating() {
        return create != null;
    }

    // --------------------------------------------------------------------------------------------- ours

    /**
     * CREATE_CHILD_SA for the tunnel's selectors (with {@code sa-per-flow}, the first flow pair without a Child SA),
     * with PFS in the first group when the tunnel has groups.
     */
    void send() {
        send(ctx.tunnel.childSa().pfs() ? Optional.of(ctx.tunnel.childSa().groups().getFirst()) : Optional.empty(),
                false);
    }

    private void send(Optional<DhGroup> group, boolean retry) {
        IpFamily family = IpAddresses.family(ctx.remote.getAddress());
        SelectorPolicy.Offer offer = uncovered().orElseGet(() -> SelectorPolicy.offers(ctx.tunnel, family).getFirst());
        List<TrafficSelector> tsi = offer.tsi();
        List<TrafficSelector> tsr = offer.tsr();
        long spiIn = ctx.nonZeroChildSpi();
        byte[] nonce = ctx.nonce();
        Optional<KeyExchange> kex = group.map(g -> ctx.env.keyExchange().generate(g, ctx.env.random()));
        List<Payload> p = new ArrayList<>();
        p.add(new SaPayload(ProposalPolicy.espOffer(ctx.tunnel.childSa(), spiIn, group.isPresent())));
        p.add(new NoncePayload(Octets.of(nonce)));
        kex.ifPresent(k -> p.add(KePayload.of(k.group(), Octets.of(k.publicValue()))));
        p.add(new TsPayload(true, tsi));
        p.add(new TsPayload(false, tsr));
        create = new Create(spiIn, nonce, kex, retry, tsi, tsr);
        ctx.count("child_create_sent");
        if (children.size() == 0) {
            LOG.info("tunnel {}: the IKE SA has no Child SA; creating one{}", ctx.tunnel.label(),
                    failures == 0 ? "" : " (attempt " + (failures + 1) + ")");
        } else {
            LOG.info("tunnel {}: creating the Child SA of {} === {} (sa-per-flow){}", ctx.tunnel.label(), tsi, tsr,
                    failures == 0 ? "" : " (attempt " + (failures + 1) + ")");
        }
        ctx.request(ExchangeType.Known.CREATE_CHILD_SA, p, Request.of(Request.Kind.CREATE_CHILD));
    }

    /** The peer's answer to our CREATE_CHILD_SA. */
    void response(IkeMessage m) {
        Create c = create;
        create = null;
        Optional<NotifyPayload> error = EngineContext.error(m);
        NotifyType type = error.map(NotifyPayload::notifyType).orElse(null);
        if (type == NotifyType.Known.INVALID_KE_PAYLOAD && !c.retried() && c.keyExchange().isPresent()) {
            // the peer wants another of our groups: once, and never a downgrade to a group we do not have
            Optional<DhGroup> g = DhGroup.fromIkev2(error.get().acceptedGroup().orElse(-1))
                    .filter(ctx.tunnel.childSa().groups()::contains).filter(x -> x != c.keyExchange().get().group());
            if (g.isPresent()) {
                ctx.count("invalid_ke_retry");
                send(g, true);
                return;
            }
        }
        if (type == NotifyType.Known.NO_PROPOSAL_CHOSEN && !c.retried() && c.keyExchange().isPresent()
                && !ctx.tunnel.childSa().pfsRequired()) {
            LOG.info("tunnel {}: the peer refused PFS for the new Child SA; creating it without PFS",
                    ctx.tunnel.label());
            send(Optional.empty(), true);
            return;
        }
        if (type == NotifyType.Known.TEMPORARY_FAILURE) {
            ctx.count("child_create_deferred");
            retryAt = ctx.now().plus(ctx.retryPause());
            session.startQueued();
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (error.isPresent() || sa.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            failed(error.map(EngineContext::reasonOf).orElse(FailureReason.PROTOCOL_ERROR), "new Child SA refused: "
                    + error.map(n -> n.notifyType().name()).orElse("payloads missing"));
            return;
        }
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.checkEspAnswer(sa.get().proposals(),
                ctx.tunnel.childSa(), c.spiIn());
        if (esp.isEmpty() || !SelectorPolicy.within(tsi.get().selectors(), c.tsi())
                || !SelectorPolicy.within(tsr.get().selectors(), c.tsr())) {
            failed(FailureReason.NO_PROPOSAL_CHOSEN, "the answer for the new Child SA is not what we offered");
            return;
        }
        Optional<ChildSas.Pfs> pfs = children.answeredPfs(m, sa.get().proposals().getFirst(), c.keyExchange(),
                "new Child SA");
        if (pfs.isEmpty()) {
            failed(null, null);
            return;
        }
        IkeOutput.ChildSaInstalled fresh = children.install(esp.get().suite(), c.spiIn(), esp.get().peerSpi(),
                tsi.get().selectors(), tsr.get().selectors(), true, c.nonce(), nonce.get().nonce().toByteArray(),
                pfs.get().secret(), Optional.of(pfs.get().group()));
        ctx.count("child_created");
        failures = 0;
        retryAt = null;
        ctx.output(fresh);
        session.startQueued();
    }

    /** Reports the failure (unless already reported: {@code reason} null) and pauses, doubling, before the next. */
    private void failed(FailureReason reason, String detail) {
        if (reason != null) {
            ctx.childFailed(reason, detail);
        }
        failures++;
        Duration pause = ctx.retryPause().multipliedBy(1L << Math.min(failures - 1, 5));
        retryAt = ctx.now().plus(pause.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : pause);
        session.startQueued();
    }

    // ------------------------------------------------------------------------------------------- the peer's

    /**
     * The peer's CREATE_CHILD_SA for a new Child SA (no REKEY_SA): our answer's payloads.
     *
     * @param ikeRekeyInFlight our IKE SA rekey is in flight (section 2.25.2: the peer must wait)
     */
    List<Payload> request(IkeMessage m, boolean ikeRekeyInFlight) {
        if (ikeRekeyInFlight) {
            ctx.count("temporary_failure_sent");
            return List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
        }
        if (children.size() >= MAX_CHILD_SAS) {
            ctx.count("create_child_sa_refused");
            ctx.childFailed(FailureReason.PROTOCOL_ERROR, "the peer's new Child SA refused: the IKE SA has "
                    + MAX_CHILD_SAS + " Child SAs already");
            return List.of(NotifyPayload.of(NotifyType.Known.NO_ADDITIONAL_SAS));
        }
        IpFamily family = IpAddresses.family(ctx.remote.getAddress());
        ChildSas.Answer a = children.answerProposal(m, SelectorPolicy.of(ctx.tunnel.to(), family),
                SelectorPolicy.of(ctx.tunnel.from(), family), "new Child SA");
        if (a.installed() != null) {
            ctx.count("child_created_by_peer");
            LOG.info("tunnel {}: the peer created a new Child SA", ctx.tunnel.label());
            ctx.output(a.installed());
        }
        return a.payloads();
    }
}
