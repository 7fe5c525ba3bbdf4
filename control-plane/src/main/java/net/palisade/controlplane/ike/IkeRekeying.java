package net.palisade.controlplane.ike;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.ike.crypto.IkeKdf;
import net.palisade.controlplane.ike.crypto.IkeSaKeys;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.SaPayload;

/**
 * IKE SA rekeying (RFC 7296 sections 1.3.2, 2.8.2 and 2.18) and the IKE SA's lifetime: our CREATE_CHILD_SA with a
 * new SPI, nonce and key exchange (INVALID_KE_PAYLOAD retried once, TEMPORARY_FAILURE deferred), the peer's, a
 * simultaneous rekey judged by the four nonces, and the switch to the new IKE SA: the Child SAs move to it and the
 * replaced one lives on as an {@link OldIkeSa} (its own window) until its Delete completes.
 *
 * <p>Owns where a rekey stands ({@link Phase}: ours in flight, perhaps with the peer's answered meanwhile, or the
 * peer's answered and due to take over), the rekey and expiry instants, and the old IKE SAs.
 */
final class IkeRekeying {
    private final EngineContext ctx;
    private final IkeSession session;
    private Phase phase = new Phase.Idle();
    private Instant rekeyAt;
    private Instant expireAt;
    /** Earlier IKE SAs of this session (rekeyed, or redundant after a collision) until they are deleted. */
    private final List<OldIkeSa> oldSas = new ArrayList<>();

    IkeRekeying(EngineContext ctx, IkeSession session) {
        this.ctx = ctx;
        this.session = session;
    }

    /** Our CREATE_CHILD_SA request rekeying the IKE SA, in flight. */
    private record Ongoing(long newSpiI, byte[] nonce, KeyExchange keyExchange, boolean retried) {}

    /** Where an IKE SA rekey stands; at most one of ours and one of the peer's at a time. */
    private sealed interface Phase {
        /** No IKE SA rekey in progress. */
        record Idle() implements Phase {}

        /**
         * Our request is in flight; {@code theirs} is the peer's rekey we answered meanwhile: a collision (section
         * 2.8.2), decided when our exchange completes.
         */
        record Ours(Ongoing request, Optional<IkeSa.NewSa> theirs) implements Phase {}

        /** We answered the peer's rekey: its new IKE SA takes over once our response has left. */
        record Answered(IkeSa.NewSa theirs) implements Phase {}
    }

    /** True while our IKE SA rekey is in flight. */
    boolean rekeying() {
        return phase instanceof Phase.Ours;
    }

    /** Rekey at 80 to 90 % of the IKE SA lifetime, expire at 100 %, counted from now (a new IKE SA). */
    void scheduleLifetime() {
        Instant now = ctx.now();
        rekeyAt = ctx.softDeadline(now, ctx.tunnel.ikeSa().lifetime());
        expireAt = now.plus(ctx.tunnel.ikeSa().lifetime());
    }

    /** True if the IKE SA outlived its lifetime at {@code now} (not rekeyed in time). */
    boolean expired(Instant now) {
        return expireAt != null && !now.isBefore(expireAt);
    }

    /** True (once) if our rekey is due at {@code now} and none is in flight. */
    boolean takeDue(Instant now) {
        if (rekeyAt != null && !rekeying() && !now.isBefore(rekeyAt)) {
            rekeyAt = null;
            return true;
        }
        return false;
    }

    /** The earliest of {@code next}, expiry, and our rekey when none is in flight. */
    Instant nextDeadline(Instant next) {
        if (expireAt != null) {
            next = EngineContext.earliest(next, expireAt);
            if (rekeyAt != null && !rekeying()) {
                next = EngineContext.earliest(next, rekeyAt);
            }
        }
        return next;
    }

