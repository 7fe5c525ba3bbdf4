package net.palisade.controlplane.ike;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.IkeKdf;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.DeletePayload;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.ProtocolId;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.TrafficSelector;
import net.palisade.model.wire.ikev2.Transform;
import net.palisade.model.wire.ikev2.TransformType;
import net.palisade.model.wire.ikev2.TsPayload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Child SAs of one IKE session and their procedures (RFC 7296 sections 1.3.3, 2.8, 2.17, 2.25): deriving and
 * recording a new Child SA, CREATE_CHILD_SA rekeying both ways (with or without PFS, INVALID_KE_PAYLOAD retried once
 * without downgrade, TEMPORARY_FAILURE deferred), simultaneous rekeys judged by the four nonces (section 2.8.1,
 * also when seen late), the peer's Deletes, hard and soft lifetimes, and redundant Child SAs left by a collision.
 * Each {@link ChildSa} moves through its own {@link ChildSa.State}s.
 *
 * <p>Owns the Child SA list and our one rekey in flight; requests go through the session's queue, so the window
 * stays one request at a time.
 */
final class ChildSas {
    private static final Logger LOG = LoggerFactory.getLogger(ChildSas.class);
    private final EngineContext ctx;
    private final IkeSession session;
    private final List<ChildSa> children = new ArrayList<>();
    /** Our CREATE_CHILD_SA request rekeying a Child SA, while in flight (null otherwise). */
    private Rekey rekey;
    /** Since when the IKE SA has had no Child SA (null while it has one, or before its first). */
    private Missing missing;
    /** Resumed Child SAs our rekey replaced, until {@link #deleteReplacedByUs} queued their Deletes. */
    private final List<ChildSa> replacedByUs = new ArrayList<>();

    ChildSas(EngineContext ctx, IkeSession session) {
        this.ctx = ctx;
        this.session = session;
    }

    /**
     * Our CREATE_CHILD_SA request rekeying {@code old}, in flight.
     *
     * @param theirs the peer's rekey of the same Child SA, answered while ours was in flight: a collision (section
     *               2.8.1), decided when ours completes
     * @param oldGone resent after a takeover that came after the journal had our rekey's result: the new Child SA is
     *               resumed; {@code old} is resumed receiving (its state kept until our Delete of it is answered), or
     *               stands for the peer's copy, which our Delete ends (a journal from before that was kept)
     * @param resent sent again after a takeover: the node before may have had the answer and sent on its keys
     */
    private record Rekey(ChildSa old, long newSpiIn, byte[] nonce, Optional<KeyExchange> keyExchange,
            boolean retried, Optional<Rekeyed> theirs, boolean oldGone, boolean resent) {
        Rekey(ChildSa old, long newSpiIn, byte[] nonce, Optional<KeyExchange> keyExchange, boolean retried,
                Optional<Rekeyed> theirs) {
            this(old, newSpiIn, nonce, keyExchange, retried, theirs, false, false);
        }
    }

    /**
     * A completed rekey of {@code old} into {@code fresh}, with its exchange's nonces: a collision is judged by the
     * four nonces of both exchanges (section 2.8.1).
     */
    record Rekeyed(ChildSa old, ChildSa fresh, byte[] nonceI, byte[] nonceR) {}

    /** True if our rekey of a Child SA is in flight. */
    boolean rekeying() {
        return rekey != null;
    }

    boolean contains(ChildSa c) {
        return children.contains(c);
    }

    /**
     * Whether a Child SA carries traffic of {@code offer}: its selectors overlap the offer's on both sides (a peer
     * may have narrowed what we offered, or made one Child SA for several of our offers).
     */
    boolean covers(SelectorPolicy.Offer offer) {
        return children.stream().anyMatch(c -> c.state() != ChildSa.State.DELETED
                && SelectorPolicy.overlap(offer.tsi(), c.local) && SelectorPolicy.overlap(offer.tsr(), c.remote));
    }

    int size() {
        return children.size();
    }

    /**
     * The IKE SA lost its last Child SA.
     *
     * @param since  when
     * @param byPeer the peer deleted it (it may be creating the replacement itself)
     */
    record Missing(Instant since, boolean byPeer) {}

    /** Since when the IKE SA has had no Child SA, if it has none and had one. */
    Optional<Missing> missing() {
        return children.isEmpty() ? Optional.ofNullable(missing) : Optional.empty();
    }

    /** The newest Child SA with nothing of ours queued or in flight for it. */
    Optional<ChildSa> newestIdle() {
        return children.reversed().stream().filter(c -> !c.busy()).findFirst();
    }

