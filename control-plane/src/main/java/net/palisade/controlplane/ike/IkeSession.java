package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.DeletePayload;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.ProtocolId;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.SkfPayload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IKE SA's protocol engine (RFC 7296): a state machine over {@link IkeState}, where every input gives a
 * {@link Step} (the new state and the outputs) and every state change goes through {@link #transition}. The clock,
 * randomness, key exchange and our certificate credentials come from {@link IkeEnvironment}, so two sessions can
 * talk in memory.
 *
 * <p>This class is the coordinator: it owns the state, the queue of our requests (one in flight at a time), the
 * receive path (routing to an old IKE SA, the window's verdict, decryption and reassembly, dispatch by exchange)
 * and the timers. The procedures live beside it: {@link IkeSetup} (IKE_SA_INIT and IKE_AUTH, cookies, NAT
 * detection, authentication), {@link ChildSas} (the Child SAs, their rekeys and deletes, each a {@link ChildSa}
 * state machine), {@link IkeRekeying} (IKE SA rekey, lifetime, {@link OldIkeSa}s) and {@link Informational}
 * (Deletes, liveness checks every {@code dpd} of silence, NAT-T keepalives); each IKE SA has its own
 * {@link MessageWindow}.
 *
 * <p>Reliability (section 2.1 and 2.3): a window of one request each way; our request is retransmitted after 1, 2,
 * 4, 8 and 16 seconds and given up (TIMEOUT) after the fifth (or as {@link IkeSettings#retransmit} says); a
 * retransmitted peer request is answered from the cached response and never processed twice. Every dropped input
 * increments a named counter ({@link #counters()}).
 *
 * <p>Cookies (section 2.6): the initiator answers N(COOKIE) at most {@link #MAX_COOKIE_ROUNDS} times (the
 * responder's side is in {@link IkeManager}, which answers statelessly with {@link Cookies}). Fragmentation (RFC
 * 7383): once both peers announced IKEV2_FRAGMENTATION_SUPPORTED, an IKE_AUTH or later message larger than
 * {@link IkeSettings#fragmentPacketLimit()} goes out as SKF fragments ({@link Fragments}); a retransmission resends
 * every fragment, the cached response holds every fragment, and only fragment 1 of a retransmitted request makes us
 * resend it (section 2.6.1).
 *
 * <p>NAT traversal (section 2.23, RFC 3948): no NAT, IKE stays on port 500 and the Child SAs are plain ESP; a NAT
 * on either side (or a peer that fakes its hash to force encapsulation), IKE moves to port 4500 from IKE_AUTH on and
 * the Child SAs are ESP-in-UDP. The tunnel's {@code encap} (or {@link IkeSettings#forceUdpEncapsulation()}) forces
 * encapsulation on both sides. When our own address is translated, a NAT-T keepalive
 * ({@link IkeOutput.Send#natKeepalive}) goes out after every {@link IkeSettings#natKeepalive()} in which we sent
 * nothing.
 *
 * <p>Not thread-safe: one driver feeds one session.
 */
public final class IkeSession {
    private static final Logger LOG = LoggerFactory.getLogger(IkeSession.class);
    /** Retransmission timeouts, one per transmission; after the last one expires the exchange fails. */
    static final List<Duration> RETRANSMIT = IkeSettings.STANDARD_RETRANSMIT;
    /** How long a responder waits for IKE_AUTH after answering IKE_SA_INIT. */
    static final Duration HALF_OPEN = IkeSetup.HALF_OPEN;
    /** How many times an initiator answers N(COOKIE) before it gives up (RFC 7296 section 2.6). */
    static final int MAX_COOKIE_ROUNDS = IkeSetup.MAX_COOKIE_ROUNDS;

    private final boolean originalInitiator;
    private final EngineContext ctx;
    private final ChildSas children;
    private final ChildCreation creation;
    private final IkeRekeying rekeying;
    private final IkeSetup setup;
    private final Informational informational;
    private final MessageIdSync midSync;
    /** Resumed from the journal: {@link IkeInput.Start} re-synchronises message IDs with the peer. */
    private boolean resumed;

    private IkeState state = IkeState.IDLE;
    /** Our requests waiting for the window (one in flight at a time). */
    private final Deque<Request> queued = new ArrayDeque<>();
    private Instant timerSet;

    private IkeSession(List<IkeTunnel> candidates, boolean originalInitiator, InetSocketAddress local,
            InetSocketAddress remote, IkeEnvironment env, IkeSettings settings) {
        this.originalInitiator = originalInitiator;
        this.ctx = new EngineContext(candidates, originalInitiator, local, remote, env, settings);
        this.children = new ChildSas(ctx, this);
        this.creation = new ChildCreation(ctx, this, children);
        this.rekeying = new IkeRekeying(ctx, this);
        this.setup = new IkeSetup(ctx, this, children);
        this.informational = new Informational(ctx, this, children, rekeying);
        this.midSync = new MessageIdSync(ctx);
    }

    /**
     * A session that goes on with an IKE SA and its Child SAs as journaled ({@link IkeSaSnapshot}, the Child SAs
     * as the engine reported them), by this node before a restart or by the other node of a pair. It is established
     * at once and reports nothing; its first {@link IkeInput.Start} re-synchronises message IDs with the peer: by
     * RFC 6311 when the peer announced support in IKE_AUTH, else by rekeying the IKE SA. If that fails the IKE SA
     * goes down like any other ({@code Phase1Down}), and the driver starts a new one. {@code replaced}: Child SAs a
     * rekey replaced whose Delete was not journaled at the takeover ({@link IkeResumption.Old}).
     */
    static IkeSession resume(IkeTunnel tunnel, IkeSaSnapshot snapshot, List<IkeOutput.ChildSaInstalled> childSas,
            List<IkeResumption.Old> replaced, IkeEnvironment env, IkeSettings settings) {
        IkeSession s = new IkeSession(List.of(tunnel), snapshot.initiatorRole(), snapshot.local(), snapshot.remote(),
                env, settings);
        s.ctx.restore(snapshot);
        s.children.resume(childSas, replaced);
        s.state = IkeState.ESTABLISHED;
        s.rekeying.scheduleLifetime();
        s.resumed = true;
        s.ctx.count("resumed");
        return s;
    }

    /** A session that initiates to {@code remote} on {@link IkeInput.Start}. */
    public static IkeSession initiator(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env) {
        return initiator(tunnel, local, remote, env, IkeSettings.DEFAULT);
    }

    /** A session that initiates to {@code remote} on {@link IkeInput.Start}, with {@code settings}. */
    public static IkeSession initiator(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new IkeSession(List.of(tunnel), true, local, remote, env, settings);
    }

    /** A session that answers an IKE_SA_INIT request from {@code remote}, with {@code settings}. */
    public static IkeSession responder(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new IkeSession(List.of(tunnel), false, local, remote, env, settings);
    }

    /** A responder several tunnels accept: IKE_AUTH chooses one ({@link #tunnel()}, {@link TunnelChoice}). */
    public static IkeSession responder(List<IkeTunnel> candidates, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new IkeSession(candidates, false, local, remote, env, settings);
    }

    /** The tunnel this IKE SA belongs to (a responder's with several candidates: the one IKE_AUTH chose). */
    public IkeTunnel tunnel() {
        return ctx.tunnel;
    }

    /** When it next wants a {@link IkeInput.Tick}: its last {@link IkeOutput.SetTimer} (again after an early Tick). */
    public Optional<Instant> nextTimer() {
        return Optional.ofNullable(timerSet);
    }

    /** The result of one input: the state after it, and what to do and report, in order (a copy). */
    public record Step(IkeState state, List<IkeOutput> outputs) {
        public Step {
            outputs = List.copyOf(outputs);
        }
    }

    /** Handles one input. */
    public Step handle(IkeInput input) {
        ctx.outputs = new ArrayList<>();
        switch (input) {
            case IkeInput.Start s -> {
                if (resumed && state == IkeState.ESTABLISHED) {
                    resumed = false;
                    if (!rekeying.resendInFlight()) { // a rekey of ours in flight is finished instead
                        children.resendInFlight(); // a Child SA request of ours in flight goes again first
                        localRequest(ctx.resync());
                    }
                    children.deleteReplacedByUs(); // then our Deletes of the resumed Child SAs our rekeys replaced
                } else if (!originalInitiator || state != IkeState.IDLE) {
                    ctx.drop("start_ignored");
                } else {
                    setup.start();
                }
            }
            case IkeInput.Received r -> received(r);
            case IkeInput.Tick t -> tick();
            case IkeInput.CheckLiveness c -> localRequest(Request.of(Request.Kind.LIVENESS));
            case IkeInput.Close c -> localRequest(Request.of(Request.Kind.DELETE));
            case IkeInput.InboundTraffic t -> ctx.lastInbound = ctx.now();
            case IkeInput.RekeyChild r -> {
                Optional<ChildSa> newest = children.newestIdle();
                if (newest.isEmpty()) {
                    ctx.drop("rekey_without_child");
                } else {
                    newest.get().transition(ChildSa.State.REKEY_LOCAL, "rekey requested");
                    localRequest(new Request(Request.Kind.REKEY_CHILD, newest.get()));
                }
            }
            case IkeInput.SequenceSoftLimit l -> children.sequenceSoftLimit(l.outboundSpi())
                    .ifPresent(c -> localRequest(new Request(Request.Kind.REKEY_CHILD, c)));
            case IkeInput.DeleteChild d -> {
                Optional<ChildSa> newest = children.newestIdle();
                if (newest.isEmpty()) {
                    ctx.drop("delete_without_child");
                } else {
                    newest.get().transition(ChildSa.State.DELETE_LOCAL, "delete requested");
                    localRequest(new Request(Request.Kind.DELETE_CHILD, newest.get()));
                }
            }
            case IkeInput.RekeyIke r -> {
                if (state != IkeState.ESTABLISHED || rekeying.rekeying() || queuedKind(Request.Kind.REKEY_IKE)) {
                    ctx.drop("rekey_ike_ignored");
                } else {
                    localRequest(Request.of(Request.Kind.REKEY_IKE));
                }
            }
        }
        if (state == IkeState.ESTABLISHED) {
            // a Child SA lost by this input (our delete answered, the peer's delete) is re-created without waiting
            // for a timer when it is due now
            creation.tick(ctx.now(), queuedKind(Request.Kind.CREATE_CHILD));
            startQueued();
        }
        ctx.flushTakeoverState(state == IkeState.ESTABLISHED);
        if (state == IkeState.CLOSED) {
            rekeying.closed();
        }
        List<IkeOutput> outputs = ctx.outputs;
        if (outputs.stream().anyMatch(o -> o instanceof IkeOutput.Send)) {
            ctx.lastSent = ctx.now();
        }
        Instant next = nextDeadline();
        if (next != null && (!next.equals(timerSet) || input instanceof IkeInput.Tick && next.isAfter(ctx.now()))) {
            outputs.add(new IkeOutput.SetTimer(next));
        }
        timerSet = next;
        return new Step(state, outputs);
    }

    /** The current state. */
    public IkeState state() {
        return state;
    }

    /** The SPI pair (responder SPI 0 until known). */
    public IkeSaId id() {
        return ctx.id();
    }

    /**
     * The initiator SPIs of this session's IKE SAs: the current one, and earlier ones still being deleted after a
     * rekey. The driver routes messages with any of them here.
     */
    public Set<Long> initiatorSpis() {
        Set<Long> out = new LinkedHashSet<>();
        if (state != IkeState.CLOSED || ctx.sa.spiI != 0) {
            out.add(ctx.sa.spiI);
        }
        out.addAll(rekeying.oldInitiatorSpis());
        return out;
    }

    /** The negotiated IKE algorithms, once IKE_SA_INIT completed. */
    public Optional<IkeSuite> suite() {
        return Optional.ofNullable(ctx.sa.suite);
    }

    /** This session's counters. */
    public IkeCounters counters() {
        return ctx.counters;
    }

    /** The cipher protecting what we send, once IKE_SA_INIT completed (for tests in this package). */
    SkCipher outboundCipher() {
        return ctx.sa.outbound;
    }

    /** True if this side initiated the IKE SA. */
    public boolean originalInitiator() {
        return originalInitiator;
    }

    /**
     * Makes an initiator's IKE_AUTH request carry N(INITIAL_CONTACT) (RFC 7296 section 3.10.1: we hold no other IKE
     * SA with the peer, so it may delete any it still has with us). Call before {@link IkeInput.Start}.
     */
    public void sendInitialContact() {
        if (!originalInitiator) {
            throw new IllegalStateException("only the initiator sends INITIAL_CONTACT");
        }
        setup.sendInitialContact();
    }

    /**
     * True if the IKE_AUTH request that set up this IKE SA carried N(INITIAL_CONTACT): ours (as initiator, after
     * {@link #sendInitialContact()}), or the peer's (as responder, once that request was accepted).
     */
    public boolean initialContact() {
        return setup.initialContact();
    }

    /** The identity the peer authenticated with, once its IKE_AUTH request did (as responder; empty otherwise). */
    public Optional<net.palisade.model.wire.ikev2.IdPayload> peerId() {
        return setup.peerId();
    }

    // ------------------------------------------------------------------------------------------------ transitions

    /** The one place the state changes: checked against {@link IkeState#canMoveTo}, logged at debug level. */
    void transition(IkeState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("IKE SA " + id() + ": " + state + " -> " + next + " is not allowed");
        }
        LOG.debug("IKE SA {}: {} -> {}", id(), state, next);
        state = next;
        if (next == IkeState.CLOSED) {
            ctx.sa.window.complete();
            queued.clear();
            setup.stopHalfOpenTimer();
            // the ciphers may still protect this step's answer to the peer's delete: wiped when the step ends
            if (ctx.sa.keys != null) {
                ctx.sa.keys.wipe();
            }
        }
    }

    /** Setup failed: reported as NegotiationFailed, and the session is closed. */
    void fail(FailureReason reason, String detail) {
        ctx.counters.increment("ikev2.engine.failed." + reason.name().toLowerCase(Locale.ROOT));
        ctx.output(new IkeOutput.NegotiationFailed(reason, detail));
        transition(IkeState.CLOSED);
    }

    /** The established IKE SA ends: reported as Phase1Down, and the session is closed. */
    void down(Optional<FailureReason> reason, String detail) {
        ctx.output(new IkeOutput.Phase1Down(id(), reason, detail));
        transition(IkeState.CLOSED);
    }

    /** IKE_AUTH authenticated the peer: the IKE SA is up. */
    void established() {
        transition(IkeState.ESTABLISHED);
        rekeying.scheduleLifetime();
        ctx.count("established");
        IkeSuite suite = ctx.sa.suite;
        ctx.output(new IkeOutput.Phase1Up(ctx.remote, id(), suite.encryption(), suite.integrity(), suite.prf(),
                suite.group()));
        ctx.outputTakeoverState();
    }

    // ------------------------------------------------------------------------------------------ our request queue

    private void localRequest(Request r) {
        if (state == IkeState.CLOSED || state == IkeState.DELETE_LOCAL_INFO) {
            ctx.drop("request_after_close");
            return;
        }
        if (r.kind() == Request.Kind.DELETE && state != IkeState.ESTABLISHED) {
            down(Optional.empty(), "closed before established");
            return;
        }
        queued.add(r);
        startQueued();
    }

    void enqueue(Request r) {
        queued.add(r);
    }

    /** Queues {@code r} before anything else waiting (a Child SA delete that completes a rekey). */
    void enqueueFirst(Request r) {
        queued.addFirst(r);
    }

    void dequeue(Predicate<Request> which) {
        queued.removeIf(which);
    }

    private boolean queuedKind(Request.Kind kind) {
        return queued.stream().anyMatch(q -> q.kind() == kind) || ctx.inFlight(kind);
    }

    /** Sends the next queued request if the window is free (and, as initiator, first looks for redundant SAs). */
    void startQueued() {
        if (ctx.sa.initiatorRole && state == IkeState.ESTABLISHED && ctx.sa.window.idle() && queued.isEmpty()
                && !children.rekeying() && !rekeying.rekeying()) {
            children.queueRedundantDeletes();
        }
        while (state == IkeState.ESTABLISHED && ctx.sa.window.idle() && !queued.isEmpty()) {
            Request q = queued.poll();
            Request.Kind kind = q.kind();
            if (q.child() != null && kind != Request.Kind.DELETE_EXPIRED && !children.contains(q.child())) {
                ctx.drop("request_for_gone_child");
                continue;
            }
            switch (kind) {
                case REKEY_CHILD -> children.sendRekey(q.child());
                case CREATE_CHILD -> {
                    if (!creation.wanted()) {
                        ctx.drop("create_for_present_child");
                        continue;
                    }
                    creation.send();
                }
                case REKEY_IKE -> rekeying.sendRekey();
                case DELETE -> {
                    ctx.request(ExchangeType.Known.INFORMATIONAL, List.of(DeletePayload.ikeSa()), q);
                    transition(IkeState.DELETE_LOCAL_INFO);
                }
                case DELETE_CHILD, DELETE_EXPIRED -> ctx.request(ExchangeType.Known.INFORMATIONAL,
                        List.of(DeletePayload.childSas(ProtocolId.Known.ESP, q.child().spiIn)), q);
                case LIVENESS, SETUP -> ctx.request(ExchangeType.Known.INFORMATIONAL, List.of(), q);
                case MID_SYNC -> midSync.send(q);
            }
            return;
        }
    }

    // ---------------------------------------------------------------------------------------------- receive path

    private void received(IkeInput.Received r) {
        byte[] d = r.datagram();
        DecodeResult<IkeMessage> decoded = ctx.codec.decode(d);
        if (!(decoded instanceof DecodeResult.Ok<IkeMessage> ok)) {
            ctx.counters.increment(((DecodeResult.Rejected<IkeMessage>) decoded).counter());
            if (decoded instanceof DecodeResult.ProtectedError<IkeMessage> pe && state == IkeState.IDLE
                    && !originalInitiator) {
                // only an unencrypted request gets here (RFC 7296 sections 2.5, 2.21.1): answer in clear, keep no state
                ctx.codec.decodeHeader(d).toOptional().filter(h -> !h.response()
                        && h.exchangeType() == ExchangeType.Known.IKE_SA_INIT && h.messageId() == 0)
                        .ifPresent(h -> ctx.output(new IkeOutput.Send(ctx.codec.encode(IkeMessage.of(
                                IkeHeader.response(h.initiatorSpi(), 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                                pe.answer())), r.to(), r.from())));
            }
            return;
        }
        IkeMessage m = ok.value();
        IkeHeader h = m.header();
        if (!m.encrypted()) {
            ctx.trace(false, h, m.payloads());
        }
        Optional<OldIkeSa> old = rekeying.oldSaFor(h);
        if (old.isPresent()) {
            old.get().received(m, d, r.from(), r.to());
            return;
        }
        if (state != IkeState.IDLE && h.initiatorSpi() != ctx.sa.spiI) {
            ctx.drop("unknown_spi");
            return;
        }
        if (h.response()) {
            response(m, d);
        } else {
            request(m, d, r.from(), r.to());
        }
    }

    private void request(IkeMessage m, byte[] d, InetSocketAddress from, InetSocketAddress to) {
        IkeHeader h = m.header();
        if (h.initiator() == ctx.sa.initiatorRole) {
            ctx.drop("wrong_initiator_flag");
            return;
        }
        MessageWindow.Incoming verdict = ctx.sa.window.request(h.messageId(), d,
                fragment(m).map(SkfPayload::fragmentNumber).orElse(0));
        // RFC 6311: a resumed peer's sync request has message ID 0, outside the window; it is judged once decrypted
        boolean maybeSync = h.messageId() == 0 && h.exchangeType() == ExchangeType.Known.INFORMATIONAL
                && state == IkeState.ESTABLISHED;
        if (maybeSync && !(verdict instanceof MessageWindow.Incoming.Fresh)) {
            verdict = new MessageWindow.Incoming.OutOfWindow();
        }
        switch (verdict) {
            case MessageWindow.Incoming.Retransmitted rt -> {
                if (!ctx.fromPeer(from)) {
                    ctx.drop("retransmission_other_source");
                    return;
                }
                ctx.count("retransmission_answered");
                rt.response().forEach(x -> ctx.output(new IkeOutput.Send(x, to, from)));
                return;
            }
            case MessageWindow.Incoming.LaterFragment x -> {
                // RFC 7383 section 2.6.1: only fragment 1 of a retransmitted request makes us resend the response
                ctx.drop("fragment_retransmission_ignored");
                return;
            }
            case MessageWindow.Incoming.Differs x -> {
                ctx.drop("retransmission_differs");
                return;
            }
            case MessageWindow.Incoming.Fresh x -> { }
            case MessageWindow.Incoming.OutOfWindow x -> { }
        }
        if (state == IkeState.IDLE) {
            if (originalInitiator || h.exchangeType() != ExchangeType.Known.IKE_SA_INIT || m.encrypted()) {
                ctx.drop("unexpected_request");
                return;
            }
            ctx.remote = from;
            ctx.local = to;
            setup.initRequest(m, d);
            return;
        }
        if (state == IkeState.CLOSED || ctx.sa.inbound == null || h.responderSpi() != ctx.sa.spiR
                || (verdict instanceof MessageWindow.Incoming.OutOfWindow && !maybeSync)) {
            ctx.drop(state == IkeState.CLOSED ? "after_close" : "message_id_out_of_window");
            return;
        }
        IkeMessage in;
        byte[] first;
        switch (open(m, d)) {
            case Opened.Nothing x -> {
                return;
            }
            case Opened.Invalid invalid -> {
                // the integrity check passed but the inner payloads are invalid: answer with the notify
                answer(h, List.of(invalid.error().answer()), invalid.first());
                if (state == IkeState.SETUP_REMOTE_INIT) {
                    fail(FailureReason.PROTOCOL_ERROR, "invalid IKE_AUTH request: " + invalid.error().detail());
                }
                return;
            }
            case Opened.Message message -> {
                in = message.inner();
                first = message.first();
            }
        }
        if (!from.equals(ctx.remote) || !to.equals(ctx.local)) {
            // an authenticated request from a new address or port: answer there (NAT traversal, RFC 7296 section 2.23)
            ctx.count("peer_address_updated");
            ctx.remote = from;
            ctx.local = to;
        }
        ExchangeType ex = h.exchangeType();
        if (maybeSync && MessageIdSync.isRequest(h, in)) {
            // answered outside the window: the window continues at the IDs the exchange agreed
            midSync.answer(in, ex);
            return;
        }
        if (verdict instanceof MessageWindow.Incoming.OutOfWindow) {
            ctx.drop("message_id_out_of_window");
            return;
        }
        List<Payload> payloads;
        if (ex == ExchangeType.Known.IKE_AUTH && state == IkeState.SETUP_REMOTE_INIT) {
            payloads = setup.authRequest(in);
        } else if (ex == ExchangeType.Known.INFORMATIONAL && state != IkeState.SETUP_REMOTE_INIT) {
            payloads = informational.request(in);
        } else if (ex == ExchangeType.Known.CREATE_CHILD_SA && state == IkeState.ESTABLISHED) {
            payloads = createChildRequest(in);
        } else {
            ctx.drop("unexpected_exchange");
            return;
        }
        answer(h, payloads, first);
        rekeying.afterResponse();
    }

    /**
     * Sends our response to the request {@code h} and records it in the window: a retransmission of {@code request}
     * (its fragment 1 if fragmented) gets the same datagrams.
     */
    private void answer(IkeHeader h, List<Payload> payloads, byte[] request) {
        List<byte[]> response = ctx.protect(IkeHeader.response(ctx.sa.spiI, ctx.sa.spiR, h.exchangeType(),
                h.messageId(), ctx.sa.initiatorRole), payloads);
        ctx.send(response);
        ctx.sa.window.answered(h.messageId(), request, response);
    }

    /**
     * The peer's CREATE_CHILD_SA: rekeying one of our Child SAs or the IKE SA, or a new Child SA for the tunnel.
     */
    private List<Payload> createChildRequest(IkeMessage m) {
        Optional<NotifyPayload> rekeyNotify = m.notify(NotifyType.Known.REKEY_SA);
        Optional<SaPayload> saOffer = m.first(SaPayload.class);
        if (rekeyNotify.isEmpty() && saOffer.isPresent() && !saOffer.get().proposals().isEmpty()
                && saOffer.get().proposals().getFirst().protocol() == ProtocolId.Known.IKE) {
            boolean childBusy = ctx.inFlight().filter(q -> q.kind() != Request.Kind.LIVENESS
                    && q.kind() != Request.Kind.REKEY_IKE).isPresent() || children.rekeying();
            return rekeying.rekeyRequest(m, saOffer.get(), childBusy);
        }
        if (rekeyNotify.isEmpty()) {
            return creation.request(m, rekeying.rekeying());
        }
        if (rekeyNotify.get().protocol() != ProtocolId.Known.ESP) {
            ctx.count("create_child_sa_refused");
            return List.of(NotifyPayload.of(NotifyType.Known.NO_ADDITIONAL_SAS));
        }
        return children.rekeyRequest(m, rekeyNotify.get(), rekeying.rekeying());
    }

    private void response(IkeMessage m, byte[] d) {
        IkeHeader h = m.header();
        MessageWindow<IkeSa.Sent> window = ctx.sa.window;
        Optional<MessageWindow.Outstanding<IkeSa.Sent>> ours = window.outstanding();
        if (ours.isEmpty() || !window.awaits(h.messageId())
                || !h.exchangeType().equals(ours.get().purpose().exchange())
                || h.initiator() == ctx.sa.initiatorRole) {
            ctx.drop("unexpected_response");
            return;
        }
        if (h.exchangeType() == ExchangeType.Known.IKE_SA_INIT) {
            if (m.encrypted() || state != IkeState.SETUP_LOCAL_INIT) {
                ctx.drop("unexpected_response");
                return;
            }
            MessageWindow.Outstanding<IkeSa.Sent> was = window.complete().orElseThrow();
            setup.initResponse(m, d);
            if (state == IkeState.SETUP_LOCAL_INIT && window.idle()) {
                // not a usable answer (a payload was missing): keep waiting, and retransmitting
                window.restore(was);
            }
            return;
        }
        if (h.responderSpi() != ctx.sa.spiR) {
            ctx.drop("unknown_spi");
            return;
        }
        if (!(open(m, d) instanceof Opened.Message inner)) {
            return;
        }
        Request sent = window.complete().orElseThrow().purpose().request();
        if (h.exchangeType() == ExchangeType.Known.IKE_AUTH) {
            if (state != IkeState.SETUP_LOCAL_AUTH) {
                ctx.drop("unexpected_response");
                return;
            }
            setup.authResponse(inner.inner());
        } else if (h.exchangeType() == ExchangeType.Known.INFORMATIONAL && sent.kind() == Request.Kind.MID_SYNC) {
            if (midSync.response(inner.inner())) {
                startQueued();
            } else {
                down(Optional.of(FailureReason.PROTOCOL_ERROR), "the peer's answer to our message ID sync is unusable");
            }
        } else if (h.exchangeType() == ExchangeType.Known.INFORMATIONAL) {
            informational.response(sent);
        } else if (h.exchangeType() == ExchangeType.Known.CREATE_CHILD_SA) {
            if (sent.kind() == Request.Kind.REKEY_IKE) {
                rekeying.rekeyResponse(inner.inner());
            } else if (sent.kind() == Request.Kind.CREATE_CHILD) {
                creation.response(inner.inner());
            } else {
                children.rekeyResponse(inner.inner());
            }
        } else {
            ctx.drop("unexpected_response");
        }
    }

    /** What verifying and decrypting one received message gave. */
    private sealed interface Opened {
        /**
         * The message with its inner payloads decoded.
         *
         * @param first the datagram it came in (fragment 1, if fragmented): a retransmission repeats it
         */
        record Message(IkeMessage inner, byte[] first) implements Opened {}

        /** A request that passed its integrity check but whose inner payloads are invalid: answered with a notify. */
        record Invalid(DecodeResult.ProtectedError<List<Payload>> error, byte[] first) implements Opened {}

        /** Nothing to act on: dropped (and counted), or a fragment of a message still incomplete. */
        record Nothing() implements Opened {}
    }

    /** Verifies and decrypts; counts and drops what fails. */
    private Opened open(IkeMessage m, byte[] d) {
        if (!m.encrypted() || ctx.sa.inbound == null) {
            ctx.drop("not_encrypted");
            return new Opened.Nothing();
        }
        if (fragment(m).isPresent()) {
            return reassemble(m, d);
        }
        Optional<SkCipher.Opened> opened = ctx.sa.inbound.open(ctx.codec, d);
        if (opened.isEmpty()) {
            ctx.drop("integrity_failed");
            return new Opened.Nothing();
        }
        ctx.lastInbound = ctx.now();
        return inner(m, ctx.codec.decodeInner(m.header(), opened.get().firstInner(), opened.get().plaintext()), d);
    }

    /** One SKF fragment (RFC 7383): kept once verified; the whole message once every fragment is in. */
    private Opened reassemble(IkeMessage m, byte[] d) {
        if (!ctx.peerFragmentation) {
            ctx.drop("fragment_not_negotiated");
            return new Opened.Nothing();
        }
        if (!(ctx.sa.window.reassembler().offer(d, m.header(), ctx.sa.inbound)
                instanceof Fragments.Offer.Complete whole)) {
            return new Opened.Nothing();
        }
        ctx.lastInbound = ctx.now();
        return inner(m, whole.inner(), whole.firstFragment());
    }

    private static Optional<SkfPayload> fragment(IkeMessage m) {
        return m.payloads().isEmpty() || !(m.payloads().getLast() instanceof SkfPayload f) ? Optional.empty()
                : Optional.of(f);
    }

    /** The decoded inner payloads; a decoding error is counted (and, in a request, answered). */
    private Opened inner(IkeMessage m, DecodeResult<List<Payload>> inner, byte[] first) {
        if (!(inner instanceof DecodeResult.Ok<List<Payload>> ok)) {
            ctx.counters.increment(((DecodeResult.Rejected<List<Payload>>) inner).counter());
            if (inner instanceof DecodeResult.ProtectedError<List<Payload>> pe && !m.header().response()) {
                return new Opened.Invalid(pe, first);
            }
            return new Opened.Nothing();
        }
        ctx.trace(false, m.header(), ok.value());
        return new Opened.Message(m.withPayloads(ok.value()), first);
    }

    // ------------------------------------------------------------------------------------------------------ timers

    /**
     * The earliest of: retransmission, half-open limit, liveness check due (when {@code dpd} is configured), NAT-T
     * keepalive, the next rekey or expiry of the IKE SA or a Child SA, and the old IKE SAs' retransmissions.
     */
    private Instant nextDeadline() {
        Instant next = ctx.sa.window.deadline();
        if (state == IkeState.SETUP_REMOTE_INIT && setup.halfOpenDeadline().isPresent()) {
            next = EngineContext.earliest(next, setup.halfOpenDeadline().get());
        }
        Optional<Instant> dpd = informational.dpdDue(state);
        if (dpd.isPresent() && ctx.sa.window.idle()) {
            next = EngineContext.earliest(next, dpd.get());
        }
        Optional<Instant> keepalive = informational.keepaliveDue(state);
        if (keepalive.isPresent()) {
            next = EngineContext.earliest(next, keepalive.get());
        }
        if (state == IkeState.ESTABLISHED) {
            next = rekeying.nextDeadline(next);
            next = children.nextDeadline(next);
            next = creation.nextDeadline(next, queuedKind(Request.Kind.CREATE_CHILD));
        }
        return rekeying.oldSasDeadline(next);
    }

    private void tick() {
        Instant now = ctx.now();
        tickProtocol(now);
        informational.keepalive(state, now);
    }

    private void tickProtocol(Instant now) {
        rekeying.tickOldSas(now);
        if (state == IkeState.SETUP_REMOTE_INIT
                && setup.halfOpenDeadline().filter(t -> !now.isBefore(t)).isPresent()) {
            fail(FailureReason.TIMEOUT, "no IKE_AUTH request within " + HALF_OPEN.toSeconds() + " s");
            return;
        }
        switch (ctx.sa.window.tick(now)) {
            case MessageWindow.Timer.GaveUp<IkeSa.Sent> g -> {
                MessageWindow.Outstanding<IkeSa.Sent> o = g.request();
                String what = o.purpose().exchange().name() + " request #" + o.messageId() + " unanswered after "
                        + o.transmissions() + " transmissions";
                if (state == IkeState.ESTABLISHED || state == IkeState.DELETE_LOCAL_INFO) {
                    ctx.count("peer_dead");
                    down(Optional.of(FailureReason.TIMEOUT), what);
                } else {
                    fail(FailureReason.TIMEOUT, what);
                }
                return;
            }
            case MessageWindow.Timer.Resend<IkeSa.Sent> resend -> {
                ctx.count("retransmitted");
                ctx.send(resend.datagrams());
            }
            case MessageWindow.Timer.Waiting<IkeSa.Sent> w -> { }
        }
        if (state != IkeState.ESTABLISHED) {
            return;
        }
        if (rekeying.expired(now)) {
            // not rekeyed in time (the peer refused, or did not answer): the IKE SA and its Child SAs end
            ctx.count("ike_expired");
            informational.closing("IKE SA lifetime expired");
            queued.clear();
            if (!ctx.sa.window.idle()) {
                down(Optional.empty(), informational.closeDetail());
                return;
            }
            localRequest(Request.of(Request.Kind.DELETE));
            return;
        }
        children.tick(now);
        creation.tick(now, queuedKind(Request.Kind.CREATE_CHILD));
        if (!queuedKind(Request.Kind.REKEY_IKE) && rekeying.takeDue(now)) {
            queued.add(Request.of(Request.Kind.REKEY_IKE));
        }
        if (informational.takeLivenessDue(state, now, ctx.sa.window.idle() && queued.isEmpty())) {
            queued.add(Request.of(Request.Kind.LIVENESS));
        }
        startQueued();
    }
}
