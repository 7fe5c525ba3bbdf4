package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
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
 * A site starts three connections to three {@code passive} tunnels of a hub at once: its three IKE_SA_INITs all
 * reach the first tunnel's actor (the first candidate) before any IKE_AUTH does — the hub holds every IKE_AUTH
 * request until it has seen the three IKE_SA_INITs, then lets them in after the third, the latest first. The first
 * is answered by a new responder, the second beside it, the third by a {@link SpareResponder}; each IKE_AUTH then
 * hands its IKE SA to the tunnel it chose, and all three come up, each answered at once (no IKE_SA_INIT sent twice).
 * Before spares the third replaced the second, whose IKE_AUTH went unanswered. Real session actors on both sides, in
 * memory.
 */
class SpareResponderTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final InetSocketAddress SITE = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final InetSocketAddress HUB = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    /** Slow retransmissions: a request answered at once is never sent twice, one left unanswered is at 2 s. */
    private static final IkeSettings SLOW = new IkeSettings(true, List.of(Duration.ofSeconds(2),
            Duration.ofSeconds(2), Duration.ofSeconds(2)));
    private static final IkeTunnel BASE = IkeLoop.gcm("p", DhGroup.CURVE25519);

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /** The hub: IKE_AUTH requests wait until three IKE_SA_INITs have arrived, then go in after it, the latest first. */
    static final class Hub extends MemoryNode {
        final AtomicInteger inits = new AtomicInteger();
        private final List<IkeOutput.Send> held = new ArrayList<>();

        Hub() {
            super(SpareResponderTest.kit, SLOW, HUB);
        }

        @Override
        void receive(IkeOutput.Send s) {
            byte[] d = s.datagram();
            List<IkeOutput.Send> now = List.of(s);
            synchronized (held) {
                if ((d[18] & 0xff) == 34 && request(d)) {
                    inits.incrementAndGet();
                } else if (auth(d) && request(d) && inits.get() < 3) {
                    held.add(s);
                    return;
                }
                if (inits.get() >= 3 && !held.isEmpty()) {
                    List<IkeOutput.Send> all = new ArrayList<>(List.of(s)); // the third IKE_SA_INIT first
                    all.addAll(held.reversed());
                    held.clear();
                    now = all;
                }
                now.forEach(super::receive); // under the lock: in this order
            }
        }
    }

    /**
     * Two IKE SAs of one peer half-open at the hub's tunnel (its responder's, one beside it), then IKE_SA_INITs the
     * hub refuses at once — no proposal it takes (NO_PROPOSAL_CHOSEN), a first key exchange it does not take
     * (INVALID_KE_PAYLOAD), each sent twice with the same SPI as a peer's retransmission — and one it takes: each
     * refusal is answered without a spare responder actor or a route (under a flood of unauthenticated requests beside
     * a busy session a refusal costs a counter, not an actor), and the acceptable one still gets its spare.
     */
    @Test
    void anIkeSaInitRefusedBesideABusySessionIsAnsweredWithoutAnActorOrARoute() {
        List<IkeOutput.Send> toPeer = new java.util.concurrent.CopyOnWriteArrayList<>();
        MemoryNode peer = new MemoryNode(kit, SLOW, SITE) {
            @Override
            void receive(IkeOutput.Send s) {
                toPeer.add(s);
            }
        };
        MemoryNode hub = new MemoryNode(kit, SLOW, HUB);
        hub.peer = peer;
        hub.candidates = List.of(IkeLoop.named("one", IkeMode.PASSIVE, Optional.empty(), Optional.empty(),
                IkeLoop.mirror(BASE)));
        for (int n = 0; n < 2; n++) {
            long spi = initiate(hub, BASE);
            answered(toPeer, spi, 1, Optional.empty());
        }
        assertThat(hub.routes).as("the two half-open IKE SAs").hasSize(2);
        IkeTunnel cbc = IkeLoop.tunnel("p", List.of(net.palisade.model.crypto.EncryptionAlgorithm.AES_128),
                List.of(net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_256), List.of(DhGroup.CURVE25519),
                List.of(net.palisade.model.crypto.EncryptionAlgorithm.AES_128),
                List.of(net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_256), IkeLoop.SITE_A, IkeLoop.SITE_B);
        IkeTunnel ecpFirst = IkeLoop.gcm("p", DhGroup.ECP256, DhGroup.CURVE25519);
        var noProposal = net.palisade.model.wire.ikev2.NotifyType.Known.NO_PROPOSAL_CHOSEN;
        var invalidKe = net.palisade.model.wire.ikev2.NotifyType.Known.INVALID_KE_PAYLOAD;
        for (var refused : List.of(java.util.Map.entry(cbc, noProposal), java.util.Map.entry(ecpFirst, invalidKe))) {
            byte[] init = request(refused.getKey());
            long spi = java.nio.ByteBuffer.wrap(init).getLong(0);
            for (int copy = 1; copy <= 2; copy++) {
                hub.deliver(new IkeSessionActor.Inbound(init.clone(), SITE, HUB));
                answered(toPeer, spi, copy, Optional.of(refused.getValue()));
                assertThat(hub.journal).filteredOn(e -> e.endsWith(" spare")).as("refused without a spare responder")
                        .isEmpty();
                assertThat(hub.routes).as("no route for the refused request").doesNotContainKey(spi);
            }
        }
        assertThat(hub.journal).filteredOn(e -> e.endsWith(" refused")).hasSize(4);
        assertThat(hub.sessions.keySet()).as("no actor but the tunnel's").containsExactly("one");

        long spi = initiate(hub, BASE);
        answered(toPeer, spi, 1, Optional.empty());
        assertThat(hub.journal).filteredOn(e -> e.endsWith(" spare")).as("one it takes goes to a spare")
                .containsExactly("one spare");
        assertThat(hub.routes).containsKey(spi);
    }

    /** An IKE_SA_INIT request of a new initiator IKE SA of {@code t} at {@link #SITE}. */
    private static byte[] request(IkeTunnel t) {
        IkeSession s = IkeSession.initiator(t, SITE, HUB, IkeEnvironment.standard(java.time.Clock.systemUTC()));
        return s.handle(new IkeInput.Start()).outputs().stream().filter(IkeOutput.Send.class::isInstance)
                .map(o -> ((IkeOutput.Send) o).datagram()).findFirst().orElseThrow();
    }

    /** Delivers a new IKE_SA_INIT request of {@code t} to {@code hub}: its initiator SPI. */
    private static long initiate(MemoryNode hub, IkeTunnel t) {
        byte[] init = request(t);
        hub.deliver(new IkeSessionActor.Inbound(init, SITE, HUB));
        return java.nio.ByteBuffer.wrap(init).getLong(0);
    }

    /** Waits for {@code count} IKE_SA_INIT responses of initiator SPI {@code spi}, each with {@code refusal} if any. */
    private static void answered(List<IkeOutput.Send> sent, long spi, int count,
            Optional<net.palisade.model.wire.ikev2.NotifyType.Known> refusal) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> responses(sent, spi).size() >= count);
        assertThat(responses(sent, spi)).hasSize(count).allSatisfy(r -> assertThat(refusal
                .map(n -> r.notify(n).isPresent())
                .orElse(r.notify(net.palisade.model.wire.ikev2.NotifyType.Known.NO_PROPOSAL_CHOSEN).isEmpty()
                        && r.notify(net.palisade.model.wire.ikev2.NotifyType.Known.INVALID_KE_PAYLOAD).isEmpty()))
                .isTrue());
    }

    private static List<net.palisade.model.wire.ikev2.IkeMessage> responses(List<IkeOutput.Send> sent, long spi) {
        var codec = net.palisade.model.wire.ikev2.Ikev2Codec.standard();
        return sent.stream().map(s -> codec.decode(s.datagram()))
                .filter(d -> d instanceof net.palisade.model.wire.ikev2.DecodeResult.Ok<?>)
                .map(d -> ((net.palisade.model.wire.ikev2.DecodeResult.Ok<net.palisade.model.wire.ikev2.IkeMessage>) d)
                        .value())
                .filter(r -> r.header().response() && r.header().initiatorSpi() == spi).toList();
    }

    @Test
    void threeIkeSaInitsAtOnceFromOnePeerEachComeUpInTheTunnelTheirIkeAuthChose() {
        MemoryNode site = new MemoryNode(kit, SLOW, SITE);
        Hub hub = new Hub();
        site.peer = hub;
        hub.peer = site;
        IkeTunnel mirror = IkeLoop.mirror(BASE);
        List<String> labels = List.of("one", "two", "three");
        hub.candidates = labels.stream().map(l -> IkeLoop.named(l, IkeMode.PASSIVE, Optional.empty(),
                Optional.of("site-" + l + ".example"), mirror)).toList();
        // the connection for the hub's first tunnel starts last: its IKE SA reaches the spare, and its IKE_AUTH,
        // let in first, hands it to the actor that holds the other two half-open
        for (String l : labels.reversed()) {
            site.sessions.put(l, kit.spawn(IkeSessionActor.initiator(site, SLOW,
                    IkeLoop.named(l, IkeMode.ACTIVE, Optional.of("site-" + l + ".example"), Optional.empty(), BASE))));
        }
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() ->
                    labels.stream().allMatch(l -> hub.journal.contains(l + " ChildSaInstalled")
                            && site.journal.contains(l + " ChildSaInstalled")));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("hub " + hub.journal + ", site " + site.journal, e);
        }
        assertThat(hub.journal).as("the third IKE_SA_INIT went to a spare responder").contains("one spare");
        assertThat(hub.inits.get()).as("IKE_SA_INITs the hub received: none sent twice").isEqualTo(3);
        for (String l : labels) {
            assertThat(hub.journal).as(l).containsOnlyOnce(l + " Phase1Up", l + " ChildSaInstalled");
        }
        assertThat(hub.journal).noneMatch(e -> e.endsWith("NegotiationFailed") || e.endsWith("Phase1Down"));
        assertThat(site.journal).noneMatch(e -> e.endsWith("NegotiationFailed") || e.endsWith("Phase1Down"));
        assertThat(hub.sessions.keySet()).as("the spare ended once it handed its IKE SA over")
                .containsExactlyInAnyOrderElementsOf(labels);
    }

    /**
     * A spare responder whose step throws (a defect: here the node's send, for its answer to the IKE_SA_INIT) ends as
     * when its IKE SA closes, the node told, instead of stopping unseen with its SPIs still routed to it; the tunnel's
     * own actor and its half-open IKE SAs go on.
     */
    @Test
    void aSpareResponderThatThrowsEndsAndTellsTheNode() {
        List<IkeOutput.Send> toPeer = new java.util.concurrent.CopyOnWriteArrayList<>();
        MemoryNode peer = new MemoryNode(kit, SLOW, SITE) {
            @Override
            void receive(IkeOutput.Send s) {
                toPeer.add(s);
            }
        };
        java.util.concurrent.atomic.AtomicLong failOn = new java.util.concurrent.atomic.AtomicLong();
        MemoryNode hub = new MemoryNode(kit, SLOW, HUB) {
            @Override
            public void send(IkeOutput.Send s) {
                if (java.nio.ByteBuffer.wrap(s.datagram()).getLong(0) == failOn.get()) {
                    throw new IllegalStateException("a defect in carrying out the spare's step");
                }
                super.send(s);
            }
        };
        hub.peer = peer;
        hub.candidates = List.of(IkeLoop.named("one", IkeMode.PASSIVE, Optional.empty(), Optional.empty(),
                IkeLoop.mirror(BASE)));
        for (int n = 0; n < 2; n++) {
            long spi = initiate(hub, BASE);
            answered(toPeer, spi, 1, Optional.empty());
        }
        byte[] init = request(BASE);
        long spi = java.nio.ByteBuffer.wrap(init).getLong(0);
        failOn.set(spi);
        hub.deliver(new IkeSessionActor.Inbound(init, SITE, HUB));
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> hub.journal.contains("one spare")
                        && hub.sessions.keySet().stream().noneMatch(k -> k.contains("@spare:")));
        assertThat(hub.sessions.keySet()).as("the tunnel's own actor goes on").containsExactly("one");
        assertThat(responses(toPeer, spi)).as("nothing left for the failed spare").isEmpty();

        long next = initiate(hub, BASE); // the tunnel's actor still answers beside its half-open IKE SAs
        answered(toPeer, next, 1, Optional.empty());
    }
}
