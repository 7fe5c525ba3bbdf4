package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which IKE SA of an any-peer tunnel each Child SA belongs to, through IKE SA rekeys. */
class PeerIkeSasTest {

    @Test
    void anIkeRekeyOfATunnelThatIsNotAnyPeerIsNoError() {
        // every IKE SA rekey of an ordinary tunnel comes through here; it threw (an immutable empty map's
        // replaceAll), and the rekey never reached the journal (IkeRekeyStrongSwanTest, Ikev1StrongSwanTest)
        PeerIkeSas sas = new PeerIkeSas();
        sas.rekeyed("site-b", "a:b", "c:d");
        assertThat(sas.holds("site-b", "c:d")).isFalse();
    }

    @Test
    void aRekeyedIkeSaKeepsItsPeerAndItsChildSas() throws Exception {
        PeerIkeSas sas = new PeerIkeSas();
        InetSocketAddress peer = new InetSocketAddress(InetAddress.getByName("198.51.100.1"), 4500);
        sas.up("road", peer, "a:b");
        sas.child("road", "a:b", 0xa000L);
        sas.rekeyed("road", "a:b", "c:d");
        assertThat(sas.holds("road", "c:d")).isTrue();
        assertThat(sas.holds("road", "a:b")).isFalse();
        assertThat(sas.owner("road", peer)).contains("c:d");
        assertThat(sas.ownerOf("road", 0xa000L)).contains("c:d");
    }

    @Test
    void twoSitesBehindOneNatAddressEachKeepTheirChildSasApartByPort() throws Exception {
        // the NAT left the first site its port 4500 and gave the second 1025: one address, two IKE SAs
        PeerIkeSas sas = new PeerIkeSas();
        InetAddress nat = InetAddress.getByName("192.0.2.5");
        InetSocketAddress first = new InetSocketAddress(nat, 4500);
        InetSocketAddress second = new InetSocketAddress(nat, 1025);
        sas.up("road", first, "a:1");
        sas.up("road", second, "b:2");
        assertThat(sas.owner("road", first)).contains("a:1");
        assertThat(sas.owner("road", second)).contains("b:2");
        sas.child("road", "a:1", 0xa001L);
        sas.child("road", "b:2", 0xb002L);
        // the second site's IKE SA going takes only its own Child SA
        assertThat(sas.down("road", "b:2")).isEqualTo(List.of(0xb002L));
        assertThat(sas.ownerOf("road", 0xa001L)).contains("a:1");
        assertThat(sas.any("road")).isTrue();
        // a port the NAT moved: the address's only IKE SA
        assertThat(sas.owner("road", new InetSocketAddress(nat, 1030))).contains("a:1");
    }

    @Test
    void aSiteBackFromAnotherNatPortOwnsItsNewChildSasThere() throws Exception {
        // two sites behind one NAT; the second's phase 1 started again from another port replaced its old one
        PeerIkeSas sas = new PeerIkeSas();
        InetAddress nat = InetAddress.getByName("192.0.2.5");
        sas.up("road", new InetSocketAddress(nat, 4500), "a:1");
        sas.up("road", new InetSocketAddress(nat, 1025), "b:2");
        InetSocketAddress back = new InetSocketAddress(nat, 1501);
        assertThat(sas.owner("road", back)).as("two IKE SAs at that address: neither is assumed").isEmpty();
        sas.rekeyed("road", "b:2", "b:3");
        sas.moved("road", "b:3", back);
        assertThat(sas.owner("road", back)).contains("b:3");
        assertThat(sas.owner("road", new InetSocketAddress(nat, 4500))).contains("a:1");
        // an IKE SA not tracked here is not made up
        sas.moved("road", "c:4", new InetSocketAddress(nat, 1600));
        assertThat(sas.owner("road", new InetSocketAddress(nat, 1600))).isEmpty();
    }
}
