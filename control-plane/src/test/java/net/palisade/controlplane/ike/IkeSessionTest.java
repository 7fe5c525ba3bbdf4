package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.Identity;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.PayloadType;
import net.palisade.model.wire.ikev2.TrafficSelector;
import net.palisade.model.wire.ikev2.UnsupportedPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Two engines negotiating in memory. */
class IkeSessionTest {

    static IkeLoop up(IkeTunnel initiator, IkeTunnel responder) {
        return new IkeLoop(initiator, responder).start();
    }

    static void assertChildPair(IkeLoop loop) {
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

    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void pskHandshakeWithAesGcm(DhGroup group) {
        // A's tunnel says encap; B's does not, and follows A's faked NAT_DETECTION_SOURCE_IP hash
        IkeTunnel t = IkeLoop.gcm("shared secret", group);
        IkeLoop loop = up(t.withEncap(true), IkeLoop.mirror(t));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        IkeOutput.Phase1Up pa = loop.events(true, IkeOutput.Phase1Up.class).getFirst();
        IkeOutput.Phase1Up pb = loop.events(false, IkeOutput.Phase1Up.class).getFirst();
        assertThat(pa.id()).isEqualTo(pb.id());
        assertThat(pa.group()).isEqualTo(group);
        assertThat(pa.encryption()).isEqualTo(EncryptionAlgorithm.AES_256_GCM);
        assertThat(pa.peer()).isEqualTo(new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 4500));
        assertChildPair(loop);
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.encryption()).isEqualTo(EncryptionAlgorithm.AES_128_GCM);
        assertThat(ca.inbound().encryption().length()).isEqualTo(20);
        assertThat(ca.inbound().integrity()).isEmpty();
        assertThat(ca.localSelectors()).containsExactly(TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.1.0.0"), 16));
        assertThat(loop.delivered).hasSize(4);
        // encapsulation is forced by A's encap: IKE_AUTH moves to port 4500 and the Child SA is ESP-in-UDP
        assertThat(loop.delivered.get(2).to().getPort()).isEqualTo(4500);
        assertThat(loop.delivered.get(3).from().getPort()).isEqualTo(4500);
        assertThat(ca.udpEncapsulation()).isTrue();
        assertThat(ca.remote()).isEqualTo(new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 4500));
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst().remote())
                .isEqualTo(new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 4500));
    }

    @Test
    void withoutForcedEncapsulationAndNoNatIkeStaysOnPort500() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t), new IkeSettings(false)).start();
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.delivered).allMatch(f -> f.to().getPort() == 500 && f.from().getPort() == 500);
        assertThat(loop.events(true, IkeOutput.NatDetected.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.NatDetected.class)).isEmpty();
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst().udpEncapsulation()).isFalse();
        assertChildPair(loop);
    }

    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = {"MODP2048", "ECP256", "CURVE25519"})
    void pskHandshakeWithAesCbcAndSha256(DhGroup group) {
        IkeTunnel t = IkeLoop.tunnel("another secret", List.of(EncryptionAlgorithm.AES_128),
                List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(group), List.of(EncryptionAlgorithm.AES_256),
                List.of(AuthAlgorithm.HMAC_SHA2_256), IkeLoop.SITE_A, IkeLoop.SITE_B);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        IkeOutput.Phase1Up pa = loop.events(true, IkeOutput.Phase1Up.class).getFirst();
        assertThat(pa.integrity()).contains(AuthAlgorithm.HMAC_SHA2_256);
        assertChildPair(loop);
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.integrity()).contains(AuthAlgorithm.HMAC_SHA2_256);
        assertThat(ca.inbound().encryption().length()).isEqualTo(32);
        assertThat(ca.inbound().integrity().orElseThrow().length()).isEqualTo(32);
    }

    @Test
    void chaCha20Poly1305ProtectsTheIkeSaAndTheChildSa() {
        IkeTunnel t = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.CHACHA20_POLY1305), List.of(),
                List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.CHACHA20_POLY1305), List.of(),
                IkeLoop.SITE_A, IkeLoop.SITE_B);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.suite().orElseThrow().encryption()).isEqualTo(EncryptionAlgorithm.CHACHA20_POLY1305);
        assertChildPair(loop);
        IkeOutput.ChildSaInstalled c = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(c.encryption()).isEqualTo(EncryptionAlgorithm.CHACHA20_POLY1305);
        // 32-octet key and 4-octet salt per direction (RFC 7634 section 2)
        assertThat(c.inbound().encryption().length()).isEqualTo(36);
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(1);
    }

    @Test
    void wrongPskFailsAuthenticationOnBothSides() {
        IkeTunnel t = IkeLoop.gcm("right", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(IkeLoop.gcm("wrong", DhGroup.CURVE25519)));
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class))
                .extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.AUTHENTICATION_FAILED);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.AUTHENTICATION_FAILED);
        assertThat(loop.events(true, IkeOutput.Phase1Up.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.b.state()).isEqualTo(IkeState.CLOSED);
    }

    @Test
    void unexpectedResponderIdentityIsRefusedAndTheResponderIsTold() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeTunnel expectsFqdn = new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(),
                t.ikeSa(), t.childSa(), Optional.empty(),
                Optional.of(Identity.parse("gw-b.example.net")), t.authentication(), t.dpd(),
                t.ping());
        IkeLoop loop = up(expectsFqdn, IkeLoop.mirror(t));
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.AUTHENTICATION_FAILED);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
        // the responder had installed its side; the INFORMATIONAL AUTHENTICATION_FAILED takes it down again
        IkeOutput.Phase1Down down = loop.events(false, IkeOutput.Phase1Down.class).getFirst();
        assertThat(down.reason()).contains(FailureReason.AUTHENTICATION_FAILED);
        assertThat(loop.b.state()).isEqualTo(IkeState.CLOSED);
    }

    @Test
    void anUnsupportedCriticalInnerPayloadIsAnsweredOnceAndNotProcessed() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        IkeSaId id = loop.a.id();
        var codec = Ikev2Codec.standard();
        byte[] request = loop.a.outboundCipher().seal(codec, IkeHeader.request(
                id.initiatorSpi(), id.responderSpi(), ExchangeType.Known.INFORMATIONAL, 2,
                true), List.of(new UnsupportedPayload(
                PayloadType.of(200), true, Octets.empty())),
                new Random(3)::nextBytes);
        InetSocketAddress a4500 = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 4500);
        InetSocketAddress b4500 = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 4500);
        IkeSession.Step step = loop.b.handle(new IkeInput.Received(request, a4500, b4500));
        assertThat(step.state()).isEqualTo(IkeState.ESTABLISHED);
        byte[] answer = ((IkeOutput.Send) step.outputs().getFirst()).datagram();
        var opened = loop.b.outboundCipher().open(codec, answer).orElseThrow();
        var inner = codec.decodeInner(codec.decode(answer).orElseThrow().header(), opened.firstInner(),
                opened.plaintext()).orElseThrow();
        assertThat(inner).containsExactly(NotifyPayload.unsupportedCritical(200));
        assertThat(loop.b.counters().get("ikev2.decode.unsupported_critical_payload")).isEqualTo(1);
        // the same request again is answered from cache, not decoded twice
        IkeSession.Step again = loop.b.handle(new IkeInput.Received(request, a4500, b4500));
        assertThat(((IkeOutput.Send) again.outputs().getFirst()).datagram()).isEqualTo(answer);
        assertThat(loop.b.counters().get("ikev2.decode.unsupported_critical_payload")).isEqualTo(1);
    }

    @Test
    void anIkeSaInitWithAnUnsupportedCriticalPayloadIsAnsweredInClearWithoutState() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t));
        var codec = Ikev2Codec.standard();
        byte[] request = codec.encode(IkeMessage.of(
                IkeHeader.request(42, 0,
                        ExchangeType.Known.IKE_SA_INIT, 0, true),
                new UnsupportedPayload(PayloadType.of(201),
                        true, Octets.empty())));
        IkeSession.Step step = loop.b.handle(new IkeInput.Received(request, IkeLoop.A, IkeLoop.B));
        assertThat(step.state()).isEqualTo(IkeState.IDLE);
        var answer = codec.decode(((IkeOutput.Send) step.outputs().getFirst()).datagram()).orElseThrow();
        assertThat(answer.header().response()).isTrue();
        assertThat(answer.payloads()).containsExactly(NotifyPayload.unsupportedCritical(201));
    }

    @Test
    void noCommonProposalFailsOnBothSides() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.ECP256);
        IkeTunnel other = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_128),
                List.of(AuthAlgorithm.HMAC_SHA2_512), List.of(DhGroup.ECP256), List.of(EncryptionAlgorithm.AES_128_GCM),
                List.of(), IkeLoop.SITE_B, IkeLoop.SITE_A);
        IkeLoop loop = up(t, other);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class))
                .extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
    }

    @Test
    void invalidKeRecoversWithTheResponderGroup() {
        IkeTunnel initiator = IkeLoop.gcm("s", DhGroup.ECP256, DhGroup.CURVE25519);
        IkeTunnel responder = IkeLoop.mirror(IkeLoop.gcm("s", DhGroup.CURVE25519, DhGroup.MODP2048));
        IkeLoop loop = up(initiator, responder);
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.Phase1Up.class).getFirst().group()).isEqualTo(DhGroup.CURVE25519);
        assertThat(loop.a.counters().get("ikev2.engine.invalid_ke_retry")).isEqualTo(1);
        assertThat(loop.b.counters().get("ikev2.engine.invalid_ke_sent")).isEqualTo(1);
        assertThat(loop.delivered).hasSize(6);
        assertChildPair(loop);
    }

    @Test
    void responderNarrowsToItsOwnNetworks() {
        IkeTunnel initiator = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                List.of(Network.parse("10.1.0.0/16")), List.of(Network.parse("10.2.0.0/16")));
        IkeTunnel responder = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                List.of(Network.parse("10.2.5.0/24")), List.of(Network.parse("10.1.0.0/16")));
        IkeLoop loop = up(initiator, responder);
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.remoteSelectors()).containsExactly(TrafficSelector.AddressRange.cidr(IkeLoop.ip("10.2.5.0"), 24));
        assertChildPair(loop);
    }

    @Test
    void disjointSelectorsAreTsUnacceptable() {
        IkeTunnel initiator = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeTunnel responder = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_256_GCM), List.of(),
                List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                List.of(Network.parse("10.9.0.0/16")), IkeLoop.SITE_A);
        IkeLoop loop = up(initiator, responder);
        assertThat(loop.events(true, IkeOutput.Phase1Up.class)).hasSize(1);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.TS_UNACCEPTABLE);
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class))
                .extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.TS_UNACCEPTABLE);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void selectorsNarrowingToMoreThanATsPayloadHoldsAreTsUnacceptableNotACrash() {
        // the peer offers one wide range; our tunnel lists 300 small networks inside it: 300 narrowed ranges
        List<Network> many = java.util.stream.IntStream.range(0, 300)
                .mapToObj(i -> Network.parse("10.1." + i / 256 + "." + (i % 256) + "/32")).toList();
        IkeTunnel initiator = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_256_GCM), List.of(),
                List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                IkeLoop.SITE_B, List.of(Network.parse("10.1.0.0/16")));
        IkeTunnel responder = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_256_GCM), List.of(),
                List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(),
                many, IkeLoop.SITE_B);
        IkeLoop loop = up(initiator, responder);
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).as("the IKE SA still comes up").hasSize(1);
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class))
                .singleElement().satisfies(f -> {
                    assertThat(f.reason()).isEqualTo(FailureReason.TS_UNACCEPTABLE);
                    assertThat(f.detail()).contains("300 ranges");
                });
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.TS_UNACCEPTABLE);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void lostInitResponseIsRetransmittedAndDuplicateAuthIsAnsweredFromCache() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.ECP384);
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t));
        int[] seen = new int[2];
        loop.network = (f, l) -> {
            int n = seen[0]++;
            if (n == 1) {
                return 0; // the first IKE_SA_INIT response is lost
            }
            if (f.toB() && f.datagram()[18] == 35 && seen[1]++ == 0) {
                return 2; // the IKE_AUTH request arrives twice
            }
            return 1;
        };
        loop.start();
        assertThat(loop.a.state()).isEqualTo(IkeState.SETUP_LOCAL_INIT);
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.counters().get("ikev2.engine.retransmitted")).isEqualTo(1);
        // IKE_SA_INIT retransmission and duplicated IKE_AUTH: both answered from cache
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_answered")).isEqualTo(2);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).hasSize(1);
        // the second IKE_AUTH response is a duplicate for the initiator: dropped, nothing derived twice
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        assertThat(loop.a.counters().get("ikev2.engine.unexpected_response")).isEqualTo(1);
        assertChildPair(loop);
    }

    @Test
    void reorderedOldResponseIsDropped() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        IkeLoop.Flight initResponse = loop.delivered.get(1);
        IkeSession.Step step = loop.feed(true, new IkeInput.Received(initResponse.datagram(), IkeLoop.B, IkeLoop.A));
        assertThat(step.outputs()).isEmpty();
        assertThat(step.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.counters().get("ikev2.engine.unexpected_response")).isEqualTo(1);
    }

    @Test
    void timesOutAfterFiveTransmissions() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = new IkeLoop(t, IkeLoop.mirror(t));
        loop.network = (f, l) -> 0;
        loop.start();
        for (int s : new int[] {1, 2, 4, 8}) {
            loop.advance(Duration.ofSeconds(s));
            assertThat(loop.a.state()).isEqualTo(IkeState.SETUP_LOCAL_INIT);
        }
        loop.advance(Duration.ofSeconds(15));
        assertThat(loop.a.state()).isEqualTo(IkeState.SETUP_LOCAL_INIT);
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.TIMEOUT);
        assertThat(loop.events(true, IkeOutput.Send.class)).hasSize(5);
        // the tick at 30 s came before the deadline: it used the driver's timer, so the same deadline is set again
        assertThat(loop.events(true, IkeOutput.SetTimer.class)).extracting(IkeOutput.SetTimer::at)
                .containsExactly(at(loop, 1), at(loop, 3), at(loop, 7), at(loop, 15), at(loop, 31), at(loop, 31));
    }

    private static Instant at(IkeLoop loop, int seconds) {
        return Instant.parse("2026-11-27T12:00:00Z").plusSeconds(seconds);
    }

    @Test
    void livenessCheckIsAnswered() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(1);
        assertThat(loop.b.counters().get("ikev2.engine.liveness_answered")).isEqualTo(1);
        // the responder may check too: its own message IDs start at 0
        loop.feed(false, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(false, IkeOutput.PeerAlive.class)).hasSize(1);
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(2);
    }

    @Test
    void dpdIntervalSchedulesLivenessChecksThatTrafficPostpones() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeTunnel withDpd = new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(),
                t.ikeSa(), t.childSa(), t.srcId(), t.dstId(), t.authentication(), Optional.of(Duration.ofSeconds(10)),
                t.ping());
        IkeLoop loop = up(withDpd, IkeLoop.mirror(t));
        Instant start = loop.clock.instant();
        assertThat(loop.events(true, IkeOutput.SetTimer.class).getLast().at()).isEqualTo(start.plusSeconds(10));
        loop.advance(Duration.ofSeconds(9));
        assertThat(loop.a.counters().get("ikev2.engine.liveness_sent")).isZero();
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.counters().get("ikev2.engine.liveness_sent")).isEqualTo(1);
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(1);
        // ESP traffic 5 s later postpones the next check to 10 s after it
        loop.clock.advance(Duration.ofSeconds(5));
        loop.feed(true, new IkeInput.InboundTraffic());
        loop.advance(Duration.ofSeconds(9));
        assertThat(loop.a.counters().get("ikev2.engine.liveness_sent")).isEqualTo(1);
        loop.advance(Duration.ofSeconds(1));
        assertThat(loop.a.counters().get("ikev2.engine.liveness_sent")).isEqualTo(2);
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(2);
        assertThat(loop.b.counters().get("ikev2.engine.liveness_sent")).isZero();
    }

    static void assertRekeyed(IkeLoop loop, IkeOutput.ChildSaInstalled oldA) {
        IkeOutput.ChildSaRekeyed ra = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast();
        IkeOutput.ChildSaRekeyed rb = loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast();
        assertThat(ra.oldInboundSpi()).isEqualTo(oldA.inboundSpi());
        assertThat(rb.oldInboundSpi()).isEqualTo(oldA.outboundSpi());
        IkeOutput.ChildSaInstalled na = ra.replacement();
        IkeOutput.ChildSaInstalled nb = rb.replacement();
        assertThat(na.inboundSpi()).isEqualTo(nb.outboundSpi()).isNotEqualTo(oldA.inboundSpi());
        assertThat(na.outboundSpi()).isEqualTo(nb.inboundSpi()).isNotEqualTo(oldA.outboundSpi());
        assertThat(na.inbound()).isEqualTo(nb.outbound()).isNotEqualTo(oldA.inbound());
        assertThat(na.outbound()).isEqualTo(nb.inbound()).isNotEqualTo(oldA.outbound());
        assertThat(na.localSelectors()).isEqualTo(oldA.localSelectors()).isEqualTo(nb.remoteSelectors());
        // the old pair is deleted on both sides afterwards
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class).getLast())
                .isEqualTo(new IkeOutput.ChildSaDeleted(oldA.inboundSpi(), oldA.outboundSpi()));
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class).getLast())
                .isEqualTo(new IkeOutput.ChildSaDeleted(oldA.outboundSpi(), oldA.inboundSpi()));
        assertThat(loop.a.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void childSaRekeyWithoutPfs() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        assertRekeyed(loop, first);
        // again, initiated by the other side this time: it rekeys the newest pair
        IkeOutput.ChildSaInstalled second = loop.events(true, IkeOutput.ChildSaRekeyed.class).getLast().replacement();
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).hasSize(2);
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class).getLast().oldInboundSpi())
                .isEqualTo(second.outboundSpi());
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class).getLast().inboundSpi())
                .isEqualTo(second.inboundSpi());
    }

    @Test
    void childSaRekeyWithPfs() {
        IkeTunnel base = IkeLoop.gcm("s", DhGroup.ECP256);
        IkeTunnel t = new IkeTunnel(base.label(), base.mode(), base.exchange(), base.from(), base.to(), base.local(),
                base.peers(), base.ikeSa(), new ChildSaSpec(List.of(EncryptionAlgorithm.AES_256_GCM),
                List.of(), List.of(DhGroup.CURVE25519), Duration.ofHours(1)), base.srcId(), base.dstId(),
                base.authentication(), base.dpd(), base.ping());
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        assertRekeyed(loop, first);
        assertThat(loop.b.counters().get("ikev2.engine.child_rekey_answered")).isEqualTo(1);
    }

    @Test
    void pfsRekeyRetriesOnceWithThePeersGroup() {
        IkeTunnel base = IkeLoop.gcm("s", DhGroup.ECP256);
        IkeTunnel a = withChildGroups(base, DhGroup.ECP384, DhGroup.CURVE25519);
        IkeTunnel b = IkeLoop.mirror(withChildGroups(base, DhGroup.CURVE25519));
        IkeLoop loop = up(a, b);
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.feed(true, new IkeInput.RekeyChild());
        loop.run();
        assertThat(loop.a.counters().get("ikev2.engine.invalid_ke_retry")).isEqualTo(1);
        assertRekeyed(loop, first);
    }

    static IkeTunnel withChildGroups(IkeTunnel t, DhGroup... groups) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), t.ikeSa(),
                new ChildSaSpec(t.childSa().enc(), t.childSa().auth(), List.of(groups), t.childSa().lifetime()),
                t.srcId(), t.dstId(), t.authentication(), t.dpd(), t.ping());
    }

    @Test
    void requiredPfsRekeyAgainstAPeerWithoutPfsFailsTheChildOnly() {
        IkeTunnel base = IkeLoop.gcm("s", DhGroup.ECP256);
        // `childsa group curve25519` written in the config: PFS is required of the peer
        IkeTunnel pfs = new IkeTunnel(base.label(), base.mode(), base.exchange(), base.from(), base.to(), base.local(),
                base.peers(), base.ikeSa(), new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM),
                List.of(), List.of(DhGroup.CURVE25519), Duration.ofHours(1), true), base.srcId(), base.dstId(),
                base.authentication(), base.dpd(), base.ping());
        IkeTunnel other = IkeLoop.mirror(IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_256_GCM), List.of(),
                List.of(DhGroup.ECP256), List.of(EncryptionAlgorithm.AES_128_GCM), List.of(), IkeLoop.SITE_A,
                IkeLoop.SITE_B));
        IkeLoop loop = up(pfs, other);
        loop.feed(false, new IkeInput.RekeyChild());
        loop.run();
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class))
                .extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.INVALID_KE_PAYLOAD);
        assertThat(loop.events(false, IkeOutput.ChildSaRekeyed.class)).isEmpty();
        assertThat(loop.b.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    @Test
    void unansweredLivenessChecksBringTheSaDown() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        loop.network = (f, l) -> 0;
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        for (int s : new int[] {1, 2, 4, 8, 16}) {
            loop.advance(Duration.ofSeconds(s));
        }
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        IkeOutput.Phase1Down down = loop.events(true, IkeOutput.Phase1Down.class).getFirst();
        assertThat(down.reason()).contains(FailureReason.TIMEOUT);
    }

    @Test
    void deleteClosesBothSides() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        loop.feed(false, new IkeInput.Close());
        assertThat(loop.b.state()).isEqualTo(IkeState.DELETE_LOCAL_INFO);
        loop.run();
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.b.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.events(true, IkeOutput.Phase1Down.class)).hasSize(1);
        assertThat(loop.events(false, IkeOutput.Phase1Down.class).getFirst().reason()).isEmpty();
    }

    @Test
    void aClosedIkeSaLeavesNoKeyBehindNeitherItsSevenKeysNorTheCiphersCopies() throws Exception {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        List<byte[]> keys = new ArrayList<>();
        java.lang.reflect.Field context = IkeSession.class.getDeclaredField("ctx");
        context.setAccessible(true);
        for (IkeSession s : List.of(loop.a, loop.b)) {
            IkeSa sa = ((EngineContext) context.get(s)).sa;
            var k = sa.keys;
            keys.addAll(List.of(k.skD(), k.skEi(), k.skEr(), k.skPi(), k.skPr()));
            keys.addAll(net.palisade.controlplane.ike.crypto.KeyCopies.of(sa.outbound));
            keys.addAll(net.palisade.controlplane.ike.crypto.KeyCopies.of(sa.inbound));
        }
        // AES-GCM: key and salt per cipher, no integrity key
        assertThat(keys).filteredOn(k -> k.length > 0).hasSize(2 * (5 + 4))
                .allSatisfy(k -> assertThat(k).as("a live key is not all zeros").isNotEqualTo(new byte[k.length]));

        loop.feed(false, new IkeInput.Close());
        loop.run();
        assertThat(loop.a.state()).isEqualTo(IkeState.CLOSED);
        assertThat(loop.b.state()).isEqualTo(IkeState.CLOSED);
        assertThat(keys).allSatisfy(k -> assertThat(k).isEqualTo(new byte[k.length]));
    }

    @Test
    void malformedInputIsCountedAndDroppedWithoutStateChange() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        IkeSession.Step s1 = loop.feed(true, new IkeInput.Received(new byte[] {1, 2, 3}, IkeLoop.B, IkeLoop.A));
        assertThat(s1.outputs()).isEmpty();
        assertThat(s1.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.a.counters().get("ikev2.decode.datagram_too_short")).isEqualTo(1);
        // a well-formed request with a broken ICV
        byte[] request = loop.delivered.get(2).datagram().clone();
        request[request.length - 1] ^= 1;
        IkeSession.Step s2 = loop.feed(false, new IkeInput.Received(request, IkeLoop.A, IkeLoop.B));
        assertThat(s2.outputs()).isEmpty();
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_differs")).isEqualTo(1);
        // liveness still works afterwards
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).hasSize(1);
    }

    @Test
    void aReplayedRequestFromAnotherHostIsNotAnsweredThere() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        byte[] auth = loop.delivered.get(2).datagram().clone(); // A's IKE_AUTH request, already answered
        var victim = new java.net.InetSocketAddress(IkeLoop.ip("198.51.100.7"), 500);
        IkeSession.Step spoofed = loop.feed(false, new IkeInput.Received(auth, victim, IkeLoop.B));
        assertThat(spoofed.outputs()).as("nothing sent to the spoofed source").isEmpty();
        assertThat(spoofed.state()).isEqualTo(IkeState.ESTABLISHED);
        assertThat(loop.b.counters().get("ikev2.engine.retransmission_other_source")).isEqualTo(1);
        // the peer itself, from another port (its NAT moved), still gets the cached response
        var peerNewPort = new java.net.InetSocketAddress(IkeLoop.A.getAddress(), 40500);
        IkeSession.Step fromPeer = loop.feed(false, new IkeInput.Received(auth, peerNewPort, IkeLoop.B));
        assertThat(fromPeer.outputs()).singleElement().isInstanceOfSatisfying(IkeOutput.Send.class,
                send -> assertThat(send.to()).isEqualTo(peerNewPort));
    }

    @Test
    void keysAndSecretsNeverPrint() {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        IkeLoop loop = up(t, IkeLoop.mirror(t));
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.toString()).contains("[redacted]").doesNotContain(ca.inbound().encryption().revealHex());
        assertThat(Optional.of(loop.a.suite().orElseThrow().encryption())).contains(EncryptionAlgorithm.AES_256_GCM);
    }
}
