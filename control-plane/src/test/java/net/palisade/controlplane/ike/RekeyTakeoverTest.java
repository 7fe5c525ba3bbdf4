package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;

/**
 * A takeover while the peer rekeys a Child SA: B (our node) answered the peer's CREATE_CHILD_SA and journaled the
 * new Child SA, then died before the peer's Delete of the old one. B' resumes both (the old one as replaced) and
 * the peer, a second in-memory engine, decides which survives: its retransmitted rekey (our answer was lost) ends
 * the Child SA only B had, its Delete (our answer arrived) ends the old one.
 */
class RekeyTakeoverTest {
    private static final IkeTunnel T = IkeLoop.gcm("rekey takeover secret", DhGroup.CURVE25519);
    private static final IkeSettings TAKEOVER = IkeSettings.DEFAULT.withTakeoverState(true);

    /** What the journal held for B when it died: the IKE SA and the old Child SA as first journaled. */
    private record Journaled(IkeSaSnapshot ike, IkeOutput.ChildSaInstalled old) {
        static Journaled of(IkeLoop loop) {
            return new Journaled(SnapshotCodec.decodeIke(SnapshotCodec.encode(
                    loop.events(false, IkeOutput.IkeSaState.class).getFirst().snapshot())),
                    copy(loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst()));
        }
    }

    private static IkeOutput.ChildSaInstalled copy(IkeOutput.ChildSaInstalled c) {
        return SnapshotCodec.decodeChild(SnapshotCodec.encode(c));
    }

    /** A's retransmission after its timeout, delivered to {@code to} with everything that follows. */
    private static ResumeTest.Exchanged retransmitTo(IkeLoop loop, IkeSession to) {
        loop.clock.advance(Duration.ofSeconds(5));
        IkeSession.Step tick = loop.a.handle(new IkeInput.Tick());
        assertThat(ResumeTest.sends(tick.outputs())).as("A retransmits").hasSize(1);
        return ResumeTest.pump(loop.a, tick, to);
    }

    @Test
    void thePeerNeverHadOurAnswerRekeysTheOldChildSaAgainAndTheChildSaOnlyWeHadGoes() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        Journaled j = Journaled.of(loop);
        // the peer (A) rekeys the Child SA; B answers and journals the new one, but its answer never arrives
        loop.network = (f, l) -> f.toB() ? 1 : 0;
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        IkeOutput.ChildSaRekeyed answered = loop.events(false, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(answered.switchOutbound()).isFalse();
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        IkeOutput.ChildSaInstalled fresh = copy(answered.replacement());

        // B dies; B' resumes the new Child SA and the old one, replaced by it
        IkeSession b1 = IkeSession.resume(IkeLoop.mirror(T), j.ike(), List.of(fresh),
                List.of(new IkeResumption.Old(j.old(), fresh.inboundSpi())), ResumeTest.env(43, loop), TAKEOVER);
        assertThat(b1.counters().get("ikev2.engine.resumed_replaced_child")).isEqualTo(1);
        ResumeTest.Exchanged x = retransmitTo(loop, b1);

        // the peer's rekey completes with B'; the Child SA B made is gone, then the old one (the peer deletes it)
        assertThat(b1.counters().get("ikev2.engine.resumed_rekey_answer_lost")).isEqualTo(1);
        List<IkeOutput.ChildSaRekeyed> rekeyed = x.of(false, IkeOutput.ChildSaRekeyed.class);
        assertThat(rekeyed).hasSize(1);
        assertThat(rekeyed.getFirst().oldInboundSpi()).isEqualTo(j.old().inboundSpi());
        long now = rekeyed.getFirst().replacement().inboundSpi();
        assertThat(now).isNotEqualTo(fresh.inboundSpi());
        assertThat(x.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(fresh.inboundSpi(), j.old().inboundSpi());
        // the peer has exactly the Child SA B' made: its outbound SPI is B''s inbound one
        List<IkeOutput.ChildSaRekeyed> peers = x.of(true, IkeOutput.ChildSaRekeyed.class);
        assertThat(peers).hasSize(1);
        assertThat(peers.getFirst().replacement().outboundSpi()).isEqualTo(now);
        assertThat(x.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(x.of(false, IkeOutput.Phase1Down.class)).isEmpty();

        // and the tunnel goes on: B' syncs message IDs, and the next rekey works both ways
        ResumeTest.Exchanged synced = ResumeTest.pump(b1, b1.handle(new IkeInput.Start()), loop.a);
        assertThat(b1.counters().get("ikev2.engine.mid_sync_done")).isEqualTo(1);
        assertThat(synced.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        ResumeTest.Exchanged next = ResumeTest.pump(loop.a, loop.a.handle(new IkeInput.RekeyChild()), b1);
        assertThat(next.of(true, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        assertThat(next.of(false, IkeOutput.ChildSaRekeyed.class).getFirst().oldInboundSpi()).isEqualTo(now);
    }

    @Test
    void thePeerHadOurAnswerDeletesTheOldChildSaAndTheNewOneStays() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        Journaled j = Journaled.of(loop);
        // B's answer arrives; the peer's Delete of the old Child SA (an INFORMATIONAL) does not
        loop.network = (f, l) -> f.toB() && f.datagram()[18] == 37 ? 0 : 1;
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        IkeOutput.ChildSaInstalled fresh = copy(loop.events(false, IkeOutput.ChildSaRekeyed.class).getFirst()
                .replacement());
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class)).isEmpty();

        // the Delete must reach B' with the message ID it expects: strongSwan sends it so after the message ID sync
        // (it re-queues its exchange in flight); this in-memory peer only retransmits, so B''s journaled IDs are
        // those after the rekey exchange
        IkeSaSnapshot s = j.ike();
        IkeSaSnapshot after = new IkeSaSnapshot(s.spiI(), s.spiR(), s.initiatorRole(), s.encryption(),
                s.integrity(), s.prf(), s.group(), s.keys(), s.local(), s.remote(), s.udpEncapsulation(),
                s.behindNat(), s.peerFragmentation(), s.peerMidSync(), s.nextRequestId(),
                s.expectedPeerRequestId() + 1, s.midSyncUsed());
        IkeSession b1 = IkeSession.resume(IkeLoop.mirror(T), after, List.of(fresh),
                List.of(new IkeResumption.Old(j.old(), fresh.inboundSpi())), ResumeTest.env(43, loop), TAKEOVER);
        ResumeTest.Exchanged x = retransmitTo(loop, b1);
        assertThat(x.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(j.old().inboundSpi());
        assertThat(b1.counters().get("ikev2.engine.resumed_rekey_answer_lost")).isZero();
        assertThat(x.of(false, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        // the Child SA our answer made is the one left: the peer's next rekey names it
        ResumeTest.Exchanged next = ResumeTest.pump(loop.a, loop.a.handle(new IkeInput.RekeyChild()), b1);
        assertThat(next.of(false, IkeOutput.ChildSaRekeyed.class).getFirst().oldInboundSpi())
                .isEqualTo(fresh.inboundSpi());
    }
}
