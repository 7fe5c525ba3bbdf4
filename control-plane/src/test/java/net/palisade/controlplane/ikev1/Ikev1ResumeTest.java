package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.SnapshotCodec;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;

/**
 * An IKEv1 engine that goes on from its journaled ISAKMP SA state (a node restarted, or the other node of a pair
 * took over) against an engine that never stopped: no phase 1 or quick mode, DPD and quick modes both ways after,
 * re-authentication, and the kill falling inside a quick mode.
 */
class Ikev1ResumeTest {
    private static final IkeSettings SETTINGS = IkeSettings.DEFAULT.withTakeoverState(true);
    private static final int QUICK_MODE = 32;
    private static final int INFORMATIONAL = 5;

    private static IkeTunnel tunnel(IkeExchange x) {
        IkeTunnel t = Ikev1Loop.tunnel(x, "badpassword", List.of(DhGroup.NONE));
        return Ikev1Loop.with(t, t.ikeSa(), t.childSa(), Optional.of(Duration.ofSeconds(10)));
    }

    private static Ikev1Loop established(IkeTunnel t) {
        // a second on, our first pair counts as settled (the state says so: journaled again)
        return new Ikev1Loop(t, Ikev1Loop.mirror(t), 7, Ikev1Loop.A, Ikev1Loop.B, SETTINGS).start()
                .advance(Duration.ofSeconds(2));
    }

    /** The last state {@code ofA}'s side reported, read back from the bytes the journal would seal. */
    private static Ikev1Snapshot journaled(Ikev1Loop loop, boolean ofA) {
        Ikev1Snapshot st = loop.events(ofA, IkeOutput.IsakmpSaState.class).getLast().snapshot();
        return Ikev1SnapshotCodec.decode(Ikev1SnapshotCodec.encode(st));
    }

    /** Every pair {@code ofA}'s side installed: the Child SA states the journal holds. */
    private static Set<Long> withKeys(Ikev1Loop loop, boolean ofA) {
        Set<Long> s = new HashSet<>();
        loop.events(ofA, IkeOutput.ChildSaInstalled.class).forEach(c -> s.add(c.inboundSpi()));
        loop.events(ofA, IkeOutput.ChildSaRekeyed.class).forEach(c -> s.add(c.replacement().inboundSpi()));
        return s;
    }

    /** A's node dies: a new engine goes on from A's journaled state. */
    private static Ikev1Engine resumeA(Ikev1Loop loop, IkeTunnel t) {
        Ikev1Engine e = Ikev1Engine.resumed(t, journaled(loop, true), withKeys(loop, true), loop.env(99), SETTINGS);
        loop.a = e;
        return e;
    }

    private static int exchangeType(Ikev1Loop.Flight f) {
        return f.datagram()[18] & 0xff;
    }

    /** Each side's pairs as {inbound, outbound}: the other side's reversed. */
    private static void assertSamePairs(Ikev1Loop loop) {
        List<List<Long>> a = loop.a.current().children.stream().map(c -> List.of(c.spiIn(), c.spiOut())).toList();
        List<List<Long>> b = loop.b.current().children.stream().map(c -> List.of(c.spiOut(), c.spiIn())).toList();
        assertThat(a).as("A's pairs, B's reversed").hasSize(1).isEqualTo(b);
    }

