package net.palisade.api.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import net.palisade.controlplane.journal.LiveEvents;
import net.palisade.controlplane.tunnel.TunnelView;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Do stalled SSE clients slow the journal writes? ({@code ops/bench/event-reads.sh live}; a lab program, not a
 * test.) One node with its API: WRITERS loops each turning one manual tunnel admin down and up again as fast as the
 * journal acknowledges (every call one persisted event), rounds of SECONDS alternating without SSE clients and with
 * STALLED clients of {@code /v1/events/stream} that send their request and never read (a small receive window), plus
 * in every round one client that reads everything and checks the ids only rise. After a warm-up round, prints one
 * table row per round.
 *
 * <pre>ops/bench/event-reads.sh live [WRITERS=50] [SECONDS=10] [STALLED=20] [ROUNDS=4]</pre>
 */
public final class LiveEventsBench {
    private LiveEventsBench() {}

    public static void main(String[] args) throws Exception {
        int writers = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int stalled = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        if (writers < 1 || writers > 250) {
            throw new IllegalArgumentException("WRITERS must be 1-250, found " + writers);
        }
        Path dir = Files.createTempDirectory("palisade-live-bench");
        StringBuilder config = new StringBuilder("ipsec {\n");
        for (int i = 0; i < writers; i++) {
            config.append(String.format("  manual from 10.0.0.0/24 to 10.%d.0.0/16 local 192.0.2.1 peer 198.18.0.%d"
                    + " spi %d:%d enc aes-128-gcm enckey 0x%040x label w%d%n", i + 1, i + 1, 0x10000 + 2 * i,
                    0x10001 + 2 * i, i + 1, i));
        }
        config.append("}\n");
        try (ControlPlane cp = ControlPlane.start(Settings.defaults(dir.resolve("data"))
                .withCluster("127.0.0.1", 0, List.of()))) {
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            cp.commit(config.toString(), "bench", writers + " tunnels", Optional.empty()).toCompletableFuture()
                    .get(120, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!cp.tunnels().toCompletableFuture().get(30, TimeUnit.SECONDS).stream()
                    .allMatch(TunnelView::configured)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("tunnels not configured after 120 s");
                }
                Thread.onSpinWait();
            }
            TokenFile token = TokenFile.loadOrCreate(dir.resolve("token"));
            String bearer = Files.readString(dir.resolve("token")).strip();
            ServerBinding binding = new ApiServer(token, cp, Optional::empty, () -> true)
                    .bind(cp.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            InetSocketAddress api = binding.localAddress();
            LiveEvents live = LiveEvents.get(cp.system().classicSystem());
            write(cp, writers, seconds); // warm-up: the JIT, the journal's pool
            System.out.printf("live-events: %d writers, %d s rounds, %d stalled SSE clients in every other round,"
                    + " subscriber buffer %d events%n", writers, seconds, stalled, live.buffer());
            System.out.println("| round | stalled SSE clients | writes/s | write p50 ms | write p99 ms | cut off |"
                    + " reading client: events of the writes, ids rising |");
            System.out.println("|---|---:|---:|---:|---:|---:|---|");
            for (int round = 0; round < rounds; round++) {
                int n = round % 2 == 1 ? stalled : 0;
                List<Socket> sockets = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    sockets.add(stalledClient(api, bearer));
                }
                Reader reader = new Reader(api, bearer);
                long cutBefore = live.cutOff();
                Result r = write(cp, writers, seconds);
                long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (reader.events.get() < r.writes() && System.nanoTime() < wait) {
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // the last events on their way
                }
                reader.stop();
                for (Socket s : sockets) {
                    s.close();
                }
                System.out.printf("| %d | %d | %,.0f | %.1f | %.1f | %d | %,d of %,d, %s |%n", round + 1, n,
                        r.writes() / (double) seconds, r.p50(), r.p99(), live.cutOff() - cutBefore, reader.events.get(),
                        r.writes(), reader.ordered.get() ? "yes" : "NO");
            }
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private record Result(long writes, double p50, double p99) {}

    /** WRITERS loops, each alternating admin down and up of its own tunnel, for {@code seconds}. */
    private static Result write(ControlPlane cp, int writers, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        List<List<Long>> latencies = new ArrayList<>();
        AtomicLong writes = new AtomicLong();
        for (int i = 0; i < writers; i++) {
            String label = "w" + i;
            List<Long> mine = new ArrayList<>();
            latencies.add(mine);
            threads.add(Thread.ofVirtual().start(() -> {
                boolean down = true;
                while (System.nanoTime() < end || !down) { // ends admin up, as the next round begins
                    long t = System.nanoTime();
                    try {
                        (down ? cp.adminDown(label, "bench") : cp.adminUp(label, "bench")).toCompletableFuture()
                                .get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(label + ": " + e, e);
                    }
                    mine.add(System.nanoTime() - t);
                    down = !down;
                    writes.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Long> all = new ArrayList<>();
        latencies.forEach(all::addAll);
        long[] sorted = all.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return new Result(writes.get(), sorted[sorted.length / 2] / 1e6,
                sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6);
    }

    /** A client that asks for the stream and never reads it: a 4 KiB receive window, then nothing. */
    private static Socket stalledClient(InetSocketAddress api, String bearer) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(api);
        OutputStream out = s.getOutputStream();
        out.write(request(bearer).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private static String request(String bearer) {
        return "GET /v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + bearer
                + "\r\nAccept: text/event-stream\r\n\r\n";
    }

    /** Reads the stream as it comes; counts the events and checks their ids rise. */
    private static final class Reader {
        final AtomicLong events = new AtomicLong();
        final AtomicBoolean ordered = new AtomicBoolean(true);
        private final Socket socket;
        private final Thread thread;

        Reader(InetSocketAddress api, String bearer) throws Exception {
            socket = new Socket();
            socket.connect(api);
            socket.getOutputStream().write(request(bearer).getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            // the response's head: the node has subscribed this client before it answers
            String status = in.readLine();
            if (status == null || !status.contains(" 200 ")) {
                throw new IllegalStateException("the event stream answered " + status);
            }
            for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                // headers
            }
            thread = Thread.ofPlatform().daemon().start(() -> {
                long last = Long.MIN_VALUE;
                try {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.startsWith("id:")) {
                            long id = Long.parseLong(line.substring(3).strip());
                            if (id <= last) {
                                ordered.set(false);
                            }
                            last = id;
                            events.incrementAndGet();
                        } else if (line.startsWith("event: cut-off") || line.startsWith("event:cut-off")) {
                            ordered.set(false);
                        }
                    }
                } catch (java.io.IOException e) {
                    // closed by stop()
                }
            });
        }

        void stop() throws Exception {
            socket.close();
            thread.join(5_000);
        }
    }
}
