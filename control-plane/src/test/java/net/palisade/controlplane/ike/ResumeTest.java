package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/**
 * A node resumes an IKE SA from its journaled state after the peer and the dead node went on exchanging messages
 * (DPD both ways): the resumed session's IDs are stale, and RFC 6311's sync, answered by a second in-memory engine
 * acting as the peer, brings both to the same IDs, after which requests flow both ways again. Without the peer's
 * support it rekeys the IKE SA instead.
 */
class ResumeTest {
    private static final IkeTunnel T = IkeLoop.gcm("resume secret", DhGroup.CURVE25519);
    private static final IkeSettings TAKEOVER = IkeSettings.DEFAULT.withTakeoverState(true);

    /** What each side output while {@link #pump} ran. */
    record Exchanged(List<IkeOutput> a, List<IkeOutput> b) {
        <E extends IkeOutput> List<E> of(boolean ofA, Class<E> type) {
            return (ofA ? a : b).stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    /** Delivers what {@code a} output (in {@code first}) to {@code b}, and the answers back, until quiet. */
    static Exchanged pump(IkeSession a, IkeSession.Step first, IkeSession b) {
        List<IkeOutput> outA = new ArrayList<>(first.outputs());
        List<IkeOutput> outB = new ArrayList<>();
        List<IkeOutput.Send> toB = sends(first.outputs());
        List<IkeOutput.Send> toA = List.of();
        while (!toB.isEmpty() || !toA.isEmpty()) {
            List<IkeOutput.Send> nextToA = new ArrayList<>();
            for (IkeOutput.Send s : toB) {
                IkeSession.Step st = b.handle(new IkeInput.Received(s.datagram().clone(), s.from(), s.to()));
                outB.addAll(st.outputs());
                nextToA.addAll(sends(st.outputs()));
            }
            List<IkeOutput.Send> nextToB = new ArrayList<>();
            for (IkeOutput.Send s : toA) {
                IkeSession.Step st = a.handle(new IkeInput.Received(s.datagram().clone(), s.from(), s.to()));
                outA.addAll(st.outputs());
                nextToB.addAll(sends(st.outputs()));
            }
            toA = nextToA;
            toB = nextToB;
        }
        return new Exchanged(outA, outB);
    }

    static List<IkeOutput.Send> sends(List<IkeOutput> outputs) {
        return outputs.stream().filter(IkeOutput.Send.class::isInstance).map(IkeOutput.Send.class::cast)
                .filter(s -> !s.isNatKeepalive()).toList();
    }

    static IkeEnvironment env(long seed, IkeLoop loop) {
        Random r = new Random(seed);
        return new IkeEnvironment(loop.clock, r::nextBytes, KeyExchanges.standard(), Ikev2Codec.standard());
    }

    /**
     * strongSwan destroys an IKE SA when a message ID sync it already answered comes again (ha-pair.sh --tunnels 200:
     * a node busy taking over hundreds of tunnels read the answers after its 1 s timer): a resumed session waits
     * {@link IkeSettings#RESUMED_FIRST_RETRANSMIT} before sending its first request again, then backs off as usual.
     */
    @Test
    void aResumedSessionSendsItsMessageIdSyncAgainOnlyAfterFiveSeconds() {
        for (IkeSettings node : List.of(TAKEOVER, IkeSettings.DEFAULT)) {
            IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
            IkeSaSnapshot journaled = SnapshotCodec.decodeIke(SnapshotCodec.encode(
                    loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot()));
            IkeOutput.ChildSaInstalled child = SnapshotCodec.decodeChild(SnapshotCodec.encode(
                    loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst()));
            IkeSettings resumedWith = node.forResumption();
            assertThat(resumedWith.retransmit()).as("only the first timeout changes")
                    .hasSize(node.retransmit().size())
                    .startsWith(java.time.Duration.ofSeconds(5))
                    .endsWith(node.retransmit().subList(1, node.retransmit().size())
                            .toArray(java.time.Duration[]::new));
            IkeSession resumed = IkeSession.resume(T, journaled, List.of(child), List.of(), env(42, loop), resumedWith);
            List<IkeOutput.Send> sync = sends(resumed.handle(new IkeInput.Start()).outputs());
            assertThat(sync).hasSize(1);
            // the node's usual schedule would send it again after 1 s; the peer's answer may be waiting unread
            int at = 0;
            for (int step : new int[] {1_000, 1_000, 1_000, 1_900}) {
                loop.clock.advance(java.time.Duration.ofMillis(step));
                at += step;
                assertThat(sends(resumed.handle(new IkeInput.Tick()).outputs())).as("at %d ms", at).isEmpty();
            }
            loop.clock.advance(java.time.Duration.ofMillis(100));
            List<IkeOutput.Send> again = sends(resumed.handle(new IkeInput.Tick()).outputs());
            assertThat(again).as("sent again at 5 s").hasSize(1);
            assertThat(again.getFirst().datagram()).isEqualTo(sync.getFirst().datagram());
            // then the usual backoff: the next one after the second timeout (2 s)
            loop.clock.advance(java.time.Duration.ofMillis(1_900));
            assertThat(sends(resumed.handle(new IkeInput.Tick()).outputs())).isEmpty();
            loop.clock.advance(java.time.Duration.ofMillis(100));
            assertThat(sends(resumed.handle(new IkeInput.Tick()).outputs())).hasSize(1);
        }
    }

    @Test
    void aResumedIkeSaSynchronisesMessageIdsWithThePeerAndBothGoOn() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeSaSnapshot journaled = SnapshotCodec.decodeIke(SnapshotCodec.encode(
                loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot()));
        IkeOutput.ChildSaInstalled child = SnapshotCodec.decodeChild(SnapshotCodec.encode(
                loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst()));
        // both announced RFC 6311 support in IKE_AUTH
        assertThat(journaled.peerMidSync()).isTrue();
        // after the state was journaled, the old node and the peer went on: two liveness checks from A, one from B
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        loop.feed(false, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(2);

        // A dies; A' resumes from the journal, with stale IDs (next 2, expecting 0) while B expects 4 and sends 1
        IkeSession resumed = IkeSession.resume(T, journaled, List.of(child), List.of(), env(42, loop), TAKEOVER);
        assertThat(resumed.state()).isEqualTo(IkeState.ESTABLISHED);
        IkeSession.Step sync = resumed.handle(new IkeInput.Start());
        List<IkeOutput.Send> out = sends(sync.outputs());
        assertThat(out).hasSize(1);
        // an INFORMATIONAL request with message ID 0
        var header = Ikev2Codec.standard().decodeHeader(out.getFirst().datagram()).toOptional().orElseThrow();
        assertThat(header.messageId()).isZero();
        assertThat(header.exchangeType()).isEqualTo(ExchangeType.Known.INFORMATIONAL);
        assertThat(header.response()).isFalse();
        Exchanged exchanged = pump(resumed, sync, loop.b);
        assertThat(exchanged.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(exchanged.of(false, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(loop.b.counters().get("ikev2.engine.mid_sync_answered")).isEqualTo(1);
        assertThat(resumed.counters().get("ikev2.engine.mid_sync_done")).isEqualTo(1);

        // now both agree (A' jumped past what A may have sent, B goes on at 1), and each answers the other
        IkeSession.Step check = resumed.handle(new IkeInput.CheckLiveness());
        var sent = Ikev2Codec.standard().decodeHeader(sends(check.outputs()).getFirst().datagram()).toOptional()
                .orElseThrow();
        assertThat(sent.messageId()).isEqualTo(2 + MessageIdSync.JUMP);
        assertThat(pump(resumed, check, loop.b).of(true, IkeOutput.PeerAlive.class)).hasSize(1);
        IkeSession.Step fromB = loop.b.handle(new IkeInput.CheckLiveness());
        assertThat(Ikev2Codec.standard().decodeHeader(sends(fromB.outputs()).getFirst().datagram()).toOptional()
                .orElseThrow().messageId()).isEqualTo(1);
        assertThat(pump(loop.b, fromB, resumed).of(true, IkeOutput.PeerAlive.class)).hasSize(1);
        assertThat(loop.b.counters().get("ikev2.engine.message_id_out_of_window")).isZero();
        assertThat(resumed.counters().get("ikev2.engine.message_id_out_of_window")).isZero();
        // the resumed Child SA is the engine's own: it can be rekeyed with the peer
        Exchanged rekey = pump(resumed, resumed.handle(new IkeInput.RekeyChild()), loop.b);
        assertThat(rekey.of(true, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        assertThat(rekey.of(false, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
        assertThat(rekey.of(true, IkeOutput.ChildSaRekeyed.class).getFirst().oldInboundSpi())
                .isEqualTo(child.inboundSpi());
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    /**
     * A takeover after the IKE SA's responder sent a request of its own (a liveness check here; in the lab, its
     * Child SA rekey): the peer answered that request 0 under the IKE SA's keys, so it cannot answer a message ID
     * sync (message ID 0 again: strongSwan's AES-GCM IV is the message ID). The request journaled the state with the
     * ID counted, and B' rekeys the IKE SA with the next one instead of syncing; the peer takes it.
     */
    @Test
    void aResumedResponderWhoseRequestWasAnsweredRekeysTheIkeSaInsteadOfSyncing() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeOutput.ChildSaInstalled child = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(loop.events(false, IkeOutput.IkeSaState.class).getLast().snapshot().nextRequestId()).isZero();
        loop.feed(false, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(false, IkeOutput.PeerAlive.class)).hasSize(1);
        IkeSaSnapshot journaled = SnapshotCodec.decodeIke(SnapshotCodec.encode(
                loop.events(false, IkeOutput.IkeSaState.class).getLast().snapshot()));
        assertThat(journaled.initiatorRole()).isFalse();
        assertThat(journaled.nextRequestId()).as("request 0 counted as it left").isEqualTo(1);
        assertThat(journaled.peerMidSync()).isTrue();

        IkeSession resumed = IkeSession.resume(IkeLoop.mirror(T), journaled, List.of(child), List.of(), env(7, loop),
                TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        var header = Ikev2Codec.standard().decodeHeader(sends(start.outputs()).getFirst().datagram()).toOptional()
                .orElseThrow();
        assertThat(header.exchangeType()).isEqualTo(ExchangeType.Known.CREATE_CHILD_SA);
        assertThat(header.messageId()).isEqualTo(1);
        Exchanged rekeyed = pump(resumed, start, loop.a);
        assertThat(rekeyed.of(true, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertThat(rekeyed.of(false, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertThat(rekeyed.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(rekeyed.of(false, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(resumed.counters().get("ikev2.engine.mid_sync_sent")).isZero();
    }

    /**
     * The fail-back: A' (which resumed and synced) dies in turn, and A'' resumes from the journal. A' journals the
     * IDs the sync agreed, and that the sync is made: a second sync needs
     * the peer to answer with message ID 0 again, which strongSwan refuses under AES-GCM (its IV is the message ID),
     * so A'' rekeys the IKE SA instead. The resumed nodes never repeat an IV of the keys they took over.
     */
    @Test
    void aSecondTakeoverRekeysFromTheIdsTheFirstSyncAgreed() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeSaSnapshot first = loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot();
        assertThat(first.midSyncUsed()).isFalse();
        IkeOutput.ChildSaInstalled child = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeSession a1 = IkeSession.resume(T, first, List.of(child), List.of(), env(42, loop), TAKEOVER);
        IkeSession.Step start = a1.handle(new IkeInput.Start());
        // A sealed IKE_AUTH and what followed with SK_ei; A' seals with the same key: a repeated IV is a repeated
        // AES-GCM nonce
        Set<String> ivsOfA = loop.delivered.stream().filter(f -> f.toB() && f.datagram()[18] != 34)
                .map(f -> HexFormat.of().formatHex(f.datagram(), 32, 40)).collect(Collectors.toSet());
        assertThat(ivsOfA).isNotEmpty();
        byte[] syncRequest = sends(start.outputs()).getFirst().datagram();
        assertThat(ivsOfA).doesNotContain(HexFormat.of().formatHex(syncRequest, 32, 40));
        Exchanged synced = pump(a1, start, loop.b);
        assertThat(a1.counters().get("ikev2.engine.mid_sync_done")).isEqualTo(1);
        // both sides journal the IDs they agreed, and that the sync is spent
        List<IkeOutput.IkeSaState> journaled = synced.of(true, IkeOutput.IkeSaState.class);
        assertThat(journaled).hasSize(1);
        IkeSaSnapshot second = SnapshotCodec.decodeIke(SnapshotCodec.encode(journaled.getFirst().snapshot()));
        assertThat(second.nextRequestId()).isEqualTo(first.nextRequestId() + MessageIdSync.JUMP);
        assertThat(second.midSyncUsed()).isTrue();
        assertThat(synced.of(false, IkeOutput.IkeSaState.class)).hasSize(1);
        assertThat(synced.of(false, IkeOutput.IkeSaState.class).getFirst().snapshot().expectedPeerRequestId())
                .isEqualTo(second.nextRequestId());

        // from the state journaled after the sync: no second sync, the IKE SA is rekeyed with the IDs the sync agreed
        // (from the state before it, the rekey's message ID would be one the peer has seen: ignored or answered from
        // its cache)
        IkeSession a2 = IkeSession.resume(T, second, List.of(child), List.of(), env(44, loop), TAKEOVER);
        Exchanged rekeyed = pump(a2, a2.handle(new IkeInput.Start()), loop.b);
        assertThat(a2.counters().get("ikev2.engine.mid_sync_sent")).isZero();
        assertThat(rekeyed.of(true, IkeOutput.IkeSaRekeyed.class)).hasSize(1);
        assertThat(rekeyed.of(true, IkeOutput.IkeSaRekeyed.class).getFirst().replaced()).isEqualTo(first.id());
        // the new IKE SA's state is journaled, a sync possible again on it
        assertThat(rekeyed.of(true, IkeOutput.IkeSaState.class).getLast().snapshot().midSyncUsed()).isFalse();
        assertThat(pump(a2, a2.handle(new IkeInput.CheckLiveness()), loop.b).of(true, IkeOutput.PeerAlive.class))
                .hasSize(1);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void withoutThePeersSupportTheResumedIkeSaIsRekeyedAtOnce() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeSaSnapshot s = loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot();
        IkeSaSnapshot noSupport = new IkeSaSnapshot(s.spiI(), s.spiR(), s.initiatorRole(), s.encryption(),
                s.integrity(), s.prf(), s.group(), s.keys(), s.local(), s.remote(), s.udpEncapsulation(),
                s.behindNat(), s.peerFragmentation(), false, s.nextRequestId(), s.expectedPeerRequestId(), false);
        IkeOutput.ChildSaInstalled child = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeSession resumed = IkeSession.resume(T, noSupport, List.of(child), List.of(), env(7, loop), TAKEOVER);
        Exchanged out = pump(resumed, resumed.handle(new IkeInput.Start()), loop.b);
        assertThat(resumed.counters().get("ikev2.engine.mid_sync_sent")).isZero();
        IkeOutput.IkeSaRekeyed rekeyed = out.of(true, IkeOutput.IkeSaRekeyed.class).getFirst();
        assertThat(rekeyed.replaced()).isEqualTo(s.id());
        assertThat(rekeyed.byUs()).isTrue();
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        // the new IKE SA's state is journaled again
        assertThat(out.of(true, IkeOutput.IkeSaState.class)).isNotEmpty();
    }
}
