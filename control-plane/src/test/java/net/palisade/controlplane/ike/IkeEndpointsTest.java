package net.palisade.controlplane.ike;

import static net.palisade.controlplane.ike.IkeFailoverTest.FAST;
import static net.palisade.controlplane.ike.IkeFailoverTest.PEER_1;
import static net.palisade.controlplane.ike.IkeFailoverTest.PEER_2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import net.palisade.model.Host;
import net.palisade.model.IdType;
import net.palisade.model.Identity;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Where an initiator's IKE SAs run: peers given as host names are resolved each time an IKE SA starts (a failure is
 * journaled and retried with the usual pause), and a {@code dynamic} tunnel names itself by host name and moves to
 * its new local address. The real {@link IkeSessionActor} against in-memory responder engines ({@link
 * IkeFailoverTest.FakeNet}), and {@link IkeManager}'s lookup with an injected resolver and the kernel's routes.
 */
class IkeEndpointsTest {
    private static final ActorTestKit kit = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    private static IkeTunnel tunnel(IkeMode mode, List<Host> peers, Optional<Identity> srcId, Duration dpd) {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        return new IkeTunnel(t.label(), mode, t.exchange(), t.from(), t.to(), t.local(), peers, t.ikeSa(),
                t.childSa(), srcId, t.dstId(), t.authentication(), Optional.of(dpd), t.ping());
    }

    /** The responder's view of a dynamic tunnel whose initiator must name itself gw-a.example (an FQDN). */
    private static IkeTunnel responderWantingHostName() {
        return IkeLoop.mirror(tunnel(IkeMode.DYNAMIC, List.of(Host.of(PEER_1)),
                Optional.of(new Identity(IdType.FQDN, "gw-a.example")), Duration.ofSeconds(30)));
    }