    /**
     * The session closed (called when the step that closed it ends, after its last message was protected): nothing
     * is protected or opened with the current IKE SA's keys any more, and a new IKE SA negotiated but not taken over
     * yet never will be, so their keys and ciphers are zeroed. The old IKE SAs stay until deleted (they still answer
     * the peer's delete) and wipe theirs then.
     */
    void closed() {
        ctx.sa.wipe();
        inFlight(Optional.empty());
        switch (phase) {
            case Phase.Ours o -> o.theirs().ifPresent(IkeRekeying::wipe);
            case Phase.Answered a -> wipe(a.theirs());
            case Phase.Idle i -> { }
        }
        phase = new Phase.Idle();
    }

    private static void wipe(IkeSa.NewSa n) {
        n.keys().wipe();
        n.outbound().wipe();
        n.inbound().wipe();
    }

    // ------------------------------------------------------------------------------------------- our rekey

    void sendRekey() {
        sendRekey(ctx.sa.suite.group(), false);
    }

    /** CREATE_CHILD_SA rekeying the IKE SA (RFC 7296 sections 1.3.2 and 2.18), key exchange with {@code group}. */
    private void sendRekey(DhGroup group, boolean retried) {
        byte[] seed = ctx.env.random().bytes(32);
        IkeSaSnapshot.RekeyInFlight r = new IkeSaSnapshot.RekeyInFlight(ctx.nonZeroSpi(), ctx.nonce(), group, seed,
                retried);
        Arrays.fill(seed, (byte) 0);
        send(r);
    }

    /**
     * A node that resumed this IKE SA from the state journaled as our rekey of it left (a takeover inside that
     * rekey): sends the same request again — its message ID, SPI, nonce and key exchange — and true; false if no
     * rekey was in flight. The peer may have answered it and moved on: strongSwan then holds the new IKE SA with the
     * Child SAs, and on the old one, now REKEYED, takes nothing but INFORMATIONAL requests — a new rekey is ignored
     * and the tunnel was lost until the old IKE SA timed out (31 s). But a request with the message ID it last
     * answered is a retransmission to it, and it sends its cached answer again (RFC 7296 section 2.1): with the
     * journaled nonce and key exchange that answer gives this node the new IKE SA's keys, the same as the peer's.
     * A peer that never had the request takes it as new.
     */
    boolean resendInFlight() {
        Optional<IkeSaSnapshot.RekeyInFlight> resumed = ctx.resumedRekey;
        ctx.resumedRekey = Optional.empty();
        long id = ctx.sa.window.peekNextRequestId() - 1;
        if (resumed.isEmpty() || resumed.get().request().isEmpty() || id < 0) {
            return false;
        }
        IkeSaSnapshot.RekeyInFlight r = resumed.get();
        phase = new Phase.Ours(new Ongoing(r.newSpiI(), r.nonce(), keyExchange(r), r.retried()), Optional.empty());
        inFlight(Optional.of(r));
        r.wipe();
        ctx.count("ike_rekey_resent_after_takeover");
        ctx.transmit(id, ExchangeType.Known.CREATE_CHILD_SA, r.request(), Request.of(Request.Kind.REKEY_IKE));
        return true;
    }

    /**
     * The key exchange of {@code r}, from its seed rather than the random source directly: a node taking over inside
     * this rekey makes the same one again.
     */
    private KeyExchange keyExchange(IkeSaSnapshot.RekeyInFlight r) {
        return ctx.seededKeyExchange(r.group(), r.keySeed());
    }

    /** Sends our rekey request {@code r} in the next message ID; its journaled state names it ({@link #closed}). */
    private void send(IkeSaSnapshot.RekeyInFlight r) {
        long newSpi = r.newSpiI();
        byte[] nonce = r.nonce();
        DhGroup group = r.group();
        boolean retried = r.retried();
        KeyExchange kex = keyExchange(r);
        IkeSaSpec configured = ctx.tunnel.ikeSa();
        List<DhGroup> groups = new ArrayList<>(configured.groups());
        groups.remove(group);
        groups.addFirst(group);
        IkeSaSpec spec = new IkeSaSpec(configured.enc(), configured.auth(), configured.prf(), groups,
                configured.lifetime());
        List<Proposal> offer = ProposalPolicy.ikeOffer(spec).stream()
                .map(x -> x.withSpi(Octets.ofUnsigned(newSpi, 8))).toList();
        List<Payload> p = new ArrayList<>();
        p.add(new SaPayload(offer));
        p.add(new NoncePayload(Octets.of(nonce)));
        p.add(KePayload.of(group, Octets.of(kex.publicValue())));
        phase = new Phase.Ours(new Ongoing(newSpi, nonce, kex, retried), Optional.empty());
        ctx.count("ike_rekey_sent");
        inFlight(Optional.of(r));
        ctx.request(ExchangeType.Known.CREATE_CHILD_SA, p, Request.of(Request.Kind.REKEY_IKE));
    }

