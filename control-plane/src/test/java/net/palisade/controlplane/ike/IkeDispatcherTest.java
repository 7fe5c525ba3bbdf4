package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.MutableClock;
import net.palisade.model.Host;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.SaPayload;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher on a fake transport and a fake clock: session actors are test probes, so each test sees exactly
 * which actor a message reached, what went back out, and which drop was counted.
 */
class IkeDispatcherTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final Duration QUIET = Duration.ofMillis(200);
    private static final InetSocketAddress LOCAL = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final InetSocketAddress PEER = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    private static final InetSocketAddress STRANGER = new InetSocketAddress(IkeLoop.ip("198.51.100.9"), 500);
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T01:00:00Z"));
    private final FakeIkeTransport transport = new FakeIkeTransport();
    private final FakeTunnels tunnels = new FakeTunnels();
    private final PeerResolver resolver = new PeerResolver(Optional.empty(), 500,
            name -> List.of(IkeLoop.ip("192.0.2.2")), System::nanoTime);
    private IkeDispatcher dispatcher = dispatcher(Cookies.DEFAULT_THRESHOLD);

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @AfterEach
    void close() {
        dispatcher.close();
        resolver.close();
    }

    private IkeDispatcher dispatcher(int cookieThreshold) {
        Random random = new Random(3);
        return new IkeDispatcher(tunnels, resolver, new Cookies(clock, random::nextBytes, Duration.ofMinutes(2),
                cookieThreshold), transport, clock);
    }

    /** The node's tunnels, with test probes for session actors; records every responder started. */
    private static final class FakeTunnels implements IkeDispatcher.Tunnels {
        final Map<String, IkeTunnel> wanted = new ConcurrentHashMap<>();
        final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
        final List<TestProbe<IkeSessionActor.Command>> responders = new CopyOnWriteArrayList<>();
        volatile CountDownLatch entered;
        volatile CountDownLatch release;
        /** When set, each responder registers its SPI and ends (unregisters) before respond() returns. */
        volatile IkeDispatcher endAtOnce;
        /** The candidate tunnels each responder was started with, by label, in order. */
        final List<List<String>> candidates = new CopyOnWriteArrayList<>();

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, List<IkeTunnel> all,
                InetSocketAddress local, IkeSessionActor.Inbound first) {
            candidates.add(all.stream().map(IkeTunnel::label).toList());
            return respond(tunnel, local, first);
        }

        @Override
        public Collection<IkeTunnel> tunnels() {
            return wanted.values();
        }

        @Override
        public boolean ready() {
            CountDownLatch r = release;
            if (r != null) {
                entered.countDown();
                try {
                    r.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return true;
        }

        @Override
        public Optional<ActorRef<IkeSessionActor.Command>> session(String label) {
            return Optional.ofNullable(sessions.get(label));
        }

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first) {
            TestProbe<IkeSessionActor.Command> p = kit.createTestProbe();
            p.ref().tell(first);
            responders.add(p);
            IkeDispatcher d = endAtOnce;
            if (d != null) {
                long spi = java.nio.ByteBuffer.wrap(first.datagram()).getLong(0);
                d.register(spi, p.ref());
                d.unregister(spi, p.ref());
                return p.ref();
            }
            sessions.put(tunnel.label(), p.ref());
            return p.ref();
        }
    }

    private static IkeTunnel tunnel(String label, IkeMode mode, List<Host> peers) {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        return new IkeTunnel(label, mode, t.exchange(), t.from(), t.to(), t.local(), peers, t.ikeSa(), t.childSa(),
                t.srcId(), t.dstId(), t.authentication(), t.dpd(), t.ping());
    }

    /** A well-formed IKE_SA_INIT request (SA, KE, Nonce) with {@code extra} notifies first. */
    private static byte[] init(long spi, NotifyPayload... extra) {
        byte[] nonce = new byte[32];
        new Random(spi).nextBytes(nonce);
        List<net.palisade.model.wire.ikev2.Payload> payloads = new java.util.ArrayList<>(List.of(extra));
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        payloads.add(new SaPayload(ProposalPolicy.ikeOffer(t.ikeSa())));
        payloads.add(KePayload.of(DhGroup.CURVE25519, Octets.of(new byte[32])));
        payloads.add(new NoncePayload(Octets.of(nonce)));
        return CODEC.encode(new IkeMessage(IkeHeader.request(spi, 0, ExchangeType.Known.IKE_SA_INIT, 0, true),
                payloads));
    }

    private static byte[] auth(long spiI, long spiR) {
        return CODEC.encode(IkeMessage.of(IkeHeader.request(spiI, spiR, ExchangeType.Known.IKE_AUTH, 1, true),
                new NoncePayload(Octets.of(new byte[16]))));
    }

    @Test
    void messagesGoToTheActorRegisteredForTheirInitiatorSpi() {
        TestProbe<IkeSessionActor.Command> a = kit.createTestProbe();
        TestProbe<IkeSessionActor.Command> b = kit.createTestProbe();
        dispatcher.register(0x11L, a.ref());
        dispatcher.register(0x22L, b.ref());
        byte[] forB = auth(0x22L, 0x99L);
        dispatcher.receive(PEER, LOCAL, forB);
        IkeSessionActor.Inbound in = b.expectMessageClass(IkeSessionActor.Inbound.class);
        assertThat(in.datagram()).isEqualTo(forB);
        assertThat(in.from()).isEqualTo(PEER);
        a.expectNoMessage(QUIET);

        dispatcher.unregister(0x22L, b.ref());
        dispatcher.receive(PEER, LOCAL, forB);
        b.expectNoMessage(QUIET);
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.unknown-spi", 1L);
    }

    @Test
    void everyTunnelThatAcceptsThePeerIsACandidatePassiveNamingItFirst() {
        Host peer = Host.of(PEER.getAddress());
        Host other = Host.of(IkeLoop.ip("198.51.100.9"));
        tunnels.wanted.put("z-any", tunnel("z-any", IkeMode.PASSIVE, List.of()));
        tunnels.wanted.put("b-active", tunnel("b-active", IkeMode.ACTIVE, List.of(peer)));
        tunnels.wanted.put("c-passive", tunnel("c-passive", IkeMode.PASSIVE, List.of(peer)));
        tunnels.wanted.put("a-passive", tunnel("a-passive", IkeMode.PASSIVE, List.of(peer)));
        tunnels.wanted.put("elsewhere", tunnel("elsewhere", IkeMode.PASSIVE, List.of(other)));
        tunnels.wanted.put("active-elsewhere", tunnel("active-elsewhere", IkeMode.ACTIVE, List.of(other)));
        dispatcher.receive(PEER, LOCAL, init(0x7aL));
        assertThat(tunnels.candidates).containsExactly(List.of("a-passive", "c-passive", "b-active", "z-any"));
        assertThat(tunnels.sessions).containsOnlyKeys("a-passive");

        // a tunnel with a session gets the next request as an Answer carrying the candidates too
        TestProbe<IkeSessionActor.Command> own = kit.createTestProbe();
        tunnels.sessions.put("a-passive", own.ref());
        dispatcher.receive(PEER, LOCAL, init(0x7bL));
        assertThat(own.expectMessageClass(IkeSessionActor.Answer.class).candidates())
                .extracting(IkeTunnel::label).containsExactly("a-passive", "c-passive", "b-active", "z-any");
    }

    @Test
    void unknownSpisAndBrokenHeadersAreDroppedAndCounted() {
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        dispatcher.receive(PEER, LOCAL, auth(0x33L, 0x44L));
        byte[] response = CODEC.encode(IkeMessage.of(IkeHeader.response(0x55L, 0, ExchangeType.Known.IKE_SA_INIT,
                0, false), new NoncePayload(Octets.of(new byte[16]))));
        dispatcher.receive(PEER, LOCAL, response);
        byte[] truncated = java.util.Arrays.copyOf(init(0x66L), 40);
        dispatcher.receive(PEER, LOCAL, truncated);
        dispatcher.receive(PEER, LOCAL, new byte[10]);

        assertThat(tunnels.responders).as("no responder for any of them").isEmpty();
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.unknown-spi", 2L)
                .containsEntry("ikev2.decode.length_mismatch", 1L)
                .containsEntry("ikev2.decode.datagram_too_short", 1L);
    }

    @Test
    void aPassiveTunnelAnswersOnceAndItsResponderGetsTheRetransmissions() {
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of(Host.of(PEER.getAddress()))));
        byte[] request = init(0x77L);
        dispatcher.receive(PEER, LOCAL, request);
        dispatcher.receive(PEER, LOCAL, request);
        assertThat(tunnels.responders).hasSize(1);
        TestProbe<IkeSessionActor.Command> responder = tunnels.responders.getFirst();
        assertThat(responder.expectMessageClass(IkeSessionActor.Inbound.class).datagram()).isEqualTo(request);
        // the probe never registers its SPI: the retransmission reaches it as the tunnel's session, which a real
        // responder recognises as its own request (answered from its cache)
        assertThat(responder.expectMessageClass(IkeSessionActor.Answer.class).first().datagram())
                .isEqualTo(request);
        assertThat(dispatcher.halfOpen().count()).isEqualTo(1);

        dispatcher.receive(STRANGER, LOCAL, init(0x78L));
        assertThat(tunnels.responders).as("not a peer of the tunnel").hasSize(1);
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.no-tunnel", 1L);
    }

    @Test
    void aRetransmittedIkeSaInitGoesToTheActiveTunnelsActorAlreadyAnsweringIt() {
        tunnels.wanted.put("a", tunnel("a", IkeMode.ACTIVE, List.of(Host.of(PEER.getAddress()))));
        TestProbe<IkeSessionActor.Command> own = kit.createTestProbe();
        tunnels.sessions.put("a", own.ref());
        byte[] request = init(0x88L);
        dispatcher.receive(PEER, LOCAL, request);
        IkeSessionActor.Answer answer = own.expectMessageClass(IkeSessionActor.Answer.class);
        assertThat(answer.first().datagram()).isEqualTo(request);
        assertThat(answer.local()).isEqualTo(LOCAL);

        dispatcher.receive(PEER, LOCAL, request);
        assertThat(own.expectMessageClass(IkeSessionActor.Inbound.class).datagram())
                .as("the retransmission, not a second Answer").isEqualTo(request);
        assertThat(tunnels.responders).isEmpty();
        assertThat(dispatcher.halfOpen().count()).isEqualTo(1);

        tunnels.sessions.clear();
        dispatcher.receive(PEER, LOCAL, init(0x89L));
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.not-running", 1L);
    }

    @Test
    void cookiesAreDemandedFromTheThresholdOfHalfOpenIkeSasOn() {
        dispatcher.close();
        dispatcher = dispatcher(2);
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        // each responder ends (failing) before the next request, which therefore starts a new one
        dispatcher.receive(PEER, LOCAL, init(0x101L));
        tunnels.sessions.clear();
        dispatcher.receive(PEER, LOCAL, init(0x102L));
        tunnels.sessions.clear();
        assertThat(tunnels.responders).hasSize(2);
        assertThat(transport.sent).isEmpty();

        dispatcher.receive(PEER, LOCAL, init(0x103L));
        assertThat(tunnels.responders).as("no state for the third").hasSize(2);
        assertThat(transport.sent).hasSize(1);
        IkeOutput.Send challenge = transport.sent.getFirst();
        assertThat(challenge.to()).isEqualTo(PEER);
        assertThat(challenge.from()).isEqualTo(LOCAL);
        IkeMessage m = CODEC.decode(challenge.datagram()).orElseThrow();
        assertThat(m.header().initiatorSpi()).isEqualTo(0x103L);
        assertThat(m.header().response()).isTrue();
        NotifyPayload cookie = m.notify(NotifyType.Known.COOKIE).orElseThrow();

        dispatcher.receive(PEER, LOCAL, init(0x103L, cookie));
        assertThat(tunnels.responders).as("the request with the cookie starts a responder").hasSize(3);
        assertThat(transport.sent).hasSize(1);
    }

    @Test
    void failedSetupsCountUntilTheHalfOpenLimitAndThenLeaveNothingBehind() {
        dispatcher.close();
        dispatcher = dispatcher(2);
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        dispatcher.receive(PEER, LOCAL, init(0x201L));
        tunnels.sessions.clear(); // the first responder ended
        dispatcher.receive(STRANGER, LOCAL, init(0x202L));
        assertThat(dispatcher.halfOpen().count()).isEqualTo(2);

        // both responders end without IKE_AUTH: a spoofer's requests must still trip the cookies
        dispatcher.unregister(0x201L, tunnels.responders.get(0).ref());
        dispatcher.unregister(0x202L, tunnels.responders.get(1).ref());
        assertThat(dispatcher.halfOpen().count()).isEqualTo(2);
        dispatcher.receive(PEER, LOCAL, init(0x203L));
        assertThat(transport.sent).as("a cookie demanded").hasSize(1);

        // after HALF_OPEN they no longer count, and no route is left
        clock.advance(IkeSession.HALF_OPEN.plusSeconds(1));
        assertThat(dispatcher.halfOpen().count()).isZero();
        assertThat(dispatcher.routes()).isZero();
        dispatcher.receive(PEER, LOCAL, init(0x204L));
        assertThat(transport.sent).as("no cookie demanded any more").hasSize(1);
    }

    @Test
    void aRequestHandedToASessionThatThenStoppedIsAnsweredAfreshAtOnce() {
        // found by ops/bench/ike-setup.sh: the peer deletes its IKE SA and at once initiates a new one; the request
        // reaches the passive tunnel's session as it ends. Its retransmissions first followed the dead actor for 30 s;
        // then the peer waited a second for its retransmission (and some setups timed out): now the request itself
        // is dispatched again once the actor is gone
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of(Host.of(PEER.getAddress()))));
        TestProbe<IkeSessionActor.Command> ending = kit.createTestProbe();
        tunnels.sessions.put("p", ending.ref());
        byte[] request = init(0x701L);
        dispatcher.receive(PEER, LOCAL, request);
        ending.expectMessageClass(IkeSessionActor.Answer.class);
        assertThat(tunnels.responders).isEmpty();
        tunnels.sessions.remove("p", ending.ref()); // what IkeManager does when the actor ends
        dispatcher.forget(ending.ref());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(tunnels.responders).as("a new responder takes the request, no retransmission needed")
                        .hasSize(1));
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.redispatched", 1L);
        ending.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void aNewIkeSaInitForAPassiveTunnelWithASessionIsAnsweredBesideItNotInItsPlace() {
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of(Host.of(PEER.getAddress()))));
        TestProbe<IkeSessionActor.Command> established = kit.createTestProbe();
        tunnels.sessions.put("p", established.ref());
        byte[] request = init(0x601L);
        dispatcher.receive(PEER, LOCAL, request);
        assertThat(established.expectMessageClass(IkeSessionActor.Answer.class).first().datagram())
                .isEqualTo(request);
        assertThat(tunnels.responders).as("no responder in the session's place").isEmpty();
        assertThat(tunnels.sessions).containsEntry("p", established.ref());
    }

    @Test
    void requestsSpoofedFromOneSourceMakeItReturnCookiesBeforeAnyDiffieHellman() {
        tunnels.wanted.put("a", tunnel("a", IkeMode.ACTIVE, List.of(Host.of(PEER.getAddress()))));
        TestProbe<IkeSessionActor.Command> own = kit.createTestProbe();
        tunnels.sessions.put("a", own.ref());
        // each new request replaces the previous half-open one beside the tunnel's IKE SA, which unregisters it
        long previous = 0;
        for (long spi = 0x701L; spi < 0x701L + Cookies.PER_SOURCE_THRESHOLD; spi++) {
            if (previous != 0) {
                dispatcher.unregister(previous, own.ref());
            }
            dispatcher.receive(PEER, LOCAL, init(spi));
            own.expectMessageClass(IkeSessionActor.Answer.class);
            previous = spi;
        }
        assertThat(transport.sent).isEmpty();
        dispatcher.receive(PEER, LOCAL, init(0x7ffL));
        own.expectNoMessage(QUIET);
        assertThat(transport.sent).as("a cookie challenge, no Answer").hasSize(1);
        assertThat(CODEC.decode(transport.sent.getFirst().datagram()).orElseThrow()
                .notify(NotifyType.Known.COOKIE)).isPresent();

        // another source is not held up by this one's requests
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        dispatcher.receive(STRANGER, LOCAL, init(0x801L));
        assertThat(tunnels.responders).hasSize(1);
    }

    @Test
    void aRequestWithoutSaKeOrNonceReachesNoSession() {
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        dispatcher.receive(PEER, LOCAL, CODEC.encode(new IkeMessage(IkeHeader.request(0x901L, 0,
                ExchangeType.Known.IKE_SA_INIT, 0, true), List.of())));
        dispatcher.receive(PEER, LOCAL, CODEC.encode(IkeMessage.of(IkeHeader.request(0x902L, 0,
                ExchangeType.Known.IKE_SA_INIT, 0, true), new NoncePayload(Octets.of(new byte[32])))));
        assertThat(tunnels.responders).isEmpty();
        assertThat(dispatcher.halfOpen().count()).isZero();
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.malformed-init", 2L);
    }

    @Test
    void aResponderThatEndsBeforeItsRouteIsSetUpLeavesNoRouteBehind() {
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        int before = dispatcher.routes();
        // the worst order: each responder registers, fails and unregisters before respond() has even returned
        tunnels.endAtOnce = dispatcher;
        for (int i = 0; i < 50; i++) {
            InetSocketAddress source = new InetSocketAddress(IkeLoop.ip("198.51.100." + (10 + i)), 500);
            dispatcher.receive(source, LOCAL, init(0xa01L + i));
            clock.advance(Duration.ofSeconds(2)); // below the cookie threshold
        }
        assertThat(tunnels.responders).hasSize(50);
        assertThat(dispatcher.routes()).isEqualTo(before);
    }

    /**
     * The sink, with the dispatch thread held inside the IKE_SA_INIT {@code spi} of a passive tunnel's peer (until
     * {@code tunnels.release} counts down).
     */
    private net.palisade.dataplane.worker.IkeSink sinkWithTheDispatchThreadHeld(long spi) {
        tunnels.wanted.put("p", tunnel("p", IkeMode.PASSIVE, List.of()));
        tunnels.entered = new CountDownLatch(1);
        tunnels.release = new CountDownLatch(1);
        net.palisade.dataplane.worker.IkeSink sink = dispatcher.sink();
        sink.ike(PEER, LOCAL, init(spi));
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnels.entered.getCount() == 0);
        return sink;
    }

    @Test
    void theSinkNeverWaitsForTheDispatchThread() {
        net.palisade.dataplane.worker.IkeSink sink = sinkWithTheDispatchThreadHeld(0x301L);

        // the dispatch thread is stuck; a worker hands in a full inbox and one more without waiting
        for (int i = 0; i < IkeDispatcher.INBOX + 1; i++) {
            sink.ike(PEER, LOCAL, auth(0x400L + i, 1));
        }
        assertThat(dispatcher.counters()).containsEntry("ikev2.dispatch.inbox-full", 1L);

        tunnels.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.counters()
                .getOrDefault("ikev2.dispatch.unknown-spi", 0L) == IkeDispatcher.INBOX);
        assertThat(tunnels.responders).hasSize(1);
    }

    @Test
    void aSessionGetsItsMessagesInTheOrderTheSinkGotThemThoughTheFirstHadToWait() {
        net.palisade.dataplane.worker.IkeSink sink = sinkWithTheDispatchThreadHeld(0x601L);

        // the dispatch thread is held up; a request comes before its session's route and waits in the inbox, the
        // route comes, and the session's next request must not overtake the first
        byte[] first = auth(0x602L, 0x1L);
        sink.ike(PEER, LOCAL, first);
        TestProbe<IkeSessionActor.Command> session = kit.createTestProbe();
        dispatcher.register(0x602L, session.ref());
        byte[] second = auth(0x602L, 0x2L);
        sink.ike(PEER, LOCAL, second);
        session.expectNoMessage(QUIET);

        tunnels.release.countDown();
        assertThat(session.expectMessageClass(IkeSessionActor.Inbound.class).datagram()).isEqualTo(first);
        assertThat(session.expectMessageClass(IkeSessionActor.Inbound.class).datagram()).isEqualTo(second);
    }

    @Test
    void throughTheSinkARegisteredSessionGetsItsMessagesAndABrokenHeaderIsStillDroppedAndCounted() {
        TestProbe<IkeSessionActor.Command> session = kit.createTestProbe();
        dispatcher.register(0x701L, session.ref());
        net.palisade.dataplane.worker.IkeSink sink = dispatcher.sink();
        byte[] request = auth(0x701L, 0x9L);
        sink.ike(PEER, LOCAL, request);
        IkeSessionActor.Inbound in = session.expectMessageClass(IkeSessionActor.Inbound.class);
        assertThat(in.datagram()).isEqualTo(request);
        assertThat(in.from()).isEqualTo(PEER);
        assertThat(in.to()).isEqualTo(LOCAL);

        sink.ike(PEER, LOCAL, java.util.Arrays.copyOf(request, request.length - 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.counters()
                .getOrDefault("ikev2.decode.length_mismatch", 0L) == 1L);
        session.expectNoMessage(QUIET);
    }

    @Test
    void aPeerNameIsMatchedOnceResolved() {
        tunnels.wanted.put("n", tunnel("n", IkeMode.PASSIVE, List.of(Host.parse("gw-b.lab"))));
        dispatcher.receive(PEER, LOCAL, init(0x501L));
        assertThat(tunnels.responders).as("the name was not resolved yet").isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> resolver.isPeer(Host.parse("gw-b.lab"),
                PEER.getAddress()));
        dispatcher.receive(PEER, LOCAL, init(0x501L));
        assertThat(tunnels.responders).as("the retransmission matches the new answer").hasSize(1);
    }
}
