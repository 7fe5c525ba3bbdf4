package net.palisade.controlplane.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import net.palisade.controlplane.journal.EventQueries;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.SerializationCodec;
import net.palisade.controlplane.journal.StateCheckpoints;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Event reads against a large journal ({@code ops/bench/event-reads.sh}): EVENTS tunnel events of TUNNELS tunnels
 * written into an embedded H2 journal with the node's schema and serialization (CBOR, secrets sealed with a node
 * key), one tunnel in ten events of its own ({@code t0}: 100,000 of a million), then each read of the API timed RUNS
 * times (after a warm-up) through {@link EventQueries} and {@link StateCheckpoints} ({@code state?at=} at a random
 * instant of t0's history each time), beside the old ways (decode every tunnel event, then filter; replay t0's
 * whole journal) timed once.
 */
public final class EventReadBench {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private static final Duration STEP = Duration.ofMillis(100);

    private EventReadBench() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int tunnels = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Path dir = Files.createTempDirectory("event-reads");
        JournalSettings settings = JournalSettings.h2(dir);
        JournalSchema.createIfMissing(settings);
        var system = net.palisade.controlplane.Fixtures.system("event-reads",
                net.palisade.controlplane.journal.NodeKey.random(), com.typesafe.config.ConfigFactory.empty());
        Serialization serialization = SerializationExtension.get(system.classicSystem());
        SerializationCodec<TunnelState> decode = new SerializationCodec<>(serialization, TunnelState.class);
        try (Connection c = JournalSchema.connect(settings)) {
            long t = System.nanoTime();
            fill(c, events, tunnels, serialization);
            System.out.printf("event-reads: %,d events of %,d tunnels written in %.1f s (H2 file %,d MB)%n", events,
                    tunnels, (System.nanoTime() - t) / 1e9, Files.size(dir.resolve("journal.mv.db")) >> 20);
            Instant middle = T0.plus(STEP.multipliedBy(events / 2));
            Instant at35 = T0.plus(STEP.multipliedBy(events * 35L / 100)); // a window over the last 65 %
            String someTunnel = "t" + (tunnels / 2);
            int hot = hotEvents(events);
            // t0's event j is the journal's event 10 j: any instant of its history, at random
            java.util.SplittableRandom random = new java.util.SplittableRandom(14);
            java.util.function.Supplier<Instant> inHistory = () -> T0.plus(STEP.multipliedBy(10L * random.nextInt(hot)))
                    .plusMillis(random.nextInt(100));
            StateCheckpoints<TunnelState> replayAll = new StateCheckpoints<>(decode, TunnelState::apply,
                    "bench", Integer.MAX_VALUE);
            long r0 = System.nanoTime();
            replayAll.at(c, "Tunnel|t0", TunnelState.empty("t0"), T0.plus(STEP.multipliedBy(events)));
            double replayMs = (System.nanoTime() - r0) / 1e6;
            StateCheckpoints<TunnelState> checkpoints = new StateCheckpoints<>(decode, TunnelState::apply,
                    "bench", StateCheckpoints.EVERY);
            long k0 = System.nanoTime();
            for (int k = 0; k < tunnels; k++) {
                checkpoints.catchUp(c, "Tunnel|t" + k, TunnelState.empty("t" + k));
            }
            System.out.printf("state checkpoints of all %,d tunnels written in %.1f s (once; a node writes them as"
                    + " each tunnel reaches every %dth event; H2 file now %,d MB)%n", tunnels,
                    (System.nanoTime() - k0) / 1e9, StateCheckpoints.EVERY,
                    Files.size(dir.resolve("journal.mv.db")) >> 20);
            record Read(String name, java.util.concurrent.Callable<Integer> run) {}
            java.util.function.Function<EventQueries.Query, java.util.concurrent.Callable<Integer>> sql =
                    q -> () -> EventQueries.run(c, q, decode).size();
            List<Read> reads = List.of(
                    new Read("one tunnel's events (~" + (events - hot) / Math.max(1, tunnels - 1) + ")", sql.apply(
                            new EventQueries.Query(Optional.of(someTunnel), Optional.empty(), Optional.empty(),
                                    Optional.empty(), OptionalLong.empty(), Integer.MAX_VALUE))),
                    new Read("all tunnels, a 60 s window (~600)", sql.apply(new EventQueries.Query(Optional.empty(),
                            Optional.of(middle), Optional.of(middle.plusSeconds(60)), Optional.empty(),
                            OptionalLong.empty(), Integer.MAX_VALUE))),
                    new Read("one tunnel, a 1 h window", sql.apply(new EventQueries.Query(Optional.of(someTunnel),
                            Optional.of(middle), Optional.of(middle.plusSeconds(3600)), Optional.empty(),
                            OptionalLong.empty(), Integer.MAX_VALUE))),
                    new Read("all tunnels since the 35 % point, first page of 1,000", sql.apply(new EventQueries.Query(
                            Optional.empty(), Optional.of(at35), Optional.empty(), Optional.empty(),
                            OptionalLong.empty(), 1_000))),
                    new Read("child-sa-installed since the 35 % point, first 1,000", sql.apply(new EventQueries.Query(
                            Optional.empty(), Optional.of(at35), Optional.empty(), Optional.of("child-sa-installed"),
                            OptionalLong.empty(), 1_000))),
                    new Read("t0 since the 35 % point, first 1,000", sql.apply(new EventQueries.Query(
                            Optional.of("t0"), Optional.of(at35), Optional.empty(), Optional.empty(),
                            OptionalLong.empty(), 1_000))),
                    new Read("all tunnels, the last 60 s (since only)", sql.apply(new EventQueries.Query(
                            Optional.empty(), Optional.of(T0.plus(STEP.multipliedBy(events)).minusSeconds(60)),
                            Optional.empty(), Optional.empty(), OptionalLong.empty(), Integer.MAX_VALUE))),
                    new Read("a page of 1,000 in the middle (after=N/2)", sql.apply(new EventQueries.Query(
                            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                            OptionalLong.of(events / 2), 1_000))),
                    new Read("dpd-lost of one tunnel", sql.apply(new EventQueries.Query(Optional.of(someTunnel),
                            Optional.empty(), Optional.empty(), Optional.of("dpd-lost"), OptionalLong.empty(),
                            Integer.MAX_VALUE))),
                    new Read("first 100 dpd-lost of all tunnels", sql.apply(new EventQueries.Query(Optional.empty(),
                            Optional.empty(), Optional.empty(), Optional.of("dpd-lost"), OptionalLong.empty(), 100))),
                    new Read("state?at= of t0 (" + String.format("%,d", hot) + " events), a random instant",
                            () -> checkpoints.at(c, "Tunnel|t0", TunnelState.empty("t0"), inHistory.get())
                                    .configured() ? 1 : 0));
            System.out.println("| read | events (states) returned | p50 ms | p99 ms | max ms |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (Read r : reads) {
                int returned = 0;
                for (int i = 0; i < 5; i++) {
                    returned = r.run().call();
                }
                double[] ms = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long s = System.nanoTime();
                    r.run().call();
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(ms);
                System.out.printf("| %s | %,d | %.1f | %.1f | %.1f |%n", r.name(), returned, ms[runs / 2],
                        ms[(int) Math.ceil(runs * 0.99) - 1], ms[runs - 1]);
            }
            System.out.printf("| before: state?at= of t0, its whole journal replayed (the first read) | %,d | %.0f"
                    + " | | |%n", hot, replayMs);
            long s = System.nanoTime();
            int decoded = decodeEverything(c, decode);
            System.out.printf("| before: any of the others (every tunnel event decoded, then filtered) | %,d decoded |"
                    + " %.0f | | |%n", decoded, (System.nanoTime() - s) / 1e6);
        } finally {
            system.terminate();
        }
    }

    /** How many events t0 gets: every tenth. */
    private static int hotEvents(int events) {
        return (events + 9) / 10;
    }

    /**
     * EVENTS events, one every 100 ms: every tenth of tunnel t0, the others of the other tunnels in turn; each
     * tunnel's first a {@code configured} (a manual tunnel, its keys sealed), then one in 500 a dpd-lost, the rest
     * a child-sa-installed and its child-sa-deleted in turn.
     */
    private static void fill(Connection c, int events, int tunnels, Serialization serialization) throws Exception {
        StringBuilder config = new StringBuilder();
        for (int k = 0; k < tunnels; k++) {
            config.append(String.format("manual from 10.0.0.0/24 to 10.%d.%d.0/24 local 192.0.2.1 peer 198.18.%d.%d"
                    + " spi %d:%d enc aes-128-gcm enckey 0x%040x label t%d%n", 100 + k / 250, k % 250, k / 250,
                    k % 250 + 1, 0x10000 + 2 * k, 0x10001 + 2 * k, k + 1, k));
        }
        List<net.palisade.model.TunnelSpec> specs = net.palisade.model.config.ConfigParser
                .parse(config.toString(), "bench.conf").orThrow().tunnels();
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"event_journal\" (\"ordering\", \"deleted\","
                + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\","
                + " \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, FALSE, ?, ?, 'w', ?, '', ?,"
                + " ?, ?)")) {
            long[] seq = new long[tunnels];
            long[] lastSa = new long[tunnels];
            for (int i = 0; i < events; i++) {
                int k = i % 10 == 0 || tunnels == 1 ? 0 : 1 + i % (tunnels - 1);
                String label = "t" + k;
                Instant time = T0.plus(STEP.multipliedBy(i));
                TunnelEvent e;
                if (seq[k] == 0) {
                    e = new TunnelEvent.Configured(label, time, "n1", Cause.FILE, specs.get(k));
                } else if (i % 500 == 7) {
                    e = new TunnelEvent.DpdLost(label, time, "n1", Cause.TIMER, "192.0.2.2");
                } else if (lastSa[k] != 0) { // an SA lives until the tunnel's next event: the state stays small
                    e = new TunnelEvent.ChildSaDeleted(label, time, "n1", Cause.PEER, SaId.child(lastSa[k]));
                    lastSa[k] = 0;
                } else {
                    lastSa[k] = 256L + i;
                    e = new TunnelEvent.ChildSaInstalled(label, time, "n1", Cause.PEER, new ChildSa(
                            SaId.child(lastSa[k]), new SpiPair(Spi.of(lastSa[k]), Spi.of(lastSa[k] + 1)),
                            Optional.empty()));
                }
                Serializer ser = serialization.findSerializerFor(e);
                ps.setLong(1, i + 1);
                ps.setString(2, "Tunnel|" + label);
                ps.setLong(3, ++seq[k]);
                ps.setLong(4, time.toEpochMilli());
                ps.setBytes(5, ser.toBinary(e));
                ps.setInt(6, ser.identifier());
                ps.setString(7, Serializers.manifestFor(ser, e));
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
        try (Statement st = c.createStatement()) {
            st.execute("ANALYZE");
            // a node's journal changes all the time: H2 must not answer a read repeated on this static one with the
            // result it kept of the same statement (the bench's reads share a connection)
            st.execute("SET OPTIMIZE_REUSE_RESULTS 0");
        }
    }

    /** What answering any read cost before: every tunnel event read and decoded in journal order. */
    private static int decodeEverything(Connection c, EventQueries.Decoder decode) throws Exception {
        int n = 0;
        List<Object> sink = new ArrayList<>(1);
        try (PreparedStatement ps = c.prepareStatement("SELECT \"event_payload\", \"event_ser_id\","
                + " \"event_ser_manifest\" FROM \"event_journal\" ORDER BY \"ordering\"");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                sink.clear();
                sink.add(decode.decode(rs.getBytes(1), rs.getInt(2), rs.getString(3)));
                n++;
            }
        }
        return n;
    }
}
