package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import net.palisade.model.Host;
import net.palisade.model.Identity;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.secret.Secret;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Two tunnels of a hub accept the same site's address; the site's IKE_SA_INIT reaches the first one's responder
 * actor, and its IKE_AUTH chooses the second: the IKE SA is handed to the second tunnel's actor, which reports it
 * (the first reports nothing) and keeps answering the site. Real session actors on both sides, datagrams handed
 * over in memory as {@link IkeDispatcher} would route them, with the IKE_AUTH request duplicated and the first
 * IKE_AUTH response lost.
 */
class TunnelHandoverTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final InetSocketAddress SITE = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final InetSocketAddress HUB = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    private static final IkeSettings FAST = new IkeSettings(true, List.of(Duration.ofMillis(150),
            Duration.ofMillis(150), Duration.ofMillis(150)));
    private static final IkeTunnel BASE = IkeLoop.gcm("p", DhGroup.CURVE25519);

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    private static IkeTunnel tunnel(String label, IkeMode mode, Optional<String> srcId, Optional<String> dstId,
            IkeTunnel shape) {
        return new IkeTunnel(label, mode, shape.exchange(), shape.from(), shape.to(), shape.local(),
                mode == IkeMode.PASSIVE ? List.of() : shape.peers(), shape.ikeSa(), shape.childSa(),
                srcId.map(Identity::parse), dstId.map(Identity::parse), new IkeAuth.Psk(Secret.ofText("p")),
                Optional.empty(), shape.ping());
    }

    /** One side: its routes by initiator SPI, its tunnels' actors, and what they reported, as "label Event". */
    static final class Side implements SessionDriver {
        final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
        final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
        final List<String> journal = new CopyOnWriteArrayList<>();
        final InetSocketAddress me;
        /** The tunnels that accept a new IKE_SA_INIT, the first answering (the hub's). */
        List<IkeTunnel> candidates = List.of();
        volatile Side peer;
        final AtomicInteger authRequests = new AtomicInteger();
        final AtomicInteger authResponses = new AtomicInteger();

        Side(InetSocketAddress me) {
            this.me = me;
        }

        /** A datagram arrives: to its IKE SA's actor, or a new IKE_SA_INIT to the first candidate's. */
        void receive(IkeOutput.Send s) {
            byte[] d = s.datagram().clone();
            ByteBuffer h = ByteBuffer.wrap(d);
            long spiI = h.getLong(0);
            boolean auth = (d[18] & 0xff) == 35;
            boolean request = (d[19] & 0x20) == 0;
            IkeSessionActor.Inbound in = new IkeSessionActor.Inbound(d, s.from(), s.to());
            int copies = 1;
            if (auth && request && authRequests.getAndIncrement() == 0) {
                copies = 2; // the first IKE_AUTH request arrives twice
            }
            if (auth && !request && authResponses.getAndIncrement() == 0) {
                return; // the first IKE_AUTH response is lost
            }
            for (int i = 0; i < copies; i++) {
                ActorRef<IkeSessionActor.Command> to = routes.get(spiI);
                if (to != null) {
                    to.tell(in);
                } else if (h.getLong(8) == 0 && (d[18] & 0xff) == 34 && !candidates.isEmpty()) {
                    IkeTunnel first = candidates.getFirst();
                    ActorRef<IkeSessionActor.Command> own = sessions.get(first.label());
                    if (own != null) {
                        own.tell(new IkeSessionActor.Answer(in, me, candidates));
                    } else {
                        sessions.put(first.label(), kit.spawn(IkeSessionActor.responder(this, FAST, first, me, in,
                                candidates)));
                    }
                }
            }
        }

        @Override
        public void send(IkeOutput.Send s) {
            if (!s.isNatKeepalive()) {
                peer.receive(s);
            }
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            journal.add(label + " " + e.getClass().getSimpleName());
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            journal.add(label + " dpd-lost");
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            journal.add(label + " peer-switched");
        }

        @Override
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel,
                Host peer) {
            return java.util.concurrent.CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(me,
                    this.peer.me));
        }

        @Override
        public String hostName() {
            return "site.example";
        }

        @Override
        public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> a) {
            routes.put(initiatorSpi, a);
        }

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> a) {
            routes.remove(initiatorSpi, a);
        }

        @Override
        public void ended(String label, ActorRef<IkeSessionActor.Command> actor) {
            sessions.remove(label, actor);
        }

        @Override
        public synchronized void adopt(String label, IkeSessionActor.Adopt adopt) {
            journal.add(label + " adopted");
            ActorRef<IkeSessionActor.Command> a = sessions.get(label);
            IkeTunnel t = candidates.stream().filter(c -> c.label().equals(label)).findFirst().orElseThrow();
            if (a != null) {
                a.tell(adopt);
            } else {
                sessions.put(label, kit.spawn(IkeSessionActor.adopted(this, FAST, t, adopt)));
            }
        }
    }

    private static Side[] run(String siteId) {
        Side site = new Side(SITE);
        Side hub = new Side(HUB);
        site.peer = hub;
        hub.peer = site;
        IkeTunnel mirror = IkeLoop.mirror(BASE);
        hub.candidates = List.of(tunnel("one", IkeMode.PASSIVE, Optional.empty(), Optional.of("site-1.example"),
                mirror), tunnel("two", IkeMode.PASSIVE, Optional.empty(), Optional.of("site-2.example"), mirror));
        site.sessions.put("site", kit.spawn(IkeSessionActor.initiator(site, FAST,
                tunnel("site", IkeMode.ACTIVE, Optional.of(siteId), Optional.empty(), BASE))));
        return new Side[] {site, hub};
    }

    private static void await(String what, java.util.function.BooleanSupplier condition, Side site, Side hub) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(what + ": site " + site.journal + ", hub " + hub.journal, e);
        }
    }

    @Test
    void theIkeSaGoesToTheTunnelItsIkeAuthChoseAndStaysReachableThere() {
        Side[] sides = run("site-2.example");
        Side site = sides[0];
        Side hub = sides[1];
        await("up on both sides", () -> site.journal.contains("site ChildSaInstalled")
                && hub.journal.contains("two ChildSaInstalled"), site, hub);
        // what IKE_SA_INIT's NAT detection found (encapsulation is forced here) is said with the IKE SA it is of
        assertThat(hub.journal).containsSubsequence("two adopted", "two NatDetected", "two Phase1Up",
                "two ChildSaInstalled");
        assertThat(hub.journal).noneMatch(e -> e.startsWith("one "));
        assertThat(hub.journal.stream().filter(e -> e.equals("two Phase1Up"))).hasSize(1);
        await("the first tunnel's responder ended", () -> !hub.sessions.containsKey("one"), site, hub);
        long spi = site.routes.keySet().iterator().next();
        assertThat(hub.routes.get(spi)).isEqualTo(hub.sessions.get("two"));
        assertThat(site.authResponses.get()).as("the lost response was sent again").isGreaterThanOrEqualTo(2);
        // the site's liveness check reaches the IKE SA where it went, and is answered
        site.sessions.get("site").tell(IkeSessionActor.PingLost.INSTANCE);
        await("the site re-establishes with the hub's second tunnel", () -> hub.journal.stream()
                .filter(e -> e.equals("two Phase1Up")).count() == 2, site, hub);
        assertThat(hub.journal).noneMatch(e -> e.startsWith("one ") || e.contains("NegotiationFailed"));
    }

    @Test
    void anIdentityNeitherTunnelAcceptsIsRefusedAndNothingComesUp() {
        Side[] sides = run("stranger.example");
        Side site = sides[0];
        Side hub = sides[1];
        await("refused", () -> site.journal.contains("site NegotiationFailed")
                && hub.journal.contains("one NegotiationFailed"), site, hub);
        assertThat(hub.journal).noneMatch(e -> e.endsWith("Phase1Up") || e.endsWith("adopted"));
        assertThat(site.journal).doesNotContain("site Phase1Up");
    }
}