    /**
     * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) with the nonces of the exchange that creates the Child SA:
     * encryption then integrity key from that exchange's initiator to its responder, then the other direction
     * (RFC 7296 section 2.17). Records the Child SA and returns the event.
     *
     * @param exchangeInitiator we initiated the exchange (IKE_AUTH or CREATE_CHILD_SA); TSi is then ours
     * @param group             the CREATE_CHILD_SA's key exchange group ({@code NONE} without one); empty for IKE_AUTH
     */
    IkeOutput.ChildSaInstalled install(ChildSuite child, long spiIn, long spiOut, List<TrafficSelector> tsi,
            List<TrafficSelector> tsr, boolean exchangeInitiator, byte[] nonceI, byte[] nonceR, Optional<byte[]> pfs,
            Optional<DhGroup> group) {
        int e = child.encryption().keyMaterialBytes();
        int a = child.integrity().map(x -> x.keyBytes()).orElse(0);
        byte[] km = IkeKdf.childKeyMaterial(ctx.sa.prf, ctx.sa.keys.skD(), pfs, nonceI, nonceR, 2 * (e + a));
        pfs.ifPresent(x -> Arrays.fill(x, (byte) 0));
        IkeOutput.ChildKeys i2r = new IkeOutput.ChildKeys(Secret.adopt(Arrays.copyOfRange(km, 0, e)),
                a == 0 ? Optional.empty() : Optional.of(Secret.adopt(Arrays.copyOfRange(km, e, e + a))));
        IkeOutput.ChildKeys r2i = new IkeOutput.ChildKeys(Secret.adopt(Arrays.copyOfRange(km, e + a, 2 * e + a)),
                a == 0 ? Optional.empty() : Optional.of(Secret.adopt(Arrays.copyOfRange(km, 2 * e + a, km.length))));
        Arrays.fill(km, (byte) 0);
        ctx.count("child_installed");
        List<TrafficSelector> mine = exchangeInitiator ? tsi : tsr;
        List<TrafficSelector> theirs = exchangeInitiator ? tsr : tsi;
        Instant now = ctx.now();
        Duration life = ctx.tunnel.childSa().lifetime();
        children.add(new ChildSa(spiIn, spiOut, child, mine, theirs, now, ctx.softDeadline(now, life),
                now.plus(life)));
        missing = null;
        return new IkeOutput.ChildSaInstalled(spiIn, spiOut, child.encryption(), child.integrity(),
                exchangeInitiator ? r2i : i2r, exchangeInitiator ? i2r : r2i, mine, theirs, ctx.local, ctx.remote,
                ctx.udpEncapsulation, group, child.esn());
    }

    /**
     * A Child SA resumed from the journal: ours again, with its lifetime counted from now (its creation time is not
     * journaled, so it is rekeyed up to one lifetime later than it would have been).
     */
    void resume(IkeOutput.ChildSaInstalled c) {
        Instant now = ctx.now();
        Duration life = ctx.tunnel.childSa().lifetime();
        children.add(new ChildSa(c.inboundSpi(), c.outboundSpi(), new ChildSuite(c.encryption(), c.integrity()),
                c.localSelectors(), c.remoteSelectors(), now, ctx.softDeadline(now, life), now.plus(life)));
        missing = null;
    }

    /** The Child SAs of a resumed IKE SA ({@link #resume}), and those a rekey replaced ({@link #resumeReplaced}). */
    void resume(List<IkeOutput.ChildSaInstalled> current, List<IkeResumption.Old> replaced) {
        current.forEach(this::resume);
        replaced.forEach(this::resumeReplaced);
    }

    /**
     * A Child SA a rekey replaced before a takeover, its Delete not journaled. The peer's rekey: the peer may or may
     * not have received our answer (its new Child SA, {@code successorSpiIn}, resumed beside it). It stays the one we
     * send on (the dataplane's choice, {@code IkeOutcomes}) until the peer settles which: its Delete of this one (it
     * had our answer: the successor takes over), or its rekey of this one again ({@link #rekeyRequest}: it never had
     * the answer, and the successor goes). Ours: the peer sends on it until our Delete of it reaches it (RFC 7296
     * section 2.8), so it receives (the successor sends) until that Delete is answered: the journaled Delete sent
     * again ({@link #resendInFlight}), or a new one ({@link #deleteReplacedByUs}).
     */
    private void resumeReplaced(IkeResumption.Old o) {
        resume(o.sa());
        ChildSa old = children.getLast();
        if (o.ours()) {
            old.transition(ChildSa.State.DELETE_LOCAL, "replaced by our rekey before the takeover");
            replacedByUs.add(old);
            ctx.count("resumed_replaced_by_us");
            return;
        }
        old.transition(ChildSa.State.REKEY_REMOTE, "rekeyed by the peer before the takeover");
        old.unconfirmedSuccessor = o.successorSpiIn();
        ctx.count("resumed_replaced_child");
    }

    /**
     * After a takeover, once the journaled request (if any) went again and the message ID sync is queued: our Delete
     * of each resumed Child SA our rekey replaced that no request in flight ends, queued.
     */
    void deleteReplacedByUs() {
        for (ChildSa c : replacedByUs) {
            boolean ending = ctx.inFlight().filter(q -> q.child() == c).isPresent()
                    || rekey != null && rekey.old() == c;
            if (children.contains(c) && !ending) {
                session.enqueue(new Request(Request.Kind.DELETE_CHILD, c));
            }
        }
        replacedByUs.clear();
    }

    // ----------------------------------------------------------------------------------------- our rekey

    /** CREATE_CHILD_SA rekeying {@code old}, with PFS in the configured first group when the tunnel asks for it. */
    void sendRekey(ChildSa old) {
        sendRekey(old, ctx.tunnel.childSa().pfs() ? Optional.of(ctx.tunnel.childSa().groups().getFirst())
                : Optional.empty(), false);
    }

