package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.model.Identity;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.ikev2.TrafficSelector;
import org.junit.jupiter.api.Test;

/**
 * A responder that several tunnels accept (two tunnels to one peer, an any-peer passive tunnel beside others)
 * settles on one at IKE_AUTH: the peer's identity against each {@code dstid}, its selectors against each tunnel's
 * flows, and the PSK of the tunnel chosen. Two engines in memory on a fake clock, including lost and duplicated
 * messages.
 */
class TunnelChoiceTest {
    private static final IkeTunnel BASE = IkeLoop.gcm("p", DhGroup.CURVE25519);
    private static final List<Network> HUB = List.of(Network.parse("10.2.0.0/16"));

    private static IkeTunnel tunnel(String label, IkeMode mode, Optional<String> srcId, Optional<String> dstId,
            String psk, List<Network> from, List<Network> to) {
        return new IkeTunnel(label, mode, BASE.exchange(), from, to, BASE.local(),
                mode == IkeMode.PASSIVE ? List.of() : BASE.peers(), BASE.ikeSa(), BASE.childSa(),
                srcId.map(Identity::parse), dstId.map(Identity::parse), new IkeAuth.Psk(Secret.ofText(psk)),
                BASE.dpd(), BASE.ping());
    }

    /** A site (the initiator) with its own network, towards the hub's 10.2.0.0/16. */
    private static IkeTunnel site(String id, String psk, String network) {
        return tunnel("site", IkeMode.ACTIVE, Optional.of(id), Optional.empty(), psk,
                List.of(Network.parse(network)), HUB);
    }

    /** One of the hub's tunnels (the responder). */
    private static IkeTunnel hub(String label, Optional<String> dstId, String psk, String to) {
        return tunnel(label, IkeMode.PASSIVE, Optional.empty(), dstId, psk, HUB, List.of(Network.parse(to)));
    }

    private static IkeLoop up(IkeTunnel site, IkeTunnel... hub) {
        return new IkeLoop(site, List.of(hub), 7).start();
    }

    private static TrafficSelector range(String network) {
        return SelectorPolicy.of(List.of(Network.parse(network)), net.palisade.model.IpFamily.IPV4).getFirst();
    }

