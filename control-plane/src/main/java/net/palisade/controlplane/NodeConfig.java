package net.palisade.controlplane;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import net.palisade.controlplane.cluster.ClusterTls;
import net.palisade.controlplane.journal.JournalSettings;

/**
 * The Pekko configuration a node runs with, generated from {@link Settings}.
 *
 * <p>Split-brain resolver: {@code keep-majority}. It needs no lease and no fixed cluster size (static-quorum
 * does), and in the common gateway pair a partition leaves one side running (the one with the lowest address
 * breaks the tie) rather than none (static-quorum of 2) or both. keep-oldest would also keep one side of a pair,
 * but keeps a minority with the oldest node in larger clusters.
 */
public final class NodeConfig {
    /** The shared database name in pekko-persistence-jdbc's configuration. */
    static final String DB = "palisade";

    private NodeConfig() {}

    /** Serialization: one marker bound to jackson-cbor, uncompressed. Shared by nodes and offline tools. */
    public static Config serialization() {
        return ConfigFactory.parseString("""
                pekko.actor.serialization-bindings {
                  "net.palisade.model.event.CborSerializable" = jackson-cbor
                }
                pekko.serialization.jackson.jackson-cbor.compression.algorithm = off
                """);
    }

    /**
     * How many batches of events the journal writes at once ({@code jdbc-journal.parallelism}; pekko-persistence-jdbc
     * puts every event that arrives while they are being written into the next batch, up to 400).
     *
     * <p>Embedded H2: one. H2's MVStore has one writer anyway, and each transaction commit writes a new chunk to the
     * file (with {@code WRITE_DELAY=0}, before the commit returns): eight small transactions at once cost eight
     * chunks, one batch of the same events costs one. An event is still acknowledged to its tunnel only after the
     * transaction that holds it committed, so a kill -9 loses no acknowledged event. PostgreSQL keeps the plugin's
     * default of eight: its connections do commit in parallel.
     */
    static int journalWriters(JournalSettings j) {
        return j.h2() ? 1 : 8;
    }

    /**
     * The cluster port with mutual TLS ({@link ClusterTls}): TLS 1.3, AES-GCM suites, a peer must present the
     * cluster's certificate. Host names are not verified: the certificate is the pair's, not a host's.
     */
    static Config clusterTls(ClusterTls tls) {
        String store = tls.store().toAbsolutePath().toString();
        String prefix = "pekko.remote.artery.ssl.config-ssl-engine.";
        return ConfigFactory.empty()
                .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
                .withValue(prefix + "key-store", ConfigValueFactory.fromAnyRef(store))
                .withValue(prefix + "trust-store", ConfigValueFactory.fromAnyRef(store))
                .withValue(prefix + "key-store-password", ConfigValueFactory.fromAnyRef(tls.password()))
                .withValue(prefix + "key-password", ConfigValueFactory.fromAnyRef(tls.password()))
                .withValue(prefix + "trust-store-password", ConfigValueFactory.fromAnyRef(tls.password()))
                .withValue(prefix + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
                .withValue(prefix + "enabled-algorithms",
                        ConfigValueFactory.fromIterable(java.util.List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")))
                .withValue(prefix + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true))
                .withValue(prefix + "hostname-verification", ConfigValueFactory.fromAnyRef(false));
    }

    /** The configuration of a node whose cluster port speaks mutual TLS; {@code settings.overrides()} on top. */
    public static Config node(Settings s, JournalSettings j, ClusterTls tls) {
        return s.overrides().withFallback(clusterTls(tls)).withFallback(node(s, j)).resolve();
    }

    /** The whole configuration of a cluster node (cluster port in plain TCP), {@code settings.overrides()} on top. */
    public static Config node(Settings s, JournalSettings j) {
        Config generated = ConfigFactory.parseString("""
                pekko {
                  loglevel = INFO
                  loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
                  logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
                  actor.provider = cluster
                  cluster {
                    downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                    split-brain-resolver {
                      active-strategy = keep-majority
                      stable-after = 20s
                    }
                    jmx.multi-mbeans-in-same-jvm = on
                  }
                  persistence {
                    journal.plugin = "jdbc-journal"
                    snapshot-store.plugin = "jdbc-snapshot-store"
                  }
                  coordinated-shutdown.exit-jvm = off
                }
                jdbc-journal.use-shared-db = "palisade"
                jdbc-snapshot-store.use-shared-db = "palisade"
                # Thousands of tunnels start or recover at once after a big commit or a restart: their journal calls
                # queue behind a few connections. Give a queued call time instead of opening the breaker at 10 s,
                # which fails every recovery behind it.
                jdbc-journal.circuit-breaker { max-failures = 10, call-timeout = 60s, reset-timeout = 5s }
                # a commit of N tunnels makes N entities persist at once: queue the burst (default 1000 rows) rather
                # than fail writes, which opens the breaker for everyone
                jdbc-journal.bufferSize = 100000
                jdbc-snapshot-store.circuit-breaker { max-failures = 10, call-timeout = 60s, reset-timeout = 5s }
                jdbc-read-journal {
                  use-shared-db = "palisade"
                  refresh-interval = 500ms
                }
                pekko-persistence-jdbc.shared-databases.palisade.db {
                  connectionPool = "HikariCP"
                  numThreads = 4
                  maxConnections = 4
                  minConnections = 1
                  queueSize = 10000
                  connectionTimeout = 30000
                }
                """)
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(s.host()))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(s.port()))
                .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(s.seedNodes()))
                .withValue("pekko-persistence-jdbc.shared-databases.palisade.profile",
                        ConfigValueFactory.fromAnyRef(j.slickProfile()))
                .withValue("pekko-persistence-jdbc.shared-databases.palisade.db.url", ConfigValueFactory.fromAnyRef(j.url()))
                .withValue("pekko-persistence-jdbc.shared-databases.palisade.db.user",
                        ConfigValueFactory.fromAnyRef(j.user()))
                .withValue("pekko-persistence-jdbc.shared-databases.palisade.db.password",
                        ConfigValueFactory.fromAnyRef(j.password()))
                .withValue("pekko-persistence-jdbc.shared-databases.palisade.db.driver",
                        ConfigValueFactory.fromAnyRef(j.driver()))
                .withValue("jdbc-journal.parallelism", ConfigValueFactory.fromAnyRef(journalWriters(j)));
        return s.overrides()
                .withFallback(generated)
                .withFallback(serialization())
                .withFallback(ConfigFactory.load())
                .resolve();
    }
}
