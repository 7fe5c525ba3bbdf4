package net.palisade.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A value that is expensive to compute (the metrics page asks every tunnel entity for its state) served from one
 * computation per {@code maxAge}: requests in between, and requests while a computation runs, share its result.
 * So a scraper, or a flood of unauthenticated-looking requests that got past the token, cost the tunnels one
 * fan-out per interval whatever the request rate. A failed computation is not kept: the next request retries.
 */
final class Snapshot<T> {
    private final Supplier<CompletionStage<T>> compute;
    private final Duration maxAge;
    private final Clock clock;
    private CompletionStage<T> current;
    private Instant started = Instant.MIN;

    Snapshot(Supplier<CompletionStage<T>> compute, Duration maxAge, Clock clock) {
        this.compute = compute;
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** The current value, computing a new one when the last is older than {@code maxAge} or failed. */
    synchronized CompletionStage<T> get() {
        Instant now = clock.instant();
        boolean failed = current != null && current.toCompletableFuture().isCompletedExceptionally();
        if (current == null || failed || !now.isBefore(started.plus(maxAge))) {
            started = now;
            current = compute.get();
        }
        return current;
    }
}
