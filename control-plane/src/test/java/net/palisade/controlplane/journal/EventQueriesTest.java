package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import net.palisade.model.event.Cause;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event reads by SQL on a real H2 journal with the node's own schema: one tunnel or all, time windows (including an
 * event written late), a type, pages by offset, and rows that are not tunnel events or are deleted left out.
 */
class EventQueriesTest {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule());
    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
    private static final EventQueries.Decoder DECODE = (bytes, id, manifest) -> {
        try {
            return JSON.readValue(bytes, TunnelEvent.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    };

    @TempDir Path dir;
    Connection c;
    private long ordering;

    @BeforeEach
    void journal() throws Exception {
        JournalSettings settings = JournalSettings.h2(dir);
        JournalSchema.createIfMissing(settings);
        c = JournalSchema.connect(settings);
    }

    @org.junit.jupiter.api.AfterEach
    void close() throws Exception {
        c.close();
    }

    /** Writes {@code e} as the journal would, {@code lag} after its time, under {@code persistenceId}. */
    private void write(String persistenceId, long seq, TunnelEvent e, Duration lag, boolean deleted) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"event_journal\" (\"ordering\", \"deleted\","
                + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\","
                + " \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, ?, ?, 'w', ?, '', ?, 33, ?)")) {
            ps.setLong(1, ++ordering);
            ps.setBoolean(2, deleted);
            ps.setString(3, persistenceId);
            ps.setLong(4, seq);
            ps.setLong(5, e.time().plus(lag).toEpochMilli());
            ps.setBytes(6, JSON.writeValueAsBytes(e));
            ps.setString(7, e.getClass().getName());
            ps.executeUpdate();
        }
    }

    private static TunnelEvent up(String label, int minute) {
        return new TunnelEvent.AdminUp(label, T0.plus(Duration.ofMinutes(minute)), "n1", Cause.TIMER);
    }

    private static TunnelEvent dpd(String label, int minute) {
        return new TunnelEvent.DpdLost(label, T0.plus(Duration.ofMinutes(minute)), "n1", Cause.PEER, "192.0.2.2");
    }

    private List<String> run(Optional<String> label, Optional<Instant> since, Optional<Instant> until,
            Optional<String> type, OptionalLong after, int limit) throws Exception {
        return EventQueries.run(c, new EventQueries.Query(label, since, until, type, after, limit), DECODE).stream()
                .map(r -> r.offset() + ":" + r.event().label() + ":" + r.event().type() + "@"
                        + Duration.between(T0, r.event().time()).toMinutes()).toList();
    }

    /** Offsets 1 to 8: tunnel events of a, b and ab, one deleted, one of another entity, one written late. */
    private void mixedJournal() throws Exception {
        write("Tunnel|a", 1, up("a", 0), Duration.ZERO, false);            // 1
        write("Tunnel|b", 1, up("b", 1), Duration.ZERO, false);            // 2
        write("Tunnel|a", 2, dpd("a", 2), Duration.ofMillis(5), false);    // 3
        write("Tunnel|ab", 1, up("ab", 3), Duration.ZERO, false);          // 4: a label that begins like a's
        write("Tunnel|a", 3, up("a", 4), Duration.ZERO, true);             // 5: deleted
        write("ConfigStore|main", 1, up("not-a-tunnel", 5), Duration.ZERO, false); // 6: another entity
        write("Tunnel|b", 2, dpd("b", 6), Duration.ofMinutes(3), false);   // 7: written 3 minutes late
        write("Tunnel|a", 4, up("a", 7), Duration.ZERO, false);            // 8
    }

    private String count(Optional<String> label, Optional<Instant> since, Optional<Instant> until,
            Optional<String> type, OptionalLong after) throws Exception {
        EventQueries.Count n = EventQueries.count(c, new EventQueries.Query(label, since, until, type, after,
                Integer.MAX_VALUE), DECODE);
        return n.count() + (n.lastOffset().isPresent() ? " up to " + n.lastOffset().getAsLong() : "");
    }

    private static Optional<Instant> at(int seconds) {
        return Optional.of(T0.plusSeconds(seconds));
    }

    @Test
    void countsWhatAReadReturnsDecodingOnlyAtTheWindowsEdges() throws Exception {
        mixedJournal();
        Optional<String> any = Optional.empty();
        Optional<Instant> open = Optional.empty();
        OptionalLong none = OptionalLong.empty();
        assertThat(count(any, open, open, any, none)).isEqualTo("6 up to 8");
        assertThat(count(Optional.of("a"), open, open, any, none)).isEqualTo("3 up to 8");
        assertThat(count(Optional.of("b"), open, open, any, none)).isEqualTo("2 up to 7");
        assertThat(count(any, open, open, Optional.of("dpd-lost"), none)).isEqualTo("2 up to 7");
        assertThat(count(any, open, open, any, OptionalLong.of(3))).isEqualTo("3 up to 8");
        assertThat(count(Optional.of("a"), open, open, any, OptionalLong.of(3))).isEqualTo("1 up to 8");
        assertThat(count(any, open, open, Optional.of("admin-up"), OptionalLong.of(8))).isEqualTo("0");
        // until 6.5 min: b's dpd-lost of minute 6, written at minute 9, is in; a's admin-up of minute 7 is out
        assertThat(count(any, open, at(390), any, none)).isEqualTo("5 up to 7");
        // since 6.5 min: b's dpd-lost written at minute 9 happened before, so it is out
        assertThat(count(any, at(390), open, any, none)).isEqualTo("1 up to 8");
        assertThat(count(any, at(120), at(420), any, none)).isEqualTo("3 up to 7");
        assertThat(count(any, at(3600), open, any, none)).isEqualTo("0");
    }

    @Test
    void readsWhatIsAskedInJournalOrderAndNothingElse() throws Exception {
        mixedJournal();

        OptionalLong none = OptionalLong.empty();
        int all = Integer.MAX_VALUE;
        assertThat(run(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), none, all))
                .containsExactly("1:a:admin-up@0", "2:b:admin-up@1", "3:a:dpd-lost@2", "4:ab:admin-up@3",
                        "7:b:dpd-lost@6", "8:a:admin-up@7");
        assertThat(run(Optional.of("a"), Optional.empty(), Optional.empty(), Optional.empty(), none, all))
                .containsExactly("1:a:admin-up@0", "3:a:dpd-lost@2", "8:a:admin-up@7");
        assertThat(run(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("dpd-lost"), none, all))
                .containsExactly("3:a:dpd-lost@2", "7:b:dpd-lost@6");
        // [2 min, 7 min): by the events' own time; the late one (written at 9 min) is in, minute 7 is out
        assertThat(run(Optional.empty(), Optional.of(T0.plus(Duration.ofMinutes(2))),
                Optional.of(T0.plus(Duration.ofMinutes(7))), Optional.empty(), none, all))
                .containsExactly("3:a:dpd-lost@2", "4:ab:admin-up@3", "7:b:dpd-lost@6");
        assertThat(run(Optional.empty(), Optional.of(T0.plus(Duration.ofMinutes(7))), Optional.empty(),
                Optional.empty(), none, all)).containsExactly("8:a:admin-up@7");
    }

    @Test
    void pagesFollowEachOtherByOffsetWithoutGapOrRepeat() throws Exception {
        for (int i = 0; i < 250; i++) {
            write("Tunnel|t" + (i % 3), i / 3 + 1, up("t" + (i % 3), i), Duration.ZERO, false);
        }
        java.util.List<String> seen = new java.util.ArrayList<>();
        OptionalLong after = OptionalLong.empty();
        int pages = 0;
        while (true) {
            List<EventQueries.Row> page = EventQueries.run(c, new EventQueries.Query(Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty(), after, 40), DECODE);
            if (page.isEmpty()) {
                break;
            }
            pages++;
            assertThat(page.size()).isLessThanOrEqualTo(40);
            page.forEach(r -> seen.add(r.event().label() + "@" + Duration.between(T0, r.event().time()).toMinutes()));
            after = OptionalLong.of(page.getLast().offset());
        }
        assertThat(pages).isEqualTo(7);
        assertThat(seen).hasSize(250).doesNotHaveDuplicates();
        assertThat(seen.get(249)).isEqualTo("t0@249");
    }

    @Test
    void oneTunnelsOrOneTypesPagesFollowEachOtherWhereverTheyStart() throws Exception {
        // three tunnels in turn; each event an admin-up, every fifth a dpd-lost instead
        for (int i = 0; i < 200; i++) {
            String label = "t" + (i % 3);
            write("Tunnel|" + label, i / 3 + 1, i % 5 == 0 ? dpd(label, i) : up(label, i), Duration.ZERO, false);
        }
        // offset i + 1 is minute i: t1 has minutes 1, 4, 7...; dpd-lost minutes 0, 5, 10...
        java.util.function.IntFunction<List<Integer>> minutes = start -> java.util.stream.IntStream.range(0, 200)
                .filter(i -> i + 1 > start).boxed().toList();
        for (int start : new int[] {0, 1, 2, 3, 100, 101, 102, 199, 200}) {
            List<Integer> t1 = minutes.apply(start).stream().filter(i -> i % 3 == 1).toList();
            List<Integer> dpdLost = minutes.apply(start).stream().filter(i -> i % 5 == 0).toList();
            assertThat(paged(Optional.of("t1"), Optional.empty(), start)).as("t1 after %d", start).isEqualTo(t1);
            assertThat(paged(Optional.empty(), Optional.of("dpd-lost"), start)).as("dpd-lost after %d", start)
                    .isEqualTo(dpdLost);
            assertThat(paged(Optional.of("t1"), Optional.of("dpd-lost"), start)).as("t1's dpd-lost after %d", start)
                    .isEqualTo(t1.stream().filter(i -> i % 5 == 0).toList());
        }
    }

    /** 3,000 events of three tunnels in turn (t0, t1, t2, t0, ...); every tenth a dpd-lost; then ANALYZE. */
    private void writeThreeTunnelsInTurn() throws Exception {
        for (int i = 0; i < 3_000; i++) {
            String label = "t" + (i % 3);
            write("Tunnel|" + label, i / 3 + 1, i % 10 == 0 ? dpd(label, i) : up(label, i), Duration.ZERO, false);
        }
        try (var s = c.createStatement()) {
            s.execute("ANALYZE");
        }
    }

    /**
     * A batch in the middle of a long history reads about the rows it returns, whichever index finds them (H2's
     * {@code EXPLAIN ANALYZE} counts the rows each index scan read): every tunnel's along the ordering, a type's along
     * its index in order, one tunnel's along its key. Before, H2 read every tunnel's or the type's rows and sorted
     * them for each batch.
     */
    @Test
    void aBatchInTheMiddleReadsAboutTheRowsItReturns() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(EventQueries.h2(c), "H2 counts the rows a scan read");
        // offset i + 1 is t(i % 3)'s event i / 3 + 1
        writeThreeTunnelsInTurn();
        Optional<Instant> open = Optional.empty();
        record Case(String name, EventQueries.Query q, long lastSeq) {}
        List<Case> cases = List.of(
                new Case("every tunnel", new EventQueries.Query(Optional.empty(), open, open, Optional.empty(),
                        OptionalLong.of(1_500), 100), 0),
                new Case("admin-up", new EventQueries.Query(Optional.empty(), open, open, Optional.of("admin-up"),
                        OptionalLong.of(1_500), 100), 0),
                new Case("dpd-lost", new EventQueries.Query(Optional.empty(), open, open, Optional.of("dpd-lost"),
                        OptionalLong.of(1_500), 100), 0),
                // offset 1,501 is event 1,500: t0's 501st
                new Case("t0", new EventQueries.Query(Optional.of("t0"), open, open, Optional.empty(),
                        OptionalLong.of(1_501), 100), 501));
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (Case k : cases) {
            EventQueries.Batch b = EventQueries.batch(k.q(), EventQueries.orderingIndex(c), null, Long.MAX_VALUE,
                    k.q().after().getAsLong(), k.lastSeq(), 100);
            soft.assertThat(scanned(b)).as(k.name()).isBetween(1L, 101L);
            soft.assertThat(EventQueries.run(c, k.q(), DECODE)).as(k.name()).hasSize(100);
        }
        soft.assertAll();
    }

    /** The rows H2 read to answer {@code b} ({@code EXPLAIN ANALYZE}: the scan counts of its index scans). */
    private long scanned(EventQueries.Batch b) throws Exception {
        long scanned = 0;
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN ANALYZE " + b.sql())) {
            EventQueries.bind(ps, b.args());
            try (var rs = ps.executeQuery()) {
                rs.next();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("scanCount: (\\d+)")
                        .matcher(rs.getString(1));
                while (m.find()) {
                    scanned += Long.parseLong(m.group(1));
                }
            }
        }
        return scanned;
    }

    /**
     * The first page of a time window (no {@code after}) reads about the rows it returns, wide or narrow, of every
     * tunnel, one type or one tunnel: the window's span is found with a few probes of the write time's index (each
     * reads a row or two), then read along the ordering (or the type's index, or the tunnel's key) from the rows
     * written just before it (2 s on H2, a minute on PostgreSQL). Before, H2 found every row of the window by the
     * write time and sorted them for the first page.
     */
    @Test
    void aTimeWindowsFirstPageReadsAboutTheRowsItReturns() throws Exception {
        boolean h2 = EventQueries.h2(c); // PostgreSQL: the same reads return the same events
        // one a minute
        writeThreeTunnelsInTurn();
        Optional<String> any = Optional.empty();
        Optional<Instant> open = Optional.empty();
        Optional<Instant> from1000 = Optional.of(T0.plus(Duration.ofMinutes(1_000)));
        record Case(String name, EventQueries.Query q, int returned) {}
        List<Case> cases = List.of(
                new Case("every tunnel, the last 2,000 minutes", new EventQueries.Query(any, from1000, open, any,
                        OptionalLong.empty(), 100), 100),
                new Case("every tunnel, 1,500 minutes", new EventQueries.Query(any, from1000,
                        Optional.of(T0.plus(Duration.ofMinutes(2_500))), any, OptionalLong.empty(), 100), 100),
                new Case("every tunnel, 50 minutes", new EventQueries.Query(any, from1000,
                        Optional.of(T0.plus(Duration.ofMinutes(1_050))), any, OptionalLong.empty(), 100), 50),
                new Case("every tunnel, until minute 2,000", new EventQueries.Query(any, open,
                        Optional.of(T0.plus(Duration.ofMinutes(2_000))), any, OptionalLong.empty(), 100), 100),
                new Case("admin-up, the last 2,000 minutes", new EventQueries.Query(any, from1000, open,
                        Optional.of("admin-up"), OptionalLong.empty(), 100), 100),
                new Case("dpd-lost, the last 2,000 minutes", new EventQueries.Query(any, from1000, open,
                        Optional.of("dpd-lost"), OptionalLong.empty(), 100), 100),
                new Case("t0, the last 2,000 minutes", new EventQueries.Query(Optional.of("t0"), from1000, open, any,
                        OptionalLong.empty(), 100), 100),
                new Case("t0, minutes 1,000 to 1,150", new EventQueries.Query(Optional.of("t0"), from1000,
                        Optional.of(T0.plus(Duration.ofMinutes(1_150))), any, OptionalLong.empty(), 100), 50),
                new Case("t0's dpd-lost, the last 2,000 minutes", new EventQueries.Query(Optional.of("t0"), from1000,
                        open, Optional.of("dpd-lost"), OptionalLong.empty(), 100), 66));
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (Case k : cases) {
            EventQueries.Start s = EventQueries.start(c, k.q(), 100);
            EventQueries.Batch b = EventQueries.batch(k.q(), h2 ? EventQueries.orderingIndex(c) : null, s.span(),
                    s.lastSeqInWindow(), s.last(), s.lastSeq(), 100);
            // the rows returned, the row before the window (its margin), until's 10 minutes of slack, and the row
            // that ends the scan; t0's dpd-lost: every 30th event, 66 of t0's 666 in the window (read along its key)
            long most = k.name().startsWith("t0's") ? 666 + 3 : k.returned() + 1 + 10 + 1;
            if (h2) {
                soft.assertThat(scanned(b)).as(k.name()).isBetween(1L, most);
            }
            soft.assertThat(EventQueries.run(c, k.q(), DECODE)).as(k.name()).hasSize(k.returned());
        }
        if (!h2) {
            soft.assertAll();
            return;
        }
        // each probe of the write time's index reads a row or two
        for (boolean before : new boolean[] {true, false}) {
            soft.assertThat(scanned(new EventQueries.Batch(WindowSpan.probeSql(before),
                    List.of(T0.plus(Duration.ofMinutes(1_000)).toEpochMilli())))).as("probe").isBetween(1L, 2L);
        }
        soft.assertThat(scanned(new EventQueries.Batch(WindowSpan.SEQUENCE_PROBE, List.of("Tunnel|t0", 300L))))
                .as("a tunnel's sequence number").isEqualTo(1L);
        soft.assertAll();
    }

    /**
     * Offsets follow the write time only up to writes in flight together: a row stamped in a window but written
     * before rows stamped earlier (here 1.5 s earlier; H2's one writer allows 2 s for a clock stepped back,
     * PostgreSQL's eight a minute) is still on the window's first page, for every tunnel, its own tunnel and its type.
     */
    @Test
    void aRowWrittenBeforeEarlierStampedOnesIsStillInItsWindow() throws Exception {
        java.util.function.BiFunction<String, Integer, TunnelEvent> at = (label, millis) ->
                new TunnelEvent.AdminUp(label, T0.plusMillis(millis), "n1", Cause.TIMER);
        for (int i = 0; i < 20; i++) {                                      // 1-20: one every 5 s, 0 to 95 s
            write("Tunnel|a", i + 1, at.apply("a", 5_000 * i), Duration.ZERO, false);
        }
        write("Tunnel|b", 1, at.apply("b", 150_000), Duration.ZERO, false);  // 21: before the window
        write("Tunnel|b", 2, new TunnelEvent.DpdLost("b", T0.plusMillis(200_500), "n1", Cause.PEER, "192.0.2.2"),
                Duration.ZERO, false);                                      // 22: in it, written before 23 and 24
        write("Tunnel|a", 21, at.apply("a", 199_000), Duration.ZERO, false); // 23: the last before the window
        write("Tunnel|a", 22, at.apply("a", 200_000), Duration.ZERO, false); // 24: the earliest in the window
        write("Tunnel|b", 3, at.apply("b", 220_000), Duration.ZERO, false);  // 25
        Optional<Instant> since = Optional.of(T0.plusSeconds(200));
        Optional<String> any = Optional.empty();
        java.util.function.Function<EventQueries.Query, List<Long>> offsets = q -> {
            try {
                return EventQueries.run(c, q, DECODE).stream().map(EventQueries.Row::offset).toList();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(offsets.apply(new EventQueries.Query(any, since, Optional.empty(), any, OptionalLong.empty(), 10)))
                .containsExactly(22L, 24L, 25L);
        assertThat(offsets.apply(new EventQueries.Query(Optional.of("b"), since, Optional.empty(), any,
                OptionalLong.empty(), 10))).containsExactly(22L, 25L);
        assertThat(offsets.apply(new EventQueries.Query(any, since, Optional.of(T0.plusSeconds(201)),
                Optional.of("dpd-lost"), OptionalLong.empty(), 10))).containsExactly(22L);
    }

    /** The minutes of the events read 7 at a time after offset {@code start} (0: from the first). */
    private List<Integer> paged(Optional<String> label, Optional<String> type, long start) throws Exception {
        List<Integer> out = new java.util.ArrayList<>();
        OptionalLong after = start == 0 ? OptionalLong.empty() : OptionalLong.of(start);
        while (true) {
            List<EventQueries.Row> page = EventQueries.run(c, new EventQueries.Query(label, Optional.empty(),
                    Optional.empty(), type, after, 7), DECODE);
            if (page.isEmpty()) {
                return out;
            }
            assertThat(page.size()).isLessThanOrEqualTo(7);
            page.forEach(r -> out.add((int) Duration.between(T0, r.event().time()).toMinutes()));
            after = OptionalLong.of(page.getLast().offset());
        }
    }

    @Test
    void anUnknownTypeOrAnEmptyPageIsRefused() {
        assertThatThrownBy(() -> new EventQueries.Query(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("exploded"), OptionalLong.empty(), 10)).hasMessageContaining("unknown event type 'exploded'");
        assertThatThrownBy(() -> new EventQueries.Query(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), OptionalLong.empty(), 0)).hasMessageContaining("limit");
        assertThat(EventQueries.typeManifests()).containsKeys(TunnelEvent.TYPES.toArray(String[]::new));
    }
}