    /** What the IKE SA's journaled state says of our rekey in flight; the one it replaces is wiped. */
    private void inFlight(Optional<IkeSaSnapshot.RekeyInFlight> r) {
        ctx.rekeyInFlight.ifPresent(IkeSaSnapshot.RekeyInFlight::wipe);
        ctx.rekeyInFlight = r.map(IkeSaSnapshot.RekeyInFlight::copy);
    }

    /** The peer's answer to our IKE SA rekey. */
    void rekeyResponse(IkeMessage m) {
        if (!(phase instanceof Phase.Ours ours)) {
            ctx.drop("unexpected_response");
            return;
        }
        phase = new Phase.Idle();
        inFlight(Optional.empty());
        Ongoing r = ours.request();
        IkeSa.NewSa collision = ours.theirs().orElse(null);
        Optional<NotifyPayload> error = EngineContext.error(m);
        if (error.isPresent() && error.get().notifyType() == NotifyType.Known.INVALID_KE_PAYLOAD && !r.retried()
                && collision == null) {
            Optional<DhGroup> g = DhGroup.fromIkev2(error.get().acceptedGroup().orElse(-1))
                    .filter(ctx.tunnel.ikeSa().groups()::contains).filter(x -> x != r.keyExchange().group());
            if (g.isPresent()) {
                ctx.count("invalid_ke_retry");
                sendRekey(g.get(), true);
                return;
            }
        }
        Optional<IkeSa.NewSa> fresh = error.isPresent() ? Optional.empty() : rekeyedSa(m, r);
        if (fresh.isEmpty()) {
            if (error.isPresent() && error.get().notifyType() == NotifyType.Known.TEMPORARY_FAILURE) {
                ctx.count("ike_rekey_deferred");
                rekeyAt = EngineContext.earliest(expireAt, ctx.now().plus(ctx.retryPause()));
            } else {
                ctx.childFailed(error.map(EngineContext::reasonOf).orElse(FailureReason.PROTOCOL_ERROR),
                        "IKE SA rekey refused: " + error.map(n -> n.notifyType().name()).orElse("invalid answer"));
                rekeyAt = EngineContext.earliest(expireAt, ctx.now().plus(ctx.retryPause().multipliedBy(6)));
            }
            if (collision != null) {
                switchTo(collision, false);
            }
            session.startQueued();
            return;
        }
        IkeSa.NewSa a = fresh.get();
        if (collision == null) {
            switchTo(a, true);
        } else if (EngineContext.lowest(a.nonceI(), a.nonceR(), collision.nonceI(), collision.nonceR()) < 2) {
            // section 2.8.2: the lowest nonce is in our exchange: our new IKE SA is redundant, we delete it; the
            // peer's survives and the peer deletes the old one
            ctx.count("ike_rekey_collision_lost");
            switchTo(collision, false);
            new OldIkeSa(ctx, new IkeSa(a, ctx.newWindow()), oldSas).sendDelete();
        } else {
            ctx.count("ike_rekey_collision_won");
            switchTo(a, true);
            new OldIkeSa(ctx, new IkeSa(collision, ctx.newWindow()), oldSas).awaitPeerDelete();
        }
        session.startQueued();
    }

