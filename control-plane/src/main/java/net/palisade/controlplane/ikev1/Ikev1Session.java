package net.palisade.controlplane.ikev1;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeCounters;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSaId;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1DecodeResult;
import net.palisade.model.wire.ikev1.Ikev1ExchangeType;
import net.palisade.model.wire.ikev1.Ikev1Header;
import net.palisade.model.wire.ikev1.Ikev1Message;
import net.palisade.model.wire.ikev1.Ikev1NotifyType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev1.Ikev1ProtocolId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ISAKMP SA's IKEv1 engine (RFC 2408, 2409): a state machine over {@link Ikev1State} that takes the IKEv2
 * engine's {@link IkeInput}s and gives its {@link IkeOutput}s, so one driver can run either. Clock, randomness and
 * key exchange come from {@link IkeEnvironment}; two sessions talk in memory in tests.
 *
 * <p>This class is the coordinator: state and {@link #transition}, the receive path (decode, retransmission
 * detection, cookies, decryption of quick mode and informational messages), timers, and the ESP SAs negotiated. The
 * procedures live beside it: {@link Phase1} (main and aggressive mode, NAT-D), {@link QuickMode} and
 * {@link Ikev1Informational} (deletes, notifies, DPD). Keys and IVs are in {@link IsakmpSa}, derivations in
 * {@link Ikev1Keymat}.
 *
 * <p>Reliability: IKEv1 has no message window. The side that waits for an answer resends its last message after
 * each of {@link IkeSettings#retransmit()} and gives up after the last; a message received again (octet for octet)
 * is answered with our last message of that exchange and never processed twice.
 *
 * <p>Not thread-safe: one driver feeds one session.
 */
public final class Ikev1Session {
    private static final Logger LOG = LoggerFactory.getLogger(Ikev1Session.class);
    /** A copy of the peer's last message within this time of our answer is not answered again. */
    static final Duration DUPLICATE_QUIET = Duration.ofMillis(500);

    /**
     * The result of one input.
     *
     * @param state   the state after the input
     * @param outputs what to do and report, in order
     */
    public record Step(Ikev1State state, List<IkeOutput> outputs) {
        /** Copies the list. */
        public Step {
            outputs = List.copyOf(outputs);
        }
    }

    /** An ESP SA pair this ISAKMP SA negotiated. */
    record Child(long spiIn, long spiOut, Flow local, Flow remote, Instant rekeyAt, Instant expireAt) {}

    /** A Child SA we replaced ({@code was}), still sending until {@code deleteAt} ({@link #SWITCH_GRACE}), then deleted. */
    record Retiring(long spiIn, long spiOut, Instant deleteAt, Child was) {}

    /**
     * How long our old ESP SA keeps sending after our quick mode replaced it. The peer installs its new inbound SA
     * when our message 3 reaches it; a packet on the new SA that overtakes message 3 would be dropped (seen in the
     * lab against strongSwan under load: one ping in 1,300).
     */
    static final Duration SWITCH_GRACE = Duration.ofSeconds(1);

    final Ikev1Context ctx;
    final Phase1 phase1;
    final QuickMode quick;
    final Ikev1Informational info;
    /** Its takeover state (docs/ha.md, "IKEv1"). */
    final Ikev1Takeover takeover;
    final List<Child> children = new ArrayList<>();
    final List<Retiring> retiring = new ArrayList<>();
    Ikev1State state = Ikev1State.IDLE;
    private Instant setupDeadline;
    Instant phase1Expiry;
    /** When the original initiator re-authenticates (80 to 90 % of the phase-1 lifetime). */
    Instant reauthAt;
    private Instant timerSet;

    Ikev1Session(IkeTunnel tunnel, boolean initiator, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        if (!tunnel.exchange().ikev1()) {
            throw new IllegalArgumentException("tunnel " + tunnel.label() + " is " + tunnel.exchange().keyword()
                    + ", not IKEv1");
        }
        this.ctx = new Ikev1Context(tunnel, initiator, local, remote, env, settings);
        this.phase1 = new Phase1(ctx, this);
        this.quick = new QuickMode(ctx, this);
        this.info = new Ikev1Informational(ctx, this);
        this.takeover = new Ikev1Takeover(this);
    }

    /** A session that initiates (main or aggressive mode, as the tunnel says) to {@code remote} on Start. */
    public static Ikev1Session initiator(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new Ikev1Session(tunnel, true, local, remote, env, settings);
    }

    /** A session that answers a phase-1 message 1 from {@code remote}. */
    public static Ikev1Session responder(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new Ikev1Session(tunnel, false, local, remote, env, settings);
    }

    /** Handles one input. */
    public Step handle(IkeInput input) {
        ctx.outputs = new ArrayList<>();
        takeover.beforeStep();
        switch (input) {
            case IkeInput.Start s -> start();
            case IkeInput.Received r -> received(r);
            case IkeInput.Tick t -> tick();
            case IkeInput.CheckLiveness c -> {
                if (state == Ikev1State.ESTABLISHED && info.dpdEnabled()) {
                    ctx.lastInbound = Instant.MIN;
                    info.tick(ctx.now());
                }
            }
            case IkeInput.Close c -> close("deleted by us");
            case IkeInput.InboundTraffic t -> {
                ctx.lastInbound = ctx.now();
                info.alive();
            }
            case IkeInput.RekeyChild r -> newestChild().ifPresent(c -> quick.initiate(c.local(), c.remote(),
                    c.spiIn()));
            case IkeInput.DeleteChild d -> newestChild().ifPresent(c -> {
                info.sendDeleteEsp(List.of(c.spiIn()));
                removeChild(c);
            });
            case IkeInput.RekeyIke r -> ctx.drop("reauthentication_not_supported");
            // the dataplane says this SA's outbound sequence numbers run out: replace it by a new quick mode now
            case IkeInput.SequenceSoftLimit l -> children.stream().filter(c -> c.spiOut() == l.outboundSpi())
                    .findFirst().ifPresentOrElse(c -> quick.initiate(c.local(), c.remote(), c.spiIn()),
                            () -> ctx.drop("sequence_limit_unknown_spi"));
        }
        if (ctx.outputs.stream().anyMatch(o -> o instanceof IkeOutput.Send)) {
            ctx.lastSent = ctx.now();
        }
        takeover.flush(ctx.outputs);
        scheduleTimer();
        wipeIfClosed();
        return new Step(state, ctx.outputs);
    }

    /** A closed ISAKMP SA's keys are zeroed when the step that closed it ends (its last messages are sealed). */
    private void wipeIfClosed() {
        if (state == Ikev1State.CLOSED && ctx.sa != null) {
            ctx.sa.wipe();
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** The state. */
    public Ikev1State state() {
        return state;
    }

    /** The cookie pair (responder cookie 0 until known). */
    public IkeSaId id() {
        return ctx.id();
    }

    /** Named counters of drops and notable branches. */
    public IkeCounters counters() {
        return ctx.counters;
    }

    /** The tunnel. */
    public IkeTunnel tunnel() {
        return ctx.tunnel;
    }

    /** The ISAKMP SA's keys, for tests in this package. */
    IsakmpSa isakmpSa() {
        return ctx.sa;
    }

    /** True if the peer sent INITIAL-CONTACT: the driver deletes the peer's older SAs (RFC 2407 section 4.6.3.3). */
    public boolean initialContact() {
        return ctx.peerInitialContact;
    }

    /** The ID the peer authenticated with, once phase 1 is up. */
    public java.util.Optional<net.palisade.model.wire.ikev1.Ikev1Payload.Id> peerId() {
        return state == Ikev1State.ESTABLISHED ? phase1.peerId() : java.util.Optional.empty();
    }

    /** Sends INITIAL-CONTACT in our last phase-1 message (the first ISAKMP SA to this peer since we started). */
    public void sendInitialContact() {
        ctx.sendInitialContact = true;
    }

    // ------------------------------------------------------------------------------------------------ for Ikev1Engine

    /** When we (the original initiator) re-authenticate, once established. */
    Optional<Instant> reauthAt() {
        return state == Ikev1State.ESTABLISHED ? Optional.ofNullable(reauthAt) : Optional.empty();
    }

    /** The initiator cookie: the driver and {@link Ikev1Engine} route by it. */
    long initiatorCookie() {
        return ctx.ckyI;
    }

    /** True while one of our quick modes is in flight. */
    boolean quickModesInFlight() {
        return quick.anyInitiated();
    }

    /** Our inbound and the peer's SPI of the ESP SA pair for exactly these selectors, if any. */
    Optional<long[]> childFor(IkeOutput.ChildSaInstalled like) {
        for (Child c : children) {
            if (List.of(c.local().selector()).equals(like.localSelectors())
                    && List.of(c.remote().selector()).equals(like.remoteSelectors())) {
                return Optional.of(new long[] {c.spiIn(), c.spiOut()});
            }
        }
        return Optional.empty();
    }

    /** Lets go of our ESP SA pair {@code spiIn} without a word: another ISAKMP SA deletes it ({@link #retireLater}). */
    Optional<Child> forgetChild(long spiIn) {
        Optional<Child> c = children.stream().filter(x -> x.spiIn() == spiIn).findFirst();
        c.ifPresent(children::remove);
        return c;
    }

    /**
     * Deletes the ESP SA pair {@code spiIn}/{@code spiOut} that this ISAKMP SA's quick mode replaced after
     * {@link #SWITCH_GRACE} (a re-authentication: the pair belonged to the ISAKMP SA it replaces).
     */
    void retireLater(long spiIn, long spiOut, Child was) {
        retiring.add(new Retiring(spiIn, spiOut, ctx.now().plus(SWITCH_GRACE), was));
        takeover.changed();
    }

    /**
     * Ends this ISAKMP SA after a re-authentication replaced it: deletes its remaining ESP SAs and itself at the
     * peer and reports each ESP SA deleted, but no Phase1Down (the tunnel stays up on the new one).
     */
    List<IkeOutput> retire() {
        ctx.outputs = new ArrayList<>();
        if (state == Ikev1State.ESTABLISHED) {
            retireNow();
            if (!children.isEmpty()) {
                info.sendDeleteEsp(children.stream().map(Child::spiIn).toList());
            }
            for (Child c : List.copyOf(children)) {
                removeChild(c);
            }
            info.sendDeleteIsakmp();
        }
        if (state != Ikev1State.CLOSED) {
            transition(Ikev1State.CLOSED, "re-authenticated");
        }
        wipeIfClosed();
        return ctx.outputs;
    }

    // ------------------------------------------------------------------------------------------------ inputs

    private void start() {
        if (state != Ikev1State.IDLE || !ctx.initiator) {
            ctx.drop("start_ignored");
            return;
        }
        boolean aggressive = ctx.tunnel.exchange() == IkeExchange.IKEV1_AGGRESSIVE;
        transition(aggressive ? Ikev1State.SETUP_LOCAL_AGGRESSIVE : Ikev1State.SETUP_LOCAL_MAIN, "start");
        phase1.start(aggressive);
    }

    private void received(IkeInput.Received r) {
        byte[] d = r.datagram();
        Ikev1DecodeResult<Ikev1Message> decoded = ctx.codec.decode(d);
        if (decoded instanceof Ikev1DecodeResult.Rejected<Ikev1Message> rej) {
            ctx.counters.increment(rej.counter());
            return;
        }
        Ikev1Message m = decoded.orElseThrow();
        Ikev1Header h = m.header();
        Ikev1Context.Flight flight = ctx.flights.get(h.messageId());
        if (flight != null && flight.lastReceived != null && java.util.Arrays.equals(flight.lastReceived, d)) {
            Instant now = ctx.now();
            if (!flight.replied) {
                ctx.drop("duplicate");
            } else if (flight.sentAt != null && now.isBefore(flight.sentAt.plus(DUPLICATE_QUIET))) {
                // copies arriving together (a duplicating network, or our own retransmission crossing the peer's)
                // get one answer, or each side would multiply the other's copies
                ctx.drop("duplicate_just_answered");
            } else {
                ctx.count("retransmission_answered");
                flight.sentAt = now;
                ctx.outputs.add(new IkeOutput.Send(flight.lastSent, ctx.local, ctx.remote));
            }
            return;
        }
        if (state == Ikev1State.CLOSED) {
            ctx.drop("closed");
            return;
        }
        if (state != Ikev1State.IDLE && (h.initiatorCookie() != ctx.ckyI
                || (ctx.ckyR != 0 && h.responderCookie() != ctx.ckyR))) {
            ctx.drop("wrong_cookie");
            return;
        }
        if (h.messageId() == 0) {
            phase1Message(m, r);
        } else {
            protectedMessage(m, r);
        }
    }

    private void phase1Message(Ikev1Message m, IkeInput.Received r) {
        Ikev1ExchangeType x = m.header().exchangeType();
        if (x == Ikev1ExchangeType.Known.INFORMATIONAL && m instanceof Ikev1Message.Plain p
                && (state == Ikev1State.SETUP_LOCAL_MAIN || state == Ikev1State.SETUP_LOCAL_AGGRESSIVE)
                && ctx.sa == null) {
            // before any key exists a refusal can only come in clear (NO_PROPOSAL_CHOSEN to message 1)
            p.first(Ikev1Payload.Notify.class).filter(n -> n.notifyType().isError()).ifPresentOrElse(
                    n -> fail(n.notifyType() == Ikev1NotifyType.Known.NO_PROPOSAL_CHOSEN
                            ? FailureReason.NO_PROPOSAL_CHOSEN : FailureReason.PROTOCOL_ERROR,
                            "the peer answered " + n.notifyType().name()), () -> ctx.drop("informational_in_clear"));
            return;
        }
        boolean main = x == Ikev1ExchangeType.Known.IDENTITY_PROTECTION;
        boolean aggressive = x == Ikev1ExchangeType.Known.AGGRESSIVE;
        if (!main && !aggressive || state == Ikev1State.ESTABLISHED) {
            ctx.drop("phase1_unexpected");
            return;
        }
        if (main != (ctx.tunnel.exchange() == IkeExchange.IKEV1_MAIN)) {
            ctx.drop("phase1_wrong_mode");
            if (state == Ikev1State.IDLE) {
                fail(FailureReason.NO_PROPOSAL_CHOSEN, "the peer started " + (main ? "main" : "aggressive")
                        + " mode; this tunnel is set to " + ctx.tunnel.exchange().keyword());
            }
            return;
        }
        Ikev1State before = state;
        byte[] sentBefore = ctx.flights.containsKey(0L) ? ctx.flight(0).lastSent : null;
        if (!ctx.initiator) {
            // nothing is established yet: the responder follows the initiator's float to port 4500
            ctx.local = r.to();
            ctx.remote = r.from();
            phase1.responderReceived(m, r.datagram());
        } else {
            phase1.initiatorReceived(m, r.datagram());
        }
        Ikev1Context.Flight f = ctx.flight(0);
        if (state != before || f.lastSent != sentBefore) {
            f.lastReceived = r.datagram();
            f.replied = f.lastSent != sentBefore;
            if (ctx.initiator) {
                f.awaiting = f.awaiting && state != Ikev1State.ESTABLISHED;
            }
        }
    }

    private void protectedMessage(Ikev1Message m, IkeInput.Received r) {
        if (state != Ikev1State.ESTABLISHED || ctx.sa == null) {
            ctx.drop("protected_before_phase1");
            return;
        }
        if (!(m instanceof Ikev1Message.Encrypted e)) {
            ctx.drop("unencrypted_after_phase1");
            return;
        }
        long mid = e.header().messageId();
        Ikev1ExchangeType x = e.header().exchangeType();
        boolean isQuick = x == Ikev1ExchangeType.Known.QUICK_MODE;
        if (!isQuick && x != Ikev1ExchangeType.Known.INFORMATIONAL) {
            ctx.drop("exchange_unsupported");
            return;
        }
        byte[] savedIv = ctx.sa.currentIv(mid);
        byte[] sentBefore = ctx.flights.containsKey(mid) ? ctx.flight(mid).lastSent : null;
        Optional<IsakmpSa.Opened> opened = ctx.sa.decrypt(mid, e.ciphertext().toByteArray());
        Optional<List<Ikev1Payload>> payloads = opened.flatMap(o -> ctx.codec.decodePayloads(e.firstPayload(),
                o.plaintext()).toOptional());
        if (payloads.isEmpty() || payloads.get().isEmpty()
                || !(payloads.get().getFirst() instanceof Ikev1Payload.Hash hash)) {
            ctx.drop("undecryptable");
            if (!isQuick || !quick.busy(mid)) {
                ctx.sa.forget(mid);
            }
            return;
        }
        byte[] plain = opened.get().plaintext();
        byte[] rest = Ikev1Raw.afterFirst(plain, Ikev1Raw.walk(plain, 0, e.firstPayload().value()));
        ctx.sa.commit(mid, opened.get().nextIv());
        boolean ok = isQuick ? quick.received(e.header(), hash, payloads.get(), rest)
                : info.received(mid, hash, payloads.get(), rest);
        if (!ok) {
            ctx.sa.commit(mid, savedIv);
            if (!quick.busy(mid)) {
                ctx.sa.forget(mid);
            }
            return;
        }
        if (isQuick) {
            Ikev1Context.Flight f = ctx.flight(mid);
            f.lastReceived = r.datagram();
            f.replied = f.lastSent != sentBefore;
        } else {
            ctx.sa.forget(mid);
        }
        ctx.lastInbound = ctx.now();
        info.alive();
        if (state == Ikev1State.ESTABLISHED) {
            ctx.local = r.to();
            ctx.remote = r.from();
        }
    }

    // ------------------------------------------------------------------------------------------------ timers

    private void tick() {
        Instant now = ctx.now();
        if (setupDeadline != null && state != Ikev1State.ESTABLISHED && state != Ikev1State.CLOSED
                && !now.isBefore(setupDeadline)) {
            fail(FailureReason.TIMEOUT, "phase 1 did not complete within " + ctx.halfOpen().toSeconds() + " s");
            return;
        }
        for (Map.Entry<Long, Ikev1Context.Flight> e : List.copyOf(ctx.flights.entrySet())) {
            Ikev1Context.Flight f = e.getValue();
            if (state == Ikev1State.CLOSED || !f.awaiting || f.next == null || now.isBefore(f.next)) {
                continue;
            }
            if (f.sends < ctx.settings.retransmit().size()) {
                f.next = now.plus(ctx.settings.retransmit().get(f.sends));
                f.sends++;
                f.sentAt = now;
                ctx.count("retransmitted");
                ctx.outputs.add(new IkeOutput.Send(f.lastSent, ctx.local, ctx.remote));
            } else {
                f.awaiting = false;
                if (e.getKey() == 0) {
                    fail(FailureReason.TIMEOUT, "no answer to our phase-1 message after "
                            + ctx.settings.retransmit().size() + " tries");
                    return;
                }
                quick.timedOut(e.getKey());
            }
        }
        if (state != Ikev1State.ESTABLISHED) {
            return;
        }
        if (phase1Expiry != null && !now.isBefore(phase1Expiry)) {
            close("phase-1 lifetime expired");
            return;
        }
        for (Retiring r : List.copyOf(retiring)) {
            if (!now.isBefore(r.deleteAt())) {
                retiring.remove(r);
                takeover.changed();
                info.sendDeleteEsp(List.of(r.spiIn()));
                ctx.output(new IkeOutput.ChildSaDeleted(r.spiIn(), r.spiOut()));
            }
        }
        for (Child c : List.copyOf(children)) {
            if (!now.isBefore(c.expireAt())) {
                ctx.count("child_expired");
                info.sendDeleteEsp(List.of(c.spiIn()));
                removeChild(c);
            } else if (c.rekeyAt() != null && !now.isBefore(c.rekeyAt())) {
                noLongerRekeyed(c);
                if (!quick.inFlight(c.local(), c.remote())) {
                    ctx.count("child_replacement_started");
                    quick.initiate(c.local(), c.remote(), c.spiIn());
                }
            }
        }
        takeover.tick(now);
        info.tick(now);
        Optional<Instant> keepalive = keepaliveDue();
        if (keepalive.isPresent() && !now.isBefore(keepalive.get())
                && ctx.outputs.stream().noneMatch(o -> o instanceof IkeOutput.Send)) {
            ctx.count("nat_keepalive_sent");
            ctx.output(IkeOutput.Send.natKeepalive(ctx.local, ctx.remote));
        }
    }

    /**
     * When the next NAT-T keepalive is due (RFC 3948 section 4): {@link IkeSettings#natKeepalive()} after we last
     * sent, while our own address is translated and we encapsulate.
     */
    private Optional<Instant> keepaliveDue() {
        if (state != Ikev1State.ESTABLISHED || !ctx.behindNat || !ctx.udpEncapsulation || ctx.lastSent == null
                || ctx.settings.natKeepalive().isZero()) {
            return Optional.empty();
        }
        return Optional.of(ctx.lastSent.plus(ctx.settings.natKeepalive()));
    }

    private void scheduleTimer() {
        Instant next = nextDeadline();
        if (next != null && !next.equals(timerSet)) {
            timerSet = next;
            ctx.output(new IkeOutput.SetTimer(next));
        }
    }

    /** When this session next needs a Tick, or null. */
    Instant nextDeadline() {
        Instant next = null;
        if (state != Ikev1State.CLOSED) {
            for (Ikev1Context.Flight f : ctx.flights.values()) {
                if (f.awaiting && f.next != null) {
                    next = earliest(next, f.next);
                }
            }
            if (state != Ikev1State.ESTABLISHED && setupDeadline != null) {
                next = earliest(next, setupDeadline);
            }
            if (state == Ikev1State.ESTABLISHED) {
                next = earliest(next, phase1Expiry);
                for (Child c : children) {
                    next = earliest(next, c.rekeyAt());
                    next = earliest(next, c.expireAt());
                }
                for (Retiring r : retiring) {
                    next = earliest(next, r.deleteAt());
                }
                Optional<Instant> dpd = info.dpdDue();
                if (dpd.isPresent()) {
                    next = earliest(next, dpd.get());
                }
                next = earliest(next, keepaliveDue().orElse(null));
                next = earliest(next, takeover.settleDue().orElse(null));
            }
        }
        return next;
    }

    private static Instant earliest(Instant a, Instant b) {
        if (b == null) {
            return a;
        }
        return a == null || b.isBefore(a) ? b : a;
    }

    // ------------------------------------------------------------------------------------------------ procedures' calls

    void transition(Ikev1State next, String why) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException(ctx.tunnel.label() + ": " + state + " -> " + next + " is not allowed ("
                    + why + ")");
        }
        LOG.debug("{} {}: {} -> {} ({})", ctx.tunnel.label(), ctx.id(), state, next, why);
        state = next;
    }

    /** The responder learned the mode from message 1. */
    void enter(Ikev1State setup) {
        transition(setup, "message 1");
        setupDeadline = ctx.now().plus(ctx.halfOpen());
    }

    void fail(FailureReason reason, String detail) {
        ctx.counters.increment("ikev1.engine.failed." + reason.name().toLowerCase(java.util.Locale.ROOT));
        ctx.output(new IkeOutput.NegotiationFailed(reason, detail));
        if (state != Ikev1State.CLOSED) {
            transition(Ikev1State.CLOSED, detail);
        }
    }

    void down(Optional<FailureReason> reason, String detail) {
        ctx.output(new IkeOutput.Phase1Down(ctx.id(), reason, detail));
        children.clear();
        retiring.clear();
        transition(Ikev1State.CLOSED, detail);
    }

    private void close(String why) {
        if (state == Ikev1State.ESTABLISHED) {
            retireNow();
            if (!children.isEmpty()) {
                info.sendDeleteEsp(children.stream().map(Child::spiIn).toList());
            }
            info.sendDeleteIsakmp();
            down(Optional.empty(), why);
        } else if (state != Ikev1State.CLOSED) {
            transition(Ikev1State.CLOSED, why);
        }
    }

    void established(IsakmpSa.Suite suite) {
        transition(Ikev1State.ESTABLISHED, "phase 1 authenticated");
        Instant now = ctx.now();
        ctx.lastInbound = now;
        long lifetime = Math.min(suite.lifetime(), ctx.tunnel.ikeSa().lifetime().toSeconds());
        phase1Expiry = now.plusSeconds(lifetime);
        if (ctx.initiator) {
            long ms = lifetime * 1000;
            reauthAt = now.plusMillis(ms * 8 / 10 + (ctx.env.random().nextLong() & 0x7fffffffL) % Math.max(1, ms / 10));
        }
        ctx.count(phase1.aggressive() ? "aggressive_mode_up" : "main_mode_up");
        if (ctx.tunnel.dpd().isPresent() && !ctx.peerDpd) {
            ctx.count("dpd_unsupported_by_peer");
        }
        ctx.output(new IkeOutput.Phase1Up(ctx.remote, ctx.id(), suite.encryption(), Optional.of(suite.hash()),
                suite.hash(), suite.group()));
        takeover.changed();
        if (ctx.initiator) {
            for (Network from : ctx.tunnel.from()) {
                for (Network to : ctx.tunnel.to()) {
                    IpFamily family = family(from, to);
                    quick.initiate(Flow.of(from, family), Flow.of(to, family), 0);
                }
            }
        }
    }

    private IpFamily family(Network a, Network b) {
        return a.family().or(b::family).orElse(IpAddresses.family(ctx.remote.getAddress()));
    }

    /** True if the flow {@code local} to {@code remote} lies within one from/to pair of the tunnel. */
    boolean flowAllowed(Flow local, Flow remote) {
        for (Network from : ctx.tunnel.from()) {
            for (Network to : ctx.tunnel.to()) {
                IpFamily family = IpAddresses.family(local.base());
                if (from.fits(family) && to.fits(family) && Flow.of(from, family).covers(local)
                        && Flow.of(to, family).covers(remote)) {
                    return true;
                }
            }
        }
        return false;
    }

    void installed(IkeOutput.ChildSaInstalled sa, Flow local, Flow remote, Duration lifetime, long replaces,
            boolean byUs) {
        Instant now = ctx.now();
        Instant rekeyAt = null;
        if (byUs && ctx.initiator) {
            long ms = lifetime.toMillis();
            long jitter = (ctx.env.random().nextLong() & 0x7fffffffL) % Math.max(1, ms / 10);
            rekeyAt = now.plusMillis(ms * 8 / 10 + jitter);
        }
        Optional<Child> old = children.stream().filter(c -> c.spiIn() == replaces).findFirst();
        children.add(new Child(sa.inboundSpi(), sa.outboundSpi(), local, remote, rekeyAt, now.plus(lifetime)));
        takeover.installed(sa.inboundSpi(), byUs);
        if (replaces != 0 && old.isPresent() && byUs) {
            // the new pair receives at once and sends once the old one is deleted, SWITCH_GRACE from now
            ctx.output(new IkeOutput.ChildSaRekeyed(old.get().spiIn(), old.get().spiOut(), sa, false, false, true));
            children.remove(old.get());
            retiring.add(new Retiring(old.get().spiIn(), old.get().spiOut(), now.plus(SWITCH_GRACE), old.get()));
        } else if (replaces != 0 && old.isPresent()) {
            ctx.output(new IkeOutput.ChildSaRekeyed(old.get().spiIn(), old.get().spiOut(), sa, true, false, false));
            info.sendDeleteEsp(List.of(old.get().spiIn()));
            removeChild(old.get());
        } else {
            ctx.output(sa);
        }
    }

    /** Deletes every replaced SA still in its grace (the ISAKMP SA ends). */
    private void retireNow() {
        if (!retiring.isEmpty()) {
            info.sendDeleteEsp(retiring.stream().map(r -> r.spiIn()).toList());
            retiring.forEach(r -> ctx.output(new IkeOutput.ChildSaDeleted(r.spiIn(), r.spiOut())));
            retiring.clear();
            takeover.changed();
        }
    }

    void removeChild(Child c) {
        children.remove(c);
        takeover.changed();
        ctx.output(new IkeOutput.ChildSaDeleted(c.spiIn(), c.spiOut()));
    }

    private Optional<Child> newestChild() {
        return state == Ikev1State.ESTABLISHED && !children.isEmpty() ? Optional.of(children.getLast())
                : Optional.empty();
    }

    /** Our current pair for exactly these flows, as {inbound SPI, outbound SPI}: a peer's quick mode replaces it. */
    Optional<long[]> pairFor(Flow local, Flow remote) {
        return children.stream().filter(c -> c.local().equals(local) && c.remote().equals(remote))
                .reduce((a, b) -> b).map(c -> new long[] {c.spiIn(), c.spiOut()});
    }

    /**
     * A peer's quick mode replaces our pair {@code old} ({inbound, outbound}): the new pair receives from now and
     * sends once message 3 came ({@link #sendingOn}); the old one is no longer ours to rekey and receives until the
     * peer deletes it or it expires.
     */
    void receiving(IkeOutput.ChildSaInstalled sa, Flow local, Flow remote, Duration lifetime, long[] old) {
        children.stream().filter(c -> c.spiIn() == old[0]).findFirst().ifPresent(this::noLongerRekeyed);
        children.add(new Child(sa.inboundSpi(), sa.outboundSpi(), local, remote, null, ctx.now().plus(lifetime)));
        takeover.receiving(sa.inboundSpi());
        ctx.output(new IkeOutput.ChildSaRekeyed(old[0], old[1], sa, false, false, false));
    }

    /** {@code c} stays until it expires or is deleted, but no rekey of ours is due for it any more. */
    private void noLongerRekeyed(Child c) {
        children.set(children.indexOf(c), new Child(c.spiIn(), c.spiOut(), c.local(), c.remote(), null,
                c.expireAt()));
    }

    /** The pair receiving on {@code spiIn} sends from now on. */
    void sendingOn(long spiIn) {
        takeover.sending(spiIn);
        ctx.output(new IkeOutput.ChildSaSending(spiIn));
    }

    /** A pair installed to receive whose quick mode never completed: deleted on both sides. */
    void withdraw(long spiIn, long spiOut) {
        if (children.removeIf(c -> c.spiIn() == spiIn)) {
            takeover.changed();
            info.sendDeleteEsp(List.of(spiIn));
            ctx.output(new IkeOutput.ChildSaDeleted(spiIn, spiOut));
        }
    }

    /** The peer deleted its inbound ESP SA {@code spi}: our outbound one. */
    void childDeletedByPeer(long spi) {
        Optional<Retiring> old = retiring.stream().filter(r -> r.spiOut() == spi).findFirst();
        if (old.isPresent()) {
            // the peer deleted the SA we replaced before our grace ended: the new one sends from now
            retiring.remove(old.get());
            takeover.changed();
            ctx.count("child_deleted_by_peer");
            ctx.output(new IkeOutput.ChildSaDeleted(old.get().spiIn(), old.get().spiOut()));
            return;
        }
        Optional<Child> c = children.stream().filter(x -> x.spiOut() == spi).findFirst();
        if (c.isEmpty()) {
            ctx.drop("delete_of_unknown_spi");
            return;
        }
        ctx.count("child_deleted_by_peer");
        removeChild(c.get());
    }

    void notifyPeer(Ikev1ProtocolId protocol, Octets spi, Ikev1NotifyType type) {
        info.sendNotify(protocol, spi, type);
    }

    void quickModeRefused(long ourSpi, Ikev1NotifyType type) {
        quick.refusedByPeer(ourSpi, type);
    }

    /** How many quick modes we initiated are in flight. */
    long quickModesInitiatedInFlight() {
        return quick.initiatedInFlight();
    }
}
