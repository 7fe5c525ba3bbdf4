package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.event.FailureReason;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Dead peer detection and failover with the real {@link IkeSessionActor} against in-memory responder engines (one
 * per peer address) behind a fake transport that can cut a peer off; short retransmissions keep it fast.
 */
class IkeFailoverTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    /** The peers of the tunnels of these tests and of {@link IkeEndpointsTest}. */
    static final InetAddress PEER_1 = IkeLoop.ip("192.0.2.2");
    static final InetAddress PEER_2 = IkeLoop.ip("192.0.2.3");
    /** Short retransmissions (150 ms, three times), so that a peer is given up quickly. */
    static final IkeSettings FAST = new IkeSettings(true, List.of(Duration.ofMillis(150),
            Duration.ofMillis(150), Duration.ofMillis(150)));

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /**
     * Responder engines per initiator SPI, a journal of what the actor reports, peers that can be cut off, host names
     * that resolve (or not) and our current address towards the peers.
     */
    static final class FakeNet implements SessionDriver {
        final IkeTunnel responderTunnel;
        final Set<InetAddress> cutOff = ConcurrentHashMap.newKeySet();
        final Map<String, InetAddress> names = new ConcurrentHashMap<>();
        volatile InetSocketAddress local = IkeLoop.A;
        final List<String> details = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** The source address of every datagram sent, in order. */
        final List<InetAddress> sources = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Map<Long, IkeSession> responders = new ConcurrentHashMap<>();
        final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
        final BlockingQueue<String> journal = new LinkedBlockingQueue<>();
        final List<String> seen = new ArrayList<>();
        /** The next send throws (a defect on the actor's path, as a test can provoke one). */
        volatile boolean failNextSend;

        FakeNet(IkeTunnel responderTunnel) {
            this.responderTunnel = responderTunnel;
        }

        @Override
        public synchronized void send(IkeOutput.Send s) {
            if (failNextSend) {
                failNextSend = false;
                throw new IllegalStateException("injected failure");
            }
            if (cutOff.contains(s.to().getAddress())) {
                return;
            }
            sources.add(s.from().getAddress());
            long spi = ByteBuffer.wrap(s.datagram()).getLong(0);
            IkeSession r = responders.computeIfAbsent(spi, k -> IkeSession.responder(responderTunnel, s.to(),
                    s.from(), IkeEnvironment.standard(Clock.systemUTC()), FAST));
            for (IkeOutput o : r.handle(new IkeInput.Received(s.datagram().clone(), s.from(), s.to())).outputs()) {
                ActorRef<IkeSessionActor.Command> a = routes.get(spi);
                if (o instanceof IkeOutput.Send back && a != null) {
                    a.tell(new IkeSessionActor.Inbound(back.datagram(), back.from(), back.to()));
                }
            }
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            switch (e) {
                case IkeOutput.Phase1Up p -> journal.add("phase1-up " + p.peer().getAddress().getHostAddress());
                case IkeOutput.Phase1Down p -> {
                    details.add(p.detail());
                    journal.add("phase1-down");
                }
                case IkeOutput.NegotiationFailed f -> {
                    details.add(f.detail());
                    journal.add("negotiation-failed " + f.reason());
                }
                default -> {
                    // not needed here
                }
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
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel,
                Host peer) {
            InetAddress to = peer.ip().orElseGet(() -> names.get(peer.dnsName().orElseThrow()));
            if (to == null) {
                return java.util.concurrent.CompletableFuture.failedFuture(new java.net.UnknownHostException(
                        peer.toString()));
            }
            return java.util.concurrent.CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(local,
                    new InetSocketAddress(to, 500)));
        }

        @Override
        public String hostName() {
            return "gw-a.example";
        }

        @Override
        public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
            routes.put(initiatorSpi, actor);
        }

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
            routes.remove(initiatorSpi, actor);
        }

        /** Waits (at most 20 s) for {@code expected}, recording everything reported before it. */
        void await(String expected) throws InterruptedException {
            await(expected, Duration.ofSeconds(20));
        }

        /** Waits (at most {@code limit}) for {@code expected}, recording everything reported before it. */
        void await(String expected, Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (System.nanoTime() < deadline) {
                String e = journal.poll(100, TimeUnit.MILLISECONDS);
                if (e != null) {
                    seen.add(e);
                    if (e.equals(expected)) {
                        return;
                    }
                }
            }
            throw new AssertionError("no " + expected + " within " + limit + "; reported: " + seen);
        }
    }

    private static IkeTunnel twoPeers(Duration dpd) {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(),
                List.of(Host.of(PEER_1), Host.of(PEER_2)), t.ikeSa(), t.childSa(), t.srcId(), t.dstId(),
                t.authentication(), Optional.of(dpd), t.ping());
    }

    @Test
    void aSilentPeerIsDpdLostThenTheNextPeerTakesOverUntilTheHeadAnswersAgain() throws InterruptedException {
        IkeTunnel t = twoPeers(Duration.ofMillis(500));
        FakeNet net = new FakeNet(IkeLoop.mirror(t));
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("phase1-up 192.0.2.2");

        net.cutOff.add(PEER_1);
        net.await("dpd-lost");
        net.await("peer-switched 192.0.2.3");
        net.await("phase1-up 192.0.2.3");
        assertThat(net.seen).doesNotContain("phase1-down");

        net.cutOff.remove(PEER_1);
        net.await("phase1-down");
        net.await("peer-switched 192.0.2.2");
        net.await("phase1-up 192.0.2.2");
        assertThat(net.seen).containsSubsequence("phase1-up 192.0.2.2", "dpd-lost", "peer-switched 192.0.2.3",
                "phase1-up 192.0.2.3", "phase1-down", "peer-switched 192.0.2.2", "phase1-up 192.0.2.2");
        kit.stop(actor);
    }

    @Test
    void aFailureInsideTheSessionIsJournaledItsIkeSaReportedDownAndTheTunnelStartsAgain()
            throws InterruptedException {
        IkeTunnel t = twoPeers(Duration.ofMillis(500));
        FakeNet net = new FakeNet(IkeLoop.mirror(t));
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("phase1-up 192.0.2.2");
        net.failNextSend = true; // the next DPD probe fails on its way out
        net.await("negotiation-failed OTHER");
        net.await("phase1-down");
        assertThat(net.details).anyMatch(d -> d.contains("internal error"));
        net.await("phase1-up 192.0.2.2"); // started again, same peer: no failover for our own defect
        assertThat(net.seen).noneMatch(e -> e.startsWith("peer-switched") || e.equals("dpd-lost"));
        kit.stop(actor);
    }

    @Test
    void withOnePeerADeadPeerIsDpdLostAndNoSwitch() throws InterruptedException {
        IkeTunnel two = twoPeers(Duration.ofMillis(500));
        IkeTunnel t = new IkeTunnel(two.label(), two.mode(), two.exchange(), two.from(), two.to(), two.local(),
                List.of(Host.of(PEER_1)), two.ikeSa(), two.childSa(), two.srcId(), two.dstId(), two.authentication(),
                two.dpd(), two.ping());
        FakeNet net = new FakeNet(IkeLoop.mirror(t));
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("phase1-up 192.0.2.2");
        net.cutOff.add(PEER_1);
        net.await("dpd-lost");
        net.cutOff.remove(PEER_1);
        net.await("phase1-up 192.0.2.2"); // the usual retry, same peer
        assertThat(net.seen).noneMatch(e -> e.startsWith("peer-switched")).doesNotContain("phase1-down");
        kit.stop(actor);
    }

    @Test
    void aLostPingEndsTheIkeSaAndMovesToTheNextPeerAtOnceLikeDpd() throws InterruptedException {
        IkeTunnel t = twoPeers(Duration.ofSeconds(30)); // DPD would take far longer than this test
        FakeNet net = new FakeNet(IkeLoop.mirror(t));
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("phase1-up 192.0.2.2");
        long sentBefore = net.sources.size();

        actor.tell(IkeSessionActor.PingLost.INSTANCE);
        net.await("phase1-down");
        net.await("peer-switched 192.0.2.3");
        net.await("phase1-up 192.0.2.3", Duration.ofSeconds(3)); // at once, not after a retry pause
        assertThat(net.details).contains("ping lost");
        assertThat(net.seen).doesNotContain("dpd-lost");
        assertThat(net.sources.size()).isGreaterThan((int) sentBefore); // the Delete to the old peer, best effort
        kit.stop(actor);
    }

    @Test
    void aLostPingBeforeTheIkeSaIsUpChangesNothing() throws InterruptedException {
        IkeTunnel t = twoPeers(Duration.ofSeconds(30));
        FakeNet net = new FakeNet(IkeLoop.mirror(t));
        net.cutOff.add(PEER_1);
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        actor.tell(IkeSessionActor.PingLost.INSTANCE);
        net.await("negotiation-failed TIMEOUT");
        assertThat(net.seen).noneMatch(e -> e.startsWith("peer-switched")).doesNotContain("phase1-down");
        kit.stop(actor);
    }

    @Test
    void aHeadThatNeverAnswersIsLeftForTheNextPeerAfterTheUsualRetryPause() throws InterruptedException {
        IkeTunnel t = twoPeers(Duration.ofMillis(500));
        FakeNet net = new FakeNet(IkeLoop.mirror(t));
        net.cutOff.add(PEER_1);
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("negotiation-failed TIMEOUT");
        net.await("peer-switched 192.0.2.3");
        net.await("phase1-up 192.0.2.3");
        assertThat(net.seen).doesNotContain("dpd-lost");
        kit.stop(actor);
    }

    @Test
    void peersAreTriedInListOrderWrappingToTheHead() {
        PeerFailover f = PeerFailover.of(twoPeers(Duration.ofSeconds(30)));
        assertThat(f.current()).isEqualTo(Host.of(PEER_1));
        assertThat(f.atHead()).isTrue();
        assertThat(f.canSwitch()).isTrue();
        assertThat(f.advance()).isEqualTo(Host.of(PEER_2));
        assertThat(f.atHead()).isFalse();
        assertThat(f.advance()).isEqualTo(Host.of(PEER_1));
        f.advance();
        assertThat(f.backToHead()).isEqualTo(Host.of(PEER_1));
        assertThat(new PeerFailover(List.of(Host.of(PEER_1))).canSwitch()).isFalse();
    }

    @Test
    void onlyATimeoutOfAnEstablishedSaCountsAsADeadPeer() {
        IkeSaId id = new IkeSaId(1, 2);
        assertThat(PeerFailover.peerDead(new IkeOutput.Phase1Down(id, Optional.of(FailureReason.TIMEOUT), "x")))
                .isTrue();
        assertThat(PeerFailover.peerDead(new IkeOutput.Phase1Down(id, Optional.empty(), "deleted"))).isFalse();
        assertThat(PeerFailover.peerDead(new IkeOutput.NegotiationFailed(FailureReason.TIMEOUT, "x"))).isFalse();
        assertThat(PeerFailover.setupTimedOut(new IkeOutput.NegotiationFailed(FailureReason.TIMEOUT, "x"))).isTrue();
        assertThat(PeerFailover.setupTimedOut(new IkeOutput.NegotiationFailed(FailureReason.AUTHENTICATION_FAILED,
                "x"))).isFalse();
    }

    @Test
    void aShorterRetransmissionScheduleDetectsADeadPeerSooner() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), new IkeSettings(true, List.of(Duration.ofSeconds(1),
                Duration.ofSeconds(1)))).start();
        loop.network = (f, l) -> 0;
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(PeerFailover.peerDead(loop.events(true, IkeOutput.Phase1Down.class).getFirst())).isTrue();
    }
}
