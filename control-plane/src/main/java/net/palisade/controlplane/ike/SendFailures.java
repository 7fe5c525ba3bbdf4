package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Which failed IKE sends are worth a log line: the first to a destination since a send to it last succeeded; the
 * others are counted ({@code ike.send-failed}). A send fails when nothing routes to the peer at that moment (our
 * only address towards it is gone): then every retransmission towards it fails alike — the Delete of a {@link
 * ClosingIkeSa} (up to 31 s of them), the session's liveness checks, the next attempt — and one line says so. Our
 * sockets are bound to the wildcard address, so the kernel picks the source: a retransmission may leave again from a
 * new address, and the peer answers a request where it came from (RFC 7296 section 2.11). Thread-safe (the outcome
 * lane and the dispatcher's cookies send); at most {@link #MOST} destinations are remembered failing, further ones
 * only counted.
 */
final class SendFailures {
    static final int MOST = 4096;

    private final Map<InetSocketAddress, AtomicLong> failing = new ConcurrentHashMap<>();
    private final LongAdder failed = new LongAdder();

    /** A send to {@code to} failed: whether it is the first since the last success there (to be logged). */
    boolean failed(InetSocketAddress to) {
        failed.increment();
        AtomicLong n = failing.get(to);
        if (n != null) {
            n.incrementAndGet();
            return false;
        }
        if (failing.size() >= MOST) {
            return false;
        }
        return failing.putIfAbsent(to, new AtomicLong(1)) == null;
    }

    /** A send to {@code to} succeeded: how many failed there since the first logged one (0: none, say nothing). */
    long succeeded(InetSocketAddress to) {
        if (failing.isEmpty()) {
            return 0;
        }
        AtomicLong n = failing.remove(to);
        return n == null ? 0 : n.get();
    }

    /** {@code ike.send-failed}: every failed send. */
    Map<String, Long> counters() {
        long n = failed.sum();
        return n == 0 ? Map.of() : Map.of("ike.send-failed", n);
    }
}
