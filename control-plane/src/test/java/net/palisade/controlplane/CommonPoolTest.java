package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.model.event.Cause;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's answers must not depend on {@code ForkJoinPool.commonPool()}: Pekko's CompletionStages run even their
 * non-async callbacks there, and on a 2-CPU machine it has one thread. A lab test once blocked it (a ping run with
 * {@code supplyAsync}) and every engine report of the node waited for the ping to end, past the ask timeout.
 */
class CommonPoolTest {
    @TempDir
    Path tmp;

    @Test
    void asksReportsAndQueriesAnswerWhileTheCommonPoolIsBlocked() throws Exception {
        try (ControlPlane cp = NodeTest.start(tmp.resolve("data"), new RecordingPorts())) {
            NodeTest.get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            org.awaitility.Awaitility.await().until(() -> NodeTest.get(cp.tunnels()).size() == 5);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(ForkJoinPool.commonPool().getParallelism());
            for (int i = 0; i < ForkJoinPool.commonPool().getParallelism(); i++) {
                ForkJoinPool.commonPool().execute(() -> {
                    blocked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            try {
                assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(within5s(cp.tunnel("site-b")).configured()).isTrue();
                assertThat(within5s(cp.report("site-b", r -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1",
                        Cause.PEER, r))).ikeSa()).contains("ike-1");
                assertThat(within5s(cp.events("site-b", Optional.empty(), Optional.empty(), Optional.empty())))
                        .extracting(e -> e.event().type()).containsExactly("configured", "phase1-up");
                assertThat(within5s(cp.listCommits())).isNotEmpty();
            } finally {
                release.countDown();
            }
        }
    }

    private static <T> T within5s(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
}
