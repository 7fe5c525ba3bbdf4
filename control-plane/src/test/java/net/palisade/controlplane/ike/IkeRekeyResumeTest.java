package net.palisade.controlplane.ike;

import static net.palisade.controlplane.ike.ResumeTest.env;
import static net.palisade.controlplane.ike.ResumeTest.pump;
import static net.palisade.controlplane.ike.ResumeTest.sends;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * A takeover inside our own IKE SA rekey (docs/ha.md, "Resumption"): the rekey's request journaled the IKE SA's
 * state with the rekey in it (SPI, nonce, the key exchange's seed), and the node that resumes it sends the same
 * request again with the same message ID. A peer that answered it — and, like strongSwan, moved its Child SAs to
 * the new IKE SA — sends its answer again (a retransmission to it), and both end on the same new IKE SA; a peer
 * that never had it answers it as new. Before, the resumed node made a rekey of its own, which strongSwan ignores on
 * an IKE SA it has rekeyed: the tunnel was lost until the old IKE SA timed out.
 */
class IkeRekeyResumeTest {
    private static final IkeTunnel T = IkeLoop.gcm("rekey resume secret", DhGroup.CURVE25519);
    private static final IkeSettings TAKEOVER = IkeSettings.DEFAULT.withTakeoverState(true);

    /** A's IKE SA rekey leaves; the state written ahead of it, through the journal's codec; the request. */
    private record Interrupted(IkeLoop loop, IkeSaSnapshot journaled, IkeOutput.ChildSaInstalled child,
            IkeOutput.Send request, IkeHeader header) {}

    private static Interrupted interrupted() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeOutput.ChildSaInstalled child = SnapshotCodec.decodeChild(SnapshotCodec.encode(
                loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst()));
        List<IkeOutput> out = loop.a.handle(new IkeInput.RekeyIke()).outputs();
        IkeOutput.IkeSaState ahead = (IkeOutput.IkeSaState) out.getFirst();
        assertThat(ahead.beforeRequest()).isTrue();
        IkeSaSnapshot journaled = SnapshotCodec.decodeIke(SnapshotCodec.encode(ahead.snapshot()));
        IkeOutput.Send request = sends(out).getFirst();
        IkeHeader h = Ikev2Codec.standard().decodeHeader(request.datagram()).toOptional().orElseThrow();
        return new Interrupted(loop, journaled, child, request, h);
    }

    @Test
    void theJournaledStateNamesTheRekeyInFlightAndShowsNoSecret() {
        Interrupted i = interrupted();
        assertThat(i.header().exchangeType()).isEqualTo(ExchangeType.Known.CREATE_CHILD_SA);
        assertThat(i.journaled().nextRequestId()).isEqualTo(i.header().messageId() + 1);
        IkeSaSnapshot.RekeyInFlight r = i.journaled().rekey().orElseThrow();
        assertThat(r.group()).isEqualTo(DhGroup.CURVE25519);
        assertThat(r.keySeed()).hasSize(32).isNotEqualTo(new byte[32]);
        assertThat(i.journaled().toString()).contains("RekeyInFlight")
                .doesNotContain(HexFormat.of().formatHex(r.keySeed()).substring(0, 12))
                .doesNotContain(HexFormat.of().formatHex(r.nonce()).substring(0, 12));
        // the states of completed exchanges carry none
        assertThat(i.loop().events(true, IkeOutput.IkeSaState.class).getFirst().snapshot().rekey()).isEmpty();
    }

    @Test
    void thePeerAnsweredAndMovedOnTheResumedNodeSendsTheRequestAgainAndBothEndOnTheSameNewIkeSa() {
        Interrupted i = interrupted();
        IkeLoop loop = i.loop();
        // B answers the rekey; the answer never reaches A, which dies
        IkeSession.Step answered = loop.b.handle(new IkeInput.Received(i.request().datagram().clone(),
                i.request().from(), i.request().to()));
        IkeOutput.IkeSaRekeyed atPeer = answered.outputs().stream().filter(IkeOutput.IkeSaRekeyed.class::isInstance)
                .map(IkeOutput.IkeSaRekeyed.class::cast).findFirst().orElseThrow();

        IkeSession resumed = IkeSession.resume(T, i.journaled(), List.of(i.child()), List.of(), env(7, loop),
                TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        List<IkeOutput.Send> again = sends(start.outputs());
        IkeHeader h = Ikev2Codec.standard().decodeHeader(again.getFirst().datagram()).toOptional().orElseThrow();
        assertThat(h.exchangeType()).isEqualTo(ExchangeType.Known.CREATE_CHILD_SA);
        assertThat(h.messageId()).as("the same message ID: a retransmission to the peer")
                .isEqualTo(i.header().messageId());
        assertThat(resumed.counters().get("ikev2.engine.ike_rekey_resent_after_takeover")).isEqualTo(1);
        assertThat(resumed.counters().get("ikev2.engine.mid_sync_sent")).isZero();

        ResumeTest.Exchanged ex = pump(resumed, start, loop.b);
        IkeOutput.IkeSaRekeyed ours = ex.of(true, IkeOutput.IkeSaRekeyed.class).getFirst();
        assertThat(ours.replacement()).isEqualTo(atPeer.replacement());
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.Phase1Down.class)).isEmpty();
        // the same keys on both sides: the journaled nonce and seed made the same key exchange again
        IkeSaSnapshot mine = ex.of(true, IkeOutput.IkeSaState.class).stream().map(IkeOutput.IkeSaState::snapshot)
                .filter(s -> s.id().equals(ours.replacement())).findFirst().orElseThrow();
        IkeSaSnapshot peers = answered.outputs().stream().filter(IkeOutput.IkeSaState.class::isInstance)
                .map(o -> ((IkeOutput.IkeSaState) o).snapshot()).filter(s -> s.id().equals(ours.replacement()))
                .findFirst().orElseGet(() -> ex.of(false, IkeOutput.IkeSaState.class).getLast().snapshot());
        assertThat(mine.keys().skD()).isEqualTo(peers.keys().skD());
        assertThat(mine.keys().skEi()).isEqualTo(peers.keys().skEi());

        // the new IKE SA carries requests both ways
        IkeSession.Step check = resumed.handle(new IkeInput.CheckLiveness());
        assertThat(pump(resumed, check, loop.b).of(true, IkeOutput.PeerAlive.class)).hasSize(1);
        IkeSession.Step fromB = loop.b.handle(new IkeInput.CheckLiveness());
        assertThat(pump(loop.b, fromB, resumed).of(true, IkeOutput.PeerAlive.class)).hasSize(1);
        assertThat(resumed.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void thePeerNeverHadTheRequestAndTakesItAsNew() {
        Interrupted i = interrupted();
        IkeLoop loop = i.loop();
        IkeSession resumed = IkeSession.resume(T, i.journaled(), List.of(i.child()), List.of(), env(8, loop),
                TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        ResumeTest.Exchanged ex = pump(resumed, start, loop.b);
        assertThat(ex.of(true, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertThat(ex.of(false, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertThat(ex.of(true, IkeOutput.IkeSaRekeyed.class).getFirst().replacement())
                .isEqualTo(ex.of(false, IkeOutput.IkeSaRekeyed.class).getFirst().replacement());
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(ex.of(false, IkeOutput.Phase1Down.class)).isEmpty();
    }
}
