package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import net.palisade.controlplane.ikev1.Ikev1Snapshot;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.Host;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.Cause;
import net.palisade.model.secret.Secret;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An {@code ike active} IKEv1 tunnel resumed from an ISAKMP SA whose phase 1 expired while no process held it (the
 * restart took longer than its lifetime): the session closes it at once and, as an initiator does after any closed
 * ISAKMP SA, starts a new main mode after its pause, instead of staying down until the next restart.
 */
class Ikev1ExpiredResumeTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final InetSocketAddress US = new InetSocketAddress(ip("192.0.2.1"), 500);
    private static final InetSocketAddress PEER = new InetSocketAddress(ip("192.0.2.2"), 500);

    @AfterAll
    static void down() {
        KIT.shutdownTestKit();
    }

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** What the session sent and reported. */
    private static final class Node implements SessionDriver {
        final List<IkeOutput.Send> sent = new CopyOnWriteArrayList<>();
        final List<String> reported = new CopyOnWriteArrayList<>();

        @Override
        public void send(IkeOutput.Send s) {
            sent.add(s);
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            reported.add(e.getClass().getSimpleName());
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            reported.add("dpd-lost");
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
        }

        @Override
        public CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
            return CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(US, PEER));
        }

        @Override
        public String hostName() {
            return "gw-a.example";
        }

        @Override
        public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        }

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        }
    }

    @Test
    void anExpiredPhaseOneIsClosedAndAnActiveTunnelNegotiatesAgain() {
        IkeTunnel tunnel = new IkeTunnel("to-b", IkeMode.ACTIVE, IkeExchange.IKEV1_MAIN,
                List.of(Network.parse("10.1.0.0/16")), List.of(Network.parse("10.2.0.0/16")), Optional.empty(),
                List.of(Host.of(PEER.getAddress())),
                new IkeSaSpec(List.of(EncryptionAlgorithm.AES_256), List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(),
                        List.of(DhGroup.MODP2048), Duration.ofSeconds(60)),
                new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM), List.of(), List.of(DhGroup.NONE),
                        Duration.ofHours(1)),
                Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText("expired-resume-psk")),
                Optional.empty(), false);
        // phase 1 made long ago (expiresAt 2^40 ms: 2004): expired before this process could resume it
        Ikev1Snapshot expired = new Ikev1Snapshot(0x1111L, 0x2222L, true, false, EncryptionAlgorithm.AES_256,
                AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048, 60, new byte[32], new byte[32], new byte[32],
                new byte[16], US, PEER, "RFC", false, false, false, Optional.empty(), 1L << 40, 0, 1, List.of());
        Node node = new Node();
        KIT.spawn(Ikev1SessionActor.resumed(node, IkeSettings.DEFAULT, tunnel,
                new IkeResumption.Prepared(null, List.of(), List.of(), Optional.of(expired))));
        // closed at the first tick; then, after the initiator's pause (5 s), a new main mode: its message 1 (ISAKMP
        // exchange type 2, responder cookie 0) to the peer
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node.sent).anySatisfy(s -> {
            byte[] d = s.datagram();
            assertThat(d[18] & 0xff).isEqualTo(2);
            assertThat(java.nio.ByteBuffer.wrap(d).getLong(8)).isZero();
            assertThat(s.to()).isEqualTo(PEER);
        }));
        assertThat(node.reported).contains("Phase1Down");
    }
}
