package net.palisade.controlplane.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An any-peer passive tunnel holds one IKE SA per peer, each with its own Child SAs: one peer's IKE SA going (deleted,
 * DPD, expired) leaves the others' and their Child SAs, and their rekeys are still accepted.
 */
class AnyPeerTunnelTest {
    private static final Instant T0 = Instant.parse("2026-12-06T11:00:00Z");
    private static final String P1 = "198.51.100.1";
    private static final String P2 = "198.51.100.2";
    private static final SpiPair SPI_1 = new SpiPair(Spi.of(0xa001), Spi.of(0xa002));
    private static final SpiPair SPI_2 = new SpiPair(Spi.of(0xb001), Spi.of(0xb002));
    private static final SpiPair SPI_3 = new SpiPair(Spi.of(0xb003), Spi.of(0xb004));
    private static ActorSystem<Void> system;

    @BeforeAll
    static void start() {
        system = Fixtures.eventSourcedSystem("any-peer-tunnel");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    private final RecordingPorts ports = new RecordingPorts();

    private EventSourcedBehaviorTestKit<TunnelCommand, TunnelEvent, TunnelState> kit(String label) {
        TunnelEntity.Deps deps = new TunnelEntity.Deps(ports, "node-1",
                Clock.fixed(T0, ZoneOffset.UTC), 5);
        var kit = EventSourcedBehaviorTestKit.<TunnelCommand, TunnelEvent, TunnelState>create(system,
                TunnelEntity.create(label, deps));
        kit.clear();
        return kit;
    }

    /** The fixture's {@code road}: passive, no peer, any identity the CA vouches for. */
    private static IkeTunnel road() {
        IkeTunnel t = (IkeTunnel) Fixtures.config().tunnel("road").orElseThrow();
        assertThat(t.peers()).isEmpty();
        return t;
    }

    private static TunnelView ok(CommandResultWithReply<TunnelCommand, TunnelEvent, TunnelState, TunnelReply> r) {
        assertThat(r.reply()).isInstanceOf(TunnelReply.Ok.class);
        return ((TunnelReply.Ok) r.reply()).tunnel();
    }

    private static String rejected(CommandResultWithReply<TunnelCommand, TunnelEvent, TunnelState, TunnelReply> r) {
        assertThat(r.hasNoEvents()).as("a refused command persists nothing").isTrue();
        assertThat(r.reply()).isInstanceOf(TunnelReply.Rejected.class);
        return ((TunnelReply.Rejected) r.reply()).error();
    }

    private static ChildSa child(SpiPair spi, String ike) {
        return new ChildSa(SaId.child(spi.inbound().value()), spi).under(ike);
    }

    /** Two peers up, each with a Child SA; returns the kit. */
    private EventSourcedBehaviorTestKit<TunnelCommand, TunnelEvent, TunnelState> twoPeers() {
        var kit = kit("road");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(road(), Cause.FILE, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up(P1, "ike-1", Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(child(SPI_1, "ike-1"), Cause.PEER,
                to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up(P2, "ike-2", Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(child(SPI_2, "ike-2"), Cause.PEER,
                to)));
        TunnelState s = kit.getState();
        assertThat(s.ikeSas()).containsExactly(new TunnelState.IkeSa("ike-1", P1), new TunnelState.IkeSa("ike-2", P2));
        assertThat(s.sas()).extracting(ChildSa::spi).containsExactly(SPI_1, SPI_2);
        assertThat(s.status()).isEqualTo(TunnelStatus.UP);
        assertThat(s.view().ikeSas()).as("the API shows each peer's IKE SA").isEqualTo(s.ikeSas());
        return kit;
    }

    @Test
    void onePeerGoingDownLeavesTheOthersIkeSaAndChildSaAndItsRekeysAreAccepted() {
        var kit = twoPeers();
        var down = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("delete from peer", Cause.PEER, to,
                Optional.of("ike-1")));
        assertThat(down.eventOfType(TunnelEvent.Phase1Down.class).ikeSa()).contains("ike-1");
        TunnelView v = ok(down);
        assertThat(v.status()).isEqualTo(TunnelStatus.UP);
        assertThat(v.ikeSa()).contains("ike-2");
        assertThat(v.peer()).contains(P2);
        assertThat(v.sas()).extracting(ChildSa::spi).containsExactly(SPI_2);
        assertThat(kit.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-2", P2));

        // peer 2 goes on: its Child SA rekey, its IKE SA rekey
        var rekey = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.child(0xb001),
                SaId.child(0xb003), Optional.of(SPI_3), Cause.PEER, to));
        assertThat(ok(rekey).sas()).containsExactly(child(SPI_3, "ike-2"));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.of("ike-2"), SaId.of("ike-2b"),
                Optional.empty(), Cause.PEER, to)));
        assertThat(kit.getState().sas()).containsExactly(child(SPI_3, "ike-2b"));
        assertThat(kit.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-2b", P2));

        // what is gone is refused as gone
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("delete", Cause.PEER, to,
                Optional.of("ike-1"))))).contains("IKE SA ike-1 is not up");
        // a Child SA of a gone IKE SA is in the dataplane already: journaled as a failure, not as installed
        var late = kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(child(SPI_1, "ike-1"),
                Cause.PEER, to));
        assertThat(late.eventOfType(TunnelEvent.NegotiationFailed.class).detail()).contains("ike-1, which is not up");
        assertThat(kit.getState().sas()).containsExactly(child(SPI_3, "ike-2b"));

        // the last peer going takes the tunnel to connecting
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.DpdLost(Cause.TIMER, to, Optional.of("ike-2b"))));
        assertThat(kit.getState().status()).isEqualTo(TunnelStatus.CONNECTING);
        assertThat(kit.getState().sas()).isEmpty();
        assertThat(kit.getState().ikeSas()).isEmpty();
    }

    @Test
    void dpdLossAndExpiryOfOnePeerNameThatPeerAndLeaveTheOther() {
        var kit = twoPeers();
        var lost = kit.<TunnelReply>runCommand(to -> new TunnelCommand.DpdLost(Cause.TIMER, to,
                Optional.of("ike-2")));
        assertThat(lost.eventOfType(TunnelEvent.DpdLost.class).peer()).isEqualTo(P2);
        assertThat(ok(lost).sas()).extracting(ChildSa::spi).containsExactly(SPI_1);
        assertThat(ok(lost).lastFailure()).contains("dpd-lost: " + P2);

        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up(P2, "ike-3", Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SaExpired(SaId.of("ike-1"), Cause.TIMER, to)));
        assertThat(kit.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-3", P2));
        assertThat(kit.getState().sas()).isEmpty();
        assertThat(kit.getState().status()).isEqualTo(TunnelStatus.NO_CHILD_SA);
    }

    @Test
    void aPeersNewIkeSaComesBesideItsOldOneUntilThatEndsAndAFixedPeerTunnelHoldsOne() {
        var kit = twoPeers();
        // a second IKE SA from P1's address: the site again, or another site behind the same NAT; both are held
        // until one's own end is reported (the session that replaced one reports its phase1-down)
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up(P1, "ike-1b", Cause.PEER, to)));
        assertThat(kit.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-1", P1),
                new TunnelState.IkeSa("ike-2", P2), new TunnelState.IkeSa("ike-1b", P1));
        // each takes its own Child SAs: one of the new IKE SA is accepted beside the old one's
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(child(SPI_3, "ike-1b"), Cause.PEER,
                to)));
        // the replaced IKE SA's end takes its Child SA, and nothing of the peer's new IKE SA or the other peer's
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("deleted", Cause.PEER, to,
                Optional.of("ike-1"))));
        assertThat(kit.getState().sas()).extracting(ChildSa::spi).containsExactly(SPI_2, SPI_3);
        assertThat(kit.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-2", P2),
                new TunnelState.IkeSa("ike-1b", P1));

        var fixed = kit("site-b");
        ok(fixed.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(
                (IkeTunnel) Fixtures.config().tunnel("site-b").orElseThrow(), Cause.FILE, to)));
        ok(fixed.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up(P1, "ike-1", Cause.PEER, to)));
        ok(fixed.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up(P2, "ike-2", Cause.PEER, to)));
        assertThat(fixed.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-2", P2));
        // a Phase1Down naming none ends every IKE SA (reset, node restart, old journals)
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("reset", Cause.NODE, to)));
        assertThat(kit.getState().ikeSas()).isEmpty();
        assertThat(kit.getState().sas()).isEmpty();
    }

    @Test
    void replayingTheJournalGivesTheSameStateAndTheEventsKeepTheirIkeSa() {
        var kit = twoPeers();
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("delete from peer", Cause.PEER, to,
                Optional.of("ike-1"))));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.child(0xb001), SaId.child(0xb003),
                Optional.of(SPI_3), Cause.PEER, to)));
        TunnelState live = kit.getState();

        TunnelState s = TunnelState.empty("road");
        for (TunnelEvent e : new TunnelEvent[] {
            new TunnelEvent.Configured("road", T0, "node-1", Cause.FILE, road()),
            new TunnelEvent.Phase1Up("road", T0, "node-1", Cause.PEER, P1, "ike-1"),
            new TunnelEvent.ChildSaInstalled("road", T0, "node-1", Cause.PEER, child(SPI_1, "ike-1")),
            new TunnelEvent.Phase1Up("road", T0, "node-1", Cause.PEER, P2, "ike-2"),
            new TunnelEvent.ChildSaInstalled("road", T0, "node-1", Cause.PEER, child(SPI_2, "ike-2")),
            new TunnelEvent.Phase1Down("road", T0, "node-1", Cause.PEER, "delete from peer", Optional.of("ike-1")),
            new TunnelEvent.Rekeyed("road", T0, "node-1", Cause.PEER, SaId.child(0xb001), SaId.child(0xb003),
                    Optional.of(SPI_3))}) {
            s = s.apply(e);
        }
        assertThat(s).isEqualTo(live);
        assertThat(s.ikeSas()).containsExactly(new TunnelState.IkeSa("ike-2", P2));
        assertThat(s.sas()).containsExactly(child(SPI_3, "ike-2"));
        assertThat(s.peer()).contains(P2);
    }

    private static final net.palisade.model.event.SealedState SEALED = new net.palisade.model.event.SealedState(
            "00112233aabbccdd", new byte[12], new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});

    @Test
    void aRestartResumesEachPeersIkeSaWhoseStateIsJournaledAndEndsTheOther() {
        var kit = twoPeers();
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.3", "ike-3", Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(child(SPI_3, "ike-3"), Cause.PEER,
                to)));
        // peers 1 and 3: their IKE SA's state and their Child SA's; peer 2: its IKE SA's only
        for (String ike : java.util.List.of("ike-1", "ike-2", "ike-3")) {
            ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa", SaId.of(ike), SEALED,
                    Cause.NODE, to)));
        }
        for (SpiPair spi : java.util.List.of(SPI_1, SPI_3)) {
            ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa",
                    SaId.child(spi.inbound().value()), SEALED, Cause.NODE, to)));
        }
        assertThat(kit.getState().takeover().resumable()).extracting(Takeover.Resume::ikeSa)
                .containsExactly("ike-1", "ike-3");

        ports.resumable = true;
        ports.clear();
        kit.restart();
        TunnelView v = ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new));
        assertThat(ports.calls()).contains("resumeIke road ike-3").doesNotContain("startIke road");
        // peer 2's IKE SA is held by no session now: journaled down, with its Child SA; the other two go on
        assertThat(kit.getState().ikeSas()).containsExactly(new TunnelState.IkeSa("ike-1", P1),
                new TunnelState.IkeSa("ike-3", "198.51.100.3"));
        assertThat(v.sas()).extracting(ChildSa::spi).containsExactly(SPI_1, SPI_3);
        assertThat(v.status()).isEqualTo(TunnelStatus.UP);
        assertThat(kit.getState().takeover().resumable()).extracting(Takeover.Resume::ikeSa)
                .containsExactly("ike-1", "ike-3");
    }
}
