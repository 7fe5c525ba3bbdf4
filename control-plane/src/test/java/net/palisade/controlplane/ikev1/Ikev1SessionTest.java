package net.palisade.controlplane.ikev1;

import net.palisade.model.event.FailureReason;

import net.palisade.model.ChildSaSpec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.Test;

/** Two IKEv1 engines negotiating in memory. */
class Ikev1SessionTest {

    static void assertChildPair(Ikev1Loop loop) {
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeOutput.ChildSaInstalled cb = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.inboundSpi()).isEqualTo(cb.outboundSpi());
        assertThat(ca.outboundSpi()).isEqualTo(cb.inboundSpi());
        assertThat(ca.inbound()).isEqualTo(cb.outbound());
        assertThat(ca.outbound()).isEqualTo(cb.inbound());
        assertThat(ca.inbound().encryption()).isNotEqualTo(ca.outbound().encryption());
        assertThat(ca.encryption()).isEqualTo(cb.encryption());
        assertThat(ca.integrity()).isEqualTo(cb.integrity());
        assertThat(ca.localSelectors()).isEqualTo(cb.remoteSelectors());
        assertThat(ca.remoteSelectors()).isEqualTo(cb.localSelectors());
    }

    @Test
    void mainModeWithPskInstallsOneEspPair() {
        IkeTunnel t = Ikev1Loop.main("badpassword");
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.delivered).hasSize(9);
        IkeOutput.Phase1Up pa = loop.events(true, IkeOutput.Phase1Up.class).getFirst();
        assertThat(pa.encryption()).isEqualTo(EncryptionAlgorithm.AES_256);
        assertThat(pa.group()).isEqualTo(DhGroup.MODP2048);
        assertThat(pa.id()).isEqualTo(loop.events(false, IkeOutput.Phase1Up.class).getFirst().id());
        assertChildPair(loop);
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.encryption()).isEqualTo(EncryptionAlgorithm.AES_128_GCM);
        assertThat(ca.inbound().encryption().length()).isEqualTo(20);
        assertThat(ca.localSelectors().getFirst().toString()).contains("10.1.0.0");
    }

    @Test
    void aClosedIsakmpSaKeepsNoKeysButStillSendsItsDelete() {
        IkeTunnel t = Ikev1Loop.main("badpassword");
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        Ikev1Session ours = loop.a.current();
        IsakmpSa sa = ours.isakmpSa();
        byte[][] keys = {sa.skeyid, sa.skeyidD, sa.skeyidA, sa.encryptionKey()};
        for (byte[] k : keys) {
            assertThat(k).as("a key of the live SA").isNotEqualTo(new byte[k.length]);
        }

        loop.feed(true, new net.palisade.controlplane.ike.IkeInput.Close());
        loop.run();

        assertThat(ours.state()).isEqualTo(Ikev1State.CLOSED);
        for (byte[] k : keys) {
            assertThat(k).as("zeroed once closed").isEqualTo(new byte[k.length]);
        }
        // the Delete was sealed before the keys went: the peer understood it and closed its side too
        assertThat(loop.b.current().state()).isEqualTo(Ikev1State.CLOSED);
        assertThat(loop.events(false, IkeOutput.Phase1Down.class)).hasSize(1);
    }

    @Test
    void aPeerWithoutPfsGetsAQuickModeWithoutPfsUnlessTheConfigInsists() {
        // strongSwan's default ESP proposals carry no group: our PFS offer (the phase-1 groups, not written for
        // quick mode) is refused once with NO_PROPOSAL_CHOSEN, then offered again without
        IkeTunnel ours = Ikev1Loop.tunnel(IkeExchange.IKEV1_MAIN, "badpassword", List.of(DhGroup.MODP2048));
        IkeTunnel noPfsPeer = Ikev1Loop.mirror(Ikev1Loop.main("badpassword"));
        Ikev1Loop loop = new Ikev1Loop(ours, noPfsPeer).start();
        assertChildPair(loop);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst().pfs()).contains(DhGroup.NONE);
        assertThat(loop.a.counters().get("ikev1.engine.quick_mode_retried_without_pfs")).isEqualTo(1);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).as("a retry, not a failure").isEmpty();

        // `quick group modp2048` written: PFS is required, the refusal stands
        IkeTunnel insists = Ikev1Loop.with(ours, ours.ikeSa(), new ChildSaSpec(ours.childSa().enc(),
                ours.childSa().auth(), List.of(DhGroup.MODP2048), ours.childSa().lifetime(), true), ours.dpd());
        Ikev1Loop strict = new Ikev1Loop(insists, noPfsPeer).start();
        assertThat(strict.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
        assertThat(strict.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .contains(FailureReason.NO_PROPOSAL_CHOSEN);
    }

    @Test
    void aggressiveModeWithPfs() {
        IkeTunnel t = Ikev1Loop.tunnel(IkeExchange.IKEV1_AGGRESSIVE, "badpassword", List.of(DhGroup.MODP2048));
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.delivered).hasSize(6);
        assertChildPair(loop);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst().pfs())
                .contains(DhGroup.MODP2048);
    }

    @Test
    void aggressiveModeWithAWrongPskFailsOnTheInitiatorAndTimesOutOnTheResponder() {
        IkeTunnel t = Ikev1Loop.tunnel(IkeExchange.IKEV1_AGGRESSIVE, "badpassword", List.of(DhGroup.NONE));
        IkeTunnel other = Ikev1Loop.mirror(Ikev1Loop.tunnel(IkeExchange.IKEV1_AGGRESSIVE, "other", List.of(
                DhGroup.NONE)));
        Ikev1Loop loop = new Ikev1Loop(t, other).start();
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(f -> f.reason().name())
                .containsExactly("AUTHENTICATION_FAILED");
        for (int i = 0; i < 40; i++) {
            loop.advance(java.time.Duration.ofSeconds(1));
        }
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).extracting(f -> f.reason().name())
                .containsExactly("TIMEOUT");
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void twoFlowsAreTwoQuickModesOneAfterTheOtherEachWithItsOwnIds() {
        // `from 10.1.0.0/16 to 10.2.0.0/24 10.9.0.0/24`, against a peer without PFS: the first quick mode is refused
        // and retried without, and the second waits for it (a refusal naming no SPI is then about the one in flight)
        IkeTunnel one = Ikev1Loop.tunnel(IkeExchange.IKEV1_MAIN, "badpassword", List.of(DhGroup.MODP2048));
        List<net.palisade.model.Network> to = List.of(net.palisade.model.Network.parse("10.2.0.0/24"),
                net.palisade.model.Network.parse("10.9.0.0/24"));
        IkeTunnel ours = new IkeTunnel(one.label(), one.mode(), one.exchange(), one.from(), to, one.local(),
                one.peers(), one.ikeSa(), one.childSa(), one.srcId(), one.dstId(), one.authentication(), one.dpd(),
                one.ping());
        IkeTunnel m = Ikev1Loop.mirror(Ikev1Loop.main("badpassword"));
        IkeTunnel noPfsPeer = new IkeTunnel(m.label(), m.mode(), m.exchange(), to, m.to(), m.local(), m.peers(),
                m.ikeSa(), m.childSa(), m.srcId(), m.dstId(), m.authentication(), m.dpd(), m.ping());
        Ikev1Loop loop = new Ikev1Loop(ours, noPfsPeer).start();
        List<IkeOutput.ChildSaInstalled> ca = loop.events(true, IkeOutput.ChildSaInstalled.class);
        assertThat(ca).hasSize(2).allMatch(c -> c.pfs().equals(java.util.Optional.of(DhGroup.NONE)));
        assertThat(ca).extracting(c -> c.remoteSelectors().toString())
                .anyMatch(r -> r.contains("10.2.0.0")).anyMatch(r -> r.contains("10.9.0.0"));
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(2);
        assertThat(loop.a.counters().get("ikev1.engine.quick_mode_queued")).isEqualTo(1);
        assertThat(loop.a.counters().get("ikev1.engine.quick_mode_retried_without_pfs")).isEqualTo(1);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).isEmpty();
    }

    @Test
    void ipv6PeersAndFlows() {
        IkeTunnel v4 = Ikev1Loop.main("badpassword");
        IkeTunnel t = new IkeTunnel(v4.label(), v4.mode(), v4.exchange(),
                List.of(net.palisade.model.Network.parse("2001:db8:1::/48")),
                List.of(net.palisade.model.Network.parse("2001:db8:2::/48")), v4.local(), v4.peers(), v4.ikeSa(),
                v4.childSa(), v4.srcId(), v4.dstId(), v4.authentication(), v4.dpd(), v4.ping());
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t), 1,
                new java.net.InetSocketAddress(Ikev1Loop.ip("2001:db8::1"), 500),
                new java.net.InetSocketAddress(Ikev1Loop.ip("2001:db8::2"), 500)).start();
        assertChildPair(loop);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst().remoteSelectors().toString())
                .contains("2001:db8:2::");
    }

    @Test
    void theFirstMessageTellsTheDriverModeAndAggressiveId() {
        IkeTunnel agg = Ikev1Loop.tunnel(IkeExchange.IKEV1_AGGRESSIVE, "badpassword", List.of(DhGroup.NONE));
        Ikev1Loop loop = new Ikev1Loop(agg, Ikev1Loop.mirror(agg));
        loop.feed(true, new net.palisade.controlplane.ike.IkeInput.Start());
        Ikev1Engine.FirstMessage first = Ikev1Engine.firstMessage(loop.inFlight.getFirst().datagram()).orElseThrow();
        assertThat(first.aggressive()).isTrue();
        assertThat(first.id().orElseThrow().address()).contains(Ikev1Loop.A.getAddress());
        IkeTunnel main = Ikev1Loop.main("badpassword");
        Ikev1Loop mainLoop = new Ikev1Loop(main, Ikev1Loop.mirror(main));
        mainLoop.feed(true, new net.palisade.controlplane.ike.IkeInput.Start());
        assertThat(Ikev1Engine.firstMessage(mainLoop.inFlight.getFirst().datagram())).contains(
                new Ikev1Engine.FirstMessage(false, java.util.Optional.empty()));
        mainLoop.run();
        assertThat(Ikev1Engine.firstMessage(mainLoop.delivered.get(1).datagram())).isEmpty();
    }

    private static IkeTunnel ids(IkeTunnel t, String src, String dst) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                t.childSa(), java.util.Optional.ofNullable(src).map(net.palisade.model.Identity::parse),
                java.util.Optional.ofNullable(dst).map(net.palisade.model.Identity::parse), t.authentication(), t.dpd(),
                t.ping());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"IKEV1_AGGRESSIVE, gw-a.example.com", "IKEV1_MAIN, ops@example.com",
            "IKEV1_MAIN, 2001:db8::a"})
    void namedIdentitiesAreSentAndRequired(IkeExchange x, String id) {
        IkeTunnel t = Ikev1Loop.tunnel(x, "badpassword", List.of(DhGroup.NONE));
        Ikev1Loop loop = new Ikev1Loop(ids(t, id, null), ids(Ikev1Loop.mirror(t), null, id)).start();
        assertChildPair(loop);
        Ikev1Loop refused = new Ikev1Loop(ids(t, id, null), ids(Ikev1Loop.mirror(t), null, "other.example.com"))
                .start();
        assertThat(refused.events(false, IkeOutput.NegotiationFailed.class)).extracting(f -> f.reason().name())
                .containsExactly("AUTHENTICATION_FAILED");
        assertThat(refused.events(false, IkeOutput.Phase1Up.class)).isEmpty();
    }

    @Test
    void wrongPskFailsWithAuthenticationFailedAndInstallsNothing() {
        IkeTunnel t = Ikev1Loop.main("badpassword");
        IkeTunnel other = Ikev1Loop.mirror(Ikev1Loop.main("otherpassword"));
        Ikev1Loop loop = new Ikev1Loop(t, other).start();
        assertThat(loop.b.state()).isEqualTo(Ikev1State.CLOSED);
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).extracting(f -> f.reason().name())
                .containsExactly("AUTHENTICATION_FAILED");
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
    }
}
