package net.palisade.api.bench;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.palisade.api.ApiServer;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * The audit log read whole or by type over HTTP ({@code ops/bench/event-reads.sh api}; a lab program, not a test):
 * EVENTS tunnel events written into one node's journal (embedded H2 in a fresh data directory, or the PostgreSQL of
 * {@code PALISADE_BENCH_PG_URL}/{@code _USER}/{@code _PASSWORD}) in the mix an IKE responder under
 * {@code ops/bench/ike-setup.sh} leaves (each setup a {@code phase1-up}, a {@code child-sa-installed} and a
 * {@code phase1-down}, every other one a {@code child-sa-deleted} too: 3.5 events a setup, over TUNNELS tunnels),
 * then the reads a user or a script makes through {@code GET /v1/events}, each timed RUNS times: the whole answer
 * (first byte, last byte), the events in it, and the node's heap (the most used, sampled every 10 ms while it
 * ran, less the heap before). The client counts the events as the bytes arrive and keeps none of them.
 *
 * <pre>ops/bench/event-reads.sh api [EVENTS=1000000] [TUNNELS=100] [RUNS=5]</pre>
 */
public final class EventReadApiBench {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    /** How long one read may take before it counts as failed (PALISADE_BENCH_TIMEOUT_S, default 600). */
    private static final Duration TIMEOUT = Duration.ofSeconds(Long.parseLong(
            System.getenv().getOrDefault("PALISADE_BENCH_TIMEOUT_S", "600")));