    @Test
    void thePeersIdentityChoosesAmongTunnelsToTheSamePeer() {
        IkeLoop loop = up(site("site-2.example.net", "p", "10.1.0.0/16"),
                hub("one", Optional.of("site-1.example.net"), "p", "10.1.0.0/16"),
                hub("two", Optional.of("site-2.example.net"), "p", "10.1.0.0/16"));
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.tunnel().label()).isEqualTo("two");
        assertThat(loop.b.counters().snapshot()).containsKey("ikev2.engine.tunnel_choice_other");
        IkeSessionTest.assertChildPair(loop);
    }

    @Test
    void theProposedSelectorsChooseAmongTunnelsWithoutDstid() {
        IkeLoop loop = up(site("site-9.example.net", "p", "10.9.0.0/16"),
                hub("one", Optional.empty(), "p", "10.1.0.0/16"),
                hub("nine", Optional.empty(), "p", "10.9.0.0/16"));
        assertThat(loop.b.tunnel().label()).isEqualTo("nine");
        IkeOutput.ChildSaInstalled child = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(child.remoteSelectors()).containsExactly(range("10.9.0.0/16"));
        assertThat(child.localSelectors()).containsExactly(range("10.2.0.0/16"));
    }

    @Test
    void anySiteInsideAWideTunnelIsNarrowedToWhatItProposed() {
        IkeLoop loop = up(site("site-3.example.net", "p", "10.8.3.0/24"),
                hub("named", Optional.of("site-1.example.net"), "p", "10.8.1.0/24"),
                hub("any", Optional.empty(), "p", "10.8.0.0/16"));
        assertThat(loop.b.tunnel().label()).isEqualTo("any");
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst().remoteSelectors())
                .containsExactly(range("10.8.3.0/24"));
    }

    @Test
    void thePskOfTheTunnelChosenAuthenticatesThePeer() {
        IkeLoop loop = up(site("site.example.net", "second", "10.1.0.0/16"),
                hub("one", Optional.empty(), "first", "10.1.0.0/16"),
                hub("two", Optional.empty(), "second", "10.1.0.0/16"));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.tunnel().label()).isEqualTo("two");
    }

    @Test
    void anIdentityNoTunnelAcceptsIsRefusedWithAuthenticationFailed() {
        IkeLoop loop = up(site("stranger.example.net", "p", "10.1.0.0/16"),
                hub("one", Optional.of("site-1.example.net"), "p", "10.1.0.0/16"),
                hub("two", Optional.of("site-2.example.net"), "p", "10.1.0.0/16"));
        assertThat(IkeCertSessionTest.failure(loop, false)).isEqualTo("no tunnel of one, two accepts the peer's "
                + "identity stranger.example.net with the IKE algorithms negotiated");
        assertThat(loop.b.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.a.state()).isNotEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
        assertThat(loop.b.counters().snapshot()).containsKey("ikev2.engine.tunnel_choice_none");
    }

    @Test
    void aWrongPskForEveryTunnelIsRefused() {
        IkeLoop loop = up(site("site.example.net", "neither", "10.1.0.0/16"),
                hub("one", Optional.empty(), "first", "10.1.0.0/16"),
                hub("two", Optional.empty(), "second", "10.1.0.0/16"));
        assertThat(IkeCertSessionTest.failure(loop, false)).startsWith("tunnel one: the peer's AUTH payload does not"
                + " verify");
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
    }

    @Test
    void selectorsOutsideEveryTunnelGetTsUnacceptableAndNoChildSa() {
        IkeLoop loop = up(site("site.example.net", "p", "10.7.0.0/16"),
                hub("one", Optional.empty(), "p", "10.1.0.0/16"),
                hub("two", Optional.empty(), "p", "10.3.0.0/16"));
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.tunnel().label()).isEqualTo("one");
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class))
                .extracting(IkeOutput.NegotiationFailed::reason).containsExactly(FailureReason.TS_UNACCEPTABLE);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).isEmpty();
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void aLostAuthResponseAndADuplicatedRequestChooseOnceAndAnswerTheSame() {
        IkeLoop loop = new IkeLoop(site("site-2.example.net", "p", "10.1.0.0/16"), List.of(
                hub("one", Optional.of("site-1.example.net"), "p", "10.1.0.0/16"),
                hub("two", Optional.of("site-2.example.net"), "p", "10.1.0.0/16")), 11);
        int[] seen = new int[2];
        loop.network = (f, l) -> {
            boolean auth = f.datagram()[18] == 35;
            if (auth && f.toB() && seen[0]++ == 0) {
                return 2; // the IKE_AUTH request arrives twice
            }
            if (auth && !f.toB() && seen[1]++ < 2) {
                return 0; // both answers (the second from the cache) are lost
            }
            return 1;
        };
        loop.start();
        assertThat(loop.a.state()).isNotEqualTo(IkeState.ESTABLISHED);
        loop.advance(Duration.ofSeconds(1)); // the initiator retransmits; the answer comes from the cache
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.tunnel().label()).isEqualTo("two");
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).hasSize(1);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        IkeSessionTest.assertChildPair(loop);
    }

    @Test
    void oneCandidateIsTodaysResponder() {
        IkeTunnel only = hub("only", Optional.of("site-1.example.net"), "p", "10.1.0.0/16");
        IkeLoop loop = up(site("site-2.example.net", "p", "10.1.0.0/16"), only);
        assertThat(IkeCertSessionTest.failure(loop, false)).isEqualTo("the peer's identity site-2.example.net is not"
                + " the configured dstid site-1.example.net");
        assertThat(loop.b.counters().snapshot()).doesNotContainKeys("ikev2.engine.tunnel_choice_none",
                "ikev2.engine.tunnel_choice_first", "ikev2.engine.tunnel_choice_other");
    }
}
