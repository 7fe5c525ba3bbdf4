package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.palisade.dataplane.worker.IkeSink;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.wire.ikev1.Ikev1Header;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.SaPayload;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an inbound IKE message goes: to the session actor registered for its initiator SPI, or, for an IKE_SA_INIT
 * request with an unknown SPI, to a new responder of a {@code passive} tunnel whose peer (or no peer) matches the
 * sender, or to the actor of an {@code active}/{@code dynamic} tunnel whose peer it is ({@link
 * IkeSessionActor.Answer}). When several tunnels accept the sender, the first ({@link #candidatesOf}) answers and
 * the peer's IKE_AUTH chooses among them all; an IKE SA that chose another is handed to that tunnel's actor
 * ({@link IkeSessionActor.Adopt}). Anything else is dropped and counted ({@link #counters()}). ISAKMP 1.0 (IKEv1)
 * datagrams, told apart by the header's major version, take the same way by initiator cookie ({@link #receiveV1}).
 *
 * <p>Threads: {@link #sink()} never waits (a dataplane worker must never block): a message for a registered SPI goes
 * to its actor from the caller's thread while the inbox is empty, anything else is queued on a bounded inbox; one
 * control-plane thread dispatches the queue in order, and may wait there for a route lookup ({@link
 * PeerResolver#localFor}). A full inbox drops the message ({@code ikev2.dispatch.inbox-full}): the peer retransmits.
 *
 * <p>Unauthenticated input changes nothing that is established: a new IKE_SA_INIT for a tunnel that has a session
 * actor (passive or not) goes to that actor as an {@link IkeSessionActor.Answer}, which negotiates it beside the
 * tunnel's IKE SA; only a passive tunnel without one gets a new responder actor. A request without the SA, KE and
 * Nonce payloads every IKE_SA_INIT needs is dropped and counted here ({@code ikev2.dispatch.malformed-init}).
 *
 * <p>Admission (RFC 7296 section 2.6): IKE_SA_INIT requests handed to a responder are counted, per source address and
 * in all, from the request until their Phase1Up ({@link HalfOpen#remove}) or {@link IkeSession#HALF_OPEN}: one that
 * failed, or was replaced by a newer request beside the same IKE SA, still counts until then, so a flood of spoofed
 * requests makes the count grow. While there are at least {@link Cookies#threshold()} of them, or {@link
 * Cookies#perSourceThreshold()} from the request's source, a request without a valid COOKIE is answered
 * statelessly with N(COOKIE) through the transport and starts nothing (no Diffie-Hellman, no actor, no route
 * lookup). Log lines about unsolicited requests are rate-limited per source and in all ({@link LogLimit}).
 *
 * <p>Routes: {@link #register}ed by the session actors themselves, or by the node for an actor it starts with an IKE
 * SA or hands one to ({@link StarterRoutes}, unregistered when that actor ends); a new responder registers its SPI
 * before it answers. A route the dispatcher sets up for a request it hands to a running actor as an {@link
 * IkeSessionActor.Answer} (so that its retransmissions follow it) is pending: it is dropped once the actor registers
 * or unregisters the SPI, and in any case after {@link IkeSession#HALF_OPEN}, so an actor that ended (or refused the
 * request) without registering leaves nothing behind ({@link #routes()}).
 */
final class IkeDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IkeDispatcher.class);

    /** Messages queued between the transport and the dispatch thread at most. */
    static final int INBOX = 4096;

    /** What the dispatcher needs from the node: its tunnels and their session actors. */
    interface Tunnels {
        /** The tunnels this node runs. */
        Collection<IkeTunnel> tunnels();

        /** Whether sessions can start (the control plane is attached and the node not closing). */
        boolean ready();

        /** The running session actor of {@code label}, if any. */
        Optional<ActorRef<IkeSessionActor.Command>> session(String label);

        /**
         * The running session actor of {@code label} for a new IKE SA that {@code first} (its IKE_SA_INIT, or IKEv1
         * phase-1 message 1) starts: the tunnel's one, or on an any-peer passive tunnel, which holds one IKE SA per
         * peer, that peer's (by the aggressive-mode ID, or by address and NAT port).
         */
        default Optional<ActorRef<IkeSessionActor.Command>> session(String label, IkeSessionActor.Inbound first) {
            return session(label);
        }

        /** Starts a responder for passive {@code tunnel}, which has no session actor, with {@code first}. */
        ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first);

        /**
         * Starts a responder for passive {@code tunnel}, which has no session actor, with {@code first}, which
         * {@code candidates} (every IKEv2 tunnel that accepts its sender, {@code tunnel} first) accept: its IKE_AUTH
         * chooses among them.
         */
        default ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, List<IkeTunnel> candidates,
                InetSocketAddress local, IkeSessionActor.Inbound first) {
            return respond(tunnel, local, first);
        }
    }

    private final Tunnels tunnels;
    private final PeerResolver resolver;
    private final Cookies cookies;
    private final IkeTransport transport;
    private final Ikev2Codec codec = Ikev2Codec.standard();
    private final HalfOpen halfOpen;
    private final Map<Long, ActorRef<IkeSessionActor.Command>> bySpi = new ConcurrentHashMap<>();
    /** Routes of requests handed to an actor that has not registered them (yet). */
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** The pending SPIs in the order they were added, to expire them. Dispatch thread only. */
    private final java.util.ArrayDeque<Long> pendingOrder = new java.util.ArrayDeque<>();
    private final InstantSource clock;
    private final LogLimit logLimit;
    private final IkeCounters counters = new IkeCounters();
    private final ThreadPoolExecutor inbox;
    /** Messages handed to the dispatch thread and not yet dispatched (queued, or being dispatched). */
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param tunnels   the node's tunnels and sessions
     * @param resolver  peer names and routes
     * @param cookies   when requests must carry a cookie
     * @param transport where cookie challenges go
     * @param clock     the clock of half-open IKE SAs
     */
    IkeDispatcher(Tunnels tunnels, PeerResolver resolver, Cookies cookies, IkeTransport transport,
            InstantSource clock) {
        this.tunnels = Objects.requireNonNull(tunnels, "tunnels");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.cookies = Objects.requireNonNull(cookies, "cookies");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.halfOpen = new HalfOpen(clock);
        this.logLimit = new LogLimit(clock);
        this.inbox = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(INBOX), r -> {
            Thread t = new Thread(r, "palisade-ike-dispatch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Where both ports hand their messages, never waiting. A message for an initiator SPI a session actor has
     * registered goes to that actor from the caller's thread ({@link #direct}) while nothing is queued for the
     * dispatch thread; everything else is queued for it. A datagram then reaches its session without waking the
     * dispatch thread (two of an IKEv2 setup's three requests: IKE_AUTH and the Delete), and a caller's messages
     * still reach the actors in the order it handed them over: while one of them waits in the inbox or is being
     * dispatched, the next waits behind it.
     */
    IkeSink sink() {
        return (from, local, message) -> {
            if (queued.get() == 0 && direct(from, local, message)) {
                return;
            }
            queued.incrementAndGet();
            try {
                inbox.execute(() -> {
                    try {
                        receive(from, local, message);
                    } catch (RuntimeException e) {
                        log.error("IKE message from {} not dispatched", from, e);
                    } finally {
                        queued.decrementAndGet();
                    }
                });
            } catch (RejectedExecutionException e) {
                queued.decrementAndGet();
                count(closed ? "ikev2.dispatch.closed" : "ikev2.dispatch.inbox-full");
            }
        };
    }

    /**
     * Hands {@code message} to the actor registered for its initiator SPI (IKEv1: cookie), as {@link #receive}
     * would, and says so; false (nothing done) for anything else — no such route, a route still pending, a header
     * the decoder refuses (counted there) — which then takes the dispatch thread's way. Any thread: it reads only the
     * concurrent route map and never waits.
     */
    private boolean direct(InetSocketAddress from, InetSocketAddress local, byte[] message) {
        if (closed) {
            return false;
        }
        long spi;
        if (ikev1(message)) {
            if (message.length < Ikev1Header.LENGTH) {
                return false;
            }
            spi = java.nio.ByteBuffer.wrap(message).getLong(0);
        } else if (codec.decodeHeader(message) instanceof DecodeResult.Ok<IkeHeader> ok) {
            spi = ok.value().initiatorSpi();
        } else {
            return false;
        }
        ActorRef<IkeSessionActor.Command> a = bySpi.get(spi);
        if (a == null) {
            return false;
        }
        if (log.isDebugEnabled()) {
            log.debug("IKE message from {} (SPI {}) to {}", from, Long.toHexString(spi), a.path().name());
        }
        a.tell(new IkeSessionActor.Inbound(message, from, local));
        return true;
    }

    /** The half-open responder IKE SAs. */
    HalfOpen halfOpen() {
        return halfOpen;
    }

    /** Routes messages with this initiator SPI to {@code actor}. */
    void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        bySpi.put(initiatorSpi, actor);
        pending.remove(initiatorSpi);
    }

    /**
     * Stops routing them to {@code actor}. A half-open IKE SA still counts until {@link IkeSession#HALF_OPEN} (see
     * the class comment).
     */
    void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        bySpi.remove(initiatorSpi, actor);
        pending.computeIfPresent(initiatorSpi, (k, p) -> p.actor().equals(actor) ? null : p);
    }

    /** Whether messages with this initiator SPI go to {@code actor} ({@link #register}ed, not pending). */
    boolean routesTo(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        return actor.equals(bySpi.get(initiatorSpi));
    }

    /**
     * {@code actor} has stopped: the routes the dispatcher set up towards it (pending) go — those registered are
     * unregistered by whoever registered them (the actor, {@link StarterRoutes}) — and a request it was handed but
     * never took (an IKE_SA_INIT that reached a passive tunnel's session just as the peer's Delete ended it) is
     * dispatched again at once, rather than lost until the peer retransmits it (a second later, or never: the IKE
     * load generator saw such setups time out). Runs on the dispatch thread, after every message dispatched before it.
     */
    void forget(ActorRef<IkeSessionActor.Command> actor) {
        try {
            inbox.execute(() -> dropPending(actor, true));
        } catch (RejectedExecutionException e) {
            dropPending(actor, false); // not on the dispatch thread: the peer's retransmission is dispatched afresh
        }
    }

    private void dropPending(ActorRef<IkeSessionActor.Command> actor, boolean redispatch) {
        List<IkeSessionActor.Inbound> untaken = new ArrayList<>();
        synchronized (this) {
            pending.values().removeIf(p -> {
                boolean its = p.actor().equals(actor);
                if (its) {
                    untaken.add(p.first());
                }
                return its;
            });
        }
        // requests it was handed but never took (it was ending as they came: the peer's next IKE SA right after its
        // Delete) are dispatched again now that it is gone, instead of waiting for the peer's retransmission
        if (!redispatch) {
            return;
        }
        for (IkeSessionActor.Inbound in : untaken) {
            count(ikev1(in.datagram()) ? "ikev1.dispatch.redispatched" : "ikev2.dispatch.redispatched");
            receive(in.from(), in.to(), in.datagram());
        }
    }

    /** How many initiator SPIs are routed (registered or pending); expired pending routes are dropped first. */
    int routes() {
        expirePending();
        return bySpi.size() + pending.size();
    }

    /** The drop counters: {@code ikev2.dispatch.<why>} and the header decoder's {@code ikev2.decode.<reason>}. */
    Map<String, Long> counters() {
        synchronized (counters) {
            return counters.snapshot();
        }
    }

    /** Counts {@code name} among {@link #counters()}. */
    void count(String name) {
        synchronized (counters) {
            counters.increment(name);
        }
    }

    /** Whether {@code message} is ISAKMP 1.0 (IKEv1): the major version in its header's version octet. */
    private static boolean ikev1(byte[] message) {
        return message.length > 17 && (message[17] & 0xff) >>> 4 == Ikev1Header.MAJOR_VERSION;
    }

    /** Routes one IKE message (without the non-ESP marker) to its session, or starts one. Dispatch thread only. */
    void receive(InetSocketAddress from, InetSocketAddress local, byte[] message) {
        if (closed) {
            return;
        }
        if (ikev1(message)) {
            receiveV1(from, local, message);
            return;
        }
        DecodeResult<IkeHeader> decoded = codec.decodeHeader(message);
        if (!(decoded instanceof DecodeResult.Ok<IkeHeader> ok)) {
            if (decoded instanceof DecodeResult.Rejected<IkeHeader> r) {
                count(r.counter());
                log.debug("IKE message from {} dropped: {}", from, r.detail());
            }
            return;
        }
        IkeHeader h = ok.value();
        IkeSessionActor.Inbound in = new IkeSessionActor.Inbound(message, from, local);
        expirePending();
        ActorRef<IkeSessionActor.Command> a = bySpi.get(h.initiatorSpi());
        if (a == null) {
            Pending p = pending.get(h.initiatorSpi());
            a = p == null ? null : p.actor();
        }
        if (a != null) {
            if (log.isDebugEnabled()) {
                log.debug("IKE message from {} (SPI {}, {}) to {}", from, Long.toHexString(h.initiatorSpi()),
                        h.exchangeType(), a.path().name());
            }
            a.tell(in);
            return;
        }
        if (h.responderSpi() != 0 || h.exchangeType() != ExchangeType.Known.IKE_SA_INIT || !h.initiator()
                || h.response()) {
            count("ikev2.dispatch.unknown-spi");
            log.debug("IKE message from {} for no session (SPI {}), dropped", from,
                    Long.toHexString(h.initiatorSpi()));
            return;
        }
        if (!tunnels.ready()) {
            count("ikev2.dispatch.not-ready");
            return;
        }
        List<IkeTunnel> candidates = candidatesOf(from.getAddress());
        Optional<IkeTunnel> tunnel = candidates.stream().findFirst();
        if (tunnel.isEmpty()) {
            count("ikev2.dispatch.no-tunnel");
            boolean refreshed = resolver.refreshNames(tunnels.tunnels());
            if (!logLimit.allow(from.getAddress())) {
                count("ikev2.dispatch.log-suppressed");
            } else if (refreshed) {
                log.info("IKE_SA_INIT from {}: no tunnel accepts this peer (yet); dropped, and the tunnels' peer "
                        + "names are resolved again for its retransmission", from);
            } else {
                log.info("IKE_SA_INIT from {}: no tunnel accepts this peer; dropped", from);
            }
            return;
        }
        if (!wellFormedInit(message)) {
            count("ikev2.dispatch.malformed-init");
            log.debug("IKE_SA_INIT from {} without SA, KE or Nonce payload, dropped", from);
            return;
        }
        String label = tunnel.get().label();
        int all = halfOpen.count();
        int fromSource = halfOpen.count(from.getAddress());
        switch (cookies.admit(codec, message, from.getAddress(), all, fromSource)) {
            case Cookies.Verdict.Challenge challenge -> {
                log.debug("IKE_SA_INIT from {}: {} half-open IKE SAs ({} from there), answered with a cookie", from,
                        all, fromSource);
                transport.send(new IkeOutput.Send(challenge.response(), local, from));
                return;
            }
            case Cookies.Verdict.Drop drop -> {
                count("ikev2.dispatch.cookie-drop");
                log.debug("IKE_SA_INIT from {} dropped: {}", from, drop.reason());
                return;
            }
            case Cookies.Verdict.Proceed proceed -> {
                // a new IKE SA
            }
        }
        try {
            InetAddress me = local.getAddress().isAnyLocalAddress()
                    ? resolver.localFor(tunnel.get(), from.getAddress()) : local.getAddress();
            InetSocketAddress ours = new InetSocketAddress(me, local.getPort());
            Optional<ActorRef<IkeSessionActor.Command>> own = tunnels.session(label, in);
            if (own.isPresent()) {
                // beside the tunnel's IKE SA, which only an authenticated successor may replace; retransmissions
                // of the request follow the Answer as Inbound (by SPI)
                halfOpen.add(h.initiatorSpi(), from.getAddress());
                addPending(h.initiatorSpi(), own.get(), in);
                if (log.isDebugEnabled()) {
                    log.debug("tunnel {}: IKE_SA_INIT from {} (SPI {}) answered beside its session {}", label, from,
                            Long.toHexString(h.initiatorSpi()), own.get().path().name());
                }
                own.get().tell(new IkeSessionActor.Answer(in, ours, candidates));
                return;
            }
            if (tunnel.get().mode() != IkeMode.PASSIVE) {
                count("ikev2.dispatch.not-running");
                if (logLimit.allow(from.getAddress())) {
                    log.info("IKE_SA_INIT from {}: tunnel {} is not running; dropped", from, label);
                }
                return;
            }
            halfOpen.add(h.initiatorSpi(), from.getAddress());
            // no route here: the responder registers its SPI before it answers, and may have ended already (a
            // request answered statelessly, e.g. INVALID_KE_PAYLOAD, whose retry with the same SPI must start anew);
            // a retransmission before it registered finds it as the tunnel's session
            tunnels.respond(tunnel.get(), candidates, ours, in);
            log.debug("tunnel {}: responding to IKE_SA_INIT from {}", label, from);
        } catch (IOException | RuntimeException e) {
            count("ikev2.dispatch.no-local-address");
            log.error("tunnel {}: cannot answer {}: {}", label, from, e.toString());
        }
    }

    /**
     * An ISAKMP (IKEv1) message: to the session of its initiator cookie, or, for a phase-1 message 1 in clear, to a
     * new responder of a {@code passive} IKEv1 tunnel ({@link #tunnelOfV1}). IKEv1 has no stateless cookie
     * challenge: while {@link #V1_HALF_OPEN} responders are half-open, or {@link #V1_HALF_OPEN_PER_SOURCE} from the
     * message's source, a new one is dropped and counted ({@code ikev1.dispatch.half-open-limit}); the peer
     * retransmits.
     */
    private void receiveV1(InetSocketAddress from, InetSocketAddress local, byte[] message) {
        if (message.length < Ikev1Header.LENGTH) {
            count("ikev1.dispatch.short");
            return;
        }
        long cookie = java.nio.ByteBuffer.wrap(message).getLong(0);
        long responderCookie = java.nio.ByteBuffer.wrap(message).getLong(8);
        IkeSessionActor.Inbound in = new IkeSessionActor.Inbound(message, from, local);
        expirePending();
        ActorRef<IkeSessionActor.Command> a = bySpi.get(cookie);
        if (a == null) {
            Pending p = pending.get(cookie);
            a = p == null ? null : p.actor();
        }
        if (a != null) {
            a.tell(in);
            return;
        }
        Optional<Ikev1Engine.FirstMessage> first = responderCookie == 0 ? Ikev1Engine.firstMessage(message)
                : Optional.empty();
        if (first.isEmpty()) {
            count(responderCookie == 0 && cookie != 0 ? "ikev1.dispatch.malformed-first"
                    : "ikev1.dispatch.unknown-cookie");
            log.debug("ISAKMP message from {} for no session (cookie {}), dropped", from, Long.toHexString(cookie));
            return;
        }
        if (!tunnels.ready()) {
            count("ikev1.dispatch.not-ready");
            return;
        }
        Optional<IkeTunnel> tunnel = tunnelOfV1(from.getAddress(), first.get());
        if (tunnel.isEmpty()) {
            count("ikev1.dispatch.no-tunnel");
            boolean refreshed = resolver.refreshNames(tunnels.tunnels());
            if (!logLimit.allow(from.getAddress())) {
                count("ikev1.dispatch.log-suppressed");
            } else {
                log.info("IKEv1 {} mode message 1 from {}: no IKEv1 tunnel accepts this peer{}; dropped",
                        first.get().aggressive() ? "aggressive" : "main", from,
                        refreshed ? " (yet; the tunnels' peer names are resolved again)" : "");
            }
            return;
        }
        String label = tunnel.get().label();
        if (halfOpen.count() >= V1_HALF_OPEN || halfOpen.count(from.getAddress()) >= V1_HALF_OPEN_PER_SOURCE) {
            count("ikev1.dispatch.half-open-limit");
            if (logLimit.allow(from.getAddress())) {
                log.info("IKEv1 message 1 from {}: too many half-open IKE SAs ({}, {} from there); dropped", from,
                        halfOpen.count(), halfOpen.count(from.getAddress()));
            }
            return;
        }
        try {
            InetAddress me = local.getAddress().isAnyLocalAddress()
                    ? resolver.localFor(tunnel.get(), from.getAddress()) : local.getAddress();
            InetSocketAddress ours = new InetSocketAddress(me, local.getPort());
            Optional<ActorRef<IkeSessionActor.Command>> own = tunnels.session(label, in);
            if (own.isPresent()) {
                halfOpen.add(cookie, from.getAddress());
                addPending(cookie, own.get(), in);
                own.get().tell(new IkeSessionActor.Answer(in, ours));
                return;
            }
            if (tunnel.get().mode() != IkeMode.PASSIVE) {
                count("ikev1.dispatch.not-running");
                if (logLimit.allow(from.getAddress())) {
                    log.info("IKEv1 message 1 from {}: tunnel {} is not running; dropped", from, label);
                }
                return;
            }
            halfOpen.add(cookie, from.getAddress());
            tunnels.respond(tunnel.get(), ours, in);
            log.debug("tunnel {}: responding to IKEv1 {} mode from {}", label,
                    first.get().aggressive() ? "aggressive" : "main", from);
        } catch (IOException | RuntimeException e) {
            count("ikev1.dispatch.no-local-address");
            log.error("tunnel {}: cannot answer {}: {}", label, from, e.toString());
        }
    }

    /** Half-open IKEv1 responders in all above which message 1s are dropped. */
    static final int V1_HALF_OPEN = 100;
    /** Half-open IKEv1 responders from one address above which its message 1s are dropped. */
    static final int V1_HALF_OPEN_PER_SOURCE = 10;

    /**
     * The IKEv1 tunnel of the phase-1 exchange {@code first} from {@code from}: among the IKEv1 tunnels of its
     * mode whose peer is {@code from} (or, if passive, that have no peer), passive first. Main mode has no ID yet
     * (it comes encrypted): the first such tunnel. Aggressive mode's ID picks among several: a tunnel whose dstid is
     * that ID, then one naming {@code from} as peer, then one without dstid.
     */
    private Optional<IkeTunnel> tunnelOfV1(InetAddress from, Ikev1Engine.FirstMessage first) {
        IkeExchange mode = first.aggressive() ? IkeExchange.IKEV1_AGGRESSIVE : IkeExchange.IKEV1_MAIN;
        java.util.List<IkeTunnel> candidates = new java.util.ArrayList<>();
        for (IkeTunnel t : tunnels.tunnels()) {
            if (t.exchange() != mode) {
                continue;
            }
            boolean named = t.peers().stream().anyMatch(p -> resolver.isPeer(p, from));
            if (named || (t.mode() == IkeMode.PASSIVE && t.peers().isEmpty())) {
                candidates.add(t);
            }
        }
        candidates.sort(java.util.Comparator.comparing(t -> t.mode() == IkeMode.PASSIVE ? 0 : 1));
        if (candidates.size() <= 1 || !first.aggressive() || first.id().isEmpty()) {
            return candidates.stream().findFirst();
        }
        Optional<String> id = Ikev1Ids.text(first.id().get());
        return candidates.stream()
                .filter(t -> t.dstId().isPresent() && id.isPresent() && Ikev1Ids.same(t.dstId().get(), id.get()))
                .findFirst()
                .or(() -> candidates.stream()
                        .filter(t -> t.peers().stream().anyMatch(p -> resolver.isPeer(p, from))
                                && t.dstId().isEmpty())
                        .findFirst())
                .or(() -> candidates.stream().filter(t -> t.dstId().isEmpty()).findFirst());
    }

    /** Whether an IKE_SA_INIT request decodes with the SA, KE and Nonce payloads; one that does not decode may. */
    private static boolean wellFormedInit(byte[] message) {
        // the generic payload headers only (next payload, length): the engine decodes the bodies, once
        int sa = 33;
        int ke = 34;
        int nonce = 40;
        boolean hasSa = false;
        boolean hasKe = false;
        boolean hasNonce = false;
        int next = message[16] & 0xff;
        int at = IkeHeader.LENGTH;
        while (next != 0) {
            if (at + 4 > message.length) {
                return true; // the engine answers some malformed requests (INVALID_SYNTAX) statelessly
            }
            int length = ((message[at + 2] & 0xff) << 8) | (message[at + 3] & 0xff);
            if (length < 4 || at + length > message.length) {
                return true;
            }
            hasSa |= next == sa;
            hasKe |= next == ke;
            hasNonce |= next == nonce;
            next = message[at] & 0xff;
            at += length;
        }
        return hasSa && hasKe && hasNonce;
    }

    private synchronized void addPending(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor,
            IkeSessionActor.Inbound first) {
        if (!bySpi.containsKey(initiatorSpi)) {
            pending.put(initiatorSpi, new Pending(actor, clock.instant(), first));
            pendingOrder.add(initiatorSpi);
        }
    }

    /** Drops pending routes older than {@link IkeSession#HALF_OPEN}: their actor never took them. */
    private synchronized void expirePending() {
        Instant oldest = clock.instant().minus(IkeSession.HALF_OPEN);
        while (!pendingOrder.isEmpty()) {
            Long spi = pendingOrder.peek();
            Pending p = pending.get(spi);
            if (p != null && !p.since().isBefore(oldest)) {
                return;
            }
            pendingOrder.poll();
            if (p != null) {
                pending.remove(spi, p);
            }
        }
    }

    /** A route set up by the dispatcher for the request {@code first} it handed to {@code actor}, at {@code since}. */
    private record Pending(ActorRef<IkeSessionActor.Command> actor, Instant since, IkeSessionActor.Inbound first) {}

    /**
     * Every IKEv2 tunnel that accepts an IKE_SA_INIT from {@code from}, the one whose actor answers it first:
     * {@code passive} tunnels naming it as peer, then {@code active}/{@code dynamic} tunnels naming it, then
     * {@code passive} tunnels without a peer; by label within each. With several, the peer's IKE_AUTH chooses
     * ({@link TunnelChoice}).
     */
    private List<IkeTunnel> candidatesOf(InetAddress from) {
        record Ranked(IkeTunnel tunnel, int rank) {}
        List<Ranked> ranked = new ArrayList<>();
        for (IkeTunnel t : tunnels.tunnels()) {
            if (t.exchange().ikev1()) {
                continue;
            }
            boolean named = t.peers().stream().anyMatch(p -> resolver.isPeer(p, from));
            int rank = named ? (t.mode() == IkeMode.PASSIVE ? 0 : 1)
                    : t.mode() == IkeMode.PASSIVE && t.peers().isEmpty() ? 2 : -1;
            if (rank >= 0) {
                ranked.add(new Ranked(t, rank));
            }
        }
        ranked.sort(java.util.Comparator.comparingInt(Ranked::rank).thenComparing(r -> r.tunnel().label()));
        return ranked.stream().map(Ranked::tunnel).toList();
    }

    /** Stops dispatching; what is queued is dropped. */
    @Override
    public void close() {
        closed = true;
        inbox.shutdownNow();
    }

    /**
     * Half-open responder IKE SAs by initiator SPI, and when each was created. One that outlived {@link
     * IkeSession#HALF_OPEN} (its session gave up on IKE_AUTH, or never answered) no longer counts. Thread-safe.
     */
    static final class HalfOpen {
        private final InstantSource clock;
        private final Map<Long, Entry> created = new java.util.HashMap<>();
        /** Every entry as added, oldest first; one replaced or removed since is skipped when it reaches the head. */
        private final java.util.ArrayDeque<Entry> order = new java.util.ArrayDeque<>();
        private final Map<InetAddress, Integer> bySource = new java.util.HashMap<>();

        HalfOpen(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
        }

        /** A request from {@code source} was handed to a responder. */
        synchronized void add(long initiatorSpi, InetAddress source) {
            Entry e = new Entry(initiatorSpi, clock.instant(), source);
            Entry before = created.put(initiatorSpi, e);
            if (before != null) {
                less(before.source());
            }
            order.add(e);
            bySource.merge(source, 1, Integer::sum);
        }

        /** The IKE SA came up (authenticated). */
        synchronized void remove(long initiatorSpi) {
            Entry e = created.remove(initiatorSpi);
            if (e != null) {
                less(e.source());
            }
        }

        /** How many are half-open now. */
        synchronized int count() {
            expire();
            return created.size();
        }

        /** How many of them came from {@code source}: counted as they come and go, not by a scan of them all. */
        synchronized int count(InetAddress source) {
            expire();
            return bySource.getOrDefault(source, 0);
        }

        /** Drops the entries older than {@link IkeSession#HALF_OPEN}, oldest first. */
        private void expire() {
            Instant oldest = clock.instant().minus(IkeSession.HALF_OPEN);
            while (!order.isEmpty()) {
                Entry head = order.peek();
                boolean current = created.get(head.spi()) == head;
                if (current && !head.created().isBefore(oldest)) {
                    return;
                }
                order.poll();
                if (current) {
                    created.remove(head.spi());
                    less(head.source());
                }
            }
        }

        private void less(InetAddress source) {
            bySource.computeIfPresent(source, (k, n) -> n == 1 ? null : n - 1);
        }

        private record Entry(long spi, Instant created, InetAddress source) {}
    }

    /**
     * Which log lines about unsolicited requests are written: at most one per source every {@link #PER_SOURCE}, and
     * at most {@link #PER_SECOND} a second in all (a flood from random sources). The rest are counted ({@code
     * ikev2.dispatch.log-suppressed}). Dispatch thread only.
     */
    static final class LogLimit {
        static final java.time.Duration PER_SOURCE = java.time.Duration.ofSeconds(10);
        static final int PER_SECOND = 10;
        private static final int SOURCES = 4096;
        private final InstantSource clock;
        private final Map<InetAddress, Instant> last = new java.util.HashMap<>();
        private long second = Long.MIN_VALUE;
        private int inSecond;

        LogLimit(InstantSource clock) {
            this.clock = clock;
        }

        /** Whether a line about {@code source} may be written now. */
        synchronized boolean allow(InetAddress source) {
            Instant now = clock.instant();
            Instant before = last.get(source);
            if (before != null && now.isBefore(before.plus(PER_SOURCE))) {
                return false;
            }
            if (now.getEpochSecond() != second) {
                second = now.getEpochSecond();
                inSecond = 0;
            }
            if (inSecond >= PER_SECOND) {
                return false;
            }
            inSecond++;
            if (last.size() >= SOURCES) {
                last.clear();
            }
            last.put(source, now);
            return true;
        }
    }
}
