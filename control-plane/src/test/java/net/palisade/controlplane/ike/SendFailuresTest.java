package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A peer nothing routes to (our only address towards it is gone): every send towards it fails — a closing IKE SA's
 * Delete and its retransmissions, the session's liveness checks — and only the first of them is worth a log line;
 * all are counted. Once a send to it succeeds again, that is said once, and its next failure is logged again.
 */
class SendFailuresTest {
    private static final InetSocketAddress PEER = new InetSocketAddress(IkeLoop.ip("192.0.2.2"), 4500);
    private static final InetSocketAddress OTHER = new InetSocketAddress(IkeLoop.ip("192.0.2.3"), 500);

    @Test
    void onlyTheFirstFailedSendToAPeerIsLoggedUntilOneSucceedsAndAllAreCounted() {
        SendFailures f = new SendFailures();
        assertThat(f.counters()).isEmpty();
        assertThat(f.succeeded(PEER)).as("nothing failed: nothing to say").isZero();
        // a Delete and its five retransmissions (1 + 2 + 4 + 8 + 16 s), all failing
        assertThat(f.failed(PEER)).as("the first: logged").isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(f.failed(PEER)).as("retransmission " + (i + 1) + ": counted only").isFalse();
        }
        assertThat(f.failed(OTHER)).as("another peer's first failure is its own").isTrue();
        assertThat(f.counters()).isEqualTo(Map.of("ike.send-failed", 7L));
        assertThat(f.succeeded(OTHER)).isEqualTo(1);
        assertThat(f.succeeded(PEER)).as("works again: how many failed, said once").isEqualTo(6);
        assertThat(f.succeeded(PEER)).isZero();
        assertThat(f.failed(PEER)).as("a new outage: logged again").isTrue();
        assertThat(f.counters()).isEqualTo(Map.of("ike.send-failed", 8L));
    }

    @Test
    void aFloodOfFailingDestinationsIsRememberedUpToABoundAndCountedBeyond() {
        SendFailures f = new SendFailures();
        int logged = 0;
        for (int i = 0; i < SendFailures.MOST + 100; i++) {
            InetSocketAddress to = new InetSocketAddress(IkeLoop.ip("10." + (i >> 16 & 255) + "." + (i >> 8 & 255)
                    + "." + (i & 255)), 500);
            logged += f.failed(to) ? 1 : 0;
        }
        assertThat(logged).isEqualTo(SendFailures.MOST);
        assertThat(f.counters()).isEqualTo(Map.of("ike.send-failed", (long) SendFailures.MOST + 100));
    }
}