    /** CREATE_CHILD_SA rekeying {@code old} (RFC 7296 section 1.3.3), with PFS when {@code group} is present. */
    private void sendRekey(ChildSa old, Optional<DhGroup> group, boolean retry) {
        byte[] seed = group.isPresent() ? ctx.env.random().bytes(32) : new byte[0];
        long spiIn = ctx.nonZeroChildSpi();
        byte[] nonce = ctx.nonce();
        // the journaled state ahead of the request carries what makes it again ({@link #resendInFlight})
        ctx.childInFlight.ifPresent(ChildRequestInFlight::wipe);
        ctx.childInFlight = Optional.of(ChildRequestInFlight.rekey(old.spiIn, old.spiOut, spiIn, nonce,
                group.orElse(DhGroup.NONE), seed, retry));
        Optional<KeyExchange> kex = group.map(g -> ctx.seededKeyExchange(g, seed));
        List<Payload> p = new ArrayList<>();
        p.add(NotifyPayload.childSa(NotifyType.Known.REKEY_SA, ProtocolId.Known.ESP, old.spiIn, Octets.empty()));
        p.add(new SaPayload(ProposalPolicy.espOffer(ctx.tunnel.childSa(), spiIn, group.isPresent())));
        p.add(new NoncePayload(Octets.of(nonce)));
        kex.ifPresent(k -> p.add(KePayload.of(k.group(), Octets.of(k.publicValue()))));
        p.add(new TsPayload(true, old.local));
        p.add(new TsPayload(false, old.remote));
        rekey = new Rekey(old, spiIn, nonce, kex, retry, Optional.empty());
        ctx.count("child_rekey_sent");
        ctx.request(ExchangeType.Known.CREATE_CHILD_SA, p, new Request(Request.Kind.REKEY_CHILD, old));
    }

    /**
     * A node that resumed the IKE SA from the state journaled ahead of our request for a Child SA (a takeover while
     * it was in flight): sends the same request again — its message ID and datagrams, so a peer that answered it
     * answers from its cache (RFC 7296 section 2.1), one that never had it takes it as new — and true; false if
     * there was none, or nothing resumed tells its Child SA. A rekey's answer then completes it as it would have
     * completed on the dead node: the same new Child SA as the peer's (the journaled nonce, the key exchange made
     * again from its seed), installed, and the old one deleted. The peer otherwise kept the Child SA it had made for
     * the lost request (strongSwan: inbound only, until its lifetime). A Delete sent again ends the peer's copy of
     * the Child SA our rekey replaced, whether or not it had the Delete.
     */
    boolean resendInFlight() {
        Optional<ChildRequestInFlight> resumed = ctx.resumedChild;
        ctx.resumedChild = Optional.empty();
        long id = ctx.sa.window.peekNextRequestId() - 1;
        if (resumed.isEmpty() || resumed.get().request().isEmpty() || id < 0) {
            return false;
        }
        ChildRequestInFlight r = resumed.get();
        Optional<ChildSa> old = children.stream().filter(c -> c.spiIn == r.oldSpiIn()).findFirst();
        Optional<ChildSa> fresh = children.stream().filter(c -> r.kind() == ChildRequestInFlight.Kind.REKEY
                && c.spiIn == r.newSpiIn()).findFirst();
        Request request;
        if (r.kind() == ChildRequestInFlight.Kind.DELETE) {
            ChildSa target = old.orElseGet(() -> detached(r, null));
            if (old.isPresent() && !target.busy()) {
                target.transition(ChildSa.State.DELETE_LOCAL, "our delete resent after a takeover");
            }
            request = new Request(old.isPresent() ? Request.Kind.DELETE_CHILD : Request.Kind.DELETE_EXPIRED, target);
        } else if (old.isPresent() && fresh.isEmpty()) {
            // the journal has the old Child SA only: our rekey of it goes again
            if (old.get().state() != ChildSa.State.REKEY_LOCAL) {
                old.get().transition(ChildSa.State.REKEY_LOCAL, "our rekey resent after a takeover");
            }
            rekey = new Rekey(old.get(), r.newSpiIn(), r.nonce(), keyExchange(r), r.retried(), Optional.empty(),
                    false, true);
            request = new Request(Request.Kind.REKEY_CHILD, old.get());
        } else if (fresh.isPresent()) {
            // the journal had the rekey's result, not yet our Delete of the old Child SA: the answer completes it
            // (the old one resumed, receiving, when the journal kept it: Takeover.Replaced#ours)
            ChildSa gone = old.orElseGet(() -> detached(r, fresh.get()));
            rekey = new Rekey(gone, r.newSpiIn(), r.nonce(), keyExchange(r), r.retried(), Optional.empty(), true,
                    true);
            request = new Request(Request.Kind.REKEY_CHILD, gone);
        } else {
            ctx.drop("resumed_child_request_unknown");
            r.wipe();
            return false;
        }
        ctx.count("child_request_resent_after_takeover");
        LOG.info("tunnel {}: sending our {} of Child SA {} again after the takeover (message ID {})",
                ctx.tunnel.label(), r.kind() == ChildRequestInFlight.Kind.REKEY ? "rekey" : "Delete",
                Long.toHexString(r.oldSpiIn()), id);
        ctx.childInFlight.ifPresent(ChildRequestInFlight::wipe);
        ctx.childInFlight = Optional.of(r.sentAs(List.of()));
        r.wipe();
        ctx.transmit(id, r.kind() == ChildRequestInFlight.Kind.REKEY ? ExchangeType.Known.CREATE_CHILD_SA
                : ExchangeType.Known.INFORMATIONAL, r.request(), request);
        return true;
    }

