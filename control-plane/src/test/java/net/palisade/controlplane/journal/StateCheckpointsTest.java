package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state?at=} from checkpoints against the full replay it replaces: random tunnel histories (every kind of
 * event that changes a state, a clock that sometimes steps back or stands still) written to a real H2 journal with
 * the node's schema and serialization (CBOR, secrets sealed), then the state at random instants read through
 * {@link StateCheckpoints} and compared with the tunnel's events folded from the empty state up to the first one
 * after the instant — the entity's own recovery, done in memory. Reads also stay short: after {@code catchUp} no
 * read decodes more than a checkpoint's worth of events.
 */
class StateCheckpointsTest {
    private static final NodeKey KEY = NodeKey.random();
    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
    private static final String HANDLER = StateCheckpoints.fingerprint(TunnelState.class);
    private static ActorSystem<Void> system;
    private static Serialization serialization;
    private static List<TunnelSpec> specs;

    @TempDir Path dir;
    private Connection c;
    private long ordering;
    private final AtomicInteger decoded = new AtomicInteger();

    @BeforeAll
    static void start() {
        system = Fixtures.system("state-checkpoints", KEY, ConfigFactory.empty());
        serialization = SerializationExtension.get(system.classicSystem());
        specs = Fixtures.config().tunnels();
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    private JournalSettings settings;

    @BeforeEach
    void journal() throws Exception {
        settings = JournalSettings.h2(dir);
        JournalSchema.createIfMissing(settings);
        c = JournalSchema.connect(settings);
    }

    /** The node's codec, counting the events it decodes. */
    private StateCheckpoints<TunnelState> checkpoints(int every) {
        SerializationCodec<TunnelState> real = new SerializationCodec<>(serialization, TunnelState.class);
        StateCheckpoints.Codec<TunnelState> counting = new StateCheckpoints.Codec<>() {
            @Override
            public Object event(byte[] payload, int id, String manifest) {
                decoded.incrementAndGet();
                return real.event(payload, id, manifest);
            }

            @Override
            public TunnelState state(byte[] payload, int id, String manifest) {
                return real.state(payload, id, manifest);
            }

            @Override
            public StateCheckpoints.Encoded encode(TunnelState state) {
                return real.encode(state);
            }
        };
        return new StateCheckpoints<>(counting, TunnelState::apply, HANDLER, every);
    }

    @Test
    void everyInstantOfRandomHistoriesReadsAsTheFullReplay() throws Exception {
        SplittableRandom random = new SplittableRandom(20261206);
        for (int round = 0; round < 12; round++) {
            TunnelSpec spec = specs.get(round % specs.size());
            String label = spec.label();
            String id = "Tunnel|" + label + "#" + round;
            List<TunnelEvent> history = history(random, spec, 20 + random.nextInt(400));
            writeAll(id, history);
            int every = 1 + random.nextInt(40);
            StateCheckpoints<TunnelState> cp = checkpoints(every);
            if (round % 3 == 0) {
                cp.catchUp(c, id, TunnelState.empty(label));
            }
            for (int q = 0; q < 60; q++) {
                Instant at = instant(random, history);
                assertThat(cp.at(c, id, TunnelState.empty(label), at))
                        .as("round %d (every %d): state at %s", round, every, at)
                        .isEqualTo(replay(label, history, at));
            }
        }
    }

    @Test
    void aReadAfterCatchUpDecodesAtMostOneCheckpointsWorthOfEvents() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        TunnelSpec spec = specs.get(0);
        List<TunnelEvent> history = monotone(history(random, spec, 5_000));
        writeAll("Tunnel|" + spec.label(), history);
        StateCheckpoints<TunnelState> cp = checkpoints(100);
        cp.catchUp(c, "Tunnel|" + spec.label(), TunnelState.empty(spec.label()));
        for (int q = 0; q < 50; q++) {
            Instant at = instant(random, history);
            decoded.set(0);
            assertThat(cp.at(c, "Tunnel|" + spec.label(), TunnelState.empty(spec.label()), at))
                    .isEqualTo(replay(spec.label(), history, at));
            assertThat(decoded.get()).as("events decoded for %s", at).isLessThanOrEqualTo(101);
        }
        assertThat(rows(HANDLER)).isEqualTo(50);
    }

