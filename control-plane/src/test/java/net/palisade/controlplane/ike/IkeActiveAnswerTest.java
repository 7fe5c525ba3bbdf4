package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Two {@code active} gateways facing each other, each a real {@link IkeSessionActor} whose driver hands the other's
 * datagrams over in memory (an unknown IKE_SA_INIT request becomes an {@link IkeSessionActor.Answer}, as {@link
 * IkeDispatcher#receive} does): both initiate, and one IKE SA and one Child SA pair must remain on both sides; a peer that
 * restarts is accepted at once through INITIAL_CONTACT. The dataplane is modelled by what its calls do: a Child SA
 * install replaces the tunnel's pairs, a phase1-down removes them.
 */
class IkeActiveAnswerTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final InetSocketAddress GW_A = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final InetSocketAddress GW_B = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private static final IkeSettings FAST = new IkeSettings(true, List.of(Duration.ofMillis(150),
            Duration.ofMillis(150), Duration.ofMillis(150)));

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /** One gateway: its routes, its peer, what its tunnel journals and which ESP pairs its dataplane holds. */
    static class Gateway implements SessionDriver {
        final InetSocketAddress me;
        final InetSocketAddress peerAddress;
        volatile Gateway peer;
        volatile ActorRef<IkeSessionActor.Command> actor;
        /** A crashed gateway neither sends nor receives. */
        volatile boolean down;
        final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
        final List<String> journal = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** The ESP pairs in the dataplane: {inbound SPI, outbound SPI}. */
        final List<long[]> pairs = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Set<InetAddress> contacted = ConcurrentHashMap.newKeySet();
        final AtomicInteger answers = new AtomicInteger();
        volatile IkeSaId lastUp;

        Gateway(InetSocketAddress me, InetSocketAddress peerAddress) {
            this.me = me;
            this.peerAddress = peerAddress;
        }

        @Override
        public void send(IkeOutput.Send s) {
            Gateway p = peer;
            if (down || p == null || p.down || s.isNatKeepalive() || lost(s.datagram())) {
                return;
            }
            p.receive(new IkeSessionActor.Inbound(s.datagram().clone(), s.from(), s.to()));
        }

        /** Whether {@code d}, sent by this gateway, is lost on the way (none is). */
        boolean lost(byte[] d) {
            return false;
        }

        /**
         * A datagram arrives: to its IKE SA's actor, or, an IKE_SA_INIT request of a new IKE SA, to the tunnel's
         * actor to be answered beside its own ({@link IkeSessionActor.Answer}).
         */
        void receive(IkeSessionActor.Inbound in) {
            byte[] d = in.datagram();
            ByteBuffer h = ByteBuffer.wrap(d);
            long spiI = h.getLong(0);
            ActorRef<IkeSessionActor.Command> to = routes.get(spiI);
            if (to != null) {
                to.tell(in);
                return;
            }
            ActorRef<IkeSessionActor.Command> theirs = actor;
            if (initRequest(d) && theirs != null && routes.putIfAbsent(spiI, theirs) == null) {
                answers.incrementAndGet();
                theirs.tell(new IkeSessionActor.Answer(in, in.to()));
            }
        }

        /** Whether {@code d} is the IKE_SA_INIT request of a new IKE SA (responder SPI 0). */
        static boolean initRequest(byte[] d) {
            return ByteBuffer.wrap(d).getLong(8) == 0 && (d[18] & 0xff) == 34 && (d[19] & 0x28) == 0x08;
        }

        @Override
        public void closing(String label, IkeSessionActor.Adopt closing) {
            Set<Long> spis = Set.copyOf(closing.engine().initiatorSpis()); // before its actor runs it
            ActorRef<IkeSessionActor.Command> a = kit.spawn(ClosingIkeSa.of(this, label, closing));
            spis.forEach(spi -> routes.put(spi, a));
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            switch (e) {
                case IkeOutput.Phase1Up p -> {
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
                case IkeOutput.ChildSaDeleted c -> pairs.removeIf(x -> x[0] == c.inboundSpi());
                case IkeOutput.NegotiationFailed f -> journal.add("negotiation-failed " + f.detail());
                default -> {
                    // not needed here
                }
            }
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            pairs.clear();
            journal.add("dpd-lost");
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            journal.add("peer-switched " + to);
        }

        @Override
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel,
                Host peer) {
            return java.util.concurrent.CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(me,
                    peerAddress));
        }

        @Override
        public String hostName() {
            return "gw.example";
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
        public boolean initialContact(InetAddress p) {
            return !contacted.contains(p);
        }

        @Override
        public void contacted(InetAddress p) {
            contacted.add(p);
        }

        void start(IkeTunnel t) {
            actor = kit.spawn(IkeSessionActor.initiator(this, FAST, t));
        }
    }

    private static void link(Gateway a, Gateway b) {
        a.peer = b;
        b.peer = a;
    }

    /** Both hold exactly one IKE SA (routed by the same initiator SPI) and one ESP pair, each the other's mirror. */
    private static boolean converged(Gateway a, Gateway b) {
        if (a.routes.size() != 1 || !a.routes.keySet().equals(b.routes.keySet())) {
            return false;
        }
        // one copy each: the sessions change the lists while this looks (a size of 1, then empty at getFirst)
        java.util.List<long[]> as = java.util.List.copyOf(a.pairs);
        java.util.List<long[]> bs = java.util.List.copyOf(b.pairs);
        if (as.size() != 1 || bs.size() != 1) {
            return false;
        }
        long[] pa = as.getFirst();
        long[] pb = bs.getFirst();
        return pa[0] == pb[1] && pa[1] == pb[0] && a.lastUp != null && a.lastUp.equals(b.lastUp)
                && a.routes.containsKey(a.lastUp.initiatorSpi());
    }

    private static void await(String what, BooleanSupplier condition, Gateway a, Gateway b) {
        try {
            org.awaitility.Awaitility.await().atMost(LIMIT).pollInSameThread().pollInterval(Duration.ofMillis(20))
                    .until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(what + " not reached within " + LIMIT + "; A: " + a.journal + " routes "
                    + a.routes.keySet() + "; B: " + b.journal + " routes " + b.routes.keySet(), e);
        }
    }

    @Test
    void twoActiveGatewaysStartingTogetherKeepOneIkeSaAndOneChildSaPair() throws InterruptedException {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        for (int round = 0; round < 6; round++) {
            Gateway a = new Gateway(GW_A, GW_B);
            Gateway b = new Gateway(GW_B, GW_A);
            link(a, b);
            a.start(t);
            b.start(IkeLoop.mirror(t));
            await("one IKE SA and one Child SA pair on both sides", () -> converged(a, b), a, b);
            // both initiated, and each answered the other: there were two IKE SAs, one was deleted on both sides
            assertThat(a.answers.get()).as("A answered B's IKE_SA_INIT").isPositive();
            assertThat(b.answers.get()).as("B answered A's IKE_SA_INIT").isPositive();
            assertThat(a.journal).noneMatch(e -> e.startsWith("negotiation-failed") || e.equals("dpd-lost"));
            assertThat(b.journal).noneMatch(e -> e.startsWith("negotiation-failed") || e.equals("dpd-lost"));
            // a phase1-down journaled on the way is the duplicate's, never the survivor's
            for (Gateway g : List.of(a, b)) {
                g.journal.stream().filter(e -> e.startsWith("phase1-down")).forEach(e -> assertThat(e)
                        .contains("duplicate IKE SA").doesNotContain("phase1-down " + a.lastUp + ":"));
            }
            kit.stop(a.actor);
            kit.stop(b.actor);
        }
    }

    /**
     * strongSwan's side of a simultaneous start: it keeps every IKE SA it negotiates (here each in a responder
     * actor of its own, so nothing there resolves duplicates) until deleted, and once did not see our Delete of the
     * losing one (it processed it before our IKE_AUTH answer for that IKE SA and ignored it). The first Delete is
     * lost here: the peer still ends with the survivor only, because the Delete goes again until answered.
     */
    @Test
    void theDeleteOfTheLosingDuplicateGoesAgainUntilThePeerAnswersIt() {
        IkeTunnel t = withoutDpd(IkeLoop.gcm("s", DhGroup.CURVE25519));
        IkeTunnel mirror = IkeLoop.mirror(t);
        AtomicInteger informational = new AtomicInteger();
        Gateway a = new Gateway(GW_A, GW_B) {
            @Override
            boolean lost(byte[] d) {
                // A's first INFORMATIONAL request is the Delete of the duplicate (no DPD: nothing else to ask)
                return (d[18] & 0xff) == 37 && MemoryNode.request(d) && informational.getAndIncrement() == 0;
            }
        };
        Gateway b = new Gateway(GW_B, GW_A) {
            @Override
            synchronized void receive(IkeSessionActor.Inbound in) {
                long spi = ByteBuffer.wrap(in.datagram()).getLong(0);
                ActorRef<IkeSessionActor.Command> to = routes.get(spi);
                if (to != null) {
                    to.tell(in);
                } else if (initRequest(in.datagram())) {
                    routes.put(spi, kit.spawn(IkeSessionActor.responder(this, FAST, mirror, me, in, List.of())));
                }
            }
        };
        // B's IKE SA carries INITIAL_CONTACT and A's does not: A's loses, and on B it is a responder's, which ends
        a.contacted.add(GW_B.getAddress());
        link(a, b);
        a.start(t);
        b.start(mirror);
        await("the survivor only, on both sides", () -> a.routes.size() == 1
                && a.routes.keySet().equals(b.routes.keySet()) && a.pairs.size() == 1 && a.lastUp != null
                && a.routes.containsKey(a.lastUp.initiatorSpi()), a, b);
        assertThat(informational.get()).as("A's INFORMATIONAL requests: the Delete, lost, and again").isGreaterThan(1);
        assertThat(a.answers.get()).as("A answered B's IKE_SA_INIT").isPositive();
        assertThat(b.journal).as("B saw the loser deleted").anyMatch(e -> e.startsWith("phase1-down")
                && !e.startsWith("phase1-down " + a.lastUp + ":"));
        assertThat(a.journal).noneMatch(e -> e.startsWith("negotiation-failed") || e.equals("dpd-lost"));
        a.journal.stream().filter(e -> e.startsWith("phase1-down")).forEach(e -> assertThat(e)
                .contains("duplicate IKE SA").doesNotContain("phase1-down " + a.lastUp + ":"));
        kit.stop(a.actor);
        kit.stop(b.actor);
    }

    private static IkeTunnel withoutDpd(IkeTunnel t) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), t.srcId(), t.dstId(), t.authentication(), java.util.Optional.empty(), t.ping());
    }

    @Test
    void aRestartedPeerIsAcceptedAtOnceThroughInitialContact() throws InterruptedException {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeTunnel noDpd = new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(),
                t.ikeSa(), t.childSa(), t.srcId(), t.dstId(), t.authentication(), java.util.Optional.empty(),
                t.ping());
        for (int round = 0; round < 4; round++) {
            Gateway a = new Gateway(GW_A, GW_B);
            Gateway b = new Gateway(GW_B, GW_A);
            link(a, b);
            a.start(noDpd);
            b.start(IkeLoop.mirror(noDpd));
            await("the first IKE SA", () -> converged(a, b), a, b);
            IkeSaId before = a.lastUp;
            // a crash soon after the IKE SA came up cannot be told from a simultaneous start; later it can
            java.time.Instant upAt = java.time.Instant.now();
            await("the IKE SA older than an IKE_SA_INIT can be late", () -> java.time.Instant.now().isAfter(
                    upAt.plus(TunnelPolicy.newerAfter(FAST))), a, b);

            // B crashes (no Delete) and starts again with no memory of the IKE SA
            b.down = true;
            kit.stop(b.actor);
            Gateway b2 = new Gateway(GW_B, GW_A);
            link(a, b2);
            b2.start(IkeLoop.mirror(noDpd));
            await("the restarted peer's IKE SA", () -> converged(a, b2) && !a.lastUp.equals(before), a, b2);

            // A took the new IKE SA whatever the SPIs, and said why the old one went
            assertThat(a.journal).anyMatch(e -> e.startsWith("phase1-down " + before + ":")
                    && e.contains("duplicate IKE SA") && e.contains("INITIAL_CONTACT"));
            assertThat(a.journal).doesNotContain("dpd-lost");
            assertThat(b2.journal).noneMatch(e -> e.startsWith("phase1-down"));
            kit.stop(a.actor);
            kit.stop(b2.actor);
        }
    }

    @Test
    void theSurvivorIsTheNewerOneElseTheInitialContactOneElseTheLargerInitiatorSpiUnsigned() {
        IkeSaId small = new IkeSaId(0x7fff_ffff_ffff_ffffL, 5);
        IkeSaId large = new IkeSaId(0x8000_0000_0000_0000L, 1); // negative as a long, larger as an SPI
        // negotiated at once: the same answer whichever gateway (argument order) asks
        assertThat(TunnelPolicy.survivor(false, small, false, large, false).second()).isTrue();
        assertThat(TunnelPolicy.survivor(false, large, false, small, false).second()).isFalse();
        assertThat(TunnelPolicy.survivor(true, small, false, large, false).second()).isFalse();
        assertThat(TunnelPolicy.survivor(false, large, true, small, false).second()).isTrue();
        assertThat(TunnelPolicy.survivor(true, small, true, large, false).second()).isTrue();
        // one begun after the other was up replaces it, whatever the SPIs
        assertThat(TunnelPolicy.survivor(true, large, true, small, true).second()).isTrue();
        assertThat(TunnelPolicy.survivor(true, large, true, small, true).why()).contains("INITIAL_CONTACT");
        assertThat(TunnelPolicy.survivor(false, large, false, small, true).second()).isTrue();
    }

    @Test
    void initialContactIsSentInIkeAuthOnlyWhenAskedAndSeenByTheResponder() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop with = new IkeLoop(t, IkeLoop.mirror(t));
        with.a.sendInitialContact();
        with.start();
        assertThat(with.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(with.b.initialContact()).isTrue();
        assertThat(with.a.initialContact()).isTrue();

        IkeLoop without = new IkeLoop(t, IkeLoop.mirror(t)).start();
        assertThat(without.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(without.b.initialContact()).isFalse();
        assertThat(without.a.initialContact()).isFalse();
    }
}