    /** The new IKE SA our rekey request and {@code m} (its answer) define, if the answer is acceptable. */
    private Optional<IkeSa.NewSa> rekeyedSa(IkeMessage m, Ongoing r) {
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || sa.get().proposals().size() != 1) {
            return Optional.empty();
        }
        Proposal answer = sa.get().proposals().getFirst();
        Optional<IkeSuite> chosen = ProposalPolicy.checkIkeRekeyAnswer(answer, ctx.tunnel.ikeSa(),
                r.keyExchange().group());
        if (chosen.isEmpty() || ke.get().group() != r.keyExchange().group().ikev2Id() || answer.spiValue() == 0) {
            return Optional.empty();
        }
        return newSa(chosen.get(), r.keyExchange(), ke.get(), r.nonce(), nonce.get().nonce().toByteArray(),
                r.newSpiI(), answer.spiValue(), true);
    }

    // ------------------------------------------------------------------------------------------ the peer's rekey

    /**
     * The peer rekeys the IKE SA (section 1.3.2): our answer's payloads; the new IKE SA replaces this one once the
     * answer is sent ({@link #afterResponse}).
     *
     * @param childBusy a Child SA of this IKE SA is being created, rekeyed or closed by us
     */
    List<Payload> rekeyRequest(IkeMessage m, SaPayload offer, boolean childBusy) {
        if (childBusy) {
            // section 2.25.2
            ctx.count("temporary_failure_sent");
            return List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
        }
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (ke.isEmpty() || nonce.isEmpty()) {
            return List.of(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
        }
        Optional<ProposalPolicy.IkeChoice> choice = ProposalPolicy.chooseIkeRekey(offer.proposals(),
                ctx.tunnel.ikeSa());
        if (choice.isEmpty()) {
            ctx.count("ike_rekey_refused");
            return List.of(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
        }
        Optional<DhGroup> theirs = ke.get().dhGroup().filter(choice.get().groups()::contains);
        if (theirs.isEmpty()) {
            ctx.count("invalid_ke_sent");
            return List.of(NotifyPayload.invalidKe(ctx.tunnel.ikeSa().groups().stream()
                    .filter(choice.get().groups()::contains).findFirst().orElseThrow()));
        }
        IkeSuite s = choice.get().suite();
        IkeSuite chosen = new IkeSuite(s.encryption(), s.integrity(), s.prf(), theirs.get());
        long peerSpi = choice.get().selected().spiValue();
        long ourSpi = ctx.nonZeroSpi();
        byte[] ours = ctx.nonce();
        KeyExchange kex = ctx.env.keyExchange().generate(chosen.group(), ctx.env.random());
        Optional<IkeSa.NewSa> fresh = newSa(chosen, kex, ke.get(), nonce.get().nonce().toByteArray(), ours, peerSpi,
                ourSpi, false);
        if (fresh.isEmpty()) {
            return List.of(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
        }
        ctx.count("ike_rekey_answered");
        if (phase instanceof Phase.Ours inFlight) {
            // a simultaneous IKE SA rekey (section 2.8.2): decided when our own exchange completes
            ctx.count("ike_rekey_collision");
            phase = new Phase.Ours(inFlight.request(), fresh);
        } else {
            phase = new Phase.Answered(fresh.get());
        }
        List<Payload> p = new ArrayList<>();
        p.add(SaPayload.of(ProposalPolicy.ikeResponse(choice.get().selected().number(), chosen)
                .withSpi(Octets.ofUnsigned(ourSpi, 8))));
        p.add(new NoncePayload(Octets.of(ours)));
        p.add(KePayload.of(chosen.group(), Octets.of(kex.publicValue())));
        return p;
    }

    /**
     * The peer deletes the current IKE SA while we hold its rekey answered during our own: the peer (which never saw
     * ours) made its new IKE SA the one; ours is abandoned, and the switch happens once our response leaves.
     *
     * @return false if no such collision is open (an ordinary Delete)
     */
    boolean peerDeleteEndsCollision() {
        if (!(phase instanceof Phase.Ours ours) || ours.theirs().isEmpty()) {
            return false;
        }
        ctx.count("ike_rekey_superseded");
        phase = new Phase.Answered(ours.theirs().get());
        ctx.sa.window.complete();
        return true;
    }

    /** After our response left: the IKE SA the peer's rekey made takes over (the peer deletes this one). */
    void afterResponse() {
        if (phase instanceof Phase.Answered answered) {
            phase = new Phase.Idle();
            switchTo(answered.theirs(), false);
            session.startQueued();
        }
    }

    /**
     * Keys of a rekeyed IKE SA (section 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old IKE
     * SA's PRF, then prf+ of the new PRF over Ni | Nr | SPIi | SPIr.
     */
    private Optional<IkeSa.NewSa> newSa(IkeSuite chosen, KeyExchange kex, KePayload peerKe, byte[] nonceI,
            byte[] nonceR, long newSpiI, long newSpiR, boolean weInitiate) {
        byte[] shared;
        try {
            shared = kex.sharedSecret(peerKe.data().toByteArray());
        } catch (KeyExchange.KeyExchangeException e) {
            ctx.childFailed(FailureReason.KEY_EXCHANGE_FAILED, "IKE SA rekey: " + e.getMessage());
            return Optional.empty();
        }
        byte[] skeyseed = IkeKdf.rekeySkeyseed(ctx.sa.prf, ctx.sa.keys.skD(), shared, nonceI, nonceR);
        Prf newPrf = new Prf(chosen.prf());
        IkeSaKeys k = IkeKdf.ikeSaKeys(newPrf, chosen.encryption(), chosen.integrity(), skeyseed, nonceI, nonceR,
                newSpiI, newSpiR);
        Arrays.fill(shared, (byte) 0);
        Arrays.fill(skeyseed, (byte) 0);
        SkCipher i2r = new SkCipher(chosen.encryption(), chosen.integrity(), k.skEi(), k.skAi());
        SkCipher r2i = new SkCipher(chosen.encryption(), chosen.integrity(), k.skEr(), k.skAr());
        return Optional.of(new IkeSa.NewSa(newSpiI, newSpiR, weInitiate, chosen, newPrf, k, weInitiate ? i2r : r2i,
                weInitiate ? r2i : i2r, nonceI, nonceR));
    }

    /**
     * Makes {@code n} the IKE SA of this session: the Child SAs move to it (section 2.18), the current one (with its
     * window and any request in flight) is kept as an {@link OldIkeSa} until deleted: by us ({@code deleteOld}) or by
     * the peer.
     */
    private void switchTo(IkeSa.NewSa n, boolean deleteOld) {
        IkeSaId before = ctx.id();
        OldIkeSa old = new OldIkeSa(ctx, ctx.sa, oldSas);
        if (deleteOld) {
            old.sendDelete();
        } else {
            old.awaitPeerDelete();
        }
        ctx.sa = new IkeSa(n, ctx.newWindow());
        scheduleLifetime();
        ctx.count("ike_rekeyed");
        ctx.output(new IkeOutput.IkeSaRekeyed(before, ctx.id(), ctx.sa.initiatorRole));
        ctx.outputTakeoverState();
    }

    // ------------------------------------------------------------------------------------------- old IKE SAs

    /** The old IKE SA {@code h} is for, if any. */
    Optional<OldIkeSa> oldSaFor(IkeHeader h) {
        return oldSas.stream().filter(o -> o.owns(h)).findFirst();
    }

    /** The initiator SPIs of the old IKE SAs still being deleted. */
    Set<Long> oldInitiatorSpis() {
        Set<Long> out = new LinkedHashSet<>();
        oldSas.forEach(o -> out.add(o.spiI()));
        return out;
    }

    void tickOldSas(Instant now) {
        for (OldIkeSa o : List.copyOf(oldSas)) {
            o.tick(now);
        }
    }

    /** The earliest of {@code next} and the old IKE SAs' retransmissions and waits. */
    Instant oldSasDeadline(Instant next) {
        for (OldIkeSa o : oldSas) {
            Instant t = o.deadline();
            if (t != null) {
                next = EngineContext.earliest(next, t);
            }
        }
        return next;
    }
}
