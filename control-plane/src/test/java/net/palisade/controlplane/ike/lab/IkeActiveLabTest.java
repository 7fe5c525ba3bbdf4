package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.dataplane.Dataplane;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real Palisade nodes (gw-a and gw-b of the lab, its own prefix), both with an {@code active} tunnel towards the
 * other, started at once: both initiate, each answers the other, and one IKE SA with one Child SA pair remains on
 * both; host-a pings host-b. Then gw-b crashes (its WAN is cut first, so its Deletes never arrive) and starts again
 * with a fresh data directory: gw-a takes its new IKE SA at once (INITIAL_CONTACT), journals the old one's end as a
 * duplicate, and the ping crosses again without any dead peer detection. A clean restart (Delete sent) after that
 * ends the same way. Needs root; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class IkeActiveLabTest {
    private static final String PSK = "active-lab-psk-not-for-production";
    /** Short retransmissions: a lost IKE_SA_INIT is repeated soon (and an IKE SA is "old" after 6 s). */
    private static final IkeSettings SETTINGS = new IkeSettings(false, List.of(Duration.ofMillis(500),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(1)));

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeActiveLabTest.class);
    private static final String PREFIX = LAB.prefix();

    /** A lab node (dataplane, IKE, control plane) in a gateway's namespace, with tunnel "t" committed. */
    private record Node(LabNode node) implements AutoCloseable {
        static Node start(Path data, String gw, String config) {
            try {
                LabNode n = LabNode.start(PREFIX, data.getParent(), LabNode.Options.defaults(PREFIX).withGateway(gw)
                        .withTunName(PREFIX + gw).withDataDir(data.getFileName().toString()).withSettings(SETTINGS));
                try {
                    n.commit(config);
                } catch (Exception | Error e) {
                    n.close();
                    throw e;
                }
                return new Node(n);
            } catch (Exception e) {
                throw new IllegalStateException("node on " + gw + " did not start", e);
            }
        }

        Dataplane dp() {
            return node.dataplane();
        }

        List<TunnelEvent> journal() throws Exception {
            return node.journal("t");
        }

        /** The IKE SA of the last phase1-up, if no phase1-down (or dpd-lost) came after it. */
        Optional<String> ikeSa() throws Exception {
            Optional<String> up = Optional.empty();
            for (TunnelEvent e : journal()) {
                if (e instanceof TunnelEvent.Phase1Up p) {
                    up = Optional.of(p.ikeSa());
                } else if (e instanceof TunnelEvent.Phase1Down || e.type().equals("dpd-lost")) {
                    up = Optional.empty();
                }
            }
            return up;
        }

        @Override
        public void close() {
            node.close();
        }
    }

    private static String config(String from, String to, String peer) {
        return "ike from " + from + " to " + to + " peer " + peer + " psk \"" + PSK + "\" label t\n";
    }

    /** Both up on the same IKE SA, each with exactly one Child SA pair. */
    private static void assertOneSa(Node a, Node b) throws Exception {
        Optional<String> sa = a.ikeSa();
        assertThat(sa).as("A's journal: " + a.journal()).isPresent();
        assertThat(b.ikeSa()).as("B's journal: " + b.journal()).isEqualTo(sa);
        assertThat(a.dp().inboundSpis("t")).as("A's Child SA pairs").hasSize(1);
        assertThat(b.dp().inboundSpis("t")).as("B's Child SA pairs").hasSize(1);
    }

    private static void ping(Node a, Node b) throws Exception {
        Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
        assertThat(ping.exit()).as(ping.output() + "\ncounters a " + a.dp().counters() + "\ncounters b "
                + b.dp().counters() + "\nA: " + a.journal() + "\nB: " + b.journal()).isZero();
    }

    @Test
    void twoActiveNodesKeepOneIkeSaAndTakeARestartedPeerAtOnce(@TempDir Path dir) throws Exception {
        String aConfig = config("10.1.0.0/24", "10.2.0.0/24", "192.0.2.2");
        String bConfig = config("10.2.0.0/24", "10.1.0.0/24", "192.0.2.1");
        CompletableFuture<Node> startA = CompletableFuture.supplyAsync(() -> Node.start(dir.resolve("a"), "gwa",
                aConfig));
        CompletableFuture<Node> startB = CompletableFuture.supplyAsync(() -> Node.start(dir.resolve("b1"), "gwb",
                bConfig));
        Node a = null;
        Node b = null;
        Node b2 = null;
        try {
            a = startA.get(120, TimeUnit.SECONDS);
            b = startB.get(120, TimeUnit.SECONDS);
            Node af = a;
            Node bf = b;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> assertOneSa(af, bf));
            ping(a, b);
            assertOneSa(a, b); // still the same one after traffic
            String first = a.ikeSa().orElseThrow();

            // an IKE SA older than a late IKE_SA_INIT could be (twice the retransmissions): a crash is told apart
            Instant upAt = Instant.now();
            await().atMost(Duration.ofSeconds(30)).until(() -> Instant.now().isAfter(upAt.plusSeconds(7)));

            // gw-b crashes: its WAN goes first, so nothing it says on the way down reaches gw-a
            assertThat(sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "down").exit()).isZero();
            b.close();
            b = null;
            assertThat(sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "up").exit()).isZero();
            b2 = Node.start(dir.resolve("b2"), "gwb", bConfig);
            Node b2f = b2;
            // no DPD is configured: without INITIAL_CONTACT gw-a would keep the dead IKE SA for good
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertOneSa(af, b2f);
                assertThat(af.ikeSa()).isNotEqualTo(Optional.of(first));
            });
            ping(a, b2);
            List<TunnelEvent> aJournal = a.journal();
            assertThat(aJournal).as("gw-a never needed DPD").noneMatch(e -> e.type().equals("dpd-lost"));
            assertThat(aJournal).filteredOn(TunnelEvent.Phase1Down.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Down) e).reason())
                    .anyMatch(r -> r.contains("duplicate IKE SA") && r.contains("INITIAL_CONTACT"));

            // a clean restart: gw-b's Delete arrives, and its new IKE SA (racing gw-a's own retry) is taken
            String second = a.ikeSa().orElseThrow();
            b2.close();
            b2 = null;
            b = Node.start(dir.resolve("b3"), "gwb", bConfig);
            Node b3 = b;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertOneSa(af, b3);
                assertThat(af.ikeSa()).isNotEqualTo(Optional.of(second));
            });
            ping(a, b3);
        } finally {
            sh("ip", "-n", PREFIX + "-gwb", "link", "set", "wan", "up");
            for (Node n : new Node[] {b2, b, a}) {
                if (n != null) {
                    n.close();
                }
            }
        }
    }

    /**
     * strongSwan on gw-b initiates as soon as it loads its config ({@code start_action = start}) while the node's
     * {@code active} tunnel initiates too: one IKE SA remains, the same on both (strongSwan's list of IKE SAs is the
     * judge), with one Child SA pair on the node, and the ping crosses.
     */
    @Test
    void strongSwanInitiatingTowardsAnActiveTunnelEndsWithOneIkeSa(@TempDir Path dir) throws Exception {
        Node a = null;
        try (StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519")
                .editSwanctl(c -> c.replace("start_action = none", "start_action = start"))) {
            try {
                CompletableFuture<Node> startA = CompletableFuture.supplyAsync(() -> Node.start(dir.resolve("a"),
                        "gwa", "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK
                        + "\" encap label t\n"));
                ss.start();
                a = startA.get(120, TimeUnit.SECONDS);
                Node node = a;
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Optional<String> sa = node.ikeSa();
                    assertThat(sa).as("node: " + node.journal()).isPresent();
                    assertThat(strongSwanIkeSas(ss)).as("strongSwan's IKE SAs; charon log:\n" + ss.log())
                            .containsExactly(sa.get());
                    assertThat(node.dp().inboundSpis("t")).hasSize(1);
                });
                Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
                assertThat(ping.exit()).as(ping.output() + "\ncounters " + node.dp().counters() + "\ncharon log:\n"
                        + ss.log()).isZero();
                assertThat(strongSwanIkeSas(ss)).containsExactly(node.ikeSa().orElseThrow());
            } finally {
                if (a != null) {
                    a.close();
                }
            }
        }
    }

    /** strongSwan's established IKE SAs as "initiator SPI:responder SPI" (16 hex digits each, as the node logs). */
    private static List<String> strongSwanIkeSas(StrongSwan ss) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "ESTABLISHED, IKEv2, ([0-9a-f]{16})_i\\*? ([0-9a-f]{16})_r").matcher(ss.listSas());
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1) + ":" + m.group(2));
        }
        return out;
    }
}
