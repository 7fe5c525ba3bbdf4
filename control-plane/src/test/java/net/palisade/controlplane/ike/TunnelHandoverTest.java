package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
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

    /** One side ({@link MemoryNode}): the first IKE_AUTH request arrives twice, the first IKE_AUTH response is lost. */
    static final class Side extends MemoryNode {
        final AtomicInteger authRequests = new AtomicInteger();
        final AtomicInteger authResponses = new AtomicInteger();

        Side(InetSocketAddress me) {
            super(TunnelHandoverTest.kit, FAST, me);
        }

        @Override
        void receive(IkeOutput.Send s) {
            byte[] d = s.datagram();
            int copies = 1;
            if (auth(d) && request(d) && authRequests.getAndIncrement() == 0) {
                copies = 2;
            }
            if (auth(d) && !request(d) && authResponses.getAndIncrement() == 0) {
                copies = 0;
            }
            for (int i = 0; i < copies; i++) {
                super.receive(s);
            }
        }
    }

    private static Side[] run(String siteId) {
        Side site = new Side(SITE);
        Side hub = new Side(HUB);
        site.peer = hub;
        hub.peer = site;
        IkeTunnel mirror = IkeLoop.mirror(BASE);
        hub.candidates = List.of(
                IkeLoop.named("one", IkeMode.PASSIVE, Optional.empty(), Optional.of("site-1.example"), mirror),
                IkeLoop.named("two", IkeMode.PASSIVE, Optional.empty(), Optional.of("site-2.example"), mirror));
        site.sessions.put("site", kit.spawn(IkeSessionActor.initiator(site, FAST,
                IkeLoop.named("site", IkeMode.ACTIVE, Optional.of(siteId), Optional.empty(), BASE))));
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