    private EventReadApiBench() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int tunnels = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("palisade-event-api-bench");
        Settings settings = Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of());
        String pgUrl = System.getenv("PALISADE_BENCH_PG_URL");
        JournalSettings journal = pgUrl == null ? JournalSettings.h2(dir.resolve("data"))
                : JournalSettings.postgres(pgUrl, System.getenv("PALISADE_BENCH_PG_USER"),
                        System.getenv("PALISADE_BENCH_PG_PASSWORD"));
        if (pgUrl != null) {
            settings = settings.withJournal(journal);
            JournalSchema.createIfMissing(journal);
            try (Connection c = JournalSchema.connect(journal); var s = c.createStatement()) {
                s.execute("TRUNCATE event_journal, event_tag, snapshot, state_checkpoint");
            }
        }
        try (ControlPlane cp = ControlPlane.start(settings)) {
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            long t = System.nanoTime();
            fill(journal, events, tunnels, SerializationExtension.get(cp.system().classicSystem()));
            System.out.printf("event-reads api: %,d events of %,d tunnels written in %.1f s (%s)%n", events, tunnels,
                    (System.nanoTime() - t) / 1e9, pgUrl == null ? "embedded H2" : "PostgreSQL");
            TokenFile token = TokenFile.loadOrCreate(dir.resolve("token"));
            String bearer = Files.readString(dir.resolve("token")).strip();
            ServerBinding binding = new ApiServer(token, cp, Optional::empty, () -> true)
                    .bind(cp.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            String base = "http://127.0.0.1:" + binding.localAddress().getPort();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // the instant after 35 % of the events (3.5 events a millisecond): a window over the last 65 %
            Instant at35 = T0.plusMillis(events / 10);
            List<String> paths = List.of(
                    "/v1/events?type=child-sa-installed",
                    "/v1/events",
                    "/v1/events?type=dpd-lost",
                    "/v1/events?type=child-sa-installed&limit=1000",
                    "/v1/events?type=child-sa-installed&limit=1000&after=" + events / 2,
                    "/v1/events?limit=1000&after=" + events / 2,
                    "/v1/events/count?type=child-sa-installed",
                    "/v1/events/count",
                    "/v1/events?limit=10&after=" + events / 2,
                    "/v1/events?since=" + at35 + "&limit=1000",
                    "/v1/events?type=child-sa-installed&since=" + at35 + "&limit=1000",
                    "/v1/tunnels/bench-7/events?since=" + at35 + "&limit=1000",
                    "/v1/tunnels/bench-7/events",
                    "/v1/tunnels/bench-7/state?at=" + T0.plusMillis(events / 7));
            System.out.println("| read | status | events | bytes | first byte p50 | total p50 | total p99 | total max"
                    + " | node heap, most above the start |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (String path : paths) {
                double[] first = new double[runs];
                double[] total = new double[runs];
                Result r = null;
                long heap = 0;
                try {
                    if (runs > 1) {
                        read(http, base + path, bearer); // warm-up
                    }
                    for (int i = 0; i < runs; i++) {
                        r = read(http, base + path, bearer);
                        first[i] = r.firstMs();
                        total[i] = r.totalMs();
                        heap = Math.max(heap, r.heapBytes());
                    }
                } catch (java.io.IOException | java.util.concurrent.TimeoutException e) {
                    System.out.printf("| `%s` | failed: %s | | | | | | | |%n", path, e);
                    continue;
                }
                Arrays.sort(first);
                Arrays.sort(total);
                System.out.printf("| `%s` | %d | %s | %,d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %,d MiB |%n", path,
                        r.status(), r.small().isEmpty() ? String.format("%,d", r.events()) : "`" + r.small() + "`",
                        r.bytes(), first[runs / 2], total[runs / 2],
                        total[(int) Math.ceil(runs * 0.99) - 1], total[runs - 1], heap >> 20);
            }
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private record Result(int status, long events, long bytes, double firstMs, double totalMs, long heapBytes,
            String small) {}

    /** One GET, its body counted as it arrives ({@code "offset"} once per event), the heap sampled meanwhile. */
    private static Result read(HttpClient http, String url, String bearer) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        AtomicLong most = new AtomicLong(before);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!done.get()) {
                most.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
        });
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + bearer).build(), HttpResponse.BodyHandlers.ofInputStream());
        long t1 = System.nanoTime();
        byte[] pattern = "\"offset\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] buf = new byte[1 << 16];
        long bytes = 0;
        long found = 0;
        int matched = 0;
        StringBuilder small = new StringBuilder();
        try (InputStream in = r.body()) {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                if (bytes + n <= 200) {
                    small.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                }
                bytes += n;
                if (System.nanoTime() - t0 > TIMEOUT.toNanos()) {
                    done.set(true);
                    throw new java.util.concurrent.TimeoutException("no end after " + TIMEOUT.toSeconds() + " s, "
                            + found + " events read");
                }
                for (int i = 0; i < n; i++) {
                    matched = buf[i] == pattern[matched] ? matched + 1 : buf[i] == pattern[0] ? 1 : 0;
                    if (matched == pattern.length) {
                        found++;
                        matched = 0;
                    }
                }
            }
        }
        long t2 = System.nanoTime();
        done.set(true);
        sampler.join();
        return new Result(r.statusCode(), found, bytes, (t1 - t0) / 1e6, (t2 - t0) / 1e6, most.get() - before,
                bytes <= 200 ? small.toString().replaceAll("\\s+", " ").strip() : "");
    }

    /**
     * EVENTS events, a setup's 3 or 4 at a time, one setup every millisecond, the tunnels in turn: phase1-up,
     * child-sa-installed, phase1-down, and every other setup a child-sa-deleted before the phase1-down; and one
     * dpd-lost in 10,000 events (a rare type).
     */
    private static void fill(JournalSettings journal, int events, int tunnels, Serialization serialization)
            throws Exception {
        try (Connection c = JournalSchema.connect(journal)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"event_journal\" (\"deleted\","
                    + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\","
                    + " \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (FALSE, ?, ?, 'w', ?, '',"
                    + " ?, ?, ?)")) {
                long[] seq = new long[tunnels];
                int setup = 0;
                int step = 0;
                for (int i = 0; i < events; i++) {
                    int k = setup % tunnels;
                    String label = "bench-" + k;
                    Instant time = T0.plusMillis(setup).plusNanos(step * 1000L);
                    long spi = 0x1000_0000L + setup;
                    TunnelEvent e;
                    if (i % 10_000 == 9_999) {
                        e = new TunnelEvent.DpdLost(label, time, "n1", Cause.TIMER, "192.0.2.2");
                    } else {
                        e = switch (step) {
                            case 0 -> new TunnelEvent.Phase1Up(label, time, "n1", Cause.PEER, "192.0.2." + (100 + k),
                                    String.format("%016x_i %016x_r", spi, spi + 1), Optional.of(2));
                            case 1 -> new TunnelEvent.ChildSaInstalled(label, time, "n1", Cause.PEER, new ChildSa(
                                    SaId.child(spi), new SpiPair(Spi.of(spi), Spi.of(spi + 1)), Optional.empty()));
                            case 2 -> setup % 2 == 0
                                    ? new TunnelEvent.ChildSaDeleted(label, time, "n1", Cause.PEER, SaId.child(spi))
                                    : new TunnelEvent.Phase1Down(label, time, "n1", Cause.PEER, "delete from peer");
                            default -> new TunnelEvent.Phase1Down(label, time, "n1", Cause.PEER, "delete from peer");
                        };
                        boolean last = step == 3 || step == 2 && setup % 2 == 1;
                        step = last ? 0 : step + 1;
                        setup += last ? 1 : 0;
                    }
                    Serializer ser = serialization.findSerializerFor(e);
                    ps.setString(1, "Tunnel|" + label);
                    ps.setLong(2, ++seq[k]);
                    ps.setLong(3, time.toEpochMilli());
                    ps.setBytes(4, ser.toBinary(e));
                    ps.setInt(5, ser.identifier());
                    ps.setString(6, Serializers.manifestFor(ser, e));
                    ps.addBatch();
                    if (i % 5_000 == 4_999) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
            c.setAutoCommit(true);
            try (var st = c.createStatement()) {
                st.execute(journal.h2() ? "ANALYZE" : "ANALYZE event_journal");
                if (journal.h2()) { // a node's journal changes all the time: no read may be answered from the last
                    st.execute("SET OPTIMIZE_REUSE_RESULTS 0"); // result of the same statement on this static one
                }
            }
        }
    }
}
