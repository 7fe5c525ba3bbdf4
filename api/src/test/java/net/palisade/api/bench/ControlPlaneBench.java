package net.palisade.api.bench;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.palisade.api.ApiServer;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.tunnel.TunnelView;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Control-plane figures for docs/benchmarks.md (a lab program, not a test): N tunnels committed on one node — time
 * until every tunnel entity has persisted its {@code configured} event, heap after GC, time to recover after a
 * restart — and API latency (GET one tunnel) at a steady request rate.
 *
 * <pre>ops/bench/control-plane.sh [TUNNELS] [RATE] [SECONDS]</pre>
 */
public final class ControlPlaneBench {
    public static void main(String[] args) throws Exception {
        int tunnels = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Path dir = Files.createTempDirectory("palisade-cp-bench");
        Path data = dir.resolve("data");

        StringBuilder config = new StringBuilder("ipsec {\n");
        for (int i = 0; i < tunnels; i++) {
            int b = i / 250;
            int c = i % 250;
            config.append(String.format(
                    "  manual from 10.0.0.0/24 to 10.%d.%d.0/24 local 192.0.2.1 peer 198.18.%d.%d spi %d:%d enc aes-128-gcm"
                            + " enckey 0x%040x label t%d%n", 100 + b, c, b, c + 1, 0x10000 + 2 * i, 0x10000 + 2 * i + 1, i + 1, i));
        }
        config.append("}\n");

        Settings settings = Settings.defaults(data).withCluster("127.0.0.1", 0, List.of());
        long t0 = System.nanoTime();
        try (ControlPlane cp = ControlPlane.start(settings)) {
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            long started = System.nanoTime();
            System.out.printf("node start (empty journal): %.1f s%n", (started - t0) / 1e9);
            cp.commit(config.toString(), "bench", tunnels + " tunnels", Optional.empty()).toCompletableFuture().get(300, TimeUnit.SECONDS);
            long committed = System.nanoTime();
            awaitConfigured(cp, tunnels, 600);
            long configured = System.nanoTime();
            System.out.printf("commit of %d tunnels acknowledged: %.1f s; all %d tunnel entities configured: %.1f s%n",
                    tunnels, (committed - started) / 1e9, tunnels, (configured - started) / 1e9);
            System.gc();
            Runtime rt = Runtime.getRuntime();
            System.out.printf("heap used after GC with %d tunnels: %d MiB%n", tunnels,
                    (rt.totalMemory() - rt.freeMemory()) >> 20);
        }

        long r0 = System.nanoTime();
        try (ControlPlane cp = ControlPlane.start(settings)) {
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            cp.running().toCompletableFuture().get(120, TimeUnit.SECONDS);
            long configRead = System.nanoTime();
            awaitConfigured(cp, tunnels, 600);
            long recovered = System.nanoTime();
            System.out.printf("restart: running config back after %.1f s, all %d tunnels recovered after %.1f s%n",
                    (configRead - r0) / 1e9, tunnels, (recovered - r0) / 1e9);

            Path tokenPath = dir.resolve("token");
            TokenFile token = TokenFile.loadOrCreate(tokenPath);
            ServerBinding binding = new ApiServer(token, cp, Optional::empty, () -> true)
                    .bind(cp.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            String bearer = Files.readString(tokenPath).strip();
            latency(binding.localAddress().getPort(), bearer, tunnels, rate, 2, false); // warm-up: JIT, connections
            latency(binding.localAddress().getPort(), bearer, tunnels, rate, seconds, true);
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        System.out.printf("JVM: %s, %d CPUs, max heap %d MiB%n", System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        deleteTree(dir);
    }

    private static void awaitConfigured(ControlPlane cp, int n, int timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            try {
                List<TunnelView> all = cp.tunnels().toCompletableFuture().get(120, TimeUnit.SECONDS);
                if (all.size() == n && all.stream().allMatch(TunnelView::configured)) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // an entity still recovering did not answer within the ask timeout: ask again
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("tunnels not configured in time");
            }
            Thread.onSpinWait();
        }
    }

    /** Open-loop: requests start on a fixed schedule whatever the answers do, so queueing shows in the tail. */
    private static void latency(int port, String token, int tunnels, int rate, int seconds, boolean print) throws Exception {
        HttpClient http = HttpClient.newBuilder().build();
        int total = rate * seconds;
        long[] micros = new long[total];
        List<CompletableFuture<Void>> inflight = new ArrayList<>();
        long intervalNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + i * intervalNanos;
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            final int k = i;
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tunnels/t" + (i % tunnels)))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).GET().build();
            inflight.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + r.statusCode());
                }
                micros[k] = (System.nanoTime() - due) / 1000;
            }));
        }
        CompletableFuture.allOf(inflight.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        Arrays.sort(micros);
        if (!print) {
            return;
        }
        System.out.printf("API GET /v1/tunnels/{label}, %d req/s for %d s (open loop, %d requests): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                rate, seconds, total, micros[total / 2] / 1000.0, micros[(int) (total * 0.99)] / 1000.0, micros[total - 1] / 1000.0);
    }

    private static void deleteTree(Path dir) throws Exception {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private ControlPlaneBench() {}

    static {
        ManagementFactory.getRuntimeMXBean(); // load JMX early so its start-up is not in the figures
    }
}
