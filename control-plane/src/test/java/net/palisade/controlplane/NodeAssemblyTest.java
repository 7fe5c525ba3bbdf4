package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.tunnel.TunnelView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Node} as {@code palisade run --dataplane off} starts it, and the failures {@code run} reports by part. The
 * assembly with a dataplane and IKE is what every lab test starts ({@code LabNode}).
 */
class NodeAssemblyTest {
    @TempDir
    Path tmp;

    @Test
    void withoutADataplaneTunnelsAreConfiguredAndJournaledAndIkeIsOff() throws Exception {
        try (Node node = Node.builder(tmp.resolve("data")).dataplane(false).cluster("127.0.0.1", 0, List.of())
                .start()) {
            assertThat(node.dataplane()).isEmpty();
            assertThat(node.ike()).isEmpty();
            assertThat(node.ikeOff()).contains("no dataplane");
            node.controlPlane().commit(Fixtures.CONFIG, "alice", "first", Optional.empty()).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node.controlPlane().tunnels()
                    .toCompletableFuture().get(10, TimeUnit.SECONDS)).isNotEmpty().allMatch(TunnelView::configured));
        }
    }

    @Test
    void aDataplaneThatCannotStartIsReportedAsTheDataplane() {
        // IFNAMSIZ is 16: the kernel refuses this TUN name, as it refuses a dataplane to a user without CAP_NET_ADMIN
        assertThatThrownBy(() -> Node.builder(tmp.resolve("data")).tunName("a-tun-name-far-too-long")
                .cluster("127.0.0.1", 0, List.of()).start())
                .isInstanceOfSatisfying(Node.StartException.class,
                        e -> assertThat(e.part()).isEqualTo(Node.Part.DATAPLANE));
        assertThat(tmp.resolve("data").resolve("journal.mv.db")).doesNotExist(); // the control plane never started
    }

    @Test
    void aControlPlaneThatCannotStartIsReportedAsTheControlPlane() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("data"), "a file where the data directory should be");
        assertThatThrownBy(() -> Node.builder(notADirectory).dataplane(false).cluster("127.0.0.1", 0, List.of())
                .start())
                .isInstanceOfSatisfying(Node.StartException.class,
                        e -> assertThat(e.part()).isEqualTo(Node.Part.CONTROL_PLANE));
    }
}
