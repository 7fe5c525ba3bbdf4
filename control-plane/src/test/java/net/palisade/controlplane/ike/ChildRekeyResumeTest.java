package net.palisade.controlplane.ike;

import static net.palisade.controlplane.ike.ResumeTest.env;
import static net.palisade.controlplane.ike.ResumeTest.pump;
import static net.palisade.controlplane.ike.ResumeTest.sends;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * A takeover inside our own Child SA rekey (docs/ha.md, "Resumption"): the state journaled ahead of the rekey's
 * request names it (the old Child SA, our new SPI, nonce, the PFS key exchange's seed, the datagrams), and the node
 * that resumes the IKE SA sends the same request again with the same message ID. A peer that answered it sends its
 * cached answer (a retransmission to it) and both end on the same new Child SA, the old one deleted; before, the
 * peer kept the Child SA it had made for the lost request (strongSwan: inbound only, until its lifetime). Also the
 * window after the rekey's result was journaled and before our Delete of the old Child SA reached the peer.
 */
class ChildRekeyResumeTest {
    private static final IkeTunnel T = pfs(IkeLoop.gcm("child rekey resume secret", DhGroup.CURVE25519));
    private static final IkeSettings TAKEOVER = IkeSettings.DEFAULT.withTakeoverState(true);

    private static IkeTunnel pfs(IkeTunnel t) {
        ChildSaSpec c = t.childSa();
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                new ChildSaSpec(c.enc(), c.auth(), List.of(DhGroup.CURVE25519), c.lifetime()), t.srcId(), t.dstId(),
                t.authentication(), t.dpd(), t.ping());
    }

    /** A's Child SA rekey leaves; the state written ahead of it (through the journal's codec); the request. */
    private record Interrupted(IkeLoop loop, IkeSaSnapshot journaled, IkeOutput.ChildSaInstalled child,
            List<IkeOutput.Send> request, IkeHeader header) {}

    private static IkeOutput.ChildSaInstalled journaled(IkeOutput.ChildSaInstalled c) {
        return SnapshotCodec.decodeChild(SnapshotCodec.encode(c));
    }

    private static IkeSaSnapshot journaled(IkeOutput.IkeSaState st) {
        assertThat(st.beforeRequest()).isTrue();
        return SnapshotCodec.decodeIke(SnapshotCodec.encode(st.snapshot()));
    }

    private static <E extends IkeOutput> List<E> of(List<IkeOutput> out, Class<E> type) {
        return out.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static Interrupted interrupted() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeOutput.ChildSaInstalled child = journaled(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst());
        List<IkeOutput> out = loop.a.handle(new IkeInput.RekeyChild()).outputs();
        IkeSaSnapshot journaled = journaled(of(out, IkeOutput.IkeSaState.class).getFirst());
        List<IkeOutput.Send> request = sends(out);
        IkeHeader h = Ikev2Codec.standard().decodeHeader(request.getFirst().datagram()).toOptional().orElseThrow();
        return new Interrupted(loop, journaled, child, request, h);
    }

    /** Delivers {@code sends} to {@code to}; its outputs. */
    private static List<IkeOutput> deliver(List<IkeOutput.Send> sends, IkeSession to) {
        List<IkeOutput> out = new java.util.ArrayList<>();
        for (IkeOutput.Send s : sends) {
            out.addAll(to.handle(new IkeInput.Received(s.datagram().clone(), s.from(), s.to())).outputs());
        }
        return out;
    }

    @Test
    void theJournaledStateNamesTheChildSaRekeyInFlightAndShowsNoSecret() {
        Interrupted i = interrupted();
        assertThat(i.header().exchangeType()).isEqualTo(ExchangeType.Known.CREATE_CHILD_SA);
        assertThat(i.journaled().nextRequestId()).isEqualTo(i.header().messageId() + 1);
        ChildRequestInFlight r = i.journaled().child().orElseThrow();
        assertThat(r.kind()).isEqualTo(ChildRequestInFlight.Kind.REKEY);
        assertThat(r.oldSpiIn()).isEqualTo(i.child().inboundSpi());
        assertThat(r.oldSpiOut()).isEqualTo(i.child().outboundSpi());
        assertThat(r.group()).isEqualTo(DhGroup.CURVE25519);
        assertThat(r.keySeed()).hasSize(32).isNotEqualTo(new byte[32]);
        assertThat(r.request()).hasSize(1);
        assertThat(r.request().getFirst()).isEqualTo(i.request().getFirst().datagram());
        assertThat(i.journaled().toString()).contains("ChildRequestInFlight")
                .doesNotContain(HexFormat.of().formatHex(r.keySeed()).substring(0, 12))
                .doesNotContain(HexFormat.of().formatHex(r.nonce()).substring(0, 12));
        assertThat(i.journaled().rekey()).isEmpty();
        // the states of completed exchanges carry none
        assertThat(i.loop().events(true, IkeOutput.IkeSaState.class).getFirst().snapshot().child()).isEmpty();
    }

    @Test
    void thePeerAnsweredTheResumedNodeSendsTheRequestAgainAndBothEndOnTheSameNewChildSaTheOldOneDeleted() {
        Interrupted i = interrupted();
        IkeLoop loop = i.loop();
        // B answers the rekey and installs the new Child SA; the answer never reaches A, which dies
        List<IkeOutput> atB = deliver(i.request(), loop.b);
        IkeOutput.ChildSaRekeyed peers = of(atB, IkeOutput.ChildSaRekeyed.class).getFirst();

        IkeSession resumed = IkeSession.resume(T, i.journaled(), List.of(i.child()), List.of(), env(17, loop),
                TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        IkeOutput.Send again = sends(start.outputs()).getFirst();
        assertThat(again.datagram()).as("the very request, a retransmission to the peer")
                .isEqualTo(i.request().getFirst().datagram());
        assertThat(resumed.counters().get("ikev2.engine.child_request_resent_after_takeover")).isEqualTo(1);

        ResumeTest.Exchanged ex = pump(resumed, start, loop.b);
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(1);
        IkeOutput.ChildSaRekeyed ours = ex.of(true, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(ex.of(true, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        assertThat(ex.of(false, IkeOutput.ChildSaRekeyed.class)).as("B made no second Child SA").isEmpty();
        assertThat(ours.oldInboundSpi()).isEqualTo(i.child().inboundSpi());
        assertThat(ours.replacement().inboundSpi()).isEqualTo(peers.replacement().outboundSpi());
        assertThat(ours.replacement().outboundSpi()).isEqualTo(peers.replacement().inboundSpi());
        // the same keys: the journaled nonce and the key exchange made again from its seed
        assertThat(ours.replacement().outbound().encryption().revealBytes())
                .isEqualTo(peers.replacement().inbound().encryption().revealBytes());
        assertThat(ours.replacement().inbound().encryption().revealBytes())
                .isEqualTo(peers.replacement().outbound().encryption().revealBytes());
        assertThat(ours.replacement().pfs()).contains(DhGroup.CURVE25519);
        // the dead node may have had this answer too and sent with these keys before the journal had the rekey: the
        // new Child SA's sequence numbers must start as a resumed SA's, above anything it may have sent
        assertThat(ours.resent()).isTrue();
        // the old Child SA is deleted on both sides: one Child SA each, the new one
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(i.child().outboundSpi());
        assertThat(ex.of(true, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(i.child().inboundSpi());
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.Phase1Down.class)).isEmpty();

        // the IKE SA goes on both ways, and the new Child SA rekeys again
        IkeSession.Step check = loop.b.handle(new IkeInput.CheckLiveness());
        assertThat(pump(loop.b, check, resumed).of(true, IkeOutput.PeerAlive.class)).hasSize(1);
        IkeSession.Step rekey = resumed.handle(new IkeInput.RekeyChild());
        ResumeTest.Exchanged next = pump(resumed, rekey, loop.b);
        assertThat(next.of(true, IkeOutput.ChildSaRekeyed.class)).singleElement()
                .satisfies(k -> assertThat(k.resent()).as("a rekey of our own: new keys").isFalse())
                .extracting(IkeOutput.ChildSaRekeyed::oldInboundSpi).isEqualTo(ours.replacement().inboundSpi());
        assertThat(resumed.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void thePeerNeverHadTheRequestAndTakesItAsNew() {
        Interrupted i = interrupted();
        IkeLoop loop = i.loop();
        IkeSession resumed = IkeSession.resume(T, i.journaled(), List.of(i.child()), List.of(), env(18, loop),
                TAKEOVER);
        ResumeTest.Exchanged ex = pump(resumed, resumed.handle(new IkeInput.Start()), loop.b);
        IkeOutput.ChildSaRekeyed ours = ex.of(true, IkeOutput.ChildSaRekeyed.class).getFirst();
        IkeOutput.ChildSaRekeyed peers = ex.of(false, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(ours.replacement().inboundSpi()).isEqualTo(peers.replacement().outboundSpi());
        assertThat(ours.replacement().outbound().encryption().revealBytes())
                .isEqualTo(peers.replacement().inbound().encryption().revealBytes());
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(i.child().outboundSpi());
    }

    @Test
    void aRekeyWithoutPfsAsAgainstStrongSwanIsSentAgainAsItLeftAndTheKeysAgree() {
        // strongSwan's default esp_proposals have no PFS: the rekey it answered had no key exchange
        IkeTunnel noPfs = IkeLoop.gcm("child rekey resume secret", DhGroup.CURVE25519);
        IkeLoop loop = new IkeLoop(noPfs, IkeLoop.mirror(noPfs), TAKEOVER).start();
        IkeOutput.ChildSaInstalled child = journaled(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst());
        List<IkeOutput> out = loop.a.handle(new IkeInput.RekeyChild()).outputs();
        IkeSaSnapshot ahead = journaled(of(out, IkeOutput.IkeSaState.class).getFirst());
        ChildRequestInFlight r = ahead.child().orElseThrow();
        assertThat(r.group()).isEqualTo(DhGroup.NONE);
        assertThat(r.keySeed()).isEmpty();
        assertThat(r.toString()).doesNotContain("seed");
        IkeOutput.ChildSaRekeyed peers = of(deliver(sends(out), loop.b), IkeOutput.ChildSaRekeyed.class).getFirst();

        IkeSession resumed = IkeSession.resume(noPfs, ahead, List.of(child), List.of(), env(21, loop), TAKEOVER);
        ResumeTest.Exchanged ex = pump(resumed, resumed.handle(new IkeInput.Start()), loop.b);
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(1);
        IkeOutput.ChildSaRekeyed ours = ex.of(true, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(ours.replacement().pfs()).contains(DhGroup.NONE);
        assertThat(ours.replacement().inboundSpi()).isEqualTo(peers.replacement().outboundSpi());
        assertThat(ours.replacement().inbound().encryption().revealBytes())
                .isEqualTo(peers.replacement().outbound().encryption().revealBytes());
        assertThat(ex.of(false, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(child.outboundSpi());
    }

    /** A's rekey completed; the outputs of the answer's step: the result, the state ahead of the Delete, the Delete. */
    private record Answered(Interrupted interrupted, IkeOutput.ChildSaRekeyed result, IkeSaSnapshot aheadOfDelete,
            List<IkeOutput.Send> delete) {}

    private static Answered answered() {
        Interrupted i = interrupted();
        List<IkeOutput> answer = deliver(i.request(), i.loop().b);
        List<IkeOutput> atA = deliver(sends(answer), i.loop().a);
        IkeOutput.ChildSaRekeyed result = of(atA, IkeOutput.ChildSaRekeyed.class).getFirst();
        IkeSaSnapshot ahead = journaled(of(atA, IkeOutput.IkeSaState.class).getFirst());
        return new Answered(i, result, ahead, sends(atA));
    }

    @Test
    void killedAfterTheRekeysResultWasJournaledButNotTheStateAheadOfTheDeleteTheOldOneIsDeletedAfterAll() {
        Answered a = answered();
        IkeLoop loop = a.interrupted().loop();
        // the journal has the new Child SA (rekeyed), not the old one; its IKE SA state is the one ahead of the rekey
        IkeSession resumed = IkeSession.resume(T, a.interrupted().journaled(),
                List.of(journaled(a.result().replacement())), List.of(), env(19, loop), TAKEOVER);
        ResumeTest.Exchanged ex = pump(resumed, resumed.handle(new IkeInput.Start()), loop.b);
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(1);
        assertThat(resumed.counters().get("ikev2.engine.child_rekey_result_resumed")).isEqualTo(1);
        assertThat(ex.of(true, IkeOutput.ChildSaRekeyed.class)).as("nothing installed twice").isEmpty();
        assertThat(ex.of(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(a.interrupted().child().outboundSpi());
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
    }

    /**
     * Since 2026-12-07 the journal keeps the old Child SA's state until our Delete of it is answered, and the new node
     * resumes it (receiving: the peer sends on it until that Delete reaches it). Killed before the state ahead of
     * the Delete was journaled: the resent rekey's answer completes the rekey, and the Delete that follows ends the
     * resumed old Child SA here too.
     */
    @Test
    void theOldChildSaResumedAfterTheRekeysResultIsDeletedOnBothSidesOnceTheResentRekeyIsAnswered() {
        Answered a = answered();
        IkeLoop loop = a.interrupted().loop();
        long oldIn = a.interrupted().child().inboundSpi();
        IkeSession resumed = IkeSession.resume(T, a.interrupted().journaled(),
                List.of(journaled(a.result().replacement())),
                List.of(new IkeResumption.Old(a.interrupted().child(), a.result().replacement().inboundSpi(), true)),
                env(23, loop), TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        assertThat(of(start.outputs(), IkeOutput.ChildSaDeleted.class)).as("received on until deleted").isEmpty();
        ResumeTest.Exchanged ex = pump(resumed, start, loop.b);
        assertThat(resumed.counters().get("ikev2.engine.child_rekey_result_resumed")).isEqualTo(1);
        assertThat(ex.of(true, IkeOutput.ChildSaRekeyed.class)).as("nothing installed twice").isEmpty();
        assertThat(ex.of(true, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(oldIn);
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(a.interrupted().child().outboundSpi());
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
    }

    /**
     * The old Child SA resumed with an IKE SA state that names no request for it (journaled before the rekey, or
     * after a later request of ours): the new node deletes it itself, after the message ID sync.
     */
    @Test
    void anOldChildSaNoJournaledRequestEndsIsDeletedAfterTheMessageIdSync() {
        Answered a = answered();
        IkeLoop loop = a.interrupted().loop();
        IkeSaSnapshot beforeTheRekey = SnapshotCodec.decodeIke(SnapshotCodec.encode(
                loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot()));
        assertThat(beforeTheRekey.child()).isEmpty();
        IkeSession resumed = IkeSession.resume(T, beforeTheRekey, List.of(journaled(a.result().replacement())),
                List.of(new IkeResumption.Old(a.interrupted().child(), a.result().replacement().inboundSpi(), true)),
                env(24, loop), TAKEOVER);
        ResumeTest.Exchanged ex = pump(resumed, resumed.handle(new IkeInput.Start()), loop.b);
        assertThat(ex.of(true, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(a.interrupted().child().inboundSpi());
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(a.interrupted().child().outboundSpi());
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(resumed.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void killedBeforeOurDeleteOfTheOldChildSaReachedThePeerTheNewNodeSendsIt() {
        Answered a = answered();
        IkeLoop loop = a.interrupted().loop();
        ChildRequestInFlight d = a.aheadOfDelete().child().orElseThrow();
        assertThat(d.kind()).isEqualTo(ChildRequestInFlight.Kind.DELETE);
        assertThat(d.oldSpiIn()).isEqualTo(a.interrupted().child().inboundSpi());
        assertThat(d.request().getFirst()).isEqualTo(a.delete().getFirst().datagram());
        // the Delete never reaches B; the new node resumes the new Child SA and sends the journaled Delete again
        IkeSession resumed = IkeSession.resume(T, a.aheadOfDelete(), List.of(journaled(a.result().replacement())),
                List.of(), env(20, loop), TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        assertThat(sends(start.outputs()).getFirst().datagram()).isEqualTo(a.delete().getFirst().datagram());
        ResumeTest.Exchanged ex = pump(resumed, start, loop.b);
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(a.interrupted().child().outboundSpi());
        assertThat(ex.of(true, IkeOutput.ChildSaDeleted.class)).as("the new Child SA stays").isEmpty();
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.Phase1Down.class)).isEmpty();
    }

    @Test
    void theJournaledDeleteHadBeenAnsweredThePeerAnswersItAgainFromItsCacheAndNothingChanges() {
        // the state written ahead of our last request names it until the next request: a takeover long after the
        // Delete was answered sends it once more
        Answered a = answered();
        IkeLoop loop = a.interrupted().loop();
        List<IkeOutput> deleted = deliver(a.delete(), loop.b);
        assertThat(of(deleted, IkeOutput.ChildSaDeleted.class)).hasSize(1);
        deliver(sends(deleted), loop.a);
        IkeSession resumed = IkeSession.resume(T, a.aheadOfDelete(), List.of(journaled(a.result().replacement())),
                List.of(), env(22, loop), TAKEOVER);
        ResumeTest.Exchanged ex = pump(resumed, resumed.handle(new IkeInput.Start()), loop.b);
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(1);
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).isEmpty();
        assertThat(ex.of(true, IkeOutput.ChildSaDeleted.class)).isEmpty();
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.Phase1Down.class)).isEmpty();
        IkeSession.Step check = loop.b.handle(new IkeInput.CheckLiveness());
        assertThat(pump(loop.b, check, resumed).of(true, IkeOutput.PeerAlive.class)).hasSize(1);
    }

    @Test
    void takeoverStateWithoutAChildSaRequestIsWrittenAsBeforeAndTheNewFormReadsBack() {
        Interrupted i = interrupted();
        IkeSaSnapshot none = i.loop().events(true, IkeOutput.IkeSaState.class).getFirst().snapshot();
        byte[] plain = SnapshotCodec.encode(none);
        assertThat(java.nio.ByteBuffer.wrap(plain).getInt()).as("version 2, readable by nodes before this")
                .isEqualTo(0x49_4b_02);
        byte[] v4 = SnapshotCodec.encode(i.journaled());
        assertThat(java.nio.ByteBuffer.wrap(v4).getInt()).isEqualTo(0x49_4b_04);
        IkeSaSnapshot back = SnapshotCodec.decodeIke(v4);
        assertThat(back.child().orElseThrow().newSpiIn()).isEqualTo(i.journaled().child().orElseThrow().newSpiIn());
        assertThat(back.child().orElseThrow().nonce()).isEqualTo(i.journaled().child().orElseThrow().nonce());
    }
}