    @Test
    void theStateReadsBackAndAnOlderReaderRefusesIt() {
        Ikev1Loop loop = established(tunnel(IkeExchange.IKEV1_MAIN));
        Ikev1Snapshot st = loop.events(true, IkeOutput.IsakmpSaState.class).getLast().snapshot();
        byte[] bytes = Ikev1SnapshotCodec.encode(st);
        Ikev1Snapshot back = Ikev1SnapshotCodec.decode(bytes);
        IsakmpSa sa = loop.a.current().isakmpSa();
        assertThat(back.id()).isEqualTo(loop.a.id());
        assertThat(back.skeyidD()).isEqualTo(sa.skeyidD);
        assertThat(back.skeyidA()).isEqualTo(sa.skeyidA);
        assertThat(back.key()).isEqualTo(sa.encryptionKey());
        assertThat(back.phase1Iv()).isEqualTo(sa.phase1Iv());
        assertThat(back.peerId()).isEqualTo(loop.a.peerId());
        assertThat(back.pairs()).singleElement().satisfies(p -> {
            IkeOutput.ChildSaInstalled c = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
            assertThat(p.spiIn()).isEqualTo(c.inboundSpi());
            assertThat(p.spiOut()).isEqualTo(c.outboundSpi());
        });
        assertThat(back.toString()).doesNotContain(java.util.HexFormat.of().formatHex(sa.skeyidD));
        // the journal's IKEv2 reader (and so a node of the previous version) refuses it rather than misread it
        assertThat(Ikev1SnapshotCodec.isIkev1(bytes)).isTrue();
        assertThatThrownBy(() -> SnapshotCodec.decodeIke(bytes)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ikev1SnapshotCodec.decode(java.util.Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aResumedInitiatorGoesOnWithDpdQuickModesBothWaysAndReauthentication() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = established(t);
        long sequence = journaled(loop, true).dpdSequence();
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        int before = loop.delivered.size();
        Ikev1Engine resumed = resumeA(loop, t);
        loop.aOutputs.clear();
        loop.feed(true, new IkeInput.Tick());
        loop.run();
        assertThat(resumed.state()).isEqualTo(Ikev1State.ESTABLISHED);
        net.palisade.controlplane.ike.IkeSaId resumedId = resumed.id();
        assertThat(resumedId).isEqualTo(loop.b.id());
        assertThat(loop.delivered).as("nothing on the wire on resumption").hasSize(before);
        assertThat(loop.events(true, IkeOutput.IsakmpSaState.class)).as("journaled again with its new DPD numbers")
                .singleElement().satisfies(s -> assertThat(s.snapshot().dpdSequence())
                        .isEqualTo(sequence + Ikev1Takeover.DPD_MARGIN));
        assertThat(resumed.current().children).singleElement()
                .satisfies(c -> assertThat(c.spiIn()).isEqualTo(first.inboundSpi()));

        // DPD both ways: the resumed side's R-U-THERE numbers go on above the journaled one
        long bAnswered = loop.b.counters().get("ikev1.engine.dpd_answered");
        loop.advance(Duration.ofSeconds(11));
        assertThat(loop.delivered.subList(before, loop.delivered.size())).isNotEmpty()
                .allSatisfy(f -> assertThat(exchangeType(f)).isEqualTo(INFORMATIONAL));
        assertThat(loop.b.counters().get("ikev1.engine.dpd_answered")).isGreaterThan(bAnswered);
        assertThat(resumed.counters().get("ikev1.engine.dpd_answered")).isPositive();
        assertThat(resumed.current().info.sequence()).isEqualTo(sequence + Ikev1Takeover.DPD_MARGIN + 1);
        assertThat(loop.b.counters().get("ikev1.engine.informational_bad_hash")).isZero();
        assertThat(loop.b.counters().get("ikev1.engine.undecryptable")).isZero();
        loop.advance(Duration.ofSeconds(3));
        assertThat(loop.events(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.Phase1Down.class)).isEmpty();

        // the peer's quick mode, then ours: each side's new pair is the other's
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        loop.advance(Duration.ofSeconds(2));
        assertSamePairs(loop);
        assertThat(loop.a.current().children.getFirst().spiIn()).isNotEqualTo(first.inboundSpi());
        IkeOutput.ChildSaInstalled peers = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement();
        IkeOutput.ChildSaInstalled theirs = loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast().replacement();
        assertThat(peers.inbound()).isEqualTo(theirs.outbound());
        assertThat(peers.outbound()).isEqualTo(theirs.inbound());
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        loop.advance(Duration.ofSeconds(2));
        assertSamePairs(loop);
        IkeOutput.ChildSaInstalled ours = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement();
        assertThat(ours.inboundSpi()).isNotEqualTo(peers.inboundSpi());
        assertThat(ours.outbound()).isEqualTo(loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast()
                .replacement().inbound());

        // re-authentication: a new phase 1 replaces the resumed ISAKMP SA, and its state is journaled after
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        loop.advance(Duration.ofSeconds(2));
        IkeOutput.IkeSaRekeyed r = loop.events(true, IkeOutput.IkeSaRekeyed.class).getLast();
        assertThat(r.replaced()).isEqualTo(resumedId);
        assertThat(r.replacement()).isEqualTo(loop.a.id()).isNotEqualTo(r.replaced());
        List<IkeOutput> out = loop.aOutputs;
        int rekeyed = out.indexOf(r);
        assertThat(out.subList(rekeyed, out.size())).anySatisfy(o -> assertThat(o)
                .isInstanceOfSatisfying(IkeOutput.IsakmpSaState.class,
                        s -> assertThat(s.snapshot().id()).isEqualTo(r.replacement())));
        assertThat(out.subList(0, rekeyed)).noneSatisfy(o -> assertThat(o)
                .isInstanceOfSatisfying(IkeOutput.IsakmpSaState.class,
                        s -> assertThat(s.snapshot().id()).isEqualTo(r.replacement())));
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
    }

    @Test
    void aResumedResponderAnswersTheInitiatorsDpdAndQuickMode() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_AGGRESSIVE);
        Ikev1Loop loop = established(t);
        int before = loop.delivered.size();
        Ikev1Engine resumed = Ikev1Engine.resumed(Ikev1Loop.mirror(t), journaled(loop, false), withKeys(loop, false),
                loop.env(98), SETTINGS);
        loop.b = resumed;
        loop.responders.set(0, resumed);
        loop.feed(false, new IkeInput.Tick());
        loop.run();
        assertThat(loop.delivered).hasSize(before);

        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(resumed.counters().get("ikev1.engine.dpd_answered")).isEqualTo(1);
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        loop.advance(Duration.ofSeconds(2));
        assertSamePairs(loop);
        assertThat(loop.delivered.subList(before, loop.delivered.size()))
                .allSatisfy(f -> assertThat(exchangeType(f)).isIn(QUICK_MODE, INFORMATIONAL));
    }

