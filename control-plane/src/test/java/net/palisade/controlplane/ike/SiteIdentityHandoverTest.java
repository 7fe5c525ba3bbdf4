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
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.Cause;
import net.palisade.model.secret.Secret;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sites behind one NAT against a hub's any-peer {@code passive} tunnel, whose session actors are keyed as {@link
 * IkeManager} keys them: by the address a new IKE SA comes from (ports 500 and 4500 alike), and by the identity it
 * authenticated ({@link SiteIdentity}). Real session actors on every side, IKEv2 and IKEv1 main mode; the NAT in
 * memory: each site's datagrams reach the hub from the public address and port the test gives it, and the hub's
 * answers to that address and port reach the site that has it now. The hub's driver keys, claims and adopts as the
 * node does; the second IKE_AUTH request (IKEv1: main mode message 5) arrives twice and the answer to it is lost.
 */
class SiteIdentityHandoverTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final InetSocketAddress HUB = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
    private static final String NAT = "198.51.100.5";
    private static final IkeSettings FAST = new IkeSettings(false, List.of(Duration.ofMillis(150),
            Duration.ofMillis(150), Duration.ofMillis(150)));
    /**
     * IKEv1 answers a copy of the peer's last message only after {@code Ikev1Session.DUPLICATE_QUIET} (copies that
     * arrive together get one answer): its retransmissions come later than that.
     */
    private static final IkeSettings FAST_V1 = new IkeSettings(false, List.of(Duration.ofMillis(700),
            Duration.ofMillis(700), Duration.ofMillis(700)));
    private static final IkeTunnel BASE = IkeLoop.gcm("p", DhGroup.CURVE25519);
    /** IKEv1 main mode with what IKEv1 negotiates (no GCM in phase 1). */
    private static final IkeTunnel BASE_V1 = new IkeTunnel("t1", IkeMode.ACTIVE, IkeExchange.IKEV1_MAIN,
            BASE.from(), BASE.to(), Optional.empty(), List.of(), new IkeSaSpec(List.of(EncryptionAlgorithm.AES_256),
                    List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(), List.of(DhGroup.MODP2048), Duration.ofHours(8)),
            new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM), List.of(), List.of(DhGroup.NONE),
                    Duration.ofHours(1)), Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText("p")),
            Optional.empty(), false);

    /** The hub's any-peer passive tunnel, shaped like {@code base}. */
    private static IkeTunnel hubTunnel(IkeTunnel base) {
        return new IkeTunnel("sites", IkeMode.PASSIVE, base.exchange(), base.to(), base.from(), base.local(),
                List.of(), base.ikeSa(), base.childSa(), Optional.empty(), Optional.empty(),
                new IkeAuth.Psk(Secret.ofText("p")), Optional.empty(), base.ping());
    }

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    private static InetSocketAddress nat(int port) {
        return new InetSocketAddress(IkeLoop.ip(NAT), port);
    }

    /** The NAT: which site has which public address and port. */
    static final class Nat {
        final Map<Site, InetSocketAddress> publicOf = new ConcurrentHashMap<>();
        final Map<InetSocketAddress, Site> siteAt = new ConcurrentHashMap<>();

        void map(Site s, InetSocketAddress pub) {
            InetSocketAddress before = publicOf.put(s, pub);
            if (before != null) {
                siteAt.remove(before, s);
            }
            siteAt.put(pub, s);
        }
    }

    /** A site: one initiator session actor of an active tunnel with its own identity, behind {@link Nat}. */
    static final class Site implements SessionDriver {
        final String name;
        final InetSocketAddress me;
        final Nat nat;
        final Hub hub;
        final List<String> journal = new CopyOnWriteArrayList<>();
        final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
        volatile ActorRef<IkeSessionActor.Command> actor;

        Site(String name, InetSocketAddress me, Nat nat, Hub hub) {
            this.name = name;
            this.me = me;
            this.nat = nat;
            this.hub = hub;
        }

        void start(String psk) {
            IkeTunnel base = hub.v1 ? BASE_V1 : BASE;
            IkeTunnel t = new IkeTunnel(name, IkeMode.ACTIVE, base.exchange(), base.from(), base.to(), base.local(),
                    List.of(Host.of(HUB.getAddress())), base.ikeSa(), base.childSa(),
                    Optional.of(Identity.parse(name + ".example")), Optional.empty(),
                    new IkeAuth.Psk(Secret.ofText(psk)), Optional.empty(), base.ping());
            actor = kit.spawn(hub.v1 ? Ikev1SessionActor.initiator(this, FAST_V1, t)
                    : IkeSessionActor.initiator(this, FAST, t));
        }

        /** Killed: no Delete, nothing answered any more. */
        void kill() {
            kit.stop(actor);
            routes.clear();
            nat.siteAt.values().removeIf(this::equals);
        }

        void receive(byte[] d, InetSocketAddress from) {
            ActorRef<IkeSessionActor.Command> to = routes.get(ByteBuffer.wrap(d).getLong(0));
            if (to != null) {
                to.tell(new IkeSessionActor.Inbound(d, from, me));
            }
        }

        @Override
        public void send(IkeOutput.Send s) {
            InetSocketAddress pub = nat.publicOf.get(this);
            if (!s.isNatKeepalive() && pub != null && nat.siteAt.get(pub) == this) {
                hub.receive(s.datagram().clone(), pub);
            }
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            journal.add(e.getClass().getSimpleName());
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            journal.add("dpd-lost");
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
        }

        @Override
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel,
                Host peer) {
            return java.util.concurrent.CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(me, HUB));
        }

        @Override
        public String hostName() {
            return name + ".example";
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
        public boolean initialContact(java.net.InetAddress peer) {
            return true; // each site's first IKE SA after its start
        }
    }

    /** The hub: routes by initiator SPI, session actors keyed by address and by identity as {@link IkeManager}. */
    static final class Hub implements SessionDriver {
        final Nat nat;
        final boolean v1;
        final IkeTunnel tunnel;
        final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
        final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
        /** "Phase1Up spi", "Phase1Down spi", "ChildSaInstalled", ... */
        final List<String> journal = new CopyOnWriteArrayList<>();
        final AtomicInteger authRequests = new AtomicInteger();
        final AtomicInteger authResponses = new AtomicInteger();

        Hub(Nat nat, boolean v1) {
            this.nat = nat;
            this.v1 = v1;
            this.tunnel = hubTunnel(v1 ? BASE_V1 : BASE);
        }

        /** The key of the session of site {@code name}'s identity, as the node keys it. */
        String identityOf(String name) {
            return "sites@id:" + (v1 ? "" : "2:") + name + ".example";
        }

        private static String addressKey(InetSocketAddress from) {
            int p = from.getPort();
            return "sites@" + from.getAddress().getHostAddress() + (p == 500 || p == 4500 ? "" : "/" + p);
        }

        synchronized void receive(byte[] d, InetSocketAddress from) {
            ByteBuffer h = ByteBuffer.wrap(d);
            long spiI = h.getLong(0);
            boolean auth = !v1 && (d[18] & 0xff) == 35;
            // IKEv1: a phase-1 message 5 (identity protection, encrypted: ID and HASH)
            boolean v1Auth = v1 && (d[18] & 0xff) == 2 && (d[19] & 0x01) != 0;
            IkeSessionActor.Inbound in = new IkeSessionActor.Inbound(d, from, HUB);
            // the second IKE_AUTH request (or main mode message 5) arrives twice
            int copies = (auth || v1Auth) && authRequests.getAndIncrement() == 1 ? 2 : 1;
            boolean first = h.getLong(8) == 0 && (v1 ? net.palisade.controlplane.ikev1.Ikev1Engine.firstMessage(d)
                    .isPresent() : (d[18] & 0xff) == 34);
            for (int i = 0; i < copies; i++) {
                ActorRef<IkeSessionActor.Command> to = routes.get(spiI);
                if (to != null) {
                    to.tell(in);
                } else if (first) {
                    ActorRef<IkeSessionActor.Command> own = sessions.get(addressKey(from));
                    if (own != null) {
                        routes.put(spiI, own);
                        own.tell(new IkeSessionActor.Answer(in, HUB));
                    } else {
                        ActorRef<IkeSessionActor.Command> r = kit.spawn(v1
                                ? Ikev1SessionActor.responder(this, FAST_V1, tunnel, HUB, in)
                                : IkeSessionActor.responder(this, FAST, tunnel, HUB, in, List.of()));
                        sessions.put(addressKey(from), r);
                    }
                }
            }
        }

        @Override
        public void send(IkeOutput.Send s) {
            if (s.isNatKeepalive()) {
                return;
            }
            byte[] d = s.datagram();
            boolean authResponse = v1 ? (d[18] & 0xff) == 2 && (d[19] & 0x01) != 0 // main mode message 6
                    : (d[18] & 0xff) == 35 && (d[19] & 0x20) != 0;
            if (authResponse && authResponses.getAndIncrement() == 1) {
                return; // the second IKE_AUTH response (main mode message 6) is lost
            }
            Site site = nat.siteAt.get(s.to());
            if (site != null) {
                site.receive(s.datagram().clone(), s.from());
            }
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            String what = e.getClass().getSimpleName();
            if (e instanceof IkeOutput.Phase1Up u) {
                what += " " + u.id().initiatorSpi();
            } else if (e instanceof IkeOutput.Phase1Down d) {
                what += " " + d.id().initiatorSpi();
            } else if (e instanceof IkeOutput.IkeSaRekeyed r) {
                what += " " + r.replaced().initiatorSpi();
            }
            journal.add(what);
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            journal.add("dpd-lost " + down.id().initiatorSpi());
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
        }

        @Override
        public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel,
                Host peer) {
            throw new AssertionError("the hub never initiates");
        }

        @Override
        public String hostName() {
            return "hub.example";
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
            sessions.values().removeIf(actor::equals);
        }

        @Override
        public boolean claim(String label, String identity, ActorRef<IkeSessionActor.Command> actor) {
            ActorRef<IkeSessionActor.Command> holder = sessions.putIfAbsent("sites@id:" + identity, actor);
            return holder == null || holder.equals(actor);
        }

        @Override
        public synchronized void adopt(String label, IkeSessionActor.Adopt adopt) {
            String key = "sites@id:" + SiteIdentity.key(adopt.engine().peerId().orElseThrow());
            journal.add("adopted");
            ActorRef<IkeSessionActor.Command> a = sessions.get(key);
            if (a != null) {
                a.tell(adopt);
            } else {
                sessions.put(key, kit.spawn(IkeSessionActor.adopted(this, FAST, tunnel, adopt)));
            }
        }

        @Override
        public synchronized void adoptV1(String label, String identity, Ikev1SessionActor.Adopt adopt) {
            String key = "sites@id:" + identity;
            journal.add("adopted");
            ActorRef<IkeSessionActor.Command> a = sessions.get(key);
            if (a != null) {
                a.tell(adopt);
            } else {
                a = kit.spawn(Ikev1SessionActor.adopted(this, FAST_V1, tunnel, adopt));
                sessions.put(key, a);
            }
            for (long cookie : adopt.engine().initiatorCookies()) {
                routes.put(cookie, a);
            }
        }

        /** The distinct session actors. */
        long actors() {
            return sessions.values().stream().distinct().count();
        }

        List<String> ups() {
            return journal.stream().filter(e -> e.startsWith("Phase1Up")).toList();
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition, Hub hub, Site... sites) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder b = new StringBuilder(what).append(": hub ").append(hub.journal);
            for (Site s : sites) {
                b.append(", ").append(s.name).append(' ').append(s.journal);
            }
            throw new AssertionError(b.toString(), e);
        }
    }

    @ParameterizedTest(name = "IKEv1 main mode: {0}")
    @ValueSource(booleans = {false, true})
    void aSecondSiteFromTheFirstSitesNatAddressGetsASessionOfItsOwnAndTheFirstKeepsItsIkeSa(boolean v1) {
        Nat nat = new Nat();
        Hub hub = new Hub(nat, v1);
        Site a = new Site("site-a", new InetSocketAddress(IkeLoop.ip("10.0.0.1"), 500), nat, hub);
        Site b = new Site("site-b", new InetSocketAddress(IkeLoop.ip("10.0.0.2"), 500), nat, hub);
        // site A on the NAT's port 4500, site B later on its port 500: both the same session key at the hub
        nat.map(a, nat(4500));
        a.start("p");
        await("site A up", () -> a.journal.contains("ChildSaInstalled") && hub.ups().size() == 1, hub, a);
        String aUp = hub.ups().getFirst();
        nat.map(b, nat(500));
        b.start("p");
        await("site B up", () -> b.journal.contains("ChildSaInstalled") && hub.ups().size() == 2, hub, a, b);
        // B's IKE SA reached A's session (answered beside A's IKE SA), and went to a session of its own once its
        // IKE_AUTH (main mode message 5) said who it is (that request duplicated, the response to it lost)
        assertThat(hub.journal).contains("adopted");
        assertThat(hub.journal).noneMatch(e -> e.startsWith("Phase1Down") || e.startsWith("NegotiationFailed"));
        assertThat(a.journal).noneMatch(e -> e.startsWith("Phase1Down") || e.equals("dpd-lost"));
        assertThat(hub.ups()).startsWith(aUp).doesNotHaveDuplicates();
        assertThat(hub.actors()).as("one session per site").isEqualTo(2);
        long spiA = Long.parseLong(aUp.split(" ")[1]);
        long spiB = Long.parseLong(hub.ups().get(1).split(" ")[1]);
        assertThat(hub.routes.get(spiA)).isNotEqualTo(hub.routes.get(spiB));
        assertThat(hub.routes.get(spiB)).isEqualTo(hub.sessions.get(hub.identityOf("site-b")));
        assertThat(hub.routes.get(spiA)).isEqualTo(hub.sessions.get(hub.identityOf("site-a")));
        // both IKE SAs answer: each site's liveness check goes through (PingLost re-establishes through its own)
        b.actor.tell(IkeSessionActor.PingLost.INSTANCE);
        await("site B again", () -> hub.ups().size() == 3, hub, a, b);
        assertThat(hub.journal).filteredOn(e -> e.startsWith("Phase1Down")).allMatch(e -> e.endsWith(" " + spiB));
        assertThat(a.journal).noneMatch(e -> e.startsWith("Phase1Down"));
        assertThat(hub.actors()).isEqualTo(2);
    }

    @ParameterizedTest(name = "IKEv1 main mode: {0}")
    @ValueSource(booleans = {false, true})
    void anUnauthenticatedIkeSaFromTheFirstSitesNatAddressChangesNothing(boolean v1) {
        Nat nat = new Nat();
        Hub hub = new Hub(nat, v1);
        Site a = new Site("site-a", new InetSocketAddress(IkeLoop.ip("10.0.0.1"), 500), nat, hub);
        Site x = new Site("intruder", new InetSocketAddress(IkeLoop.ip("10.0.0.3"), 500), nat, hub);
        nat.map(a, nat(4500));
        a.start("p");
        await("site A up", () -> a.journal.contains("ChildSaInstalled"), hub, a);
        nat.map(x, nat(500));
        x.start("wrong psk");
        await("refused", () -> x.journal.contains("NegotiationFailed"), hub, a, x);
        x.kill();
        assertThat(hub.journal).noneMatch(e -> e.startsWith("Phase1Down") || e.equals("adopted"));
        assertThat(hub.ups()).hasSize(1);
        assertThat(a.journal).noneMatch(e -> e.startsWith("Phase1Down"));
        assertThat(hub.actors()).isEqualTo(1);
    }

    @ParameterizedTest(name = "IKEv1 main mode: {0}")
    @ValueSource(booleans = {false, true})
    void aSiteBackThroughANewMappingReplacesItsOwnIkeSaAndNoOtherSites(boolean v1) {
        Nat nat = new Nat();
        Hub hub = new Hub(nat, v1);
        Site a = new Site("site-a", new InetSocketAddress(IkeLoop.ip("10.0.0.1"), 500), nat, hub);
        Site b = new Site("site-b", new InetSocketAddress(IkeLoop.ip("10.0.0.2"), 500), nat, hub);
        nat.map(a, nat(4500));
        nat.map(b, nat(1024));
        a.start("p");
        b.start("p");
        await("both up", () -> hub.ups().size() == 2 && a.journal.contains("ChildSaInstalled")
                && b.journal.contains("ChildSaInstalled"), hub, a, b);
        long spiA = a.routes.keySet().iterator().next();
        assertThat(hub.routes.get(spiA)).isEqualTo(hub.sessions.get(hub.identityOf("site-a")));
        // site A restarts (no Delete) and comes back through another mapping
        a.kill();
        Site again = new Site("site-a", new InetSocketAddress(IkeLoop.ip("10.0.0.1"), 500), nat, hub);
        nat.map(again, nat(2048));
        again.start("p");
        // in site A's session its new IKE SA replaces the old one: IKEv2's carries INITIAL_CONTACT (the old one
        // ends: phase1-down); IKEv1's is the same peer authenticated again (the ISAKMP SA is replaced: rekeyed)
        String gone = (v1 ? "IkeSaRekeyed " : "Phase1Down ") + spiA;
        await("site A's new IKE SA up, its old one gone", () -> again.journal.contains("ChildSaInstalled")
                && hub.journal.contains(gone), hub, a, b, again);
        assertThat(hub.journal).filteredOn(e -> e.startsWith("Phase1Down"))
                .isEqualTo(v1 ? List.of() : List.of(gone));
        assertThat(hub.journal).filteredOn(e -> e.startsWith("IkeSaRekeyed")).isEqualTo(v1 ? List.of(gone) : List.of());
        assertThat(b.journal).noneMatch(e -> e.startsWith("Phase1Down"));
        await("the new mapping's session handed its IKE SA over and ended", () -> hub.actors() == 2, hub, again);
        long spiNew = again.routes.keySet().iterator().next();
        assertThat(hub.routes.get(spiNew)).isEqualTo(hub.sessions.get(hub.identityOf("site-a")));
        assertThat(hub.sessions.get(hub.identityOf("site-b"))).isNotEqualTo(hub.sessions.get(hub.identityOf("site-a")));
    }
}
