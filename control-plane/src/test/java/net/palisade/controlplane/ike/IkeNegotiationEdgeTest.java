package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.Transform;
import org.junit.jupiter.api.Test;

/** INVALID_KE without downgrade, and the responder against a real strongSwan IKE_SA_INIT request. */
class IkeNegotiationEdgeTest {
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();

    private static IkeSession initiator(IkeTunnel t) {
        Random r = new Random(11);
        return IkeSession.initiator(t, IkeLoop.A, IkeLoop.B, new IkeEnvironment(
                new MutableClock(Instant.parse("2026-11-27T12:00:00Z")), r::nextBytes, KeyExchanges.standard(),
                CODEC), IkeSettings.DEFAULT);
    }

    private static byte[] invalidKe(IkeSession s, DhGroup group) {
        return CODEC.encode(IkeMessage.of(IkeHeader.response(s.id().initiatorSpi(), 0,
                ExchangeType.Known.IKE_SA_INIT, 0, false), NotifyPayload.invalidKe(group)));
    }

    private static int keGroupSent(IkeSession.Step step) {
        byte[] d = ((IkeOutput.Send) step.outputs().getFirst()).datagram();
        return CODEC.decode(d).orElseThrow().first(net.palisade.model.wire.ikev2.KePayload.class).orElseThrow()
                .group();
    }

    /**
     * A Tick uses up the driver's one timer, and may come before the deadline (the actor's timers run on monotonic
     * time, the engine's deadlines on the wall clock, which can step back): the session must name its deadline again
     * after every Tick, or it would never retransmit or check liveness again.
     */
    @Test
    void anEarlyTickStillEndsWithTheNextDeadline() {
        IkeSession s = initiator(IkeLoop.gcm("s", DhGroup.CURVE25519));
        Instant deadline = s.handle(new IkeInput.Start()).outputs().stream()
                .filter(IkeOutput.SetTimer.class::isInstance).map(o -> ((IkeOutput.SetTimer) o).at()).findFirst()
                .orElseThrow();
        IkeSession.Step early = s.handle(new IkeInput.Tick());
        assertThat(early.outputs()).as("nothing is due yet, and the timer is set again")
                .containsExactly(new IkeOutput.SetTimer(deadline));
    }

    @Test
    void invalidKeNamingAGroupWeDoNotOfferFailsWithoutDowngrade() {
        IkeSession s = initiator(IkeLoop.gcm("s", DhGroup.ECP256, DhGroup.CURVE25519));
        s.handle(new IkeInput.Start());
        IkeSession.Step step = s.handle(new IkeInput.Received(invalidKe(s, DhGroup.MODP2048), IkeLoop.B, IkeLoop.A));
        assertThat(step.state()).isEqualTo(IkeState.CLOSED);
        assertThat(step.outputs()).containsExactly(step.outputs().getFirst());
        assertThat(((IkeOutput.NegotiationFailed) step.outputs().getFirst()).reason())
                .isEqualTo(FailureReason.INVALID_KE_PAYLOAD);
    }

    @Test
    void invalidKeIsFollowedOnceOnly() {
        IkeSession s = initiator(IkeLoop.gcm("s", DhGroup.ECP256, DhGroup.CURVE25519));
        assertThat(keGroupSent(s.handle(new IkeInput.Start()))).isEqualTo(19);
        IkeSession.Step retry = s.handle(new IkeInput.Received(invalidKe(s, DhGroup.CURVE25519), IkeLoop.B,
                IkeLoop.A));
        assertThat(retry.state()).isEqualTo(IkeState.SETUP_LOCAL_INIT);
        assertThat(keGroupSent(retry)).isEqualTo(31);
        IkeSession.Step again = s.handle(new IkeInput.Received(invalidKe(s, DhGroup.ECP256), IkeLoop.B, IkeLoop.A));
        assertThat(again.state()).isEqualTo(IkeState.CLOSED);
        assertThat(again.outputs()).hasSize(1).first().isInstanceOfSatisfying(IkeOutput.NegotiationFailed.class,
                f -> assertThat(f.reason()).isEqualTo(FailureReason.INVALID_KE_PAYLOAD));
    }

    /**
     * strongSwan 5.9.8's IKE_SA_INIT request (shared-model's wire/ikev2/strongswan-psk.json, frame 1) offers
     * AES-GCM-16-128/PRF-SHA256/curve25519 first; a responder configured for it picks that proposal, keeps the
     * initiator's group and answers with one proposal numbered 1. NAT detection: the capture's daemons ran with
     * {@code encap = yes}, with which strongSwan fakes its NAT_DETECTION_SOURCE_IP hash to force UDP encapsulation;
     * the destination hash is real and matches ours for 192.0.2.2:500, so exactly "remote behind NAT" is reported.
     */
    @Test
    void responderAnswersACapturedStrongSwanRequest() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readString(
                Path.of("..", "shared-model", "src", "test", "resources", "wire", "ikev2", "strongswan-psk.json")));
        byte[] request = HexFormat.of().parseHex(root.get("packets").get(0).get("hex").asText());
        IkeTunnel t = IkeLoop.tunnel("capture-secret-not-for-production", List.of(EncryptionAlgorithm.AES_128_GCM),
                List.of(), List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                IkeLoop.SITE_B, IkeLoop.SITE_A);
        Random r = new Random(5);
        InetSocketAddress gwA = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
        InetSocketAddress gwB = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 500);
        IkeSession responder = IkeSession.responder(t, gwB, gwA, new IkeEnvironment(
                new MutableClock(Instant.parse("2026-11-27T12:00:00Z")), r::nextBytes, KeyExchanges.standard(),
                CODEC), IkeSettings.DEFAULT);
        IkeSession.Step step = responder.handle(new IkeInput.Received(request, gwA, gwB));
        assertThat(step.state()).isEqualTo(IkeState.SETUP_REMOTE_INIT);
        assertThat(step.outputs()).contains(new IkeOutput.NatDetected(false, true));
        IkeMessage answer = CODEC.decode(step.outputs().stream().filter(o -> o instanceof IkeOutput.Send)
                .map(o -> ((IkeOutput.Send) o).datagram()).findFirst().orElseThrow()).orElseThrow();
        SaPayload sa = answer.first(SaPayload.class).orElseThrow();
        assertThat(sa.proposals()).hasSize(1);
        assertThat(sa.proposals().getFirst().number()).isEqualTo(1);
        assertThat(sa.proposals().getFirst().transforms()).containsExactly(
                Transform.encryption(EncryptionAlgorithm.AES_128_GCM), Transform.prf(AuthAlgorithm.HMAC_SHA2_256),
                Transform.keyExchange(DhGroup.CURVE25519));
        assertThat(responder.suite().orElseThrow().group()).isEqualTo(DhGroup.CURVE25519);
        assertThat(answer.header().initiatorSpi()).isEqualTo(Long.parseUnsignedLong("ca9977083b9e7c73", 16));
    }
}