    @Test
    void killedAfterOurMessage3WasJournaledButBeforeItLeftTheResumedNodeRedoesThatQuickMode() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = established(t);
        long old = loop.a.current().children.getFirst().spiIn();
        int[] ours = {0};
        // A's message 3 never leaves: its node died once the journal had the state written ahead of it
        loop.network = (f, l) -> f.toB() && exchangeType(f) == QUICK_MODE && ++ours[0] == 2 ? 0 : 1;
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        Ikev1Snapshot st = journaled(loop, true);
        assertThat(st.pairs()).extracting(Ikev1Snapshot.Pair::status)
                .containsExactlyInAnyOrder(Ikev1Snapshot.Status.OURS_UNSETTLED, Ikev1Snapshot.Status.RETIRING);
        // the state is ahead of message 3 in the step: the driver holds message 3 until the journal has it
        List<IkeOutput> out = loop.aOutputs;
        int state = out.lastIndexOf(loop.events(true, IkeOutput.IsakmpSaState.class).getLast());
        int rekeyed = out.lastIndexOf(loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast());
        assertThat(out.subList(rekeyed, state)).noneMatch(IkeOutput.Send.class::isInstance);
        assertThat(out.subList(state, out.size())).anyMatch(IkeOutput.Send.class::isInstance);
        long unsettled = st.pairs().stream().filter(p -> p.status() == Ikev1Snapshot.Status.OURS_UNSETTLED)
                .findFirst().orElseThrow().spiIn();
        loop.network = (f, l) -> 1;
        Ikev1Engine resumed = resumeA(loop, t);
        loop.aOutputs.clear();
        loop.feed(true, new IkeInput.Tick());
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class)).as("the pair the peer may not have goes")
                .extracting(IkeOutput.ChildSaDeleted::inboundSpi).containsExactly(unsettled);
        assertThat(resumed.counters().get("ikev1.engine.resumed_unsettled_quick_mode_redone")).isEqualTo(1);
        loop.run();
        loop.advance(Duration.ofSeconds(2));
        for (int i = 0; i < 40; i++) {
            loop.advance(Duration.ofSeconds(1)); // B's abandoned quick mode runs out of retransmissions
        }
        assertSamePairs(loop);
        long now = loop.a.current().children.getFirst().spiIn();
        assertThat(now).isNotIn(old, unsettled);
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().oldInboundSpi())
                .as("the new quick mode replaced the pair the dead node was replacing").isEqualTo(old);
        assertThat(loop.events(true, IkeOutput.Phase1Down.class)).isEmpty();
    }

    @Test
    void killedBeforeThePeersMessage3TheResumedNodeSendsOnTheNewPairOnceThePeerDeletesTheOld() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = established(t);
        long old = loop.a.current().children.getFirst().spiIn();
        // B's quick mode: our message 2 left (journaled ahead of it), B's message 3 never reached the dead node
        int[] theirs = {0};
        loop.network = (f, l) -> !f.toB() && exchangeType(f) == QUICK_MODE && ++theirs[0] == 2 ? 0 : 1;
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        Ikev1Snapshot st = journaled(loop, true);
        assertThat(st.pairs()).extracting(Ikev1Snapshot.Pair::status)
                .containsExactly(Ikev1Snapshot.Status.SENDING, Ikev1Snapshot.Status.RECEIVING);
        loop.network = (f, l) -> 1;
        resumeA(loop, t);
        loop.aOutputs.clear();
        loop.feed(true, new IkeInput.Tick());
        loop.run();
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class)).isEmpty();
        loop.advance(Duration.ofSeconds(2)); // B's grace ends: it deletes the old pair
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(old);
        assertSamePairs(loop);
        assertThat(journaled(loop, true).pairs()).extracting(Ikev1Snapshot.Pair::status)
                .containsExactly(Ikev1Snapshot.Status.SENDING);
    }
}
