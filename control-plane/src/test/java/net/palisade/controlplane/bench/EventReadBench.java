package net.palisade.controlplane.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
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
import java.util.function.Supplier;
import net.palisade.controlplane.journal.EventQueries;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;

/**
 * Event reads against a large journal ({@code ops/bench/event-reads.sh}): EVENTS tunnel events of TUNNELS tunnels
 * written into an embedded H2 journal with the node's schema, then each read of the API timed RUNS times (after a
 * warm-up) through {@link EventQueries}, beside the old way of answering any of them (decode every tunnel event,
 * then filter) timed once. Payloads are JSON here (the node writes CBOR): both decode at a similar cost per event.
 */
public final class EventReadBench {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule());
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
        EventQueries.Decoder decode = (bytes, id, manifest) -> {
            try {
                return JSON.readValue(bytes, TunnelEvent.class);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        };
        try (Connection c = JournalSchema.connect(settings)) {
            long t = System.nanoTime();
            fill(c, events, tunnels);
            System.out.printf("event-reads: %,d events of %,d tunnels written in %.1f s (H2 file %,d MB)%n", events,
                    tunnels, (System.nanoTime() - t) / 1e9, Files.size(dir.resolve("journal.mv.db")) >> 20);
            Instant middle = T0.plus(STEP.multipliedBy(events / 2));
            String someTunnel = "t" + (tunnels / 2);
            record Read(String name, Supplier<EventQueries.Query> query) {}
            List<Read> reads = List.of(
                    new Read("one tunnel's events (~" + events / tunnels + ")", () -> new EventQueries.Query(
                            Optional.of(someTunnel), Optional.empty(), Optional.empty(), Optional.empty(),
                            OptionalLong.empty(), Integer.MAX_VALUE)),
                    new Read("all tunnels, a 60 s window (~600)", () -> new EventQueries.Query(Optional.empty(),
                            Optional.of(middle), Optional.of(middle.plusSeconds(60)), Optional.empty(),
                            OptionalLong.empty(), Integer.MAX_VALUE)),
                    new Read("one tunnel, a 1 h window", () -> new EventQueries.Query(Optional.of(someTunnel),
                            Optional.of(middle), Optional.of(middle.plusSeconds(3600)), Optional.empty(),
                            OptionalLong.empty(), Integer.MAX_VALUE)),
                    new Read("a page of 1,000 in the middle (after=N/2)", () -> new EventQueries.Query(
                            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                            OptionalLong.of(events / 2), 1_000)),
                    new Read("dpd-lost of one tunnel", () -> new EventQueries.Query(Optional.of(someTunnel),
                            Optional.empty(), Optional.empty(), Optional.of("dpd-lost"), OptionalLong.empty(),
                            Integer.MAX_VALUE)),
                    new Read("first 100 dpd-lost of all tunnels", () -> new EventQueries.Query(Optional.empty(),
                            Optional.empty(), Optional.empty(), Optional.of("dpd-lost"), OptionalLong.empty(), 100)));
            System.out.println("| read | events returned | p50 ms | p99 ms | max ms |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (Read r : reads) {
                int returned = 0;
                for (int i = 0; i < 5; i++) {
                    returned = EventQueries.run(c, r.query().get(), decode).size();
                }
                double[] ms = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long s = System.nanoTime();
                    EventQueries.run(c, r.query().get(), decode);
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(ms);
                System.out.printf("| %s | %,d | %.1f | %.1f | %.1f |%n", r.name(), returned, ms[runs / 2],
                        ms[(int) Math.ceil(runs * 0.99) - 1], ms[runs - 1]);
            }
            long s = System.nanoTime();
            int decoded = decodeEverything(c, decode);
            System.out.printf("| before: any of them (every tunnel event decoded, then filtered) | %,d decoded | %.0f"
                    + " | | |%n", decoded, (System.nanoTime() - s) / 1e6);
        }
    }

    /** EVENTS events, tunnel i % TUNNELS, one every 100 ms; one in 500 a dpd-lost. */
    private static void fill(Connection c, int events, int tunnels) throws Exception {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"event_journal\" (\"ordering\", \"deleted\","
                + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\","
                + " \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, FALSE, ?, ?, 'w', ?, '', ?,"
                + " 33, ?)")) {
            long[] seq = new long[tunnels];
            for (int i = 0; i < events; i++) {
                int k = i % tunnels;
                String label = "t" + k;
                Instant time = T0.plus(STEP.multipliedBy(i));
                TunnelEvent e = i % 500 == 7
                        ? new TunnelEvent.DpdLost(label, time, "n1", Cause.TIMER, "192.0.2.2")
                        : new TunnelEvent.ChildSaInstalled(label, time, "n1", Cause.PEER,
                                new ChildSa(SaId.child(256L + i), new SpiPair(Spi.of(256L + i), Spi.of(257L + i)),
                                        Optional.empty()));
                ps.setLong(1, i + 1);
                ps.setString(2, "Tunnel|" + label);
                ps.setLong(3, ++seq[k]);
                ps.setLong(4, time.toEpochMilli());
                ps.setBytes(5, JSON.writeValueAsBytes(e));
                ps.setString(6, e.getClass().getName());
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
