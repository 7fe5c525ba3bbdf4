package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import net.palisade.controlplane.cluster.PgTest;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.ReplayMarks;
import net.palisade.dataplane.sa.Selectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay high-water marks of installed inbound SAs in the table {@code replay_mark}, on embedded H2 and on
 * PostgreSQL (the same code, both dialects): written when they advance and only then, never lowered, deleted with
 * their SA (but not by a node that may not act), swept when their SA never came back, and read back into the
 * windows of the SAs a recovered tunnel installs again.
 */
class ReplayMarkWriterTest {
    @TempDir
    Path tmp;

    @Test
    void h2() throws Exception {
        JournalSettings h2 = JournalSettings.h2(tmp);
        JournalSchema.createIfMissing(h2);
        marksFollowTheirSas(h2);
    }

    @Test
    void postgres() throws Exception {
        JournalSettings pg = PgTest.server();
        JournalSchema.createIfMissing(pg);
        marksFollowTheirSas(pg);
    }

    private final String label = "rm-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<InboundSa> installed = new CopyOnWriteArrayList<>();
    private final AtomicBoolean acting = new AtomicBoolean(true);

    private static InboundSa inbound(String label, int spi, boolean esn) {
        return new InboundSa(label, spi, "aes128gcm16", new ReplayWindow(64, esn), new Selectors(List.of(), List.of()),
                1360, 1340, 1);
    }

    /** Receives {@code seq} as a worker does (check, ICV assumed good, update). */
    private static boolean receive(InboundSa sa, long seq) {
        long s = sa.replayCheck((int) seq);
        return s != ReplayWindow.REJECT && sa.replayUpdate(s);
    }

    private static void receiveUpTo(InboundSa sa, long from, long to) {
        for (long s = from; s <= to; s++) {
            assertThat(receive(sa, s)).isTrue();
        }
    }

    private void marksFollowTheirSas(JournalSettings db) throws Exception {
        ReplayMarks marks = new ReplayMarks();
        ReplayMarkWriter writer = new ReplayMarkWriter(db, () -> List.copyOf(installed), marks, acting::get,
                Duration.ofSeconds(1), Duration.ZERO);
        int spi = 0xC0DE_0001; // above 2^31: stored unsigned
        InboundSa sa = inbound(label, spi, false);
        installed.add(sa);
        receiveUpTo(sa, 1, 10);
        writer.sample();
        assertThat(row(db, spi)).contains(10L);

        // not advanced: nothing written (another writer's lower value stays), advanced: GREATEST
        set(db, spi, 7);
        writer.sample();
        assertThat(row(db, spi)).contains(7L);
        receiveUpTo(sa, 11, 61);
        writer.sample();
        assertThat(row(db, spi)).contains(61L);
        set(db, spi, 1000); // a higher mark (another node's): never lowered
        receive(sa, 62);
        writer.sample();
        assertThat(row(db, spi)).contains(1000L);
        set(db, spi, 62);

        // ESN: a 64-bit mark
        int esnSpi = 0x0000_2002;
        InboundSa esn = inbound(label, esnSpi, true);
        installed.add(esn);
        assertThat(esn.replayUpdate(0x1_0000_0005L)).isTrue();
        writer.sample();
        assertThat(row(db, esnSpi)).contains(0x1_0000_0005L);

        // a restart: the tunnel's marks read back; a window started there drops what was received, takes what follows
        ReplayMarks recovered = new ReplayMarks();
        ReplayMarkWriter restarted = new ReplayMarkWriter(db, List::of, recovered, () -> true, Duration.ofSeconds(1),
                Duration.ZERO);
        restarted.recover(label);
        assertThat(recovered.markFor(label, spi)).isEqualTo(62L);
        assertThat(recovered.markFor(label, esnSpi)).isEqualTo(0x1_0000_0005L);
        assertThat(recovered.markFor(label, 0x9999)).isZero();
        InboundSa again = inbound(label, spi, false);
        again.startAt(recovered.markFor(label, spi));
        assertThat(receive(again, 62)).isFalse();
        assertThat(receive(again, 40)).isFalse();
        assertThat(receive(again, 63)).isTrue();
        InboundSa esnAgain = inbound(label, esnSpi, true);
        esnAgain.startAt(recovered.markFor(label, esnSpi));
        assertThat(receive(esnAgain, 0x1_0000_0005L)).isFalse();
        assertThat(receive(esnAgain, 0x1_0000_0006L)).isTrue();
        assertThat(esnAgain.mark()).isEqualTo(0x1_0000_0006L);

        // an SA removed: its row goes
        installed.remove(esn);
        writer.sample();
        assertThat(row(db, esnSpi)).isEmpty();
        assertThat(row(db, spi)).contains(62L);

        // a new SA on the same SPI that did not start from a mark (new keys): its own mark replaces the row's
        installed.remove(sa);
        InboundSa fresh = inbound(label, spi, false);
        installed.add(fresh);
        receiveUpTo(fresh, 1, 3);
        writer.sample();
        assertThat(row(db, spi)).contains(3L);
        // one that did start from the recovered mark goes on above it (GREATEST)
        installed.remove(fresh);
        installed.add(again);
        set(db, spi, 100);
        writer.sample();
        assertThat(row(db, spi)).contains(100L);

        // a node that may not act (a pair member that lost its lease, its SAs removed) deletes nothing
        acting.set(false);
        installed.clear();
        writer.sample();
        assertThat(row(db, spi)).contains(100L);

        // the sweep: rows of SAs that never came back go once the node has acted for the grace period
        acting.set(true);
        writer.sample(); // active from now
        writer.sample(); // grace (0 here) over: swept
        assertThat(row(db, spi)).isEmpty();
    }

    private Optional<Long> row(JournalSettings db, int spi) throws SQLException {
        String sql = db.h2() ? "SELECT \"mark\" FROM \"replay_mark\" WHERE \"label\" = ? AND \"spi\" = ?"
                : "SELECT mark FROM replay_mark WHERE label = ? AND spi = ?";
        try (Connection c = JournalSchema.connect(db); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, label);
            s.setLong(2, Integer.toUnsignedLong(spi));
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    /** Another writer's value (or an older one), written behind the writer's back. */
    private void set(JournalSettings db, int spi, long mark) throws SQLException {
        String sql = db.h2() ? "UPDATE \"replay_mark\" SET \"mark\" = ? WHERE \"label\" = ? AND \"spi\" = ?"
                : "UPDATE replay_mark SET mark = ? WHERE label = ? AND spi = ?";
        try (Connection c = JournalSchema.connect(db); PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, mark);
            s.setString(2, label);
            s.setLong(3, Integer.toUnsignedLong(spi));
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
    }
}
