package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import net.palisade.model.Identity;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Test;

/**
 * Whom a PSK tunnel accepts: without {@code dstid}, any identity the PSK authenticates (two Palisade nodes with
 * {@code ike dynamic ... peer X psk "p"} and {@code ike passive ... psk "p"}, the dynamic one naming itself by host
 * name, come up); with {@code dstid}, only that one; with another PSK, nobody.
 */
class PeerIdentityTest {

    private static IkeTunnel with(IkeTunnel t, IkeMode mode, Optional<Identity> srcId, Optional<Identity> dstId,
            String psk) {
        return new IkeTunnel(t.label(), mode, t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), srcId, dstId, new IkeAuth.Psk(Secret.ofText(psk)), t.dpd(), t.ping());
    }

    private static final IkeTunnel BASE = IkeLoop.gcm("p", DhGroup.CURVE25519);
    private static final Optional<Identity> HOST_NAME = Optional.of(Identity.parse("site-a.example.net"));

    /** A dynamic site naming itself by host name, from an address the passive side knows nothing of. */
    private static IkeTunnel dynamicSite(String psk) {
        return with(BASE, IkeMode.DYNAMIC, HOST_NAME, Optional.empty(), psk);
    }

    private static IkeTunnel passiveHub(Optional<Identity> dstId, String psk) {
        IkeTunnel m = IkeLoop.mirror(BASE);
        return with(m, IkeMode.PASSIVE, Optional.empty(), dstId, psk);
    }

    @Test
    void withoutDstidTheHubAcceptsAnyIdentityThePskAuthenticates() {
        IkeLoop loop = IkeSessionTest.up(dynamicSite("p"), passiveHub(Optional.empty(), "p"));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).isEmpty();
        IkeSessionTest.assertChildPair(loop);
    }

    @Test
    void aDstidIsRequiredAsWritten() {
        IkeLoop ok = IkeSessionTest.up(dynamicSite("p"), passiveHub(HOST_NAME, "p"));
        assertThat(ok.b.state()).isEqualTo(IkeState.ESTABLISHED);
        IkeLoop other = IkeSessionTest.up(dynamicSite("p"), passiveHub(
                Optional.of(Identity.parse("site-z.example.net")), "p"));
        assertThat(IkeCertSessionTest.failure(other, false))
                .isEqualTo("the peer's identity site-a.example.net is not the configured dstid site-z.example.net");
        assertThat(other.a.state()).isNotEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void anotherPskIsRefusedWhateverTheIdentity() {
        IkeLoop loop = IkeSessionTest.up(dynamicSite("not p"), passiveHub(Optional.empty(), "p"));
        assertThat(IkeCertSessionTest.failure(loop, false)).startsWith("the peer's AUTH payload does not verify");
        assertThat(loop.b.state()).isNotEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void theInitiatorAcceptsAnyResponderIdentityWithoutDstidToo() {
        IkeTunnel hub = with(IkeLoop.mirror(BASE), IkeMode.PASSIVE, Optional.of(Identity.parse("hub.example.net")),
                Optional.empty(), "p");
        IkeLoop loop = IkeSessionTest.up(dynamicSite("p"), hub);
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
    }
}