    /** The key exchange of the journaled rekey {@code r}, made again from its seed; empty without PFS. */
    private Optional<KeyExchange> keyExchange(ChildRequestInFlight r) {
        return r.pfs() ? Optional.of(ctx.seededKeyExchange(r.group(), r.keySeed())) : Optional.empty();
    }

    /**
     * The Child SA {@code r} names, not resumed here (the journal dropped it at our rekey's result): stands for the
     * peer's copy in our Delete, with the selectors of {@code like} (the rekey's result), or none.
     */
    private ChildSa detached(ChildRequestInFlight r, ChildSa like) {
        Instant now = ctx.now();
        ChildSa c = new ChildSa(r.oldSpiIn(), r.oldSpiOut(), like == null ? null : like.suite,
                like == null ? List.of() : like.local, like == null ? List.of() : like.remote, now, now, now);
        c.transition(r.kind() == ChildRequestInFlight.Kind.REKEY ? ChildSa.State.REKEY_LOCAL
                : ChildSa.State.DELETE_LOCAL, "named by the journaled request resent after a takeover");
        return c;
    }

    /** Our rekey did not replace {@code old}: it is ours to rekey again at {@code retryAt}. */
    private void rekeyEnded(ChildSa old, Instant retryAt, String why) {
        if (old.state() == ChildSa.State.REKEY_LOCAL) {
            old.transition(ChildSa.State.INSTALLED, why);
        }
        if (retryAt != null) {
            old.rekeyAt = retryAt;
        }
    }

    /** The peer's answer to our rekey. */
    void rekeyResponse(IkeMessage m) {
        Rekey r = rekey;
        rekey = null;
        Rekeyed collision = r.theirs().orElse(null);
        Optional<NotifyPayload> error = EngineContext.error(m);
        if (error.isPresent() && error.get().notifyType() == NotifyType.Known.INVALID_KE_PAYLOAD && !r.retried()
                && r.keyExchange().isPresent()) {
            // the peer wants another PFS group: retry once, only with one of ours (no downgrade)
            Optional<DhGroup> g = DhGroup.fromIkev2(error.get().acceptedGroup().orElse(-1))
                    .filter(ctx.tunnel.childSa().groups()::contains).filter(x -> x != r.keyExchange().get().group());
            if (g.isPresent()) {
                ctx.count("invalid_ke_retry");
                sendRekey(r.old(), g, true);
                return;
            }
        }
        if (error.isPresent() && error.get().notifyType() == NotifyType.Known.NO_PROPOSAL_CHOSEN && !r.retried()
                && r.keyExchange().isPresent() && !ctx.tunnel.childSa().pfsRequired()) {
            // a peer configured without PFS (strongSwan's default esp_proposals) refuses our KE transforms; the
            // groups are only our defaults, so the rekey goes on without PFS
            LOG.info("tunnel {}: the peer refused PFS for the Child SA rekey; rekeying without PFS",
                    ctx.tunnel.label());
            ctx.count("child_rekey_retried_without_pfs");
            sendRekey(r.old(), Optional.empty(), true);
            return;
        }
        if (error.isPresent() && (error.get().notifyType() == NotifyType.Known.TEMPORARY_FAILURE
                || error.get().notifyType() == NotifyType.Known.CHILD_SA_NOT_FOUND)) {
            // section 2.25: the peer is busy with this SA (or it is gone); not a failure, try again later
            ctx.count("child_rekey_deferred");
            rekeyEnded(r.old(), ctx.now().plus(ctx.retryPause()), "rekey deferred by the peer");
            session.startQueued();
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (error.isPresent() || sa.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            ctx.childFailed(error.map(EngineContext::reasonOf).orElse(FailureReason.PROTOCOL_ERROR),
                    "Child SA rekey refused: " + error.map(n -> n.notifyType().name()).orElse("payloads missing"));
            rekeyEnded(r.old(), ctx.now().plus(ctx.retryPause().multipliedBy(6)), "rekey refused");
            session.startQueued();
            return;
        }
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.checkEspAnswer(sa.get().proposals(),
                ctx.tunnel.childSa(), r.newSpiIn());
        if (esp.isEmpty() || !SelectorPolicy.within(tsi.get().selectors(), r.old().local)
                || !SelectorPolicy.within(tsr.get().selectors(), r.old().remote)) {
            ctx.childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "the rekey answer is not what we offered");
            rekeyEnded(r.old(), ctx.now().plus(ctx.retryPause().multipliedBy(6)), "rekey answer refused");
            session.startQueued();
            return;
        }
        Optional<Pfs> pfs = answeredPfs(m, sa.get().proposals().getFirst(), r.keyExchange(), "Child SA rekey");
        if (pfs.isEmpty()) {
            rekeyEnded(r.old(), ctx.now().plus(ctx.retryPause().multipliedBy(6)), "rekey key exchange refused");
            session.startQueued();
            return;
        }
        byte[] nr = nonce.get().nonce().toByteArray();
        if (r.oldGone()) {
            // the new Child SA was journaled and resumed before this answer came again: it is in place already, and
            // the old one goes (resumed: our Delete ends it here too; not resumed: a plain Delete with its SPI)
            pfs.get().secret().ifPresent(x -> Arrays.fill(x, (byte) 0));
            ctx.count("child_rekey_result_resumed");
            session.enqueueFirst(new Request(children.contains(r.old()) ? Request.Kind.DELETE_CHILD
                    : Request.Kind.DELETE_EXPIRED, r.old()));
            session.startQueued();
            return;
        }
        IkeOutput.ChildSaInstalled fresh = install(esp.get().suite(), r.newSpiIn(), esp.get().peerSpi(),
                tsi.get().selectors(), tsr.get().selectors(), true, r.nonce(), nr, pfs.get().secret(),
                Optional.of(pfs.get().group()));
        ctx.count("child_rekeyed");
        ctx.output(new IkeOutput.ChildSaRekeyed(r.old().spiIn, r.old().spiOut, fresh, true,
                r.old().sequencesRunningOut, true, r.resent()));
        ChildSa mine = children.getLast();
        if (collision != null && EngineContext.lowest(r.nonce(), nr, collision.nonceI(), collision.nonceR()) < 2) {
            // section 2.8.1: both sides rekeyed the same Child SA; the lowest nonce is in our exchange, so our new
            // Child SA is the redundant one and we delete it; the peer deletes the old one
            ctx.count("child_rekey_collision_lost");
            mine.transition(ChildSa.State.DELETE_LOCAL, "redundant after a rekey collision");
            if (r.old().state() == ChildSa.State.REKEY_LOCAL) {
                r.old().transition(ChildSa.State.REKEYED, "the peer's rekey won the collision");
            }
            session.enqueueFirst(new Request(Request.Kind.DELETE_CHILD, mine));
        } else {
            if (collision != null) {
                ctx.count("child_rekey_collision_won");
            }
            if (children.contains(r.old())) {
                r.old().transition(ChildSa.State.DELETE_LOCAL, "replaced by our rekey");
                r.old().rekeyedByUs = new Rekeyed(r.old(), mine, r.nonce(), nr);
                session.enqueueFirst(new Request(Request.Kind.DELETE_CHILD, r.old()));
            }
        }
        session.startQueued();
    }

