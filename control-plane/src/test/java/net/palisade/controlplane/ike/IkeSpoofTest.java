package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import net.palisade.model.Host;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Spoofed IKE_SA_INIT requests against a live tunnel, in memory: two nodes, each a real {@link IkeDispatcher} with
 * real {@link IkeSessionActor}s, hand each other's datagrams over; an attacker writes requests with the peer's (or
 * any) address into a node's dispatcher. A spoofed packet may cost a counter, never a tunnel: the established IKE SA,
 * its Child SA and both journals stay as they are, and the tunnel still recovers by itself when its IKE SA ends.
 */
class IkeSpoofTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final InetSocketAddress GW_A = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final InetSocketAddress GW_B = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    private static final InetSocketAddress STRANGER = new InetSocketAddress(IkeLoop.ip("198.51.100.7"), 500);
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static final IkeSettings FAST = new IkeSettings(true, List.of(Duration.ofMillis(150),
            Duration.ofMillis(150), Duration.ofMillis(150)));
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();
    private static final IkeTunnel T = IkeLoop.gcm("s", DhGroup.CURVE25519);

    private final List<Node> nodes = new CopyOnWriteArrayList<>();

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @AfterEach
    void close() {
        for (Node n : nodes) {
            n.sessions.values().forEach(kit::stop);
            n.dispatcher.close();
            n.resolver.close();
        }
    }

    /** One gateway: its dispatcher and session actors, what its tunnel journals and which ESP pairs it holds. */
    final class Node implements SessionDriver, IkeDispatcher.Tunnels {
        final InetSocketAddress me;
        final IkeTunnel tunnel;
        volatile Node peer;
        final PeerResolver resolver = new PeerResolver(Optional.empty(), 500, name -> List.of(), System::nanoTime);
        final Cookies cookies = Cookies.standard(Cookies.DEFAULT_THRESHOLD);
        final IkeDispatcher dispatcher;
        final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
        final List<String> journal = new CopyOnWriteArrayList<>();
        final List<long[]> pairs = new CopyOnWriteArrayList<>();
        volatile IkeSaId lastUp;

        Node(InetSocketAddress me, IkeTunnel tunnel) {
            this.me = me;
            this.tunnel = tunnel;
            this.dispatcher = new IkeDispatcher(this, resolver, cookies, this::send, Clock.systemUTC());
            nodes.add(this);
        }

        /** Delivers to the peer's dispatcher what is addressed to it; what goes elsewhere is lost. */
        @Override
        public void send(IkeOutput.Send s) {
            Node p = peer;
            if (p != null && !s.isNatKeepalive() && s.to().getAddress().equals(p.me.getAddress())) {
                p.dispatcher.sink().ike(s.from(), s.to(), s.datagram().clone());
            }
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            switch (e) {
                case IkeOutput.Phase1Up p -> {
                    dispatcher.halfOpen().remove(p.id().initiatorSpi());
                    lastUp = p.id();
                    journal.add("phase1-up " + p.id());
                }
                case IkeOutput.Phase1Down p -> {
                    pairs.clear();
                    journal.add("phase1-down " + p.id() + ": " + p.detail());
                }
                case IkeOutput.ChildSaInstalled c -> {
                    pairs.clear();
                    pairs.add(new long[] {c.inboundSpi(), c.outboundSpi()});
                    journal.add("child-sa-installed " + Long.toHexString(c.inboundSpi()));
                }
                case IkeOutput.NegotiationFailed f -> journal.add("negotiation-failed " + f.detail());
                default -> journal.add(e.getClass().getSimpleName());
            }
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            journal.add("dpd-lost");
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            journal.add("peer-switched " + to);
        }

        @Override
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel t, Host p) {
            return CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(me, peer.me));
        }

        @Override
        public String hostName() {
            return "gw.example";
        }

        @Override
        public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> a) {
            dispatcher.register(initiatorSpi, a);
        }

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> a) {
            dispatcher.unregister(initiatorSpi, a);
        }

        @Override
        public void ended(String label, ActorRef<IkeSessionActor.Command> a) {
            sessions.remove(label, a);
        }

        @Override
        public Collection<IkeTunnel> tunnels() {
            return List.of(tunnel);
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public Optional<ActorRef<IkeSessionActor.Command>> session(String label) {
            return Optional.ofNullable(sessions.get(label));
        }

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel t, InetSocketAddress local,
                IkeSessionActor.Inbound first) {
            ActorRef<IkeSessionActor.Command> r = kit.spawn(IkeSessionActor.responder(this, FAST, t, local, first, List.of()));
            sessions.put(t.label(), r);
            return r;
        }

        void start() {
            sessions.put(tunnel.label(), kit.spawn(IkeSessionActor.initiator(this, FAST, tunnel)));
        }

        /** Deletes the tunnel's IKE SA (a Delete to the peer) and stops its actor. */
        void stopSession() {
            ActorRef<IkeSessionActor.Command> a = sessions.remove(tunnel.label());
            a.tell(new IkeSessionActor.Stop(new CompletableFuture<>()));
        }

        /** An attacker's request, sent with {@code source} as its sender, to this node. */
        void spoof(InetSocketAddress source, byte[] request) {
            dispatcher.sink().ike(source, me, request);
        }
    }

    private static IkeTunnel withMode(IkeTunnel t, IkeMode mode, List<Host> peers) {
        return new IkeTunnel(t.label(), mode, t.exchange(), t.from(), t.to(), t.local(), peers, t.ikeSa(),
                t.childSa(), t.srcId(), t.dstId(), t.authentication(), Optional.empty(), t.ping());
    }

    /** A complete IKE_SA_INIT request with a fresh SPI, as an initiator of {@code t} sends it. */
    private static byte[] fullInit(IkeTunnel t) {
        IkeSession s = IkeSession.initiator(t, STRANGER, GW_B, IkeEnvironment.standard(Clock.systemUTC()), FAST);
        return s.handle(new IkeInput.Start()).outputs().stream().filter(o -> o instanceof IkeOutput.Send)
                .map(o -> ((IkeOutput.Send) o).datagram()).findFirst().orElseThrow();
    }

    /** A request whose KE payload is of a group the responder does not take (it offers both). */
    private static byte[] badKeInit() {
        IkeTunnel both = IkeLoop.gcm("s", DhGroup.ECP256, DhGroup.CURVE25519);
        return fullInit(both);
    }

    /** Only the header: no payload at all. */
    private static byte[] headerOnly(long spi) {
        return CODEC.encode(new IkeMessage(IkeHeader.request(spi, 0, ExchangeType.Known.IKE_SA_INIT, 0, true),
                List.of()));
    }

    private static void await(String what, BooleanSupplier condition, Node... nodes) {
        await(LIMIT, what, condition, nodes);
    }

    private static void await(Duration limit, String what, BooleanSupplier condition, Node... nodes) {
        try {
            org.awaitility.Awaitility.await().atMost(limit).pollInterval(Duration.ofMillis(20))
                    .until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder b = new StringBuilder(what + " not reached within " + limit);
            for (Node n : nodes) {
                b.append("; ").append(n.me).append(": ").append(n.journal).append(" dropped ")
                        .append(n.dispatcher.counters());
            }
            throw new AssertionError(b.toString(), e);
        }
    }

    private static boolean up(Node a, Node b) {
        return a.lastUp != null && a.lastUp.equals(b.lastUp) && a.pairs.size() == 1 && b.pairs.size() == 1
                && a.pairs.getFirst()[0] == b.pairs.getFirst()[1];
    }

    /** Nothing changes on either node for a while: same journals, same session actors. */
    private static void unchanged(Node a, Node b) {
        List<String> aj = List.copyOf(a.journal);
        List<String> bj = List.copyOf(b.journal);
        Map<String, ActorRef<IkeSessionActor.Command>> as = Map.copyOf(a.sessions);
        Map<String, ActorRef<IkeSessionActor.Command>> bs = Map.copyOf(b.sessions);
        org.awaitility.Awaitility.await("no event and no session change on either node")
                .during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50)).until(() -> a.journal.equals(aj) && b.journal.equals(bj)
                        && a.sessions.equals(as) && b.sessions.equals(bs));
    }

    /**
     * A live passive tunnel under spoofed requests from {@code source}; {@code peers} of the passive side. With {@code
     * expiry}, waits until the half-open IKE SAs the spoofs left expired ({@link IkeSession#HALF_OPEN}, real time).
     */
    private void passiveTunnelOutlivesSpoofs(List<Host> peers, InetSocketAddress source, boolean expiry) {
        Node a = new Node(GW_A, withMode(T, IkeMode.ACTIVE, List.of(Host.of(GW_B.getAddress()))));
        Node b = new Node(GW_B, withMode(IkeLoop.mirror(T), IkeMode.PASSIVE, peers));
        a.peer = b;
        b.peer = a;
        a.start();
        await("the tunnel up", () -> up(a, b), a, b);
        IkeSaId established = a.lastUp;
        int routes = b.dispatcher.routes();

        b.spoof(source, headerOnly(0x5eedL));
        b.spoof(source, badKeInit());
        for (int i = 0; i < 8; i++) {
            b.spoof(source, fullInit(T));
        }
        unchanged(a, b);
        assertThat(b.dispatcher.counters()).containsEntry("ikev2.dispatch.malformed-init", 1L);
        assertThat(b.cookies.counters().getOrDefault("ikev2.cookie.sent", 0L))
                .as("from the sixth request of one source on, a cookie is demanded").isEqualTo(
                        8 + 1 - Cookies.PER_SOURCE_THRESHOLD);

        // the IKE SA B had before is still the one A deletes
        a.stopSession();
        await("B sees the established IKE SA deleted", () -> b.journal.stream()
                .anyMatch(e -> e.startsWith("phase1-down " + established + ":")), a, b);
        assertThat(a.journal).as("B never deleted the IKE SA").noneMatch(e -> e.startsWith("phase1-down"));
        assertThat(routes).as("the established IKE SA was routed").isPositive();
        if (expiry) {
            await(IkeSession.HALF_OPEN.plus(LIMIT), "B's routes back to none once the half-open ones expired",
                    () -> b.dispatcher.routes() == 0 && b.sessions.isEmpty(), a, b);
        }
    }

    @Test
    void aSpoofedIkeSaInitFromThePeersAddressLeavesAPassiveTunnelUp() {
        passiveTunnelOutlivesSpoofs(List.of(Host.of(GW_A.getAddress())), GW_A, false);
    }

    @Test
    void aSpoofedIkeSaInitFromAnyoneLeavesAnAnyPeerPassiveTunnelUp() {
        passiveTunnelOutlivesSpoofs(List.of(), STRANGER, true);
    }

    @Test
    void aSpoofedIkeSaInitNeitherDisturbsNorWedgesAnActiveTunnel() {
        Node a = new Node(GW_A, withMode(T, IkeMode.ACTIVE, List.of(Host.of(GW_B.getAddress()))));
        Node b = new Node(GW_B, withMode(IkeLoop.mirror(T), IkeMode.PASSIVE, List.of(Host.of(GW_A.getAddress()))));
        a.peer = b;
        b.peer = a;
        a.start();
        await("the tunnel up", () -> up(a, b), a, b);
        IkeSaId first = a.lastUp;

        // answered statelessly (INVALID_KE_PAYLOAD to B): an engine that stays IDLE, then a half-open one
        a.spoof(GW_B, badKeInit());
        a.spoof(GW_B, headerOnly(0x5eedL));
        a.spoof(GW_B, fullInit(IkeLoop.mirror(T)));
        unchanged(a, b);

        // our IKE SA ends: A negotiates a new one (after its retry pause), it does not take a half-open one
        b.stopSession();
        await("A's IKE SA deleted", () -> a.journal.stream().anyMatch(e -> e.startsWith("phase1-down " + first)),
                a, b);
        await("a new IKE SA initiated by A", () -> up(a, b) && !a.lastUp.equals(first)
                && a.lastUp.initiatorSpi() != first.initiatorSpi(), a, b);
        assertThat(a.journal).noneMatch(e -> e.startsWith("negotiation-failed"));
    }

    @Test
    void aPassiveTunnelTakesTheRetryAfterItsInvalidKePayloadAtOnce() {
        // A offers ECP256 first; B takes only X25519: its responder answers INVALID_KE_PAYLOAD statelessly and ends,
        // and A sends the request again with the same SPI and an X25519 key
        IkeTunnel both = IkeLoop.gcm("s", DhGroup.ECP256, DhGroup.CURVE25519);
        Node a = new Node(GW_A, withMode(both, IkeMode.ACTIVE, List.of(Host.of(GW_B.getAddress()))));
        Node b = new Node(GW_B, withMode(IkeLoop.mirror(T), IkeMode.PASSIVE, List.of(Host.of(GW_A.getAddress()))));
        a.peer = b;
        b.peer = a;
        a.start();
        await(Duration.ofSeconds(4), "the tunnel up at the first attempt", () -> up(a, b), a, b);
        assertThat(a.journal).noneMatch(e -> e.startsWith("negotiation-failed"));
    }
}
