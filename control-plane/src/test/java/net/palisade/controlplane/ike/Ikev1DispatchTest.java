package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

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
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.model.IkeTunnel;
import net.palisade.model.config.ConfigParser;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ISAKMP (IKEv1) datagrams in the dispatcher: routed by initiator cookie, a phase-1 message 1 starting a responder
 * of a passive IKEv1 tunnel (main mode by the peer's address, aggressive mode by its ID among several), never an
 * IKEv2 tunnel, with drops counted. The message 1s are real ones, made by {@link Ikev1Engine} initiators.
 */
class Ikev1DispatchTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final Duration QUIET = Duration.ofMillis(200);
    private static final InetSocketAddress LOCAL = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final InetSocketAddress PEER = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    private static final String PSK = " psk \"ikev1-dispatch-test-psk\"";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T05:00:00Z"));
    private final FakeIkeTransport transport = new FakeIkeTransport();
    private final Tunnels tunnels = new Tunnels();
    private final PeerResolver resolver = new PeerResolver(Optional.empty(), 500,
            name -> List.of(IkeLoop.ip("192.0.2.2")), System::nanoTime);
    private final IkeDispatcher dispatcher = new IkeDispatcher(tunnels, resolver, new Cookies(clock,
            new Random(5)::nextBytes, Duration.ofMinutes(2), Cookies.DEFAULT_THRESHOLD), transport, clock);

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @AfterEach
    void close() {
        dispatcher.close();
        resolver.close();
    }

    /** The node's tunnels; each responder started is a probe. */
    private static final class Tunnels implements IkeDispatcher.Tunnels {
        final Map<String, IkeTunnel> wanted = new ConcurrentHashMap<>();
        final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
        final List<String> respondedFor = new CopyOnWriteArrayList<>();
        final List<TestProbe<IkeSessionActor.Command>> responders = new CopyOnWriteArrayList<>();

        @Override
        public Collection<IkeTunnel> tunnels() {
            return wanted.values();
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
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first) {
            TestProbe<IkeSessionActor.Command> p = kit.createTestProbe();
            p.ref().tell(first);
            responders.add(p);
            respondedFor.add(tunnel.label());
            sessions.put(tunnel.label(), p.ref());
            return p.ref();
        }
    }

    private void add(String line) {
        for (var t : ConfigParser.parse(line + "\n", "t.conf").orThrow().tunnels()) {
            IkeTunnel ike = (IkeTunnel) t;
            tunnels.wanted.put(ike.label(), ike);
        }
    }

    /** Message 1 of an initiator of {@code line} (as the peer would send it). */
    private byte[] messageOne(String line) {
        IkeTunnel t = (IkeTunnel) ConfigParser.parse(line + "\n", "t.conf").orThrow().tunnels().getFirst();
        Ikev1Engine e = Ikev1Engine.initiator(t, PEER, LOCAL, IkeEnvironment.standard(clock), IkeSettings.DEFAULT);
        return e.handle(new IkeInput.Start()).outputs().stream().filter(o -> o instanceof IkeOutput.Send)
                .map(o -> ((IkeOutput.Send) o).datagram()).findFirst().orElseThrow();
    }

    private static final String PEER_MAIN = "ike main from 10.2.0.0/16 to 10.1.0.0/16 peer 192.0.2.1" + PSK;
    private static final String PEER_AGGRESSIVE = "ike aggressive from 10.2.0.0/16 to 10.1.0.0/16 peer 192.0.2.1"
            + PSK;

    @Test
    void mainModeMessageOneStartsAResponderOfThePassiveIkev1TunnelNotOfTheIkev2One() {
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2" + PSK + " label v2");
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main" + PSK + " label v1");
        byte[] one = messageOne(PEER_MAIN);
        dispatcher.receive(PEER, LOCAL, one);
        assertThat(tunnels.respondedFor).containsExactly("v1");
        TestProbe<IkeSessionActor.Command> r = tunnels.responders.getFirst();
        assertThat(r.expectMessageClass(IkeSessionActor.Inbound.class).datagram()).isEqualTo(one);

        // the responder registers the cookie: the peer's later messages follow it
        long cookie = java.nio.ByteBuffer.wrap(one).getLong(0);
        dispatcher.register(cookie, r.ref());
        byte[] three = one.clone();
        three[8] = 0x55; // a responder cookie: a later message of the same exchange
        dispatcher.receive(PEER, LOCAL, three);
        assertThat(r.expectMessageClass(IkeSessionActor.Inbound.class).datagram()).isEqualTo(three);
        assertThat(tunnels.respondedFor).hasSize(1);
    }

    @Test
    void aMessageForNoCookieOrAMalformedMessageOneIsDroppedAndCounted() {
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 main" + PSK + " label v1");
        byte[] later = messageOne(PEER_MAIN);
        later[8] = 0x55;
        dispatcher.receive(PEER, LOCAL, later);
        byte[] truncated = java.util.Arrays.copyOf(messageOne(PEER_MAIN), 40);
        dispatcher.receive(PEER, LOCAL, truncated);
        assertThat(tunnels.respondedFor).isEmpty();
        assertThat(dispatcher.counters()).containsEntry("ikev1.dispatch.unknown-cookie", 1L)
                .containsEntry("ikev1.dispatch.malformed-first", 1L);
    }

    @Test
    void aggressiveModePicksAmongPassiveTunnelsWithoutPeerByTheIdInMessageOne() {
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive dstid other.example" + PSK + " label other");
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive dstid branch.example" + PSK + " label branch");
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 main" + PSK + " label mm");
        dispatcher.receive(PEER, LOCAL, messageOne(PEER_AGGRESSIVE + " srcid branch.example"));
        assertThat(tunnels.respondedFor).containsExactly("branch");
    }

    @Test
    void anActiveIkev1TunnelWithoutSessionDropsMessageOneAsNotRunning() {
        add("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2" + PSK + " label a");
        dispatcher.receive(PEER, LOCAL, messageOne(PEER_MAIN));
        assertThat(tunnels.respondedFor).isEmpty();
        assertThat(dispatcher.counters()).containsEntry("ikev1.dispatch.not-running", 1L);

        // with its session running, the message goes to it as an Answer (the actor decides)
        TestProbe<IkeSessionActor.Command> own = kit.createTestProbe();
        tunnels.sessions.put("a", own.ref());
        dispatcher.receive(PEER, LOCAL, messageOne(PEER_MAIN));
        own.expectMessageClass(IkeSessionActor.Answer.class);
    }

    @Test
    void halfOpenResponderFromOneSourceAreLimited() {
        add("ike passive from 10.1.0.0/16 to 10.2.0.0/16 main" + PSK + " label v1");
        for (int i = 0; i < IkeDispatcher.V1_HALF_OPEN_PER_SOURCE + 2; i++) {
            tunnels.sessions.clear(); // each its own responder (a spoofer's fresh cookies)
            dispatcher.receive(PEER, LOCAL, messageOne(PEER_MAIN));
        }
        assertThat(tunnels.respondedFor).hasSize(IkeDispatcher.V1_HALF_OPEN_PER_SOURCE);
        assertThat(dispatcher.counters()).containsEntry("ikev1.dispatch.half-open-limit", 2L);
        tunnels.responders.forEach(p -> p.expectMessageClass(IkeSessionActor.Inbound.class));
        tunnels.responders.getFirst().expectNoMessage(QUIET);
    }
}
