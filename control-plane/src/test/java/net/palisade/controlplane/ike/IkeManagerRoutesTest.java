package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.model.Host;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NotifyType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub's passive tunnels, each with one peer that has two IKE_SA_INITs half-open there (one the tunnel's responder
 * holds, one answered beside it): the peer's next IKE_SA_INITs go to {@link SpareResponder}s, and some are refused at
 * once (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD), so the spare ends at its first step. The real {@link IkeManager}
 * (dispatcher, session actors, a control plane's actor system) on an in-memory transport. A refused setup must leave
 * no route behind: the SPI table returns to its size after any number of them, and the peer's next request with the
 * same initiator SPI is answered, not swallowed by a route to the stopped spare.
 */
class IkeManagerRoutesTest {
    private static final InetSocketAddress HUB = new InetSocketAddress(IkeLoop.ip("192.0.2.1"), 500);
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();
    /** The hub's tunnels: AES-GCM and X25519 only. */
    private static final IkeTunnel SHAPE = IkeLoop.gcm("s", DhGroup.CURVE25519);
    /** A peer offering only AES-CBC: no proposal the hub takes. */
    private static final IkeTunnel CBC = IkeLoop.tunnel("s", List.of(EncryptionAlgorithm.AES_128),
            List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(DhGroup.CURVE25519), List.of(EncryptionAlgorithm.AES_128),
            List.of(AuthAlgorithm.HMAC_SHA2_256), IkeLoop.SITE_A, IkeLoop.SITE_B);
    /** A peer whose first key exchange is ECP-256, which the hub does not take: INVALID_KE_PAYLOAD. */
    private static final IkeTunnel ECP_FIRST = IkeLoop.gcm("s", DhGroup.ECP256, DhGroup.CURVE25519);
    private static final int PEERS = 10;

    @TempDir
    Path tmp;

    @Test
    void aSpareResponderThatRefusesItsIkeSaInitLeavesNoRouteAndTheRetryWithTheSameSpiIsAnswered() throws Exception {
        Path data = tmp.resolve("data");
        FakeIkeTransport wire = new FakeIkeTransport();
        // cookies only from far more half-open IKE SAs than this makes (each peer stays under the per-source five)
        try (ControlPlane cp = ControlPlane.start(Settings.defaults(data).withCluster("127.0.0.1", 0, List.of()),
                new RecordingPorts());
                IkeManager m = new IkeManager(Optional.empty(), 500, IkeSettings.DEFAULT, Cookies.standard(1000))) {
            cp.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            m.transport(wire);
            m.attach(cp);
            List<InetSocketAddress> peers = new ArrayList<>();
            for (int i = 0; i < PEERS; i++) {
                InetSocketAddress peer = new InetSocketAddress(IkeLoop.ip("198.51.100." + (10 + i)), 500);
                peers.add(peer);
                m.start(new IkeTunnel("p" + i, IkeMode.PASSIVE, SHAPE.exchange(), SHAPE.to(), SHAPE.from(),
                        Optional.empty(), List.of(Host.of(peer.getAddress())), SHAPE.ikeSa(), SHAPE.childSa(),
                        Optional.empty(), Optional.empty(), SHAPE.authentication(), Optional.empty(), false));
            }
            // two IKE SAs half-open per peer: the tunnel's responder, and one beside it
            for (InetSocketAddress peer : peers) {
                for (int n = 0; n < 2; n++) {
                    byte[] init = init(SHAPE, peer);
                    m.sink().ike(peer, HUB, init);
                    answered(wire, spi(init), 1, Optional.empty());
                }
            }
            int routes = m.routes();
            assertThat(routes).as("the two half-open IKE SAs of each peer").isEqualTo(2 * PEERS);

            for (InetSocketAddress peer : peers) {
                // refused by a spare responder; the peer sends it again with the same SPI (its retransmission)
                byte[] noProposal = init(CBC, peer);
                m.sink().ike(peer, HUB, noProposal);
                answered(wire, spi(noProposal), 1, Optional.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
                m.sink().ike(peer, HUB, noProposal);
                answered(wire, spi(noProposal), 2, Optional.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
                // refused statelessly by a spare responder
                byte[] badKe = init(ECP_FIRST, peer);
                m.sink().ike(peer, HUB, badKe);
                answered(wire, spi(badKe), 1, Optional.of(NotifyType.Known.INVALID_KE_PAYLOAD));
            }
            assertThat(m.dispatchCounters()).containsEntry("ikev2.dispatch.spare-responder", 3L * PEERS);
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(m.routes()).as("routes once every spare has ended")
                            .isEqualTo(routes));
        }
    }

    /**
     * Each peer's tunnel holds two IKE SAs half-open, and two more of the peer's are answered by spare responders,
     * whose SPIs the node routed to them. The tunnels are stopped: the spares are stopped, not ending by themselves,
     * and their routes must be gone when {@code stop} returns — the peer's next message for them (an IKE_AUTH) sent
     * right after is dropped as unknown by the dispatcher, not handed to a spare being stopped — and stay gone.
     */
    @Test
    void stoppingATunnelUnroutesItsSpareRespondersBeforeStopReturns() throws Exception {
        Path data = tmp.resolve("data");
        FakeIkeTransport wire = new FakeIkeTransport();
        try (ControlPlane cp = ControlPlane.start(Settings.defaults(data).withCluster("127.0.0.1", 0, List.of()),
                new RecordingPorts());
                IkeManager m = new IkeManager(Optional.empty(), 500, IkeSettings.DEFAULT, Cookies.standard(1000))) {
            cp.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            m.transport(wire);
            m.attach(cp);
            List<byte[]> spares = new ArrayList<>();
            for (int i = 0; i < PEERS; i++) {
                InetSocketAddress peer = new InetSocketAddress(IkeLoop.ip("198.51.100." + (10 + i)), 500);
                m.start(new IkeTunnel("p" + i, IkeMode.PASSIVE, SHAPE.exchange(), SHAPE.to(), SHAPE.from(),
                        Optional.empty(), List.of(Host.of(peer.getAddress())), SHAPE.ikeSa(), SHAPE.childSa(),
                        Optional.empty(), Optional.empty(), SHAPE.authentication(), Optional.empty(), false));
                for (int n = 0; n < 4; n++) {
                    byte[] init = init(SHAPE, peer);
                    m.sink().ike(peer, HUB, init);
                    answered(wire, spi(init), 1, Optional.empty());
                    if (n >= 2) {
                        spares.add(init);
                    }
                }
            }
            assertThat(m.dispatchCounters()).containsEntry("ikev2.dispatch.spare-responder", 2L * PEERS);
            long unknownBefore = m.dispatchCounters().getOrDefault("ikev2.dispatch.unknown-spi", 0L);
            for (int i = 0; i < PEERS; i++) {
                m.stop("p" + i);
            }
            for (byte[] init : spares) {
                InetSocketAddress peer = new InetSocketAddress(IkeLoop.ip("198.51.100." + (10 + spares.indexOf(init)
                        / 2)), 500);
                m.sink().ike(peer, HUB, authAfter(init, wire));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(m.dispatchCounters().getOrDefault("ikev2.dispatch.unknown-spi",
                            0L) - unknownBefore).as("IKE_AUTHs for the stopped spares dropped as unknown")
                            .isEqualTo(spares.size()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(m.routes()).as("no route left once every actor stopped")
                            .isZero());
        }
    }

    /**
     * The header of the IKE_AUTH request that follows IKE_SA_INIT request {@code init} (its responder's SPI from the
     * answer on {@code wire}, message ID 1), over the request's payloads: the dispatcher routes by header only.
     */
    private static byte[] authAfter(byte[] init, FakeIkeTransport wire) {
        byte[] auth = init.clone();
        long responderSpi = responses(wire, spi(init)).getFirst().header().responderSpi();
        java.nio.ByteBuffer.wrap(auth).putLong(8, responderSpi).put(18, (byte) 35).putInt(20, 1);
        return auth;
    }

    /** An IKE_SA_INIT request with a fresh SPI as an initiator of {@code t} at {@code peer} sends it to the hub. */
    private static byte[] init(IkeTunnel t, InetSocketAddress peer) {
        IkeSession s = IkeSession.initiator(t, peer, HUB, IkeEnvironment.standard(Clock.systemUTC()));
        return s.handle(new IkeInput.Start()).outputs().stream().filter(IkeOutput.Send.class::isInstance)
                .map(o -> ((IkeOutput.Send) o).datagram()).findFirst().orElseThrow();
    }

    private static long spi(byte[] datagram) {
        return java.nio.ByteBuffer.wrap(datagram).getLong(0);
    }

    /**
     * Waits until the hub has answered {@code count} IKE_SA_INIT requests of initiator SPI {@code spi}, each with
     * notify {@code refusal} if given (a refusal), else without one (an answer that goes on).
     */
    private static void answered(FakeIkeTransport wire, long spi, int count, Optional<NotifyType.Known> refusal) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                    .until(() -> responses(wire, spi).size() >= count);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("IKE_SA_INIT " + Long.toHexString(spi) + " answered "
                    + responses(wire, spi).size() + " times, not " + count, e);
        }
        assertThat(responses(wire, spi)).hasSize(count).allSatisfy(r -> assertThat(refusal
                .map(n -> r.notify(n).isPresent())
                .orElse(r.notify(NotifyType.Known.NO_PROPOSAL_CHOSEN).isEmpty()
                        && r.notify(NotifyType.Known.INVALID_KE_PAYLOAD).isEmpty())).isTrue());
    }

    private static List<IkeMessage> responses(FakeIkeTransport wire, long spi) {
        return wire.sent.stream().map(s -> CODEC.decode(s.datagram()))
                .filter(d -> d instanceof DecodeResult.Ok<IkeMessage>)
                .map(d -> ((DecodeResult.Ok<IkeMessage>) d).value())
                .filter(r -> r.header().response() && r.header().initiatorSpi() == spi).toList();
    }
}