    @Test
    void anUnreadableCheckpointCostsAReplayNotTheAnswer() throws Exception {
        TunnelSpec spec = specs.get(0);
        String id = "Tunnel|" + spec.label();
        List<TunnelEvent> history = journaled(id, spec, 11);
        StateCheckpoints<TunnelState> cp = checkpoints(50);
        cp.catchUp(c, id, TunnelState.empty(spec.label()));
        try (Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE \"state_checkpoint\" SET \"state_payload\" = X'00ff'")).isEqualTo(6);
        }
        Instant end = history.get(history.size() - 1).time();
        assertThat(cp.at(c, id, TunnelState.empty(spec.label()), end))
                .isEqualTo(replay(spec.label(), history, end));
    }

    @Test
    void theWriterFoldingWrittenEventsInMemoryWritesTheCheckpointsOfTheFullReplay() throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        TunnelSpec spec = specs.get(0);
        String label = spec.label();
        List<TunnelEvent> seenFromTheStart = history(random, spec, 300);
        List<TunnelEvent> seenAfterARestart = history(random, spec, 200);
        write("Tunnel|b", seenAfterARestart.subList(0, 40), 1);
        StateCheckpoints<TunnelState> cp = checkpoints(StateCheckpoints.EVERY);
        CheckpointWriter<TunnelState> writer = new CheckpointWriter<>(cp, settings, e -> TunnelState.empty(label));
        // as the journal hands them over: both tunnels interleaved, in batches of random size; b's first 40 events
        // were written before this node started (not handed over), and one of b's events is lost on the way
        List<LiveEvents.Written> written = new ArrayList<>();
        int a = 0;
        int b = 40;
        while (a < seenFromTheStart.size() || b < seenAfterARestart.size()) {
            if (b >= seenAfterARestart.size() || (a < seenFromTheStart.size() && random.nextBoolean())) {
                written.add(new LiveEvents.Written("Tunnel|a", a + 1, seenFromTheStart.get(a++)));
            } else if (b++ != 120) {
                written.add(new LiveEvents.Written("Tunnel|b", b, seenAfterARestart.get(b - 1)));
            }
        }
        decoded.set(0);
        int journaledB = 40;
        for (int i = 0; i < written.size();) {
            int n = Math.min(written.size() - i, 1 + random.nextInt(50));
            List<LiveEvents.Written> batch = written.subList(i, i + n);
            for (LiveEvents.Written w : batch) { // the journal has them before it hands them over
                if (w.persistenceId().equals("Tunnel|a")) {
                    write("Tunnel|a", List.of(w.event()), w.sequenceNr());
                } else {
                    write("Tunnel|b", seenAfterARestart.subList(journaledB, (int) w.sequenceNr()), journaledB + 1);
                    journaledB = (int) w.sequenceNr();
                }
            }
            writer.apply(batch);
            i += n;
        }
        // all of a's from memory; b's #32 and #64 by the catch-up at #64, #128 by the one after the lost event
        assertThat(writer.checkpointsWritten()).isEqualTo(300 / 32 + 200 / 32 - 3);
        // b from its start up to #64 (after the restart) and from #96 on (after the lost event), not a's at all
        assertThat(decoded.get()).as("events read back from the journal").isBetween(64 + 32, 64 + 32 + 60);
        for (var tunnel : List.of(java.util.Map.entry("Tunnel|a", seenFromTheStart),
                java.util.Map.entry("Tunnel|b", seenAfterARestart))) {
            List<TunnelEvent> history = tunnel.getValue();
            try (PreparedStatement ps = c.prepareStatement("SELECT \"sequence_number\", \"through_nanos\","
                    + " \"state_payload\", \"state_ser_id\", \"state_ser_manifest\" FROM \"state_checkpoint\""
                    + " WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
                ps.setString(1, tunnel.getKey());
                try (var rs = ps.executeQuery()) {
                    int rows = 0;
                    while (rs.next()) {
                        int seq = rs.getInt(1);
                        assertThat(seq).isEqualTo(32 * ++rows);
                        TunnelState expected = TunnelState.empty(label);
                        long through = Long.MIN_VALUE;
                        for (TunnelEvent e : history.subList(0, seq)) {
                            expected = expected.apply(e);
                            through = Math.max(through, StateCheckpoints.nanos(e.time()));
                        }
                        assertThat(rs.getLong(2)).as("%s #%d through", tunnel.getKey(), seq).isEqualTo(through);
                        assertThat(new SerializationCodec<>(serialization, TunnelState.class)
                                .state(rs.getBytes(3), rs.getInt(4), rs.getString(5)))
                                .as("%s #%d", tunnel.getKey(), seq).isEqualTo(expected);
                    }
                    assertThat(rows).as(tunnel.getKey()).isEqualTo(history.size() / 32);
                }
            }
        }
    }

    @Test
    void checkpointsOfAnotherEventHandlerAreNeitherUsedNorKept() throws Exception {
        TunnelSpec spec = specs.get(0);
        String id = "Tunnel|" + spec.label();
        List<TunnelEvent> history = journaled(id, spec, 5);
        Instant end = history.get(history.size() - 1).time();
        TunnelState empty = TunnelState.empty(spec.label());
        assertThat(replay(spec.label(), history, end)).isNotEqualTo(empty);
        // an older version whose handler folded every event into nothing left its checkpoints behind
        SerializationCodec<TunnelState> codec = new SerializationCodec<>(serialization, TunnelState.class);
        new StateCheckpoints<TunnelState>(codec, (state, e) -> state, "an older handler", 50).catchUp(c, id, empty);
        assertThat(rows("an older handler")).isEqualTo(6);

        StateCheckpoints<TunnelState> cp = checkpoints(50);
        assertThat(cp.at(c, id, empty, end)).isEqualTo(replay(spec.label(), history, end));
        assertThat(cp.dropOthers(c)).isEqualTo(6);
        assertThat(rows("an older handler")).isZero();
        cp.catchUp(c, id, empty);
        assertThat(rows(HANDLER)).isEqualTo(6);
        decoded.set(0);
        assertThat(cp.at(c, id, empty, end)).isEqualTo(replay(spec.label(), history, end));
        assertThat(decoded.get()).as("events folded onto this handler's own last checkpoint").isZero();
    }

    @Test
    void theFingerprintCoversTheHandlersNestedClassesAndNothingElse() {
        assertThat(HANDLER).matches("[0-9a-f]{32}").isEqualTo(StateCheckpoints.fingerprint(TunnelState.class));
        assertThat(TunnelState.class.getNestMembers()).as("the state's records are in the fingerprint").hasSizeGreaterThan(1);
        assertThat(StateCheckpoints.fingerprint(StateCheckpoints.class)).isNotEqualTo(HANDLER);
    }

    private long rows(String handler) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT COUNT(*) FROM \"state_checkpoint\" WHERE \"handler\" = ?")) {
            ps.setString(1, handler);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** 300 events of {@code spec}'s tunnel, 100 ms apart (random from {@code seed}), written under {@code id}. */
    private List<TunnelEvent> journaled(String id, TunnelSpec spec, long seed) throws Exception {
        List<TunnelEvent> history = monotone(history(new SplittableRandom(seed), spec, 300));
        writeAll(id, history);
        return history;
    }

    /** The reference: the tunnel's events folded from the empty state up to the first one after {@code at}. */
    private static TunnelState replay(String label, List<TunnelEvent> history, Instant at) {
        TunnelState s = TunnelState.empty(label);
        for (TunnelEvent e : history) {
            if (e.time().isAfter(at)) {
                break;
            }
            s = s.apply(e);
        }
        return s;
    }

    /** An instant before, after, exactly at or between the history's events. */
    private static Instant instant(SplittableRandom r, List<TunnelEvent> history) {
        Instant pick = history.get(r.nextInt(history.size())).time();
        return switch (r.nextInt(5)) {
            case 0 -> pick;
            case 1 -> pick.minusNanos(1);
            case 2 -> pick.plusMillis(r.nextInt(3000));
            case 3 -> T0.minusSeconds(1 + r.nextInt(100));
            default -> history.get(history.size() - 1).time().plusSeconds(r.nextInt(100));
        };
    }

    private static List<TunnelEvent> monotone(List<TunnelEvent> history) {
        List<TunnelEvent> out = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            TunnelEvent e = history.get(i);
            out.add(retimed(e, T0.plusMillis(100L * i)));
        }
        return out;
    }

    private static TunnelEvent retimed(TunnelEvent e, Instant t) {
        return switch (e) {
            case TunnelEvent.Configured x -> new TunnelEvent.Configured(x.label(), t, x.node(), x.cause(), x.spec());
            case TunnelEvent.AdminUp x -> new TunnelEvent.AdminUp(x.label(), t, x.node(), x.cause());
            default -> new TunnelEvent.PingOk(e.label(), t, e.node(), Cause.TIMER, "10.1.0.1", "10.2.0.1");
        };
    }

    /**
     * {@code n} events of {@code spec}'s tunnel: configured first, then any event that changes a state. Time moves
     * on 0-2 s a step, stands still now and then and steps back a few seconds one time in 40.
     */
    private static List<TunnelEvent> history(SplittableRandom r, TunnelSpec spec, int n) {
        String l = spec.label();
        List<TunnelEvent> out = new ArrayList<>();
        Instant t = T0;
        out.add(new TunnelEvent.Configured(l, t, "n1", Cause.FILE, spec));
        long spi = 0x1000;
        List<SaId> sas = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            int step = r.nextInt(40);
            t = step == 0 ? t.minusSeconds(1 + r.nextInt(5)) : step < 4 ? t : t.plusMillis(r.nextInt(2000));
            Cause cause = r.nextBoolean() ? Cause.PEER : Cause.TIMER;
            String ike = "ike-" + r.nextInt(4);
            TunnelEvent e = switch (r.nextInt(15)) {
                case 0 -> new TunnelEvent.Configured(l, t, "n1", Cause.api("ops"), spec);
                case 1 -> new TunnelEvent.AdminDown(l, t, "n1", Cause.api("ops"));
                case 2 -> new TunnelEvent.AdminUp(l, t, "n1", Cause.api("ops"));
                case 3, 4 -> new TunnelEvent.Phase1Up(l, t, "n1", cause, "192.0.2." + (2 + r.nextInt(3)), ike);
                case 5 -> new TunnelEvent.Phase1Down(l, t, "n1", cause, "deleted",
                        r.nextBoolean() ? Optional.of(ike) : Optional.empty());
                case 6, 7 -> {
                    SaId id = SaId.child(++spi);
                    sas.add(id);
                    yield new TunnelEvent.ChildSaInstalled(l, t, "n1", cause,
                            new ChildSa(id, new SpiPair(Spi.of(spi), Spi.of(spi + 0x10000)), Optional.empty()));
                }
                case 8 -> new TunnelEvent.ChildSaDeleted(l, t, "n1", cause,
                        sas.isEmpty() ? SaId.child(1) : sas.get(r.nextInt(sas.size())));
                case 9 -> {
                    SaId replacement = SaId.child(++spi);
                    SaId replaced = sas.isEmpty() ? SaId.child(1) : sas.get(r.nextInt(sas.size()));
                    sas.add(replacement);
                    yield new TunnelEvent.Rekeyed(l, t, "n1", cause, replaced, replacement,
                            Optional.of(new SpiPair(Spi.of(spi), Spi.of(spi + 0x10000))));
                }
                case 10 -> new TunnelEvent.DpdLost(l, t, "n1", Cause.TIMER, "192.0.2.2",
                        r.nextBoolean() ? Optional.of(ike) : Optional.empty());
                case 11 -> new TunnelEvent.NegotiationFailed(l, t, "n1", Cause.PEER,
                        FailureReason.values()[r.nextInt(FailureReason.values().length)], "detail " + i);
                case 12 -> new TunnelEvent.PingLost(l, t, "n1", Cause.TIMER, "10.1.0.1", "10.2.0.1", 1 + r.nextInt(9));
                case 13 -> new TunnelEvent.SequenceReserved(l, t, "n1", Cause.NODE, spi, 1L << (10 + r.nextInt(20)));
                default -> r.nextInt(8) == 0 ? new TunnelEvent.Removed(l, t, "n1", Cause.api("ops"))
                        : new TunnelEvent.PingOk(l, t, "n1", Cause.TIMER, "10.1.0.1", "10.2.0.1");
            };
            out.add(e);
        }
        return out;
    }

    /** The events under {@code persistenceId} as the journal writes them (sequence numbers from 1). */
    private void writeAll(String persistenceId, List<TunnelEvent> history) throws Exception {
        write(persistenceId, history, 1);
    }

    /** {@code events} under {@code persistenceId}, the first as sequence number {@code first}. */
    private void write(String persistenceId, List<TunnelEvent> events, long first) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"event_journal\" (\"ordering\", \"deleted\","
                + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\","
                + " \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, FALSE, ?, ?, 'w', ?, '', ?,"
                + " ?, ?)")) {
            long seq = first - 1;
            for (TunnelEvent e : events) {
                var ser = serialization.findSerializerFor(e);
                ps.setLong(1, ++ordering);
                ps.setString(2, persistenceId);
                ps.setLong(3, ++seq);
                ps.setLong(4, e.time().toEpochMilli());
                ps.setBytes(5, ser.toBinary(e));
                ps.setInt(6, ser.identifier());
                ps.setString(7, Serializers.manifestFor(ser, e));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
