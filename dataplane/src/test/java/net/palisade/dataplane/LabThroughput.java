package net.palisade.dataplane;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.palisade.dataplane.worker.Counter;
import net.palisade.dataplane.worker.WorkerCounters;

/**
 * Throughput probe (not a test: no assertions): iperf3 from host-a to host-b through two user-space ESP gateways
 * in the namespace lab, once per worker count. Prints Mbit/s, retransmits and each gateway's drop counters.
 *
 * <p>Needs root, iperf3 and {@code ops/lab/netns.sh}. After {@code mvn -pl dataplane test-compile}:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp dataplane/target/classes:dataplane/target/test-classes:$(cat cp.txt) \
 *     net.palisade.dataplane.LabThroughput [--workers 1,2] [--seconds 10] [--streams 1] [--enc aes-128-gcm]
 *     [--auth hmac-sha2-256] [--raw] [--prefix dpthr] [--runs 1] [--offloads all,udp,none]
 * </pre>
 * With one worker per gateway, gw-a's worker is pinned to CPU 0 and gw-b's to CPU 1 (both gateways run in this JVM
 * on the same machine); with more, worker i of each gateway goes to CPU i.
 */
public final class LabThroughput {
    private LabThroughput() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> workerCounts = List.of(1, 2);
        int seconds = 10;
        int streams = 1;
        int runs = 1;
        String enc = "aes-128-gcm";
        String auth = null;
        boolean raw = false;
        String prefix = "dpthr";
        List<String> offloads = List.of("all");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workers" -> {
                    List<Integer> w = new ArrayList<>();
                    for (String s : args[++i].split(",")) {
                        w.add(Integer.parseInt(s.trim()));
                    }
                    workerCounts = w;
                }
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--streams" -> streams = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--enc" -> enc = args[++i];
                case "--auth" -> auth = args[++i];
                case "--raw" -> raw = true;
                case "--prefix" -> prefix = args[++i];
                case "--offloads" -> offloads = List.of(args[++i].split(","));
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (!net.palisade.dataplane.testkit.Root.isRoot()) {
            System.err.println("LabThroughput needs root (network namespaces, TUN devices)");
            System.exit(2);
        }
        GatewayPair.Spec spec = GatewayPair.Spec.gcm().withEnc(enc, auth);
        if (raw) {
            spec = spec.rawEsp();
        }
        try (Lab lab = Lab.up(prefix)) {
            System.out.printf(Locale.ROOT, "lab %s up; transform %s%s, %s, %d s per run, %d stream(s)%n", prefix,
                    enc, auth == null ? "" : "/" + auth, raw ? "raw ESP" : "ESP-in-UDP", seconds, streams);
            for (int workers : workerCounts) {
                List<Integer> cpusA = workers == 1 ? List.of(0) : List.of();
                List<Integer> cpusB = workers == 1 ? List.of(1) : List.of();
                for (int run = 1; run <= runs; run++) {
                    for (String offload : offloads) {
                        GatewayPair.Options options = GatewayPair.Options.defaults().withWorkers(workers)
                                .withCpus(cpusA, cpusB).withUdpOffloads(!offload.equals("none"))
                                .withTunOffloads(offload.equals("all"));
                        try (GatewayPair pair = GatewayPair.start(lab, spec, options)) {
                            Iperf.Result r = Iperf.run(lab, "10.2.0.10", seconds, streams);
                            System.out.printf(Locale.ROOT,
                                    "workers=%d offloads=%s run=%d: %.0f Mbit/s (%d MB, %d retransmits)%n",
                                    workers, offload, run, r.mbps(), r.bytes() >> 20,
                                    r.retransmits());
                            print("  gw-a", pair.a.counters());
                            print("  gw-b", pair.b.counters());
                        }
                    }
                }
            }
        }
    }

    private static void print(String who, DataplaneCounters c) {
        StringBuilder sb = new StringBuilder(who).append(':');
        for (WorkerCounters w : c.workers()) {
            sb.append(String.format(Locale.ROOT, " w%d sealed=%d opened=%d", w.worker(), w.get(Counter.SEALED),
                    w.get(Counter.OPENED)));
        }
        sb.append(String.format(Locale.ROOT, " | udp out %d in %d, raw batches out %d in %d, tso %d, gro %d, polls %d",
                c.total(Counter.UDP_DATAGRAMS_SENT), c.total(Counter.UDP_DATAGRAMS_RECEIVED),
                c.total(Counter.RAW_ESP_SEND_BATCHES), c.total(Counter.RAW_ESP_RECEIVE_BATCHES),
                c.total(Counter.TSO_SUPER_PACKETS), c.total(Counter.GRO_SUPER_PACKETS), c.total(Counter.POLL_WAKEUPS)));
        for (Counter counter : Counter.values()) {
            if (counter.drop() && c.total(counter) > 0) {
                sb.append(' ').append(counter.key()).append('=').append(c.total(counter));
            }
        }
        System.out.println(sb);
    }
}
