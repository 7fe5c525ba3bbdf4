package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The metrics page asks every tunnel at most once per interval, whatever the request rate. */
class SnapshotTest {
    private static final class FakeClock extends Clock {
        Instant now = Instant.parse("2026-12-06T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final FakeClock clock = new FakeClock();
    private final AtomicInteger computations = new AtomicInteger();
    private CompletableFuture<String> pending = new CompletableFuture<>();

    private CompletionStage<String> compute() {
        computations.incrementAndGet();
        return pending;
    }

    @Test
    void requestsWithinTheIntervalShareOneComputationEvenWhileItRuns() {
        Snapshot<String> s = new Snapshot<>(this::compute, Duration.ofSeconds(1), clock);
        var first = s.get();
        for (int i = 0; i < 1000; i++) {
            assertThat(s.get()).isSameAs(first);
        }
        pending.complete("page 1");
        clock.now = clock.now.plusMillis(999);
        assertThat(s.get().toCompletableFuture().join()).isEqualTo("page 1");
        assertThat(computations).hasValue(1);

        pending = CompletableFuture.completedFuture("page 2");
        clock.now = clock.now.plusMillis(1);
        assertThat(s.get().toCompletableFuture().join()).isEqualTo("page 2");
        assertThat(computations).hasValue(2);
    }

    @Test
    void aFailureIsNotServedAgain() {
        Snapshot<String> s = new Snapshot<>(this::compute, Duration.ofSeconds(1), clock);
        pending.completeExceptionally(new IllegalStateException("entity did not answer"));
        assertThat(s.get().toCompletableFuture()).isCompletedExceptionally();
        pending = CompletableFuture.completedFuture("page");
        assertThat(s.get().toCompletableFuture().join()).isEqualTo("page");
        assertThat(computations).hasValue(2);
    }
}
