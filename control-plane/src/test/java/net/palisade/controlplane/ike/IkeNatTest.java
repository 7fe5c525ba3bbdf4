package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.model.Identity;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;

/**
 * NAT traversal of two engines in memory (RFC 7296 section 2.23, RFC 3948): {@link IkeLoop#translation} plays the
 * NAT, rewriting addresses and ports as a masquerading router (or a port forward in front of a server) does. The
 * judges are what crosses the simulated wire: ports, NAT-D outcomes, where each side sends ESP, and the keepalive
 * octets.
 */
class IkeNatTest {
    private static final InetSocketAddress A_PRIVATE = addr("10.0.0.5", 500);
    private static final InetSocketAddress A_PUBLIC = addr("192.0.2.1", 40500);
    private static final InetSocketAddress A_PUBLIC_4500 = addr("192.0.2.1", 40501);
    private static final InetSocketAddress B_PUBLIC = addr("192.0.2.2", 500);
    private static final InetSocketAddress B_PRIVATE = addr("10.9.0.7", 500);

    private static InetSocketAddress addr(String ip, int port) {
        return new InetSocketAddress(IkeLoop.ip(ip), port);
    }

    /**
     * A masquerading NAT in front of A: A's private address and port (500 or 4500) leave as 192.0.2.1 with ports
     * 40500 or 40501; answers to those come back to A's private address.
     */
    private static final Map<Integer, Integer> A_MAPPING = Map.of(500, 40500, 4500, 40501);

    private static IkeLoop.Flight natInFrontOfA(IkeLoop.Flight f) {
        if (f.toB() && f.from().getAddress().equals(A_PRIVATE.getAddress())) {
            return new IkeLoop.Flight(true, f.datagram(), f.sequence(),
                    addr("192.0.2.1", A_MAPPING.get(f.from().getPort())), f.to());
        }
        if (!f.toB() && f.to().getAddress().equals(A_PUBLIC.getAddress())) {
            int privatePort = A_MAPPING.entrySet().stream().filter(e -> e.getValue() == f.to().getPort())
                    .findFirst().orElseThrow(() -> new AssertionError("no NAT mapping for " + f.to())).getKey();
            return new IkeLoop.Flight(false, f.datagram(), f.sequence(), f.from(),
                    new InetSocketAddress(A_PRIVATE.getAddress(), privatePort));
        }
        return f;
    }

    /** A port forward in front of B: 192.0.2.2 ports 500 and 4500 lead to B's private address, same ports. */
    private static IkeLoop.Flight forwardToB(IkeLoop.Flight f) {
        if (f.toB() && f.to().getAddress().equals(B_PUBLIC.getAddress())) {
            return new IkeLoop.Flight(true, f.datagram(), f.sequence(), f.from(),
                    new InetSocketAddress(B_PRIVATE.getAddress(), f.to().getPort()));
        }
        if (!f.toB() && f.from().getAddress().equals(B_PRIVATE.getAddress())) {
            return new IkeLoop.Flight(false, f.datagram(), f.sequence(),
                    new InetSocketAddress(B_PUBLIC.getAddress(), f.from().getPort()), f.to());
        }
        return f;
    }

