package net.palisade.controlplane.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.NodeConfig;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's fence on a real PostgreSQL (postgres.sql's trigger, {@link LeaseTable#takeFencingJournal}): a tunnel
 * event is committed only by the holder of the active lease, decided inside the transaction that writes it.
 */
class JournalFenceTest {
    static final String LEASE = ActiveRole.LEASE_NAME;

    @TempDir
    Path tmp;

    JournalSettings pg;
    final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void schema() throws Exception {
        pg = PgTest.server();
        JournalSchema.createIfMissing(pg);
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement()) {
            LeaseTable.createIfMissing(c);
            s.execute("DELETE FROM palisade_lease WHERE name = '" + LEASE + "'");
        }
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        if (pg == null) {
            return; // skipped without a server (-Dpalisade.skipExternal=true): nothing was written
        }
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement()) {
            s.execute("DELETE FROM palisade_lease WHERE name = '" + LEASE + "'");
        }
    }

    /** A connection as a node's journal pool opens it: naming the node for the fence. */
    Connection journalConnectionOf(String node) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", pg.user());
        p.setProperty("password", pg.password());
        p.setProperty("options", JournalFence.connectionOption(node));
        Connection c = DriverManager.getConnection(pg.url(), p);
        open.add(c);
        return c;
    }

    static void insertEvent(Connection c, String persistenceId, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO event_journal (persistence_id, sequence_number,"
                + " writer, write_timestamp, event_ser_id, event_ser_manifest, event_payload)"
                + " VALUES (?, ?, 'test', 0, 1, 'x', ?)")) {
            ps.setString(1, persistenceId);
            ps.setLong(2, seq);
            ps.setBytes(3, new byte[] {1});
            ps.executeUpdate();
        }
    }

    List<Long> sequenceNumbers(String persistenceId) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = JournalSchema.connect(pg); PreparedStatement ps = c.prepareStatement(
                "SELECT sequence_number FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
            ps.setString(1, persistenceId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    /** Expires the row as if its holder had died, then {@code owner} takes it as a standby does. */
    LeaseTable.Grant takeOver(String owner) throws SQLException {
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement()) {
            s.execute("UPDATE palisade_lease SET expires = now() - interval '1 second' WHERE name = '" + LEASE + "'");
            return LeaseTable.takeFencingJournal(c, LEASE, owner, Duration.ofMinutes(1)).orElseThrow();
        }
    }

    /** A persistent actor writing what it is told: the journal path a tunnel entity's events take. */
    record Write(String event, ActorRef<Done> replyTo) {}

    static Behavior<Write> writer(PersistenceId id) {
        return new EventSourcedBehavior<Write, String, List<String>>(id) {
            @Override
            public List<String> emptyState() {
                return List.of();
            }

            @Override
            public CommandHandler<Write, String, List<String>> commandHandler() {
                return (state, w) -> Effect().persist(w.event()).thenReply(w.replyTo(), s -> Done.getInstance());
            }

            @Override
            public EventHandler<List<String>, String> eventHandler() {
                return (state, e) -> {
                    List<String> next = new ArrayList<>(state);
                    next.add(e);
                    return next;
                };
            }
        };
    }

    @Test
    void aNodeWhoseLeaseWasTakenOverHasItsTunnelEventRefusedAndNothingOfItIsJournaled() throws Exception {
        int port = PairTest.freePort();
        String self = "127.0.0.1:" + port;
        try (Connection c = JournalSchema.connect(pg)) {
            assertThat(LeaseTable.acquire(c, LEASE, self, Duration.ofMinutes(1))).isPresent();
        }
        // the node's own journal configuration (pekko-persistence-jdbc on PostgreSQL, its connections named)
        Settings settings = Settings.defaults(tmp).withCluster("127.0.0.1", port, List.of()).withJournal(pg);
        ActorTestKit kit = ActorTestKit.create("fence", NodeConfig.node(settings, pg));
        open.add(kit::shutdownTestKit);
        String label = "fence-" + UUID.randomUUID();
        PersistenceId tunnel = PersistenceId.of("Tunnel", label);
        ActorRef<Write> entity = kit.spawn(writer(tunnel));
        TestProbe<Done> replies = kit.createTestProbe();
        entity.tell(new Write("while-active", replies.ref()));
        replies.expectMessage(Duration.ofSeconds(30), Done.getInstance());

        long epochAfter = takeOver("127.0.0.1:1").epoch();

        TestProbe<Object> watcher = kit.createTestProbe();
        entity.tell(new Write("after-takeover", replies.ref()));
        // the write fails (an event sourced actor stops when its journal write fails), nothing is acknowledged
        watcher.expectTerminated(entity, Duration.ofSeconds(30));
        replies.expectNoMessage(Duration.ofMillis(200));
        assertThat(sequenceNumbers(tunnel.id())).as("the journal of %s", tunnel.id()).containsExactly(1L);
        try (Connection c = JournalSchema.connect(pg)) {
            assertThat(LeaseTable.read(c, LEASE).orElseThrow().epoch()).isEqualTo(epochAfter);
        }

        // what is not a tunnel's is not fenced: the node timeline journals the node's ha-standby after the loss
        PersistenceId timeline = PersistenceId.ofUniqueId("ha-timeline|" + self + "|" + UUID.randomUUID());
        ActorRef<Write> other = kit.spawn(writer(timeline));
        other.tell(new Write("ha-standby", replies.ref()));
        replies.expectMessage(Duration.ofSeconds(30), Done.getInstance());
        assertThat(sequenceNumbers(timeline.id())).containsExactly(1L);
    }

    @Test
    void aTakeoverWaitsForTheOldHoldersEventInFlightWhichCommitsBeforeTheNewEpoch() throws Exception {
        String a = "127.0.0.1:1";
        String b = "127.0.0.1:2";
        try (Connection c = JournalSchema.connect(pg)) {
            assertThat(LeaseTable.acquire(c, LEASE, a, Duration.ofMillis(800))).isPresent();
        }
        String pid = "Tunnel|fence-" + UUID.randomUUID();
        Connection nodeA = journalConnectionOf(a);
        nodeA.setAutoCommit(false);
        insertEvent(nodeA, pid, 1); // checked while A holds the lease; not committed yet
        try (Connection c = JournalSchema.connect(pg)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !LeaseTable.read(c, LEASE).orElseThrow().held());
        }
        Connection nodeB = JournalSchema.connect(pg);
        open.add(nodeB);
        CompletableFuture<Optional<LeaseTable.Grant>> take = CompletableFuture.supplyAsync(() -> {
            try {
                return LeaseTable.takeFencingJournal(nodeB, LEASE, b, Duration.ofMinutes(1));
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        // the lease has expired, yet B cannot take it while A's event is in flight
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !take.isDone());
        nodeA.commit();
        LeaseTable.Grant g = take.get(10, TimeUnit.SECONDS).orElseThrow();
        assertThat(g.previous()).map(LeaseTable.Handover::owner).contains(a);
        // A's next event, after B holds the lease: refused inside its own transaction, nothing of it written
        assertThatThrownBy(() -> insertEvent(nodeA, pid, 2)).isInstanceOf(SQLException.class)
                .hasMessageContaining("journal fence").hasMessageContaining(b)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("PF001"));
        nodeA.rollback();
        assertThat(sequenceNumbers(pid)).containsExactly(1L);
        // B, the holder, writes
        Connection nodeBJournal = journalConnectionOf(b);
        insertEvent(nodeBJournal, pid, 2);
        assertThat(sequenceNumbers(pid)).containsExactly(1L, 2L);
    }

    @Test
    void aHolderCutOffInTheMiddleOfAWriteDoesNotBlockTheTakeoverAndItsWriteIsLost() throws Exception {
        String a = "127.0.0.1:1";
        String b = "127.0.0.1:2";
        Duration ttl = Duration.ofMillis(800);
        try (Connection c = JournalSchema.connect(pg)) {
            assertThat(LeaseTable.acquire(c, LEASE, a, ttl)).isPresent();
        }
        String pid = "Tunnel|fence-" + UUID.randomUUID();
        // A's journal connection as the node opens it, then A goes silent inside the transaction: its COMMIT never
        // comes (a cable pulled; the server would keep the session for as long as TCP keepalive allows)
        Properties p = new Properties();
        p.setProperty("user", pg.user());
        p.setProperty("password", pg.password());
        p.setProperty("options", JournalFence.connectionOption(a, ttl));
        Connection nodeA = DriverManager.getConnection(pg.url(), p);
        open.add(nodeA);
        nodeA.setAutoCommit(false);
        insertEvent(nodeA, pid, 1);
        long t0 = System.nanoTime();
        Connection nodeB = JournalSchema.connect(pg);
        open.add(nodeB);
        // B tries as its role does, once per renewal interval, each attempt bounded by the TTL
        Optional<LeaseTable.Grant> g = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(80))
                .ignoreExceptions().until(() -> LeaseTable.takeFencingJournal(nodeB, LEASE, b, ttl), Optional::isPresent);
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(g.orElseThrow().previous()).map(LeaseTable.Handover::owner).contains(a);
        // the row's TTL, then the server's bound on A's silence: about two TTLs, not the keepalive's hours
        assertThat(tookMillis).as("takeover after A went silent, ms").isLessThan(4 * ttl.toMillis());
        assertThat(sequenceNumbers(pid)).as("A's unfinished write").isEmpty();
        assertThatThrownBy(nodeA::commit).isInstanceOf(SQLException.class);
    }

    @Test
    void aJournalUrlWithItsOwnOptionsIsRefusedAtStartSinceItWouldHideTheNodesName() throws Exception {
        JournalFence.verify(pg, "127.0.0.1:7"); // the plain URL carries the name
        String sep = pg.url().contains("?") ? "&" : "?";
        JournalSettings withOptions = JournalSettings.postgres(pg.url() + sep + "options=-c%20search_path%3Dpublic",
                pg.user(), pg.password());
        assertThatThrownBy(() -> JournalFence.verify(withOptions, "127.0.0.1:7"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("options=")
                .hasMessageContaining("palisade.node");
    }

    @Test
    void aConnectionThatNamesNoNodeIsNotFenced() throws Exception {
        String pid = "Tunnel|fence-" + UUID.randomUUID();
        try (Connection c = JournalSchema.connect(pg)) {
            insertEvent(c, pid, 1); // no lease row at all, no node named: a node of an older release, a tool
        }
        assertThat(sequenceNumbers(pid)).containsExactly(1L);
    }
}
