package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.IkeTunnel;
import org.junit.jupiter.api.Test;

/**
 * The state the engine reports for the journal when asked ({@link IkeSettings#takeoverState}): what a resuming node
 * reads must be the IKE SA both peers use — the same SPIs and keys on both sides, and message IDs that follow the
 * exchanges so far (IKE_SA_INIT 0 and IKE_AUTH 1).
 */
class TakeoverStateTest {
    private static final IkeTunnel T = IkeLoop.gcm("takeover secret", DhGroup.CURVE25519);

    @Test
    void withoutTheSettingNoStateIsReported() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T)).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.IkeSaState.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.IkeSaState.class)).isEmpty();
    }

    @Test
    void bothSidesReportTheIkeSaTheyShareWithTheMessageIdsAfterIkeAuth() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeSaSnapshot a = loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot();
        IkeSaSnapshot b = loop.events(false, IkeOutput.IkeSaState.class).getFirst().snapshot();
        assertThat(a.id()).isEqualTo(b.id()).isEqualTo(loop.events(true, IkeOutput.Phase1Up.class).getFirst().id());
        assertThat(a.initiatorRole()).isTrue();
        assertThat(b.initiatorRole()).isFalse();
        // the keys are those both derived: the same seven on each side
        assertThat(a.keys().skD()).isEqualTo(b.keys().skD());
        assertThat(a.keys().skEi()).isEqualTo(b.keys().skEi());
        assertThat(a.keys().skEr()).isEqualTo(b.keys().skEr());
        assertThat(a.keys().skPi()).isEqualTo(b.keys().skPi());
        assertThat(a.keys().skD()).isNotEqualTo(new byte[a.keys().skD().length]);
        // RFC 7296 2.2: the initiator used 0 and 1; its next request is 2, and the responder expects 2
        assertThat(a.nextRequestId()).isEqualTo(2);
        assertThat(a.expectedPeerRequestId()).isZero();
        assertThat(b.nextRequestId()).isZero();
        assertThat(b.expectedPeerRequestId()).isEqualTo(2);
        assertThat(a.remote()).isEqualTo(IkeLoop.B);
        // reported after Phase1Up and the first Child SA: the journal names the IKE SA before its state
        assertThat(loop.aOutputs.indexOf(loop.events(true, IkeOutput.Phase1Up.class).getFirst()))
                .isLessThan(loop.aOutputs.indexOf(loop.events(true, IkeOutput.IkeSaState.class).getFirst()));
        // never a key in the printed form
        assertThat(a.toString()).doesNotContain(HexFormat.of().formatHex(a.keys().skEi()).substring(0, 16));
    }

    @Test
    void anIkeSaRekeyReportsTheNewIkeSaWithItsOwnMessageIds() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        loop.feed(true, new IkeInput.RekeyIke());
        loop.run();
        IkeOutput.IkeSaRekeyed rekeyed = loop.events(true, IkeOutput.IkeSaRekeyed.class).getFirst();
        // three states: after IKE_AUTH; the old IKE SA as the rekey's request leaves (its message ID counted as
        // used: 2, so next 3); the new IKE SA
        assertThat(loop.events(true, IkeOutput.IkeSaState.class)).hasSize(3);
        IkeSaSnapshot asRequested = loop.events(true, IkeOutput.IkeSaState.class).get(1).snapshot();
        assertThat(asRequested.id()).isEqualTo(rekeyed.replaced());
        assertThat(asRequested.nextRequestId()).isEqualTo(3);
        IkeSaSnapshot after = loop.events(true, IkeOutput.IkeSaState.class).get(2).snapshot();
        IkeSaSnapshot peer = loop.events(false, IkeOutput.IkeSaState.class).getLast().snapshot();
        assertThat(after.id()).isEqualTo(rekeyed.replacement()).isEqualTo(peer.id());
        assertThat(after.keys().skD()).isEqualTo(peer.keys().skD());
        // a rekeyed IKE SA starts its message IDs at 0 (section 2.18)
        assertThat(after.nextRequestId()).isZero();
        assertThat(after.expectedPeerRequestId()).isZero();
    }

    @Test
    void theSnapshotAndAChildSaComeBackFromTheirBytesAndNothingElseReads() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeSaSnapshot a = loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot();
        byte[] bytes = SnapshotCodec.encode(a);
        IkeSaSnapshot back = SnapshotCodec.decodeIke(bytes);
        assertThat(back.id()).isEqualTo(a.id());
        assertThat(back.keys().skAi()).isEqualTo(a.keys().skAi());
        assertThat(back.keys().skPr()).isEqualTo(a.keys().skPr());
        assertThat(back.local()).isEqualTo(a.local());
        assertThat(back.remote()).isEqualTo(a.remote());
        assertThat(back.nextRequestId()).isEqualTo(a.nextRequestId());
        assertThat(back.expectedPeerRequestId()).isEqualTo(a.expectedPeerRequestId());
        assertThat(back.encryption()).isEqualTo(a.encryption());
        assertThat(back.integrity()).isEqualTo(a.integrity());

        IkeOutput.ChildSaInstalled child = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeOutput.ChildSaInstalled c = SnapshotCodec.decodeChild(SnapshotCodec.encode(child));
        assertThat(c.inboundSpi()).isEqualTo(child.inboundSpi());
        assertThat(c.outboundSpi()).isEqualTo(child.outboundSpi());
        assertThat(c.inbound().encryption()).isEqualTo(child.inbound().encryption());
        assertThat(c.outbound().encryption()).isEqualTo(child.outbound().encryption());
        assertThat(c.localSelectors()).isEqualTo(child.localSelectors());
        assertThat(c.remoteSelectors()).isEqualTo(child.remoteSelectors());
        assertThat(c.remote()).isEqualTo(child.remote());

        assertThatThrownBy(() -> SnapshotCodec.decodeChild(bytes)).isInstanceOf(IllegalArgumentException.class);
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
        assertThatThrownBy(() -> SnapshotCodec.decodeIke(cut)).hasMessageContaining("truncated");
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> SnapshotCodec.decodeIke(longer)).hasMessageContaining("too many");
    }
}
