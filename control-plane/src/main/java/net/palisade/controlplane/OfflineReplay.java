package net.palisade.controlplane;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * Reads a copied data directory's embedded journal with no node running — {@code palisade replay --data DIR LABEL
 * --at T}. Opens the H2 file read-only ({@code ACCESS_MODE_DATA=r}: nothing in the directory is written), reads the
 * rows with JDBC and decodes them with the node's own serializer (a local ActorSystem, no cluster, no persistence
 * plugin) and the directory's {@code node.key}. State at an instant comes from the same pure event handler the
 * tunnel entity uses.
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
     */
    public static OfflineReplay open(Path dataDir) throws IOException, SQLException {
        if (!Files.isRegularFile(dataDir.resolve("journal.mv.db"))) {
            throw new IOException("no journal in " + dataDir + " (expected journal.mv.db)");
        }
        SecretSealer sealer = new SecretSealer(NodeKey.load(dataDir));
        Connection c = JournalSchema.connect(JournalSettings.h2ReadOnly(dataDir));
        ActorSystem system = ActorSystem.create("palisade-replay", ActorSystemSetup.create(
                BootstrapSetup.create(ConfigFactory.parseString("""
                        pekko.actor.provider = local
                        pekko.loglevel = WARNING
                        pekko.stdout-loglevel = WARNING
                        pekko.coordinated-shutdown.exit-jvm = off
                        """).withFallback(NodeConfig.serialization()).withFallback(ConfigFactory.load()).resolve()),
                JournalMapperFactory.setup(sealer)));
        return new OfflineReplay(c, system);
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
        List<JournalEvent> out = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT \"ordering\", \"sequence_number\", "
                + "\"event_payload\", \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\" "
                + "WHERE \"persistence_id\" = ? AND NOT \"deleted\" ORDER BY \"sequence_number\"")) {
            s.setString(1, TunnelEntity.persistenceId(label).id());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Object event = serialization.deserialize(rs.getBytes(3), rs.getInt(4), rs.getString(5)).get();
                    out.add(new JournalEvent(rs.getLong(1), rs.getLong(2), (TunnelEvent) event));
                }
            }
        }
        return out;
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

    @Override
    public void close() {
        try {
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
