package net.palisade.controlplane;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import net.palisade.controlplane.cluster.ClusterTls;
import net.palisade.controlplane.cluster.JournalFence;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.PublishingJournalDao;

/**
 * The Pekko configuration a node runs with, generated from {@link Settings}.
 *
 * <p>Split-brain resolver. A node alone on embedded H2: {@code keep-majority} (there is nobody to disagree with).
 * A pair member (PostgreSQL journal): {@code lease-majority} with the {@link net.palisade.controlplane.cluster.PgLease}
 * — with two nodes every other strategy downs the survivor of some single failure (keep-majority breaks the tie by
 * lowest address, keep-oldest by age, static-quorum cannot count to 1.5), while a lease in the shared database lets
 * whichever side still reaches the database survive. The pair's failure detection is tuned for a takeover in
 * seconds ({@link #pair}); docs/ha.md lists the knobs.
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
     * How long the journal gathers writes into one transaction after the first ({@link PublishingJournalDao}).
     * Embedded H2: 5 ms, so that a commit (a chunk written to the file, whatever it holds) carries the events of
     * many tunnels: in the IKE setup benchmark most writes otherwise committed alone, and the H2 writer spent 180 µs
     * per setup, 80 with a 2 ms window, 64 with 5 ms (docs/benchmarks.md). The engines never wait for the journal
     * (their reports queue meanwhile), so only an event's acknowledgement is later, by at most the window.
     * PostgreSQL: none, its eight connections commit in parallel (not measured with a window).
     */
    static String groupCommitWindow(JournalSettings j) {
        return j.h2() ? "5ms" : "0ms";
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

    /**
     * The name a pair member gives itself on its journal connections ({@link JournalFence}): its lease owner name,
     * {@code host:port} of its cluster address, as {@link net.palisade.controlplane.cluster.ActiveRole#ownerName}
     * makes it (the port must be known: not 0).
     */
    static String fenceName(Settings s) {
        return s.host() + ":" + s.port();
    }

    /** The key of the active lease's TTL in the node configuration (default {@link #LEASE_TTL}). */
    public static final String LEASE_TTL_KEY = "palisade-ha.lease-ttl";
    /**
     * The default TTL of both leases (active role and split-brain resolver); renewed every TTL/10. A takeover after
     * {@code kill -9} waits out this TTL, then ~0.3-0.5 s of tunnel recovery (HaPairLabTest). Safe at any value
     * because the holder stands down TTL/10 before the database can hand the row on ({@link
     * net.palisade.controlplane.cluster.PgLease}): 1.5 s leaves 150 ms for the fence (IKE, then the SAs), and the
     * new holder sends nothing for another few hundred ms while its tunnels recover. What a shorter TTL costs is
     * tolerance: a database that does not answer for TTL − TTL/10 (1.35 s) makes the active node stand down.
     */
    public static final java.time.Duration LEASE_TTL = java.time.Duration.ofMillis(1500);

    /**
     * A pair member's cluster settings (PostgreSQL journal). Failure detector: a heartbeat every 200 ms and a node
     * suspected after about 1.8 s of silence (acceptable pause 1 s; Pekko's defaults, 1 s and 3 s pause, take ~5.5
     * s). A member that has just joined gets 3 s for its first answer (expected-response-after; Pekko's default 1 s,
     * 400 ms here until 2026-12-07): twice on a loaded machine a standby whose new JVM answered its first heartbeats
     * late was marked unreachable 1.6-2.4 s after it came up and downed. A pause of 3 s for everyone (tried
     * 2026-12-07) also kept it, but stretched the partition case: the standby downed itself 7.2-7.7 s after the cut
     * instead of ~5.4 s, and ha-pair.sh's ping gap across the cut grew to 5.4 s. The resolver decides
     * 2 s after the membership stopped changing (default 20 s), and takes the {@code palisade-sbr} lease row; the
     * minority side waits 1 s more before trying. None of this is on a takeover's path any more: the tunnels follow
     * the active lease ({@link net.palisade.controlplane.cluster.TunnelHost}), not membership; membership still
     * moves the config store singleton to the survivor.
     */
    static Config pair(JournalSettings j, java.time.Duration ttl) {
        long ms = ttl.toMillis();
        return ConfigFactory.parseString("""
                pekko.cluster {
                  split-brain-resolver {
                    active-strategy = lease-majority
                    stable-after = 2s
                    lease-majority {
                      lease-implementation = "palisade-lease"
                      lease-name = "palisade-sbr"
                      acquire-lease-delay-for-minority = 1s
                    }
                  }
                  # removes a downed member 250 ms after the decision instead of up to 1 s: the config store
                  # singleton moves to the survivor only after that removal
                  leader-actions-interval = 250ms
                  failure-detector {
                    heartbeat-interval = 200ms
                    acceptable-heartbeat-pause = 1s
                    threshold = 8.0
                    expected-response-after = 3s
                  }
                }
                palisade-lease {
                  lease-class = "net.palisade.controlplane.cluster.PgLease"
                }
                """)
                // the journal pool keeps all its connections open (Slick's HikariCP: minConnections = 1 otherwise):
                // a standby uses one now and then, and a takeover's recoveries, replay marks and reservations
                // would each wait for PostgreSQL to fork a backend for the others, inside the gap
                .withValue("pekko-persistence-jdbc.shared-databases.palisade.db.minConnections",
                        ConfigValueFactory.fromAnyRef(4))
                .withValue("palisade-lease.heartbeat-timeout", ConfigValueFactory.fromAnyRef(ms + "ms"))
                .withValue("palisade-lease.heartbeat-interval", ConfigValueFactory.fromAnyRef(ms / 10 + "ms"))
                .withValue("palisade-lease.lease-operation-timeout", ConfigValueFactory.fromAnyRef(ms + "ms"))
                .withValue("palisade-lease.url", ConfigValueFactory.fromAnyRef(j.url()))
                .withValue("palisade-lease.user", ConfigValueFactory.fromAnyRef(j.user()))
                .withValue("palisade-lease.password", ConfigValueFactory.fromAnyRef(j.password()));
    }

    /**
     * The pair's knobs given as JVM system properties ({@code PALISADE_JAVA_OPTS="-Dpalisade-ha.lease-ttl=3s
     * -Dpekko.cluster.split-brain-resolver.stable-after=3s"}): only keys under {@code palisade-ha} and
     * {@code pekko.cluster}, laid over the generated configuration (other system properties stay below it).
     */
    static Config haProperties() {
        Config sys = ConfigFactory.systemProperties();
        return sys.withOnlyPath("palisade-ha").withFallback(sys.withOnlyPath("pekko.cluster"));
    }

    /** The active lease's TTL: {@value #LEASE_TTL_KEY} in the overrides or a system property, else {@link #LEASE_TTL}. */
    static java.time.Duration leaseTtl(Settings s) {
        Config c = s.overrides().withFallback(haProperties());
        return c.hasPath(LEASE_TTL_KEY) ? c.getDuration(LEASE_TTL_KEY) : LEASE_TTL;
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
                # the default DAO that also pushes each committed tunnel event to the live stream (LiveEvents)
                jdbc-journal.dao = "net.palisade.controlplane.journal.PublishingJournalDao"
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
                .withValue("jdbc-journal.parallelism", ConfigValueFactory.fromAnyRef(journalWriters(j)))
                .withValue(PublishingJournalDao.WINDOW_KEY, ConfigValueFactory.fromAnyRef(groupCommitWindow(j)));
        if (!j.h2()) {
            generated = pair(j, leaseTtl(s)).withFallback(generated)
                    .withValue("pekko-persistence-jdbc.shared-databases.palisade.db.properties.options",
                            ConfigValueFactory.fromAnyRef(JournalFence.connectionOption(fenceName(s), leaseTtl(s))));
        }
        return s.overrides()
                .withFallback(haProperties())
                .withFallback(generated)
                .withFallback(serialization())
                .withFallback(ConfigFactory.load())
                .resolve();
    }
}
