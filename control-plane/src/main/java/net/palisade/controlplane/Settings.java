package net.palisade.controlplane;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.controlplane.journal.JournalSettings;

/**
 * How to start a control-plane node. Build with {@link #defaults(Path)} and the {@code with...} methods, or read
 * from HOCON with {@link #fromConfig(Config)} (keys under {@code palisade.control-plane}, see the docs).
 *
 * @param dataDir where {@code node.key} and the embedded journal live
 * @param nodeName the name recorded in events; empty means the cluster address {@code host:port}
 * @param host the cluster (Artery) bind and advertised host
 * @param port the cluster port; 0 picks a free one (tests)
 * @param seedNodes cluster seed nodes, {@code HOST:PORT} or {@code pekko://palisade@HOST:PORT} (kept in the second
 *     form); empty means a single node that joins itself
 * @param journal the journal database; empty means embedded H2 in {@code dataDir/journal}
 * @param snapshotEvery snapshot every this many events (tunnels and config store)
 * @param askTimeout how long the facade waits for an answer
 * @param clock the time recorded in events and used for deadlines
 * @param overrides raw Pekko configuration laid over the generated one (tuning, logging)
 */
public record Settings(Path dataDir, Optional<String> nodeName, String host, int port, List<String> seedNodes,
        Optional<JournalSettings> journal, int snapshotEvery, Duration askTimeout, Clock clock, Config overrides) {

    /** The ActorSystem name: every node of a cluster must use it. */
    public static final String SYSTEM_NAME = "palisade";
    /** The default cluster port. */
    public static final int DEFAULT_PORT = 25520;

    public Settings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        seedNodes = seedNodes.stream().map(Settings::seedAddress).toList();
        Objects.requireNonNull(journal, "journal");
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("snapshot-every must be positive");
        }
        Objects.requireNonNull(askTimeout, "askTimeout");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(overrides, "overrides");
    }

    /**
     * A seed as Pekko wants it: {@code HOST:PORT} (or {@code [V6]:PORT}) becomes {@code pekko://palisade@HOST:PORT};
     * a {@code pekko://} address is checked and kept.
     *
     * @throws IllegalArgumentException naming the seed when it is neither
     */
    public static String seedAddress(String text) {
        Objects.requireNonNull(text, "seed");
        String t = text.strip();
        String uri;
        if (t.startsWith("pekko://")) {
            uri = t;
        } else {
            int colon = t.lastIndexOf(':');
            String host = colon > 0 ? t.substring(0, colon) : "";
            if (host.contains(":") && !host.startsWith("[")) {
                host = "[" + host + "]";
            }
            uri = "pekko://" + SYSTEM_NAME + "@" + host + ":" + (colon > 0 ? t.substring(colon + 1) : "");
        }
        try {
            org.apache.pekko.actor.Address a = org.apache.pekko.actor.AddressFromURIString.parse(uri);
            int port = (Integer) a.getPort().orElse(-1);
            if (!SYSTEM_NAME.equals(a.system()) || a.getHost().isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad seed");
            }
            return a.toString();
        } catch (Exception e) { // Pekko throws MalformedURLException unchecked, from Scala
            throw new IllegalArgumentException("seed '" + text + "': expected HOST:PORT (port 1-65535) or pekko://"
                    + SYSTEM_NAME + "@HOST:PORT");
        }
    }

    /** A single node on 127.0.0.1:25520 with embedded H2 under {@code dataDir}. */
    public static Settings defaults(Path dataDir) {
        return new Settings(dataDir, Optional.empty(), "127.0.0.1", DEFAULT_PORT, List.of(), Optional.empty(), 100,
                Duration.ofSeconds(10), Clock.systemUTC(), ConfigFactory.empty());
    }

    /**
     * Reads {@code palisade.control-plane}: {@code data-dir} (required), {@code node-name}, {@code host},
     * {@code port}, {@code seed-nodes}, {@code journal.url}, {@code journal.user}, {@code journal.password},
     * {@code snapshot-every}, {@code ask-timeout}. The whole {@code config} is also laid over the generated Pekko
     * configuration, so {@code pekko.*} keys in it apply.
     */
    public static Settings fromConfig(Config config) {
        Config c = config.getConfig("palisade.control-plane");
        Settings s = defaults(Path.of(c.getString("data-dir")));
        if (c.hasPath("node-name") && !c.getString("node-name").isBlank()) {
            s = s.withNodeName(c.getString("node-name"));
        }
        String host = c.hasPath("host") ? c.getString("host") : s.host();
        int port = c.hasPath("port") ? c.getInt("port") : s.port();
        s = s.withCluster(host, port, c.hasPath("seed-nodes") ? c.getStringList("seed-nodes") : List.of());
        if (c.hasPath("journal.url") && !c.getString("journal.url").isBlank()) {
            s = s.withJournal(new JournalSettings(c.getString("journal.url"),
                    c.hasPath("journal.user") ? c.getString("journal.user") : "",
                    c.hasPath("journal.password") ? c.getString("journal.password") : ""));
        }
        if (c.hasPath("snapshot-every")) {
            s = s.withSnapshotEvery(c.getInt("snapshot-every"));
        }
        if (c.hasPath("ask-timeout")) {
            s = s.withAskTimeout(c.getDuration("ask-timeout"));
        }
        return s.withOverrides(config.withoutPath("palisade"));
    }

    /** The journal to use: the configured one, or H2 under the data directory. */
    public JournalSettings journalOrDefault() {
        return journal.orElseGet(() -> JournalSettings.h2(dataDir));
    }

    public Settings withNodeName(String name) {
        return new Settings(dataDir, Optional.of(name), host, port, seedNodes, journal, snapshotEvery, askTimeout,
                clock, overrides);
    }

    public Settings withCluster(String host, int port, List<String> seedNodes) {
        return new Settings(dataDir, nodeName, host, port, seedNodes, journal, snapshotEvery, askTimeout, clock,
                overrides);
    }

    public Settings withJournal(JournalSettings journal) {
        return new Settings(dataDir, nodeName, host, port, seedNodes, Optional.of(journal), snapshotEvery, askTimeout,
                clock, overrides);
    }

    public Settings withSnapshotEvery(int n) {
        return new Settings(dataDir, nodeName, host, port, seedNodes, journal, n, askTimeout, clock, overrides);
    }

    public Settings withAskTimeout(Duration d) {
        return new Settings(dataDir, nodeName, host, port, seedNodes, journal, snapshotEvery, d, clock, overrides);
    }

    public Settings withClock(Clock c) {
        return new Settings(dataDir, nodeName, host, port, seedNodes, journal, snapshotEvery, askTimeout, c, overrides);
    }

    public Settings withOverrides(Config c) {
        return new Settings(dataDir, nodeName, host, port, seedNodes, journal, snapshotEvery, askTimeout, clock, c);
    }
}
