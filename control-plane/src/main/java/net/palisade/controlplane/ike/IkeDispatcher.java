package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.worker.IkeSink;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an inbound IKE message goes: to the session actor registered for its initiator SPI, or, for an IKE_SA_INIT
 * request with an unknown SPI, to a new responder of a {@code passive} tunnel whose peer (or no peer) matches the
 * sender, or to the actor of an {@code active}/{@code dynamic} tunnel whose peer it is ({@link
 * IkeSessionActor.Answer}). Anything else is dropped and counted ({@link #counters()}).
 *
 * <p>Threads: {@link #sink()} only queues the message (a dataplane worker must never block) on a bounded inbox; one
 * control-plane thread dispatches the queue in order, and may wait there for a route lookup ({@link
 * PeerResolver#localFor}). A full inbox drops the message ({@code ikev2.dispatch.inbox-full}): the peer retransmits.
 *
 * <p>Admission (RFC 7296 section 2.6): half-open responder IKE SAs are counted from the request until their Phase1Up
 * ({@link HalfOpen#remove}), their end ({@link #unregister}) or {@link IkeSession#HALF_OPEN}; while there are at
 * least {@link Cookies#threshold()} of them, a request without a valid COOKIE is answered statelessly with
 * N(COOKIE) through the transport and starts nothing.
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

        /** Starts a responder for passive {@code tunnel} with {@code first}, in place of its session; returns it. */
        ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first);
    }

    private final Tunnels tunnels;
    private final PeerResolver resolver;
    private final Cookies cookies;
    private final IkeTransport transport;
    private final Ikev2Codec codec = Ikev2Codec.standard();
    private final HalfOpen halfOpen;
    private final Map<Long, ActorRef<IkeSessionActor.Command>> bySpi = new ConcurrentHashMap<>();
    private final IkeCounters counters = new IkeCounters();
    private final ThreadPoolExecutor inbox;
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
        this.halfOpen = new HalfOpen(clock);
        this.inbox = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(INBOX), r -> {
            Thread t = new Thread(r, "palisade-ike-dispatch");
            t.setDaemon(true);
            return t;
        });
    }

    /** Where both ports hand their messages: queued for the dispatch thread, never waiting. */
    IkeSink sink() {
        return (from, local, message) -> {
            try {
                inbox.execute(() -> {
                    try {
                        receive(from, local, message);
                    } catch (RuntimeException e) {
                        log.error("IKE message from {} not dispatched", from, e);
                    }
                });
            } catch (RejectedExecutionException e) {
                count(closed ? "ikev2.dispatch.closed" : "ikev2.dispatch.inbox-full");
            }
        };
    }

    /** The half-open responder IKE SAs. */
    HalfOpen halfOpen() {
        return halfOpen;
    }

    /** Routes messages with this initiator SPI to {@code actor}. */
    void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        bySpi.put(initiatorSpi, actor);
    }

    /** Stops routing them to {@code actor}; an IKE SA that was half-open no longer is. */
    void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        bySpi.remove(initiatorSpi, actor);
        halfOpen.remove(initiatorSpi);
    }

    /** The drop counters: {@code ikev2.dispatch.<why>} and the header decoder's {@code ikev2.decode.<reason>}. */
    Map<String, Long> counters() {
        synchronized (counters) {
            return counters.snapshot();
        }
    }

    private void count(String name) {
        synchronized (counters) {
            counters.increment(name);
        }
    }

    /** Routes one IKE message (without the non-ESP marker) to its session, or starts one. Dispatch thread only. */
    void receive(InetSocketAddress from, InetSocketAddress local, byte[] message) {
        if (closed) {
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
        ActorRef<IkeSessionActor.Command> a = bySpi.get(h.initiatorSpi());
        if (a != null) {
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
        Optional<IkeTunnel> tunnel = tunnelOf(from.getAddress());
        if (tunnel.isEmpty()) {
            count("ikev2.dispatch.no-tunnel");
            if (resolver.refreshNames(tunnels.tunnels())) {
                log.info("IKE_SA_INIT from {}: no tunnel accepts this peer (yet); dropped, and the tunnels' peer "
                        + "names are resolved again for its retransmission", from);
            } else {
                log.info("IKE_SA_INIT from {}: no tunnel accepts this peer; dropped", from);
            }
            return;
        }
        String label = tunnel.get().label();
        switch (cookies.admit(codec, message, from.getAddress(), halfOpen.count())) {
            case Cookies.Verdict.Challenge challenge -> {
                log.debug("IKE_SA_INIT from {}: {} half-open IKE SAs, answered with a cookie", from,
                        halfOpen.count());
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
            if (tunnel.get().mode() != IkeMode.PASSIVE) {
                Optional<ActorRef<IkeSessionActor.Command>> own = tunnels.session(label);
                if (own.isEmpty()) {
                    count("ikev2.dispatch.not-running");
                    log.info("IKE_SA_INIT from {}: tunnel {} is not running; dropped", from, label);
                    return;
                }
                // retransmissions of the request reach the actor as Inbound (by SPI), after the Answer
                ActorRef<IkeSessionActor.Command> already = bySpi.putIfAbsent(h.initiatorSpi(), own.get());
                if (already == null) {
                    halfOpen.add(h.initiatorSpi());
                    own.get().tell(new IkeSessionActor.Answer(in, ours));
                } else {
                    already.tell(in);
                }
                return;
            }
            ActorRef<IkeSessionActor.Command> r = tunnels.respond(tunnel.get(), ours, in);
            halfOpen.add(h.initiatorSpi());
            bySpi.putIfAbsent(h.initiatorSpi(), r);
            log.debug("tunnel {}: responding to IKE_SA_INIT from {}", label, from);
        } catch (IOException | RuntimeException e) {
            count("ikev2.dispatch.no-local-address");
            log.error("tunnel {}: cannot answer {}: {}", label, from, e.toString());
        }
    }

    /** A passive tunnel whose peer (or no peer) is {@code from} first; else an initiating tunnel whose peer it is. */
    private Optional<IkeTunnel> tunnelOf(InetAddress from) {
        Collection<IkeTunnel> all = tunnels.tunnels();
        return all.stream()
                .filter(t -> t.mode() == IkeMode.PASSIVE)
                .filter(t -> t.peers().isEmpty() || t.peers().stream().anyMatch(p -> resolver.isPeer(p, from)))
                .findFirst()
                .or(() -> all.stream()
                        .filter(t -> t.mode() != IkeMode.PASSIVE && !t.peers().isEmpty())
                        .filter(t -> t.peers().stream().anyMatch(p -> resolver.isPeer(p, from)))
                        .findFirst());
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
        private final Map<Long, Instant> created = new ConcurrentHashMap<>();

        HalfOpen(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
        }

        void add(long initiatorSpi) {
            created.put(initiatorSpi, clock.instant());
        }

        /** The IKE SA came up or ended. */
        void remove(long initiatorSpi) {
            created.remove(initiatorSpi);
        }

        /** How many are half-open now. */
        int count() {
            Instant oldest = clock.instant().minus(IkeSession.HALF_OPEN);
            created.values().removeIf(c -> c.isBefore(oldest));
            return created.size();
        }
    }
}
