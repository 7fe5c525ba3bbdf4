package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.journal.LiveEvents;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.controlplane.tunnel.TunnelView;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Live events pushed from the journal writes of a real node (H2 journal): a subscriber that never reads is cut off
 * with the documented message once its buffer is full, while the writes go on and the other subscribers, live and
 * resumed from an offset, get every tunnel event the journal holds, in offset order, without a gap.
 */
class LiveEventsTest {
    private static final int BUFFER = 32;

    @TempDir
    Path tmp;

    @Test
    void aStalledSubscriberIsCutOffAndTheOthersGetEveryEventInOrder() throws Exception {
        Settings settings = Settings.defaults(tmp.resolve("data")).withCluster("127.0.0.1", 0, List.of())
                .withOverrides(ConfigFactory.parseString(LiveEvents.BUFFER_KEY + " = " + BUFFER));
        try (ControlPlane cp = ControlPlane.start(settings, new RecordingPorts())) {
            cp.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            NodeTest.get(cp.commit(Fixtures.CONFIG, "alice", "first", Optional.empty()));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(NodeTest.get(cp.tunnels())).hasSize(5).allMatch(TunnelView::configured));
            List<String> labels = NodeTest.get(cp.tunnels()).stream().map(TunnelView::label).toList();
            long start = NodeTest.get(cp.allEvents(Optional.empty(), Optional.empty(), Optional.empty())).getLast()
                    .offset();

            CompletableFuture<Throwable> stalledEnd = new CompletableFuture<>();
            cp.liveEvents(OptionalLong.empty()).runWith(Sink.fromSubscriber(new Subscriber<JournalEvent>() {
                @Override
                public void onSubscribe(Subscription s) {
                    // never requests: a client that stopped reading
                }

                @Override
                public void onNext(JournalEvent e) {
                    stalledEnd.completeExceptionally(new AssertionError("an event without demand"));
                }

                @Override
                public void onError(Throwable t) {
                    stalledEnd.complete(t);
                }

                @Override
                public void onComplete() {
                    stalledEnd.completeExceptionally(new AssertionError("completed instead of cut off"));
                }
            }), cp.system());
            int rounds = 12;
            int n = labels.size() * rounds * 2;
            var live = cp.liveEvents(OptionalLong.empty()).take(n).runWith(Sink.seq(), cp.system());
            var resumed = cp.liveEvents(OptionalLong.of(start)).take(n).runWith(Sink.seq(), cp.system());

            // every tunnel down and up again, the tunnels at once: writes in flight together complete out of order
            List<CompletableFuture<TunnelView>> writers = new ArrayList<>();
            for (String label : labels) {
                CompletableFuture<TunnelView> chain = CompletableFuture.completedFuture(null);
                for (int i = 0; i < rounds; i++) {
                    chain = chain.thenCompose(v -> cp.adminDown(label, "bob"))
                            .thenCompose(v -> cp.adminUp(label, "bob"));
                }
                writers.add(chain);
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

            List<String> journal = NodeTest.get(cp.allEvents(Optional.empty(), Optional.empty(), Optional.empty()))
                    .stream().filter(e -> e.offset() > start).map(LiveEventsTest::line).toList();
            assertThat(journal).hasSize(n);
            assertThat(NodeTest.get(live).stream().map(LiveEventsTest::line).toList()).isEqualTo(journal);
            assertThat(NodeTest.get(resumed).stream().map(LiveEventsTest::line).toList()).isEqualTo(journal);

            assertThat(stalledEnd.get(30, TimeUnit.SECONDS)).isInstanceOf(LiveEvents.CutOff.class)
                    .hasMessage("this client fell " + BUFFER + " events behind the node's journal writes; live events"
                            + " stopped: reconnect with Last-Event-ID set to the last id received to read on from the"
                            + " journal");
            assertThat(LiveEvents.get(cp.system().classicSystem()).cutOff()).isEqualTo(1);
        }
    }

    private static String line(JournalEvent e) {
        return e.offset() + " " + e.event().label() + " " + e.event().type();
    }
}
