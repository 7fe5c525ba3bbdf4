package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An IKE SA we answered as responder and closed at once (the losing duplicate), whose IKE_AUTH answer was lost: the
 * initiator retransmits its IKE_AUTH request, which reaches the {@link ClosingIkeSa}. It must answer from the
 * engine's cache (the same response), so that the initiator's IKE SA comes up and our Delete, which the initiator
 * can only take for an IKE SA it has, removes it; the initiator's answer to the Delete then ends the actor and its
 * routes. A real {@link ClosingIkeSa} actor; the initiator is an engine fed by hand.
 */
class ClosingIkeSaTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final IkeTunnel T = IkeLoop.gcm("p", DhGroup.CURVE25519);
    private static final Duration LIMIT = Duration.ofSeconds(10);

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /** The node: what the closing IKE SA sends, its routes, and which actors ended. */
    static final class Node implements SessionDriver {
        final List<IkeOutput.Send> sent = new CopyOnWriteArrayList<>();
        final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
        final List<ActorRef<IkeSessionActor.Command>> ended = new CopyOnWriteArrayList<>();
        volatile ActorRef<IkeSessionActor.Command> closing;

        @Override
        public void send(IkeOutput.Send s) {
            sent.add(s);
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            throw new AssertionError("a closing IKE SA reports nothing: " + e);
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            throw new AssertionError("a closing IKE SA reports nothing");
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            throw new AssertionError("a closing IKE SA reports nothing");
        }

        @Override
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel t, Host peer) {
            return java.util.concurrent.CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public String hostName() {
            return "hub.example";
        }

        @Override
        public void register(long spi, ActorRef<IkeSessionActor.Command> a) {
            routes.put(spi, a);
        }

        @Override
        public void unregister(long spi, ActorRef<IkeSessionActor.Command> a) {
            routes.remove(spi, a);
        }

        @Override
        public void ended(String label, ActorRef<IkeSessionActor.Command> actor) {
            ended.add(actor);
        }

        @Override
        public void closing(String label, IkeSessionActor.Adopt c) {
            java.util.Set<Long> spis = java.util.Set.copyOf(c.engine().initiatorSpis()); // before its actor runs
            closing = kit.spawn(ClosingIkeSa.of(this, label, c));
            spis.forEach(spi -> routes.put(spi, closing));
        }
    }

    @Test
    void aClosingIkeSaAnswersARetransmittedIkeAuthFromItsCacheAndEndsWhenItsDeleteIsAnswered() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T));
        // the engines' clock near the actor's (its timers are real ones): retransmissions 1 s ahead, not 10 days late
        loop.clock.advance(Duration.between(loop.clock.instant(), Instant.now()));
        List<byte[]> lost = new CopyOnWriteArrayList<>();
        loop.network = (f, l) -> {
            if (!f.toB() && MemoryNode.auth(f.datagram()) && !MemoryNode.request(f.datagram())) {
                lost.add(f.datagram());
                return 0;
            }
            return 1;
        };
        loop.start();
        assertThat(loop.b.state()).as("the responder answered IKE_AUTH").isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.state()).as("the initiator never got the answer").isNotEqualTo(IkeState.ESTABLISHED);
        assertThat(lost).hasSize(1);
        byte[] authRequest = loop.delivered.stream().filter(f -> f.toB() && MemoryNode.auth(f.datagram()))
                .map(IkeLoop.Flight::datagram).findFirst().orElseThrow();

        Node node = new Node();
        ClosingIkeSa.close(node, T.label(), loop.b, IkeLoop.B, IkeLoop.A);
        assertThat(node.closing).as("an established IKE SA goes on closing in an actor").isNotNull();
        assertThat(node.sent).as("its Delete").hasSize(1);
        byte[] delete = node.sent.getFirst().datagram();

        // the initiator retransmits its IKE_AUTH request: the closing IKE SA answers it with the cached response
        node.closing.tell(new IkeSessionActor.Inbound(authRequest.clone(), IkeLoop.A, IkeLoop.B));
        Awaitility.await().atMost(LIMIT).pollInterval(Duration.ofMillis(10))
                .until(() -> node.sent.stream().anyMatch(s -> MemoryNode.auth(s.datagram())));
        List<IkeOutput.Send> auths = node.sent.stream().filter(s -> MemoryNode.auth(s.datagram())).toList();
        assertThat(auths).hasSize(1);
        assertThat(auths.getFirst().datagram()).as("the lost IKE_AUTH response, from the cache")
                .isEqualTo(lost.getFirst());
        assertThat(auths.getFirst().to()).isEqualTo(IkeLoop.A);

        // so the initiator's IKE SA comes up, and our Delete removes it; its answer ends the closing IKE SA
        assertThat(loop.a.handle(new IkeInput.Received(auths.getFirst().datagram(), IkeLoop.B, IkeLoop.A))
                .outputs()).anyMatch(IkeOutput.Phase1Up.class::isInstance);
        IkeSession.Step deleted = loop.a.handle(new IkeInput.Received(delete, IkeLoop.B, IkeLoop.A));
        assertThat(deleted.outputs()).anyMatch(IkeOutput.Phase1Down.class::isInstance);
        byte[] answer = deleted.outputs().stream().filter(IkeOutput.Send.class::isInstance)
                .map(o -> ((IkeOutput.Send) o).datagram()).findFirst().orElseThrow();
        node.closing.tell(new IkeSessionActor.Inbound(answer, IkeLoop.A, IkeLoop.B));
        Awaitility.await().atMost(LIMIT).pollInterval(Duration.ofMillis(10))
                .until(() -> node.ended.contains(node.closing));
        assertThat(node.routes).as("its routes went with it").isEmpty();
    }
}
