package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** NAT traversal (RFC 3947) through a NAT that translates A's address and ports, in both phase-1 modes. */
class Ikev1NatTest {
    private static final InetSocketAddress PUBLIC_500 = new InetSocketAddress(Ikev1Loop.ip("198.51.100.7"), 40000);
    private static final InetSocketAddress PUBLIC_4500 = new InetSocketAddress(Ikev1Loop.ip("198.51.100.7"), 40001);

    private static InetSocketAddress outward(InetSocketAddress a) {
        if (!a.getAddress().equals(Ikev1Loop.A.getAddress())) {
            return a;
        }
        return a.getPort() == 4500 ? PUBLIC_4500 : PUBLIC_500;
    }

    private static InetSocketAddress inward(InetSocketAddress a) {
        if (a.equals(PUBLIC_500)) {
            return Ikev1Loop.A;
        }
        return a.equals(PUBLIC_4500) ? new InetSocketAddress(Ikev1Loop.A.getAddress(), 4500) : a;
    }

    @ParameterizedTest
    @EnumSource(value = IkeExchange.class, names = {"IKEV1_MAIN", "IKEV1_AGGRESSIVE"})
    void aBehindNatFloatsTo4500AndBothEncapsulate(IkeExchange x) {
        IkeTunnel t = Ikev1Loop.tunnel(x, "badpassword", List.of(DhGroup.MODP2048));
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        loop.translation = f -> f.toB() ? new Ikev1Loop.Flight(true, f.datagram(), outward(f.from()), f.to())
                : new Ikev1Loop.Flight(false, f.datagram(), f.from(), inward(f.to()));
        loop.start();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        IkeOutput.NatDetected na = loop.events(true, IkeOutput.NatDetected.class).getFirst();
        IkeOutput.NatDetected nb = loop.events(false, IkeOutput.NatDetected.class).getFirst();
        assertThat(na.localBehindNat()).isTrue();
        assertThat(na.remoteBehindNat()).isFalse();
        assertThat(nb.localBehindNat()).isFalse();
        assertThat(nb.remoteBehindNat()).isTrue();
        Ikev1SessionTest.assertChildPair(loop);
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeOutput.ChildSaInstalled cb = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.udpEncapsulation()).isTrue();
        assertThat(ca.remote()).isEqualTo(new InetSocketAddress(Ikev1Loop.B.getAddress(), 4500));
        assertThat(cb.udpEncapsulation()).isTrue();
        assertThat(cb.remote()).isEqualTo(PUBLIC_4500);
        // everything after NAT detection went over port 4500
        assertThat(loop.delivered.getLast().to().getPort()).isEqualTo(4500);
        // A, behind the NAT, keeps its mapping open with a keepalive after 20 s of silence; B does not send any
        loop.advance(java.time.Duration.ofSeconds(21));
        assertThat(loop.keepalives).hasSize(1);
        assertThat(loop.keepalives.getFirst().toB()).isTrue();
        assertThat(loop.keepalives.getFirst().from().getPort()).isEqualTo(4500);
    }

    @ParameterizedTest
    @EnumSource(value = IkeExchange.class, names = {"IKEV1_MAIN", "IKEV1_AGGRESSIVE"})
    void encapForcesUdpEncapsulationWithoutANat(IkeExchange x) {
        // as strongSwan's encap = yes: our NAT-D hash is deliberately wrong, so both sides see us behind a NAT
        IkeTunnel t = Ikev1Loop.tunnel(x, "badpassword", List.of(DhGroup.MODP2048));
        Ikev1Loop loop = new Ikev1Loop(t.withEncap(true), Ikev1Loop.mirror(t)).start();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.events(false, IkeOutput.NatDetected.class).getFirst().remoteBehindNat()).isTrue();
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst().udpEncapsulation()).isTrue();
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst().udpEncapsulation()).isTrue();
        assertThat(loop.delivered.getLast().to().getPort()).isEqualTo(4500);
        // without encap and without a NAT: plain ESP on port 500
        Ikev1Loop plain = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        assertThat(plain.events(true, IkeOutput.ChildSaInstalled.class).getFirst().udpEncapsulation()).isFalse();
    }
}
