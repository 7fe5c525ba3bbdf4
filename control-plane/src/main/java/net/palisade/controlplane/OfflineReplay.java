package net.palisade.controlplane;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.cluster.HaEvent;
import net.palisade.controlplane.cluster.NodeTimeline;
import net.palisade.controlplane.journal.JournalMapperFactory;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.controlplane.journal.SecretSealer;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Reads a journal with no node running — {@code palisade replay --data DIR LABEL --at T} for a copied data directory's
 * embedded journal, {@code palisade replay --journal-url jdbc:postgresql:... --key K} for a pair's shared PostgreSQL
 * journal. Both are opened read-only: H2 with {@code ACCESS_MODE_DATA=r} (nothing in the directory is written),
 * PostgreSQL in one transaction the server keeps read-only ({@code SET SESSION CHARACTERISTICS AS TRANSACTION READ
 * ONLY}, then JDBC read-only and repeatable read, {@code transaction_read_only} checked to be {@code on} before
 * anything is read: the server refuses any write, and every read sees the same snapshot). Rows are read with JDBC and decoded with the node's own serializer (a local ActorSystem, no
 * cluster, no persistence plugin) and the node key. State at an instant comes from the same pure event handler the
 * tunnel entity uses; the pair's node timeline ({@link HaEvent}) is read from the same journal.
 */
public final class OfflineReplay implements AutoCloseable {
    private final Connection connection;
    private final ActorSystem system;
    private final Serialization serialization;

    private OfflineReplay(Connection connection, ActorSystem system) {
        this.connection = connection;
        this.system = system;
        this.serialization = SerializationExtension.get(system);
    }

    /**
     * Opens {@code dataDir} (it must hold {@code journal.mv.db} and {@code node.key}).
     *
     * @throws IOException when the journal or the key is missing or unreadable
     * @throws SQLException when H2 refuses to open the file
     * @throws UnreadableEvent when the key does not open the journal's secrets
     */
    public static OfflineReplay open(Path dataDir) throws IOException, SQLException {
        if (!Files.isRegularFile(dataDir.resolve("journal.mv.db"))) {
            throw new IOException("no journal in " + dataDir + " (expected journal.mv.db)");
        }
        return open(dataDir, NodeKey.load(dataDir));
    }

    /** Opens {@code dataDir}'s journal with {@code key} (another copy of the node key than the directory's). */
    public static OfflineReplay open(Path dataDir, NodeKey key) throws IOException, SQLException {
        if (!Files.isRegularFile(dataDir.resolve("journal.mv.db"))) {
            throw new IOException("no journal in " + dataDir + " (expected journal.mv.db)");
        }
        return started(JournalSchema.connect(JournalSettings.h2ReadOnly(dataDir)), key);
    }

