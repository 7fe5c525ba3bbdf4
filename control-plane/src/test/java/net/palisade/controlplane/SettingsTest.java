package net.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.journal.JournalSettings;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void readsEveryKeyAndGeneratesTheNodeConfig() {
        Settings s = Settings.fromConfig(ConfigFactory.parseString("""
                palisade.control-plane {
                  data-dir = "/var/lib/palisade"
                  node-name = gw1
                  host = "10.0.0.1"
                  port = 25521
                  seed-nodes = ["pekko://palisade@10.0.0.1:25521", "pekko://palisade@10.0.0.2:25521"]
                  journal { url = "jdbc:postgresql://db:5432/palisade", user = palisade, password = "s3cret" }
                  snapshot-every = 50
                  ask-timeout = 3s
                }
                pekko.loglevel = DEBUG
                """));
        assertThat(s.nodeName()).contains("gw1");
        assertThat(s.snapshotEvery()).isEqualTo(50);
        assertThat(s.askTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.journalOrDefault().toString()).doesNotContain("s3cret");
        Config c = NodeConfig.node(s, s.journalOrDefault());
        assertThat(c.getString("pekko.actor.provider")).isEqualTo("cluster");
        assertThat(c.getString("pekko.cluster.split-brain-resolver.active-strategy"))
                .as("a pair on PostgreSQL: the lease decides, so either node can survive the other")
                .isEqualTo("lease-majority");
        assertThat(c.getString("palisade-lease.lease-class")).endsWith("PgLease");
        assertThat(c.getDuration("palisade-lease.heartbeat-timeout")).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.getDuration("palisade-lease.heartbeat-interval")).isEqualTo(Duration.ofMillis(150));
        assertThat(c.getDuration("pekko.cluster.failure-detector.heartbeat-interval")).isEqualTo(Duration.ofMillis(200));
        assertThat(c.getDuration("pekko.cluster.split-brain-resolver.stable-after")).isEqualTo(Duration.ofSeconds(2));
        assertThat(NodeConfig.node(Settings.defaults(Path.of("/data")), Settings.defaults(Path.of("/data"))
                .journalOrDefault()).getString("pekko.cluster.split-brain-resolver.active-strategy"))
                .as("a node alone on H2").isEqualTo("keep-majority");
        assertThat(c.getString("pekko.remote.artery.canonical.hostname")).isEqualTo("10.0.0.1");
        assertThat(c.getInt("pekko.remote.artery.canonical.port")).isEqualTo(25521);
        assertThat(c.getStringList("pekko.cluster.seed-nodes")).hasSize(2);
        assertThat(c.getString("pekko-persistence-jdbc.shared-databases.palisade.profile"))
                .isEqualTo("slick.jdbc.PostgresProfile$");
        assertThat(c.getString("pekko.actor.serialization-bindings.\"net.palisade.model.event.CborSerializable\""))
                .isEqualTo("jackson-cbor");
        assertThat(c.getString("pekko.loglevel")).as("overrides win").isEqualTo("DEBUG");
        assertThat(c.getInt("jdbc-journal.parallelism")).as("PostgreSQL commits batches in parallel").isEqualTo(8);
        assertThat(NodeConfig.node(Settings.defaults(Path.of("/data")), Settings.defaults(Path.of("/data"))
                .journalOrDefault()).getInt("jdbc-journal.parallelism"))
                .as("embedded H2: one batch at a time, the next one gathers what arrives meanwhile").isEqualTo(1);
    }

    @Test
    void seedsAreHostPortOrPekkoAddresses() {
        assertThat(Settings.seedAddress("10.0.0.2:25520")).isEqualTo("pekko://palisade@10.0.0.2:25520");
        assertThat(Settings.seedAddress("gw2.example:25521")).isEqualTo("pekko://palisade@gw2.example:25521");
        assertThat(Settings.seedAddress("[2001:db8::2]:25520")).isEqualTo("pekko://palisade@[2001:db8::2]:25520");
        assertThat(Settings.seedAddress("pekko://palisade@10.0.0.2:25520")).isEqualTo("pekko://palisade@10.0.0.2:25520");
        for (String bad : List.of("10.0.0.2", "10.0.0.2:", ":25520", "10.0.0.2:99999", "10.0.0.2:x",
                "pekko://other@10.0.0.2:25520", "pekko://palisade@10.0.0.2")) {
            assertThatThrownBy(() -> Settings.seedAddress(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("seed '" + bad + "'").hasMessageContaining("HOST:PORT");
        }
        Settings s = Settings.defaults(Path.of("/data")).withCluster("127.0.0.1", 25520, List.of("10.0.0.2:25520"));
        assertThat(s.seedNodes()).containsExactly("pekko://palisade@10.0.0.2:25520");
    }

    @Test
    void thePairsKnobsCanBeGivenAsSystemProperties() {
        Settings s = Settings.defaults(Path.of("/data")).withJournal(JournalSettings.postgres(
                "jdbc:postgresql://db/palisade", "palisade", "x"));
        System.setProperty("palisade-ha.lease-ttl", "3s");
        System.setProperty("pekko.cluster.split-brain-resolver.stable-after", "4s");
        System.setProperty("pekko.loglevel", "OFF");
        ConfigFactory.invalidateCaches();
        try {
            Config c = NodeConfig.node(s, s.journalOrDefault());
            assertThat(NodeConfig.leaseTtl(s)).isEqualTo(Duration.ofSeconds(3));
            assertThat(c.getDuration("palisade-lease.heartbeat-timeout")).isEqualTo(Duration.ofSeconds(3));
            assertThat(c.getDuration("palisade-lease.heartbeat-interval")).isEqualTo(Duration.ofMillis(300));
            assertThat(c.getDuration("pekko.cluster.split-brain-resolver.stable-after")).isEqualTo(Duration.ofSeconds(4));
            assertThat(c.getString("pekko.loglevel")).as("only the pair's keys").isEqualTo("INFO");
        } finally {
            System.clearProperty("palisade-ha.lease-ttl");
            System.clearProperty("pekko.cluster.split-brain-resolver.stable-after");
            System.clearProperty("pekko.loglevel");
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void aPairOnEmbeddedH2IsRefused() {
        Settings s = Settings.defaults(Path.of("/nonexistent/data")).withCluster("127.0.0.1", 0,
                List.of("10.0.0.2:25520"));
        assertThatThrownBy(() -> ControlPlane.start(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PostgreSQL").hasMessageContaining("embedded H2");
    }

    @Test
    void defaultsAreASingleNodeOnEmbeddedH2() {
        Settings s = Settings.defaults(Path.of("/data"));
        assertThat(s.port()).isEqualTo(25520);
        assertThat(s.seedNodes()).isEmpty();
        assertThat(s.journalOrDefault().url()).startsWith("jdbc:h2:file:/data/journal;");
        assertThat(JournalSettings.h2ReadOnly(Path.of("/copy")).url()).endsWith(";ACCESS_MODE_DATA=r");
        assertThatThrownBy(() -> new JournalSettings("jdbc:mysql://x/y", "", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