    /** The key exchange of one CREATE_CHILD_SA: the shared secret (none without PFS) and its group. */
    record Pfs(Optional<byte[]> secret, DhGroup group) {}

    /**
     * The key exchange of the peer's answer to our CREATE_CHILD_SA that offered {@code sent}. An answer without KE
     * whose proposal has no group is a peer without PFS: accepted unless the tunnel requires PFS. Empty, the failure
     * reported, when refused.
     */
    Optional<Pfs> answeredPfs(IkeMessage m, Proposal selected, Optional<KeyExchange> sent, String what) {
        if (sent.isEmpty()) {
            return Optional.of(new Pfs(Optional.empty(), DhGroup.NONE));
        }
        Optional<KePayload> ke = m.first(KePayload.class);
        boolean withoutPfs = ke.isEmpty()
                && selected.transforms(TransformType.Known.KE).stream().allMatch(t -> t.id() == 0);
        if (withoutPfs && ctx.tunnel.childSa().pfsRequired()) {
            ctx.childFailed(FailureReason.INVALID_KE_PAYLOAD, "the peer answered our " + what + " without a key exchange; "
                    + "the tunnel requires PFS with " + groupNames() + " (childsa group)");
            return Optional.empty();
        }
        if (withoutPfs) {
            LOG.info("tunnel {}: the peer answered our {} without PFS; accepted (no childsa group configured)",
                    ctx.tunnel.label(), what);
            ctx.count("child_without_pfs");
            return Optional.of(new Pfs(Optional.empty(), DhGroup.NONE));
        }
        try {
            if (ke.isEmpty() || ke.get().group() != sent.get().group().ikev2Id()) {
                throw new KeyExchange.KeyExchangeException("no KE payload of our group in the answer to our " + what);
            }
            return Optional.of(new Pfs(Optional.of(sent.get().sharedSecret(ke.get().data().toByteArray())),
                    sent.get().group()));
        } catch (KeyExchange.KeyExchangeException e) {
            ctx.childFailed(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Our answer to the peer's CREATE_CHILD_SA proposing a Child SA: the payloads, and unless refused the Child SA
     * installed here (its event, and the exchange's nonces).
     */
    record Answer(List<Payload> payloads, IkeOutput.ChildSaInstalled installed, byte[] theirNonce, byte[] ourNonce) {
        static Answer refused(Payload why) {
            return new Answer(List.of(why), null, null, null);
        }
    }

    /**
     * Negotiates the peer's CREATE_CHILD_SA proposal (RFC 7296 section 1.3.1): an ESP proposal of ours, the PFS rule
     * (a peer without KE is accepted unless the tunnel requires PFS), its selectors narrowed to {@code remoteBounds}
     * (TSi, the peer's side) and {@code localBounds} (TSr).
     */
    Answer answerProposal(IkeMessage m, List<TrafficSelector> remoteBounds, List<TrafficSelector> localBounds,
            String what) {
        Optional<SaPayload> saOffer = m.first(SaPayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (saOffer.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            return Answer.refused(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
        }
        long spiIn = ctx.nonZeroChildSpi();
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.chooseEsp(saOffer.get().proposals(),
                ctx.tunnel.childSa(), spiIn);
        if (esp.isEmpty()) {
            ctx.childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "no ESP proposal of the peer's " + what
                    + " is acceptable");
            return Answer.refused(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
        }
        Optional<KeyExchange> kex = Optional.empty();
        Optional<byte[]> pfs = Optional.empty();
        Optional<KePayload> ke = m.first(KePayload.class);
        if (ctx.tunnel.childSa().pfs() && ke.isEmpty() && !ctx.tunnel.childSa().pfsRequired()) {
            // the groups are only our defaults: a peer without PFS (strongSwan's default esp_proposals) is accepted
            LOG.info("tunnel {}: the peer's {} comes without PFS; accepted (no childsa group configured)",
                    ctx.tunnel.label(), what);
            ctx.count("child_without_pfs");
        } else if (ctx.tunnel.childSa().pfs()) {
            Optional<DhGroup> g = ke.flatMap(KePayload::dhGroup).filter(ctx.tunnel.childSa().groups()::contains);
            if (g.isEmpty()) {
                ctx.count("invalid_ke_sent");
                if (ke.isEmpty()) {
                    ctx.childFailed(FailureReason.INVALID_KE_PAYLOAD, "the peer's " + what + " has no key exchange; the "
                            + "tunnel requires PFS with " + groupNames() + " (childsa group)");
                }
                return Answer.refused(NotifyPayload.invalidKe(ctx.tunnel.childSa().groups().getFirst()));
            }
            kex = Optional.of(ctx.env.keyExchange().generate(g.get(), ctx.env.random()));
            try {
                pfs = Optional.of(kex.get().sharedSecret(ke.get().data().toByteArray()));
            } catch (KeyExchange.KeyExchangeException e) {
                ctx.childFailed(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
                return Answer.refused(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
            }
        }
        List<TrafficSelector> narrowedI = SelectorPolicy.narrow(tsi.get().selectors(), remoteBounds);
        List<TrafficSelector> narrowedR = SelectorPolicy.narrow(tsr.get().selectors(), localBounds);
        Optional<String> unanswerable = SelectorPolicy.unanswerable(tsi.get().selectors(), tsr.get().selectors(),
                narrowedI, narrowedR, what);
        if (unanswerable.isPresent()) {
            ctx.childFailed(FailureReason.TS_UNACCEPTABLE, unanswerable.get());
            return Answer.refused(NotifyPayload.of(NotifyType.Known.TS_UNACCEPTABLE));
        }
        byte[] ours = ctx.nonce();
        Proposal selected = esp.get().selected();
        if (kex.isPresent()) {
            List<Transform> t = new ArrayList<>(selected.transforms());
            t.add(Transform.keyExchange(kex.get().group()));
            selected = new Proposal(selected.number(), selected.protocol(), selected.spi(), t);
        }
        List<Payload> p = new ArrayList<>();
        p.add(SaPayload.of(selected));
        p.add(new NoncePayload(Octets.of(ours)));
        kex.ifPresent(k -> p.add(KePayload.of(k.group(), Octets.of(k.publicValue()))));
        p.add(new TsPayload(true, narrowedI));
        p.add(new TsPayload(false, narrowedR));
        byte[] theirNonce = nonce.get().nonce().toByteArray();
        IkeOutput.ChildSaInstalled fresh = install(esp.get().suite(), spiIn, esp.get().peerSpi(), narrowedI,
                narrowedR, false, theirNonce, ours, pfs, Optional.of(kex.map(KeyExchange::group).orElse(DhGroup.NONE)));
        return new Answer(p, fresh, theirNonce, ours);
    }

    // --------------------------------------------------------------------------------------- the peer's rekey

    /**
     * The peer's CREATE_CHILD_SA with N(REKEY_SA) for ESP: our answer's payloads.
     *
     * @param ikeRekeyInFlight our IKE SA rekey is in flight (section 2.25.2: the peer must wait)
     */
    List<Payload> rekeyRequest(IkeMessage m, NotifyPayload rekeyNotify, boolean ikeRekeyInFlight) {
        long theirOld = rekeyNotify.spiValue();
        Optional<ChildSa> old = children.stream().filter(c -> c.spiOut == theirOld).findFirst();
        if (old.isEmpty()) {
            ctx.drop("rekey_unknown_child");
            return List.of(NotifyPayload.childSa(NotifyType.Known.CHILD_SA_NOT_FOUND, ProtocolId.Known.ESP, theirOld,
                    Octets.empty()));
        }
        boolean weRekeyIt = rekey != null && rekey.old() == old.get();
        boolean weDeleteIt = ctx.inFlight().filter(q -> q.kind() == Request.Kind.DELETE_CHILD
                && q.child() == old.get()).isPresent();
        if (weDeleteIt || ikeRekeyInFlight) {
            // section 2.25.1 and 2.25.2: closing this Child SA, or rekeying the IKE SA
            ctx.count("temporary_failure_sent");
            return List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
        }
        long lost = old.get().unconfirmedSuccessor;
        old.get().unconfirmedSuccessor = 0;
        Optional<ChildSa> orphan = children.stream().filter(c -> lost != 0 && c.spiIn == lost && !c.busy())
                .findFirst();
        if (orphan.isPresent()) {
            // rekeyed before a takeover, and rekeyed again by the peer: our answer then never reached it, and the
            // Child SA that answer made exists on this side only
            LOG.info("tunnel {}: the peer rekeys Child SA {} again; {} (made before the takeover) never reached it",
                    ctx.tunnel.label(), Long.toHexString(old.get().spiIn), Long.toHexString(lost));
            ctx.count("resumed_rekey_answer_lost");
            remove(orphan.get(), "our answer making it never reached the peer");
        }
        Answer a = answerProposal(m, old.get().remote, old.get().local, "Child SA rekey");
        if (a.installed() == null) {
            return a.payloads();
        }
        IkeOutput.ChildSaInstalled fresh = a.installed();
        byte[] theirNonce = a.theirNonce();
        byte[] ours = a.ourNonce();
        List<Payload> p = a.payloads();
        ctx.count("child_rekey_answered");
        ctx.output(new IkeOutput.ChildSaRekeyed(old.get().spiIn, old.get().spiOut, fresh, false, false));
        if (weRekeyIt) {
            // a simultaneous rekey (section 2.8.1): decided when our own exchange completes
            ctx.count("child_rekey_collision");
            rekey = new Rekey(rekey.old(), rekey.newSpiIn(), rekey.nonce(), rekey.keyExchange(), rekey.retried(),
                    Optional.of(new Rekeyed(old.get(), children.getLast(), theirNonce, ours)), rekey.oldGone(),
                    rekey.resent());
        } else if (old.get().rekeyedByUs != null) {
            lateCollision(old.get(), theirNonce, ours);
        } else if (old.get().state() == ChildSa.State.INSTALLED) {
            old.get().transition(ChildSa.State.REKEY_REMOTE, "rekeyed by the peer");
        }
        return p;
    }

    /**
     * The same collision, seen late: our rekey of {@code old} completed before the peer's request came (the peer saw
     * ours while its own was in flight, and judges by the same four nonces).
     */
    private void lateCollision(ChildSa old, byte[] theirNonce, byte[] ours) {
        Rekeyed mine = old.rekeyedByUs;
        ctx.count("child_rekey_collision");
        if (EngineContext.lowest(mine.nonceI(), mine.nonceR(), theirNonce, ours) < 2) {
            // our new Child SA is the redundant one: delete it; the peer deletes the old one, not us
            ctx.count("child_rekey_collision_lost");
            session.dequeue(q -> q.kind() == Request.Kind.DELETE_CHILD && q.child() == old);
            old.rekeyedByUs = null;
            old.transition(ChildSa.State.REKEYED, "the peer's rekey won the collision");
            if (children.contains(mine.fresh()) && !mine.fresh().busy()) {
                mine.fresh().transition(ChildSa.State.DELETE_LOCAL, "redundant after a rekey collision");
                session.enqueue(new Request(Request.Kind.DELETE_CHILD, mine.fresh()));
            }
        } else {
            ctx.count("child_rekey_collision_won");
        }
    }

    // ---------------------------------------------------------------------------------------------- deletes

    /** The peer's Delete payloads for ESP: the Child SAs go, and our answer names our SPIs of them. */
    List<Payload> deletedByPeer(List<DeletePayload> deletes) {
        List<Payload> answer = new ArrayList<>();
        for (DeletePayload d : deletes) {
            if (d.protocol() != ProtocolId.Known.ESP) {
                continue;
            }
            for (long spi : d.spiValues()) {
                Optional<ChildSa> c = children.stream().filter(x -> x.spiOut == spi).findFirst();
                if (c.isEmpty()) {
                    ctx.drop("delete_unknown_child");
                    continue;
                }
                remove(c.get(), "deleted by the peer");
                if (children.isEmpty()) {
                    missing = new Missing(ctx.now(), true);
                }
                answer.add(DeletePayload.childSas(ProtocolId.Known.ESP, c.get().spiIn));
            }
        }
        return answer;
    }

    /** The peer answered our Delete of {@code old}. */
    void deleteAnswered(ChildSa old) {
        if (children.contains(old)) {
            remove(old, "our delete answered");
        }
    }

    private void remove(ChildSa c, String why) {
        children.remove(c);
        if (children.isEmpty()) {
            missing = new Missing(ctx.now(), false);
        }
        c.transition(ChildSa.State.DELETED, why);
        ctx.count("child_deleted");
        ctx.output(new IkeOutput.ChildSaDeleted(c.spiIn, c.spiOut));
    }

    /**
     * Two Child SAs with the same selectors are redundant: what remains of a rekey collision that one side judged
     * differently (messages were lost, section 2.8.1 could not apply). The current IKE SA's initiator, and only it
     * (so the two sides never delete both), deletes all but the newest, once both are older than the peer's
     * retransmissions: a collision's own deletes must have had their chance first.
     */
    void queueRedundantDeletes() {
        Instant settled = ctx.now().minus(ctx.forgetAfter());
        Map<List<List<TrafficSelector>>, ChildSa> newest = new HashMap<>();
        for (ChildSa c : children) {
            if (c.busy() || c.createdAt.isAfter(settled)) {
                continue;
            }
            ChildSa other = newest.putIfAbsent(List.of(c.local, c.remote), c);
            if (other != null) {
                ChildSa older = other.expireAt.isBefore(c.expireAt) ? other : c;
                newest.put(List.of(c.local, c.remote), older == other ? c : other);
                ctx.count("child_redundant");
                older.transition(ChildSa.State.DELETE_LOCAL, "redundant: another Child SA has its selectors");
                session.enqueue(new Request(Request.Kind.DELETE_CHILD, older));
            }
        }
    }

    /** When {@link #queueRedundantDeletes} may act: two Child SAs share selectors and one is still young. */
    private Optional<Instant> redundancyDue() {
        Map<List<List<TrafficSelector>>, ChildSa> seen = new HashMap<>();
        Instant due = null;
        for (ChildSa c : children) {
            ChildSa other = seen.putIfAbsent(List.of(c.local, c.remote), c);
            if (other != null) {
                Instant t = (c.createdAt.isAfter(other.createdAt) ? c.createdAt : other.createdAt)
                        .plus(ctx.forgetAfter());
                due = due == null ? t : EngineContext.earliest(due, t);
            }
        }
        return Optional.ofNullable(due);
    }

    /** The PFS groups as written in the config, for messages. */
    private String groupNames() {
        return String.join(",", ctx.tunnel.childSa().groups().stream().map(DhGroup::keyword).toList());
    }

    // ------------------------------------------------------------------------------------------------ timers

    /**
     * Lifetimes at {@code now}: a Child SA past its hard lifetime is gone (the peer is told, whether or not a rekey
     * is in flight); one past its soft lifetime with nothing in progress is queued for rekeying.
     */
    void tick(Instant now) {
        for (ChildSa c : List.copyOf(children)) {
            if (!now.isBefore(c.expireAt)) {
                ctx.count("child_expired");
                children.remove(c);
                if (children.isEmpty()) {
                    missing = new Missing(now, false);
                }
                c.transition(ChildSa.State.DELETED, "hard lifetime");
                ctx.output(new IkeOutput.ChildSaDeleted(c.spiIn, c.spiOut));
                // no longer in the list: a plain INFORMATIONAL with its SPI, queued behind any request in flight
                session.enqueue(new Request(Request.Kind.DELETE_EXPIRED, c));
            } else if (!c.busy() && !now.isBefore(c.rekeyAt)) {
                c.transition(ChildSa.State.REKEY_LOCAL, "soft lifetime");
                session.enqueue(new Request(Request.Kind.REKEY_CHILD, c));
            }
        }
    }

    /**
     * The dataplane reports the outbound SA of the Child SA we send to with {@code spiOut} near the end of its
     * sequence numbers: the Child SA to rekey now (moved to {@link ChildSa.State#REKEY_LOCAL}), unless it is
     * unknown or already on its way out (our rekey or delete queued or in flight, or the peer's rekey answered,
     * whose Delete of it is due).
     */
    Optional<ChildSa> sequenceSoftLimit(long spiOut) {
        Optional<ChildSa> c = children.stream().filter(x -> x.spiOut == spiOut).findFirst();
        if (c.isEmpty()) {
            ctx.drop("soft_limit_unknown_child");
            return Optional.empty();
        }
        c.get().sequencesRunningOut = true;
        if (c.get().state() != ChildSa.State.INSTALLED) {
            ctx.count("soft_limit_rekey_under_way");
            return Optional.empty();
        }
        LOG.info("tunnel {}: Child SA {}/{} is near the end of its outbound sequence numbers; rekeying it",
                ctx.tunnel.label(), Long.toHexString(c.get().spiIn), Long.toHexString(spiOut));
        ctx.count("child_rekey_sequence_soft_limit");
        c.get().transition(ChildSa.State.REKEY_LOCAL, "outbound sequence numbers near exhaustion");
        return c;
    }

    /** The earliest of {@code next} and the Child SAs' deadlines (redundancy only for the IKE SA's initiator). */
    Instant nextDeadline(Instant next) {
        Optional<Instant> redundancy = redundancyDue();
        if (redundancy.isPresent() && ctx.sa.initiatorRole) {
            next = EngineContext.earliest(next, redundancy.get());
        }
        for (ChildSa c : children) {
            next = EngineContext.earliest(next, c.expireAt);
            if (!c.busy()) {
                next = EngineContext.earliest(next, c.rekeyAt);
            }
        }
        return next;
    }
}