    /**
     * Opens a PostgreSQL journal (a pair's) read-only, decoding its secrets with {@code key} (the pair's
     * {@code node.key}: both nodes hold the same).
     *
     * @throws SQLException when the server cannot be reached, refuses the login, or holds no journal
     * @throws UnreadableEvent when the key does not open the journal's secrets
     */
    public static OfflineReplay openPostgres(JournalSettings pg, NodeKey key) throws SQLException {
        if (pg.h2()) {
            throw new IllegalArgumentException("not a PostgreSQL URL: " + pg.redactedUrl());
        }
        Properties p = new Properties();
        p.setProperty("user", pg.user());
        p.setProperty("password", pg.password());
        p.setProperty("ApplicationName", "palisade replay");
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "15");
        Connection c = java.sql.DriverManager.getConnection(pg.url(), p);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
            }
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT to_regclass('event_journal') IS NOT NULL, current_setting('transaction_read_only')")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new SQLException("no journal in this database (no table event_journal)", "42P01");
                }
                if (!"on".equals(rs.getString(2))) {
                    throw new SQLException("the server did not make the transaction read-only");
                }
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        return started(c, key);
    }

    private static OfflineReplay started(Connection c, NodeKey key) throws SQLException {
        ActorSystem system = ActorSystem.create("palisade-replay", ActorSystemSetup.create(
                BootstrapSetup.create(ConfigFactory.parseString("""
                        pekko.actor.provider = local
                        pekko.loglevel = WARNING
                        pekko.stdout-loglevel = WARNING
                        pekko.coordinated-shutdown.exit-jvm = off
                        """).withFallback(NodeConfig.serialization()).withFallback(ConfigFactory.load()).resolve()),
                JournalMapperFactory.setup(new SecretSealer(key))));
        OfflineReplay r = new OfflineReplay(c, system);
        try {
            r.checkKey();
        } catch (SQLException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** Decodes the first event of the first tunnel (its {@code configured}, which holds sealed secrets). */
    private void checkKey() throws SQLException {
        List<String> labels = labels();
        if (!labels.isEmpty()) {
            events(TunnelEntity.persistenceId(labels.getFirst()).id(), 1, TunnelEvent.class);
        }
    }

    /** The labels of every tunnel that has events. */
    public List<String> labels() throws SQLException {
        List<String> out = new ArrayList<>();
        String prefix = TunnelEntity.TYPE_KEY.name() + "|";
        try (PreparedStatement s = connection.prepareStatement("SELECT DISTINCT \"persistence_id\" FROM "
                + "\"event_journal\" WHERE \"persistence_id\" LIKE ? ORDER BY \"persistence_id\"")) {
            s.setString(1, prefix + "%");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1).substring(prefix.length()));
                }
            }
        }
        return out;
    }

    /** Every event of tunnel {@code label}, in order. */
    public List<JournalEvent> timeline(String label) throws SQLException {
        return events(TunnelEntity.persistenceId(label).id(), Integer.MAX_VALUE, TunnelEvent.class).stream()
                .map(r -> new JournalEvent(r.ordering(), r.sequenceNr(), r.event())).toList();
    }

    /**
     * The pair's node timeline: every node's {@code ha-active}, {@code ha-standby} and {@code ha-takeover}, ordered
     * by time (each stamped by the clock of the node that recorded it), as {@code GET /v1/cluster/events} serves
     * them. Empty for a node alone (embedded H2), which keeps no timeline.
     */
    public List<HaEvent> nodeTimeline() throws SQLException {
        List<Row<HaEvent>> rows = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        String prefix = NodeTimeline.persistenceId("x").id();
        prefix = prefix.substring(0, prefix.length() - 1);
        try (PreparedStatement s = connection.prepareStatement("SELECT DISTINCT \"persistence_id\" FROM "
                + "\"event_journal\" WHERE \"persistence_id\" LIKE ?")) {
            s.setString(1, prefix + "%");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        for (String id : ids) {
            rows.addAll(events(id, Integer.MAX_VALUE, HaEvent.class));
        }
        return rows.stream().sorted(Comparator.comparing((Row<HaEvent> r) -> r.event().time())
                .thenComparingLong(Row::ordering)).map(Row::event).toList();
    }

    private record Row<E>(long ordering, long sequenceNr, E event) {}

    private <E> List<Row<E>> events(String persistenceId, int limit, Class<E> type) throws SQLException {
        List<Row<E>> out = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT \"ordering\", \"sequence_number\", "
                + "\"event_payload\", \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\" "
                + "WHERE \"persistence_id\" = ? AND NOT \"deleted\" ORDER BY \"sequence_number\"")) {
            s.setString(1, persistenceId);
            s.setMaxRows(limit == Integer.MAX_VALUE ? 0 : limit);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(2);
                    Object event;
                    try {
                        event = serialization.deserialize(rs.getBytes(3), rs.getInt(4), rs.getString(5)).get();
                    } catch (Exception e) { // Try.get rethrows what the serializer threw, checked or not
                        throw new UnreadableEvent(persistenceId, seq, e);
                    }
                    if (!type.isInstance(event)) {
                        throw new UnreadableEvent(persistenceId, seq, new IllegalStateException("a "
                                + event.getClass().getSimpleName() + ", not a " + type.getSimpleName()));
                    }
                    out.add(new Row<>(rs.getLong(1), seq, type.cast(event)));
                }
            }
        }
        return out;
    }

    /**
     * An event the journal holds but this reader cannot decode: most often its secrets were sealed with another node
     * key ({@link #sealedWithAnotherKey()}), else a newer release's event or a damaged row.
     */
    public static final class UnreadableEvent extends IllegalStateException {
        private final boolean keyRefused;

        UnreadableEvent(String persistenceId, long sequenceNr, Throwable cause) {
            super("event " + sequenceNr + " of " + persistenceId + " cannot be read: " + root(cause).getMessage(),
                    cause);
            String m = String.valueOf(root(cause).getMessage());
            this.keyRefused = m.contains("node key") || m.contains("failed authentication");
        }

        /** True when the node key given does not open the event's sealed secrets. */
        public boolean sealedWithAnotherKey() {
            return keyRefused;
        }

        private static Throwable root(Throwable t) {
            Throwable r = t;
            while (r.getCause() != null && r.getCause() != r) {
                r = r.getCause();
            }
            return r;
        }
    }

    /** Tunnel {@code label} as it was at {@code at}: its events up to that instant, replayed. */
    public TunnelView stateAt(String label, Instant at) throws SQLException {
        TunnelState s = TunnelState.empty(label);
        for (JournalEvent e : timeline(label)) {
            if (e.event().time().isAfter(at)) {
                break;
            }
            s = s.apply(e.event());
        }
        return s.view();
    }

    /** The connection the reads use (tests: it must refuse writes). */
    Connection connection() {
        return connection;
    }

    @Override
    public void close() {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback(); // the read-only transaction: it wrote nothing
            }
            connection.close();
        } catch (SQLException e) {
            // read-only: nothing to lose
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