    @Test
    void aPeerNameThatDoesNotResolveIsJournaledAndRetriedAndTheNameIsResolvedAgainAtEachStart() throws Exception {
        IkeTunnel t = tunnel(IkeMode.ACTIVE, List.of(Host.parse("gw-b.lab")), Optional.empty(),
                Duration.ofMillis(500));
        IkeFailoverTest.FakeNet net = new IkeFailoverTest.FakeNet(IkeLoop.mirror(t));
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));

        net.await("negotiation-failed ADDRESS_UNAVAILABLE");
        long failedAt = System.nanoTime();
        assertThat(net.details.getLast()).isEqualTo("peer gw-b.lab: the name does not resolve");
        assertThat(net.sources).as("nothing sent without an address").isEmpty();

        // the name appears: the next attempt, after the usual pause (5 s after a first failure), resolves it
        net.names.put("gw-b.lab", PEER_1);
        net.await("phase1-up 192.0.2.2");
        assertThat(Duration.ofNanos(System.nanoTime() - failedAt)).isGreaterThan(Duration.ofSeconds(4));

        // the name moves while the IKE SA is up; the old address goes silent: the new IKE SA goes to the new address
        net.names.put("gw-b.lab", PEER_2);
        net.cutOff.add(PEER_1);
        net.await("dpd-lost");
        net.await("phase1-up 192.0.2.3", Duration.ofSeconds(30));
        assertThat(net.seen).noneMatch(e -> e.startsWith("peer-switched"));
        kit.stop(actor);
    }

    @Test
    void withSeveralPeersAnUnresolvableNameMovesOnToTheNextPeer() throws Exception {
        IkeTunnel t = tunnel(IkeMode.ACTIVE, List.of(Host.parse("gone.lab"), Host.of(PEER_2)), Optional.empty(),
                Duration.ofSeconds(30));
        IkeFailoverTest.FakeNet net = new IkeFailoverTest.FakeNet(IkeLoop.mirror(t));
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("negotiation-failed ADDRESS_UNAVAILABLE");
        net.await("peer-switched 192.0.2.3");
        net.await("phase1-up 192.0.2.3");
        kit.stop(actor);
    }

    @Test
    void aDynamicTunnelNamesItselfByHostNameAndReestablishesFromItsNewAddress() throws Exception {
        IkeTunnel t = tunnel(IkeMode.DYNAMIC, List.of(Host.of(PEER_1)), Optional.empty(), Duration.ofSeconds(30));
        // the peer requires our host name as our identity: an address identity would fail authentication
        IkeFailoverTest.FakeNet net = new IkeFailoverTest.FakeNet(responderWantingHostName());
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("phase1-up 192.0.2.2");
        assertThat(net.sources).containsOnly(IkeLoop.A.getAddress());

        InetAddress moved = IkeLoop.ip("192.0.2.11");
        net.local = new InetSocketAddress(moved, 500);
        net.await("phase1-down", TunnelPolicy.ADDRESS_CHECK.multipliedBy(3));
        assertThat(net.details.getLast()).isEqualTo("local address 192.0.2.1 no longer used towards the peer "
                + "(now 192.0.2.11): re-establishing");
        net.await("phase1-up 192.0.2.2");
        // the old address until the move (the Delete of the old IKE SA too), then only the new one
        List<InetAddress> after = net.sources.stream().dropWhile(IkeLoop.A.getAddress()::equals).toList();
        assertThat(after).isNotEmpty().containsOnly(moved);
        assertThat(net.seen).noneMatch(e -> e.startsWith("negotiation-failed"));
        kit.stop(actor);
    }

    @Test
    void aDynamicTunnelWithoutTheHostNameTheResponderWantsFailsAuthentication() throws Exception {
        // control for the test above: the same responder, an active tunnel (identity = address) is refused
        IkeTunnel t = tunnel(IkeMode.ACTIVE, List.of(Host.of(PEER_1)), Optional.empty(), Duration.ofSeconds(30));
        IkeFailoverTest.FakeNet net = new IkeFailoverTest.FakeNet(responderWantingHostName());
        ActorRef<IkeSessionActor.Command> actor = kit.spawn(IkeSessionActor.initiator(net, FAST, t));
        net.await("negotiation-failed AUTHENTICATION_FAILED");
        kit.stop(actor);
    }

    @Test
    void theManagerResolvesNamesWithItsResolverAndTakesTheKernelsSourceAddressTowardsThePeer() throws Exception {
        Map<String, List<InetAddress>> dns = Map.of("gw-b.lab", List.of(IkeLoop.ip("127.0.0.2")),
                "gw6.lab", List.of(IkeLoop.ip("::1")));
        try (IkeManager m = new IkeManager(Optional.empty(), 500, IkeSettings.DEFAULT,
                Cookies.standard(Cookies.DEFAULT_THRESHOLD), name -> {
                    List<InetAddress> a = dns.get(name);
                    if (a == null) {
                        throw new UnknownHostException(name + ": Name or service not known");
                    }
                    return a;
                }, () -> "gw-a.example")) {
            IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
            IkeSessionActor.Endpoints e = m.endpoints(t, Host.parse("gw-b.lab")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(e.remote()).isEqualTo(new InetSocketAddress(IkeLoop.ip("127.0.0.2"), 500));
            assertThat(e.local()).as("the kernel's source towards 127.0.0.2 (ip route get 127.0.0.2)")
                    .isEqualTo(new InetSocketAddress(IkeLoop.ip("127.0.0.1"), 500));

            IkeSessionActor.Endpoints six = m.endpoints(t, Host.parse("gw6.lab")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(six.local().getAddress()).isEqualTo(IkeLoop.ip("::1"));

            assertThatThrownBy(() -> m.endpoints(t, Host.parse("nowhere.lab")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(UnknownHostException.class);
            try {
                m.endpoints(t, Host.parse("nowhere.lab")).toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException x) {
                assertThat(PeerResolver.unavailable(Host.parse("nowhere.lab"), x.getCause()))
                        .isEqualTo("peer nowhere.lab: the name does not resolve (nowhere.lab: Name or service not "
                                + "known)");
            }
        }
    }
}
