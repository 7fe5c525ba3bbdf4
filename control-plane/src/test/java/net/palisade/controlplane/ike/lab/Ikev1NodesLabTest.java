package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * IKEv1 between two Palisade nodes in the namespace lab: the original documentation's two lines verbatim
 * (aggressive mode, the dynamic side named by its host name, the passive side without peer), the dynamic side moving
 * to a new address and back, and main mode with pre-shared keys, each with host-a pinging host-b. Needs root; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("Ikev1NodesLabTest")
class Ikev1NodesLabTest {
    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1NodesLabTest.class);
    private static final String PREFIX = LAB.prefix();

    private static LabNode node(Path dir, String gw) throws Exception {
        return LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX).withGateway(gw).withTunName(PREFIX + gw)
                .withDataDir("data-" + gw));
    }

    @Test
    void theDocumentationsTwoLinesVerbatim(@TempDir Path dir) throws Exception {
        try (LabNode fixed = node(dir, "gwb"); LabNode dynamic = node(dir, "gwa")) {
            String fixedLine = "ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk \"badpassword\""
                    + " ping\n";
            String dynamicLine = "ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk"
                    + " \"badpassword\" ping\n";
            fixed.commit(fixedLine);
            dynamic.commit(dynamicLine);
            // no label in the documentation's lines: the generated ones
            String label = labelOf(dynamicLine);
            String other = labelOf(fixedLine);
            awaitUp(dynamic, label, fixed, other);
            ping(dynamic, fixed);
            assertThat(fixed.journal(other)).noneMatch(e -> e.type().equals("negotiation-failed"));
        }
    }

    @Test
    void theDocumentationsDynamicSideMovesToANewAddressAndBack(@TempDir Path dir) throws Exception {
        try (LabNode fixed = node(dir, "gwb"); LabNode dynamic = node(dir, "gwa")) {
            fixed.commit("ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk \"badpassword\" ping"
                    + " label fixed\n");
            dynamic.commit("ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk"
                    + " \"badpassword\" ping label dyn\n");
            awaitUp(dynamic, "dyn", fixed, "fixed");
            ping(dynamic, fixed);
            try {
                // the dynamic site's ISP hands it a new address, then the old one again
                for (String[] move : List.of(new String[] {"192.0.2.1", "192.0.2.11"},
                        new String[] {"192.0.2.11", "192.0.2.1"})) {
                    int downsBefore = downs(dynamic);
                    assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "del", move[0] + "/24", "dev", "wan").exit())
                            .isZero();
                    assertThat(sh("ip", "-n", PREFIX + "-gwa", "addr", "add", move[1] + "/24", "dev", "wan").exit())
                            .isZero();
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                        assertThat(downs(dynamic)).as("dyn: %s", dynamic.journal("dyn")).isGreaterThan(downsBefore);
                        List<String> after = types(dynamic.journal("dyn"));
                        assertThat(after.subList(after.lastIndexOf("phase1-down"), after.size()))
                                .as("dyn: %s", dynamic.journal("dyn")).contains("phase1-up", "child-sa-installed");
                    });
                    assertThat(dynamic.journal("dyn")).filteredOn(TunnelEvent.Phase1Down.class::isInstance)
                            .map(e -> ((TunnelEvent.Phase1Down) e).reason())
                            .anyMatch(r -> r.contains(move[0] + " ") && r.contains("now " + move[1]));
                    // the fixed side takes the site at its new address; traffic crosses again
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                            assertThat(fixed.phase1Peers("fixed")).last().isEqualTo(move[1]));
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                            ping(dynamic, fixed));
                }
            } finally {
                sh("ip", "-n", PREFIX + "-gwa", "addr", "del", "192.0.2.11/24", "dev", "wan");
                sh("ip", "-n", PREFIX + "-gwa", "addr", "replace", "192.0.2.1/24", "dev", "wan");
            }
        }
    }

    private static int downs(LabNode node) throws Exception {
        return (int) types(node.journal("dyn")).stream().filter("phase1-down"::equals).count();
    }

    @Test
    void mainModeBetweenAnActiveAndAPassiveNode(@TempDir Path dir) throws Exception {
        String psk = "ikev1-nodes-main-psk-not-for-production";
        try (LabNode b = node(dir, "gwb"); LabNode a = node(dir, "gwa")) {
            b.commit("ike passive from 10.2.0.0/24 to 10.1.0.0/24 peer 192.0.2.1 main quick group modp2048 psk \""
                    + psk + "\" label t\n");
            a.commit("ike main from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 quick group modp2048 psk \"" + psk
                    + "\" label t\n");
            awaitUp(a, "t", b, "t");
            ping(a, b);
            assertThat(b.journal("t")).filteredOn(TunnelEvent.Phase1Up.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Up) e).ikeVersion()).containsExactly(Optional.of(1));
        }
    }

    private static void awaitUp(LabNode a, String aLabel, LabNode b, String bLabel) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(types(a.journal(aLabel))).as("a: %s\nb: %s", a.journal(aLabel), b.journal(bLabel))
                    .contains("phase1-up", "child-sa-installed");
            assertThat(types(b.journal(bLabel))).as("b: %s", b.journal(bLabel))
                    .contains("phase1-up", "child-sa-installed");
        });
    }

    private static void ping(LabNode a, LabNode b) throws Exception {
        Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
        assertThat(ping.exit()).as(ping.output() + "\na " + a.dataplane().counters() + "\nb "
                + b.dataplane().counters()).isZero();
    }

    private static String labelOf(String line) {
        return ConfigParser.parse(line, "t.conf").orThrow().tunnels().getFirst().label();
    }

    private static List<String> types(List<TunnelEvent> events) {
        return events.stream().map(TunnelEvent::type).toList();
    }
}
