package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import net.palisade.controlplane.ikev1.Ikev1Snapshot;
import net.palisade.controlplane.ikev1.Ikev1SnapshotCodec;
import net.palisade.controlplane.journal.PairKey;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.tunnel.Takeover;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.SealedState;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import org.junit.jupiter.api.Test;

/**
 * An IKEv1 ISAKMP SA's takeover state on its way through the node: the outcome owner seals it with the pair key in
 * the IKE SA's scope under its cookies and says when the journal has it; the session's driver holds the datagrams
 * after it until then; and resumption opens it with the Child SAs' states, ordered so that the pair that was
 * sending is installed last (the SA owner makes the last one installed the sending one).
 */
class Ikev1TakeoverStateTest {
    private static final InetSocketAddress US = new InetSocketAddress(ip("192.0.2.1"), 500);
    private static final InetSocketAddress PEER = new InetSocketAddress(ip("192.0.2.2"), 500);
    private static final TakeoverSealer SEALER = new TakeoverSealer(PairKey.of(new byte[32]));

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Ikev1Snapshot state(List<Ikev1Snapshot.Pair> pairs) {
        return new Ikev1Snapshot(0x1111L, 0x2222L, false, true, EncryptionAlgorithm.AES_256,
                AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048, 28800, new byte[] {1, 2}, new byte[] {3, 4},
                new byte[] {5, 6}, new byte[] {7, 8}, US, PEER, "RFC", true, false, false,
                Optional.of(new Ikev1Payload.Id(Ikev1IdType.Known.ID_FQDN, 0, 0, Octets.of("gw-b.example".getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII)))), 1L << 40, 0, 77, pairs);
    }

    private static Ikev1Snapshot.Pair pair(long spiIn, Ikev1Snapshot.Status status) {
        return new Ikev1Snapshot.Pair(spiIn, spiIn + 1, ip("10.1.0.0"), 16, ip("10.2.0.0"), 16, 1L << 40, 0, status,
                0);
    }

    private static SealedState child(long inboundSpi) {
        IkeOutput.ChildKeys keys = new IkeOutput.ChildKeys(Secret.ofBytes(new byte[20]), Optional.empty());
        byte[] plain = SnapshotCodec.encode(new IkeOutput.ChildSaInstalled(inboundSpi, inboundSpi + 1,
                EncryptionAlgorithm.AES_128_GCM, Optional.empty(), keys, keys, List.of(), List.of(), US, PEER, false,
                Optional.empty(), false));
        return SEALER.seal("t", TunnelEvent.TakeoverState.CHILD_SA, "child-" + inboundSpi, plain);
    }

    @Test
    void theOwnerSealsItUnderTheCookiesAndSaysWhenTheJournalHasIt() {
        IkeOutcomes owner = new IkeOutcomes(Runnable::run, label -> Optional.empty(), spi -> {});
        CompletableFuture<Object> entity = new CompletableFuture<>();
        List<TunnelCommand.EngineInput> reported = new CopyOnWriteArrayList<>();
        owner.attach(JournalFirstTest.recording(reported, entity));
        owner.takeover(SEALER);
        Ikev1Snapshot st = state(List.of(pair(0x1000, Ikev1Snapshot.Status.SENDING)));
        CompletableFuture<Void> journaled = new CompletableFuture<>();
        owner.event("t", new IkeOutput.IsakmpSaState(st), journaled);

        TunnelCommand.TakeoverState c = (TunnelCommand.TakeoverState) reported.getFirst();
        assertThat(c.scope()).isEqualTo(TunnelEvent.TakeoverState.IKE_SA);
        assertThat(c.sa().value()).isEqualTo(new IkeSaId(0x1111L, 0x2222L).toString());
        byte[] plain = SEALER.open("t", TunnelEvent.TakeoverState.IKE_SA, c.sa().value(), c.state());
        assertThat(Ikev1SnapshotCodec.decode(plain).skeyidA()).containsExactly(3, 4);
        assertThat(st.skeyidA()).as("the engine's copy is wiped once sealed").containsExactly(0, 0);
        assertThat(journaled).isNotDone();
        entity.complete(null);
        assertThat(journaled).isDone();
        assertThat(JournalFirst.awaited(new IkeOutput.IsakmpSaState(st))).as("what follows it waits for it").isTrue();
    }

    @Test
    void resumptionOpensItWithItsPairsTheSendingOneLastAndLeavesOutWhatItDoesNotName() {
        Ikev1Snapshot st = state(List.of(pair(0x1000, Ikev1Snapshot.Status.SENDING),
                pair(0x2000, Ikev1Snapshot.Status.RECEIVING)));
        String name = st.id().toString();
        SealedState sealed = SEALER.seal("t", TunnelEvent.TakeoverState.IKE_SA, name, Ikev1SnapshotCodec.encode(st));
        Map<String, SealedState> children = Map.of("child-4096", child(0x1000), "child-12288", child(0x3000));
        Map<String, Takeover.Replaced> replaced = Map.of("child-8192",
                new Takeover.Replaced(child(0x2000), "child-4096", 0x2001));

        IkeResumption.Prepared p = IkeResumption.open(SEALER, "t", name, sealed, children, replaced);
        assertThat(p.v1()).isPresent();
        assertThat(p.ike()).isNull();
        assertThat(p.id()).isEqualTo(st.id());
        assertThat(p.remote()).isEqualTo(PEER);
        assertThat(p.identity()).contains(net.palisade.controlplane.ike.SiteIdentity.key(st.peerId().get()));
        assertThat(p.children()).extracting(IkeOutput.ChildSaInstalled::inboundSpi).containsExactly(0x2000L, 0x1000L);
        assertThat(p.replaced()).isEmpty();

        // another IKE SA's name: refused (the journal's name and the state's cookies must agree)
        SealedState moved = SEALER.seal("t", TunnelEvent.TakeoverState.IKE_SA, "other",
                Ikev1SnapshotCodec.encode(state(List.of())));
        assertThatThrownBy(() -> IkeResumption.open(SEALER, "t", "other", moved, children))
                .isInstanceOf(IllegalStateException.class);
    }
}