    /**
     * A's side of the tunnel. Both sides name themselves by FQDN: behind a NAT, the default identity (our own
     * address) is the private address, which the peer cannot expect.
     */
    private static IkeTunnel tunnel() {
        IkeTunnel t = IkeLoop.gcm("nat traversal", DhGroup.CURVE25519);
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), Optional.of(Identity.parse("a.example")), Optional.of(Identity.parse("b.example")),
                t.authentication(), t.dpd(), t.ping());
    }

    private static IkeOutput.ChildSaInstalled child(IkeLoop loop, boolean ofA) {
        return loop.events(ofA, IkeOutput.ChildSaInstalled.class).getFirst();
    }

    /** Moves time in one-second steps for {@code seconds}; returns when (seconds after the start) keepalives left. */
    private static List<Long> keepaliveTimes(IkeLoop loop, boolean ofA, int seconds, Runnable at30) {
        Instant start = loop.clock.instant();
        List<Long> times = new ArrayList<>();
        int seen = 0;
        for (int i = 1; i <= seconds; i++) {
            loop.advance(Duration.ofSeconds(1));
            if (i == 30) {
                at30.run();
                loop.run();
            }
            List<IkeLoop.Flight> sent = loop.keepalives.stream().filter(f -> f.toB() == ofA).toList();
            for (; seen < sent.size(); seen++) {
                times.add(Duration.between(start, loop.clock.instant()).toSeconds());
            }
        }
        return times;
    }

    @Test
    void initiatorBehindNatFloatsTo4500EncapsulatesAndKeepsTheMappingAlive() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), IkeSettings.DEFAULT, 1, A_PRIVATE, B_PUBLIC,
                B_PUBLIC);
        loop.translation = IkeNatTest::natInFrontOfA;
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.NatDetected.class)).containsExactly(new IkeOutput.NatDetected(true,
                false));
        assertThat(loop.events(false, IkeOutput.NatDetected.class)).containsExactly(new IkeOutput.NatDetected(false,
                true));
        // IKE_SA_INIT on 500 (through the NAT's 40500), IKE_AUTH on 4500 (through the NAT's 40501)
        assertThat(loop.delivered).hasSize(4);
        assertThat(loop.delivered.get(0).from()).isEqualTo(A_PUBLIC);
        assertThat(loop.delivered.get(0).to()).isEqualTo(B_PUBLIC);
        assertThat(loop.delivered.get(2).from()).isEqualTo(A_PUBLIC_4500);
        assertThat(loop.delivered.get(2).to()).isEqualTo(addr("192.0.2.2", 4500));
        assertThat(loop.delivered.get(3).to()).isEqualTo(new InetSocketAddress(A_PRIVATE.getAddress(), 4500));
        // ESP-in-UDP both ways; B sends to the NAT's mapping of A's port 4500, A to B's 4500
        assertThat(child(loop, true).udpEncapsulation()).isTrue();
        assertThat(child(loop, true).remote()).isEqualTo(addr("192.0.2.2", 4500));
        assertThat(child(loop, false).udpEncapsulation()).isTrue();
        assertThat(child(loop, false).remote()).isEqualTo(A_PUBLIC_4500);

        // keepalives (RFC 3948 section 4): only A, which is behind the NAT, every 20 s of silence; an IKE request at
        // 30 s (a liveness check) restarts the wait
        List<Long> fromA = keepaliveTimes(loop, true, 75, () -> loop.feed(true, new IkeInput.CheckLiveness()));
        assertThat(fromA).containsExactly(20L, 50L, 70L);
        assertThat(loop.keepalives).allSatisfy(k -> {
            assertThat(k.toB()).as("only A sends keepalives").isTrue();
            assertThat(k.datagram()).containsExactly(0xff);
            assertThat(k.from()).as("from port 4500, through the NAT").isEqualTo(A_PUBLIC_4500);
            assertThat(k.to()).isEqualTo(addr("192.0.2.2", 4500));
        });
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(1);
        assertThat(loop.a.counters().get("ikev2.engine.nat_keepalive_sent")).isEqualTo(3);
    }

    @Test
    void responderBehindAPortForwardAlsoSendsKeepalivesAndBothSidesNat() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), IkeSettings.DEFAULT, 1, A_PRIVATE, B_PUBLIC,
                B_PRIVATE);
        loop.translation = f -> forwardToB(natInFrontOfA(f));
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.NatDetected.class)).containsExactly(new IkeOutput.NatDetected(true,
                true));
        assertThat(loop.events(false, IkeOutput.NatDetected.class)).containsExactly(new IkeOutput.NatDetected(true,
                true));
        assertThat(child(loop, true).remote()).isEqualTo(addr("192.0.2.2", 4500));
        assertThat(child(loop, false).remote()).isEqualTo(A_PUBLIC_4500);
        loop.advance(Duration.ofSeconds(20));
        assertThat(loop.keepalives).extracting(IkeLoop.Flight::toB).containsExactlyInAnyOrder(true, false);
        // B sends its keepalive from its port 4500 to the NAT's mapping of A's 4500; it arrives at A's 4500
        IkeOutput.Send sent = loop.events(false, IkeOutput.Send.class).stream().filter(IkeOutput.Send::isNatKeepalive)
                .findFirst().orElseThrow();
        assertThat(sent.from().getPort()).isEqualTo(4500);
        assertThat(sent.to()).isEqualTo(A_PUBLIC_4500);
        IkeLoop.Flight arrived = loop.keepalives.stream().filter(f -> !f.toB()).findFirst().orElseThrow();
        assertThat(arrived.from()).isEqualTo(addr("192.0.2.2", 4500));
        assertThat(arrived.to()).isEqualTo(new InetSocketAddress(A_PRIVATE.getAddress(), 4500));
    }

    @Test
    void withoutNatAndWithoutEncapIkeStaysOn500WithPlainEspAndNoKeepalives() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel())).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.delivered).allMatch(f -> f.from().getPort() == 500 && f.to().getPort() == 500);
        assertThat(loop.events(true, IkeOutput.NatDetected.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.NatDetected.class)).isEmpty();
        assertThat(child(loop, true).udpEncapsulation()).isFalse();
        assertThat(child(loop, false).udpEncapsulation()).isFalse();
        loop.advance(Duration.ofSeconds(65));
        assertThat(loop.keepalives).isEmpty();
    }

    @Test
    void encapOnTheResponderMakesBothEncapsulateWithoutKeepalives() {
        // only B's tunnel says encap: its faked source hash makes A see a NAT in front of B
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()).withEncap(true)).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.NatDetected.class)).containsExactly(new IkeOutput.NatDetected(false,
                true));
        assertThat(loop.events(false, IkeOutput.NatDetected.class)).isEmpty();
        assertThat(loop.delivered.get(2).to().getPort()).isEqualTo(4500);
        assertThat(loop.delivered.get(3).from().getPort()).isEqualTo(4500);
        assertThat(child(loop, true).udpEncapsulation()).isTrue();
        assertThat(child(loop, true).remote()).isEqualTo(addr("192.0.2.2", 4500));
        assertThat(child(loop, false).udpEncapsulation()).isTrue();
        assertThat(child(loop, false).remote()).isEqualTo(addr("192.0.2.1", 4500));
        // no address is translated: nobody needs keepalives
        loop.advance(Duration.ofSeconds(65));
        assertThat(loop.keepalives).isEmpty();
    }

    @Test
    void forcedForEveryTunnelBySettingsEncapsulatesToo() {
        IkeLoop loop = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), IkeSettings.FORCED).start();
        assertThat(child(loop, true).udpEncapsulation()).isTrue();
        assertThat(child(loop, false).udpEncapsulation()).isTrue();
        assertThat(loop.delivered.get(2).to().getPort()).isEqualTo(4500);
    }

    @Test
    void keepalivesCanBeTurnedOffOrSlowedDown() {
        IkeLoop off = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), IkeSettings.DEFAULT.withNatKeepalive(
                Duration.ZERO), 1, A_PRIVATE, B_PUBLIC, B_PUBLIC);
        off.translation = IkeNatTest::natInFrontOfA;
        off.start();
        assertThat(child(off, true).udpEncapsulation()).isTrue();
        off.advance(Duration.ofSeconds(65));
        assertThat(off.keepalives).isEmpty();

        IkeLoop slow = new IkeLoop(tunnel(), IkeLoop.mirror(tunnel()), IkeSettings.DEFAULT.withNatKeepalive(
                Duration.ofSeconds(45)), 1, A_PRIVATE, B_PUBLIC, B_PUBLIC);
        slow.translation = IkeNatTest::natInFrontOfA;
        slow.start();
        assertThat(keepaliveTimes(slow, true, 95, () -> { })).containsExactly(45L, 90L);
    }
}
