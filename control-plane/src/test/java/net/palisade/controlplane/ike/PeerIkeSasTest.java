package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
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
        InetAddress peer = InetAddress.getByName("198.51.100.1");
        sas.up("road", peer, "a:b");
        sas.child("road", "a:b", 0xa000L);
        sas.rekeyed("road", "a:b", "c:d");
        assertThat(sas.holds("road", "c:d")).isTrue();
        assertThat(sas.holds("road", "a:b")).isFalse();
        assertThat(sas.owner("road", peer)).contains("c:d");
        assertThat(sas.ownerOf("road", 0xa000L)).contains("c:d");
    }
}
