package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import net.palisade.controlplane.MutableClock;
import net.palisade.model.IkeTunnel;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The routes the node sets up towards an actor it hands an IKE SA to, on the real {@link IkeDispatcher}: a running
 * actor is routed the IKE SA's SPIs before it is told, so that one that takes the IKE SA and lets it go at once (a
 * losing duplicate handed to a {@link ClosingIkeSa}) leaves no route to itself behind.
 */
class StarterRoutesTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T07:00:00Z"));
    private final PeerResolver resolver = new PeerResolver(Optional.empty(), 500, name -> List.of(), System::nanoTime);
    private final IkeDispatcher dispatcher = new IkeDispatcher(new IkeDispatcher.Tunnels() {
        @Override
        public Collection<IkeTunnel> tunnels() {
            return List.of();
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public Optional<ActorRef<IkeSessionActor.Command>> session(String label) {
            return Optional.empty();
        }

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first) {
            throw new AssertionError("no responder here");
        }
    }, resolver, Cookies.standard(Cookies.DEFAULT_THRESHOLD), new FakeIkeTransport(), clock);

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @AfterEach
    void close() {
        dispatcher.close();
        resolver.close();
    }

    @Test
    void anActorHandedAnIkeSaIsRoutedItBeforeItIsToldAndOneThatLetsItGoAtOnceKeepsNoRoute() {
        StarterRoutes routes = new StarterRoutes(dispatcher);
        TestProbe<IkeSessionActor.Command> actor = kit.createTestProbe();
        long spi = 0x1122334455667788L;
        AtomicBoolean routedWhenTold = new AtomicBoolean();
        routes.handOver(actor.ref(), List.of(spi), () -> routedWhenTold.set(dispatcher.routesTo(spi, actor.ref())));
        assertThat(routedWhenTold).as("the peer's next request reaches it even before it registers the IKE SA")
                .isTrue();

        // the actor takes the next IKE SA and lets it go at once, before the node's call returns (another thread)
        long next = 0x0102030405060708L;
        routes.handOver(actor.ref(), List.of(next), () -> dispatcher.unregister(next, actor.ref()));
        assertThat(dispatcher.routesTo(next, actor.ref())).as("no route to an actor that let the IKE SA go").isFalse();
        assertThat(dispatcher.routesTo(spi, actor.ref())).isTrue();

        routes.unroute(actor.ref());
        assertThat(dispatcher.routesTo(spi, actor.ref())).as("unrouted when it ends or is stopped").isFalse();
        assertThat(dispatcher.routes()).isZero();
    }
}
