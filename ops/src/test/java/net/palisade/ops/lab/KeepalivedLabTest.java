package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.palisade.api.ApiServer;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.lab.Lab;
import net.palisade.dataplane.testkit.LabPrefix;
import net.palisade.dataplane.testkit.TestPrograms;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The virtual outside address follows the active role: two pair members (real PostgreSQL), each gateway's
 * keepalived (Debian's) in its own namespace on one real Linux bridge with a client, configured as
 * {@code ops/ha/keepalived.conf.example} with {@code ops/ha/palisade-ha-check} as its two track scripts (node alive:
 * else FAULT; node active: higher priority) and {@code palisade-ha-notify} as notify hook. The address is on the
 * active node's gateway only; when that node stops, its gateway resigns (FAULT) and the address moves to the other
 * within seconds, never on both, and the client's neighbour entry follows (keepalived's gratuitous ARP).
 * The nodes run in the test JVM, so the track script enters the test's network namespace to reach their APIs
 * ({@code nsenter}); on a real gateway node and keepalived share one. Needs root; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class KeepalivedLabTest {
    static final String VIP = "192.0.2.10";

    @TempDir
    Path tmp;

    final String prefix = LabPrefix.claim(KeepalivedLabTest.class);
    final List<AutoCloseable> open = new ArrayList<>();
    final List<Process> daemons = new ArrayList<>();

    @AfterEach
    void down() throws Exception {
        for (Process p : daemons) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        for (String n : List.of("br", "gw1", "gw2", "cl")) {
            Lab.sh("ip", "netns", "del", ns(n));
        }
    }

    String ns(String name) {
        return prefix + "-" + name;
    }

    static JournalSettings pg() {
        String url = System.getenv("PALISADE_TEST_PG_URL");
        if (url == null) {
            String why = "PALISADE_TEST_PG_URL is not set: run the suite with ops/bin/test (as root it starts PostgreSQL)";
            Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), why);
            throw new AssertionError(why + ", or pass -Dpalisade.skipExternal=true to skip");
        }
        return JournalSettings.postgres(url, System.getenv("PALISADE_TEST_PG_USER"),
                System.getenv("PALISADE_TEST_PG_PASSWORD"));
    }

    void must(Lab.Result r, String what) {
        assertThat(r.exit()).as("%s: %s", what, r.output()).isZero();
    }

    /** A bridge namespace and three hosts on it (gw1 .1, gw2 .2, client .100), each host's port named eth0. */
    void bridge() throws Exception {
        for (String n : List.of("br", "gw1", "gw2", "cl")) {
            Lab.sh("ip", "netns", "del", ns(n));
            must(Lab.sh("ip", "netns", "add", ns(n)), "netns " + n);
        }
        must(Lab.in(ns("br"), "ip", "link", "add", "br0", "type", "bridge"), "bridge");
        must(Lab.in(ns("br"), "ip", "link", "set", "br0", "up"), "bridge up");
        String[][] hosts = {{"gw1", "192.0.2.1"}, {"gw2", "192.0.2.2"}, {"cl", "192.0.2.100"}};
        for (String[] h : hosts) {
            must(Lab.in(ns("br"), "ip", "link", "add", "p-" + h[0], "type", "veth", "peer", "name", "eth0", "netns",
                    ns(h[0])), "veth " + h[0]);
            must(Lab.in(ns("br"), "ip", "link", "set", "p-" + h[0], "master", "br0", "up"), "port " + h[0]);
            must(Lab.in(ns(h[0]), "ip", "addr", "add", h[1] + "/24", "dev", "eth0"), "address " + h[0]);
            must(Lab.in(ns(h[0]), "ip", "link", "set", "eth0", "up"), "up " + h[0]);
            must(Lab.in(ns(h[0]), "ip", "link", "set", "lo", "up"), "lo " + h[0]);
        }
    }

    record Member(ControlPlane node, ServerBinding api, Path token) {}

    Member member(Path data, int clusterPort, List<String> seeds, JournalSettings db) throws Exception {
        ControlPlane cp = ControlPlane.start(Settings.defaults(data).withCluster("127.0.0.1", clusterPort, seeds)
                .withJournal(db));
        open.add(cp);
        cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Path token = data.resolve("api-token");
        ServerBinding b = new ApiServer(TokenFile.loadOrCreate(token), cp, Optional::empty, () -> true)
                .bind(cp.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
        open.add(() -> b.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS));
        return new Member(cp, b, token);
    }

    /** keepalived in gw's namespace, configured as the example in ops/ha, checking {@code m}'s API. */
    Process keepalived(String gw, Member m) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("keepalived-" + gw));
        String self = "/proc/" + ProcessHandle.current().pid() + "/ns/net";
        Path check = Path.of("ha/palisade-ha-check").toAbsolutePath();
        Path notify = Path.of("ha/palisade-ha-notify").toAbsolutePath();
        String example = Files.readString(Path.of("ha/keepalived.conf.example"));
        String conf = example.replace("router_id gw1", "router_id " + gw)
                .replace("    enable_script_security\n", "") // the test's scripts live in a work tree
                .replace("\"/usr/lib/palisade/palisade-ha-check", "\"/usr/bin/nsenter --net=" + self
                        + " /usr/bin/env PALISADE_API=127.0.0.1:" + m.api().localAddress().getPort()
                        + " PALISADE_TOKEN_FILE=" + m.token() + " " + check)
                .replace("\"/usr/lib/palisade/palisade-ha-notify /run/palisade/vrrp-state\"",
                        "\"" + notify + " " + dir.resolve("state") + "\"");
        Files.writeString(dir.resolve("keepalived.conf"), conf);
        Process p = new ProcessBuilder("ip", "netns", "exec", ns(gw), "keepalived", "--dont-fork", "--log-console",
                "--log-detail", "--vrrp", "-f", dir.resolve("keepalived.conf").toString(),
                "-p", dir.resolve("keepalived.pid").toString(), "-r", dir.resolve("vrrp.pid").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        daemons.add(p);
        return p;
    }

    boolean hasVip(String gw) throws Exception {
        return Lab.in(ns(gw), "ip", "-4", "-o", "addr", "show", "dev", "eth0").output().contains(" " + VIP + "/");
    }

    String mac(String gw) throws Exception {
        String out = Lab.in(ns(gw), "cat", "/sys/class/net/eth0/address").output().strip();
        assertThat(out).matches("[0-9a-f:]{17}");
        return out;
    }

    String clientSees() throws Exception {
        Lab.in(ns("cl"), "ping", "-c", "1", "-W", "1", VIP);
        return Lab.in(ns("cl"), "ip", "neigh", "show", VIP, "dev", "eth0").output();
    }

    String logs() throws Exception {
        StringBuilder b = new StringBuilder();
        for (String gw : List.of("gw1", "gw2")) {
            Path log = tmp.resolve("keepalived-" + gw).resolve("log");
            b.append("\n--- ").append(gw).append(":\n").append(Files.exists(log) ? Files.readString(log) : "(none)");
        }
        return b.toString();
    }

    @Test
    void theVirtualAddressFollowsTheActiveLease() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        TestPrograms.require("ip", "keepalived", "nsenter", "ping", "curl");
        JournalSettings db = pg();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement s = c.createStatement()) {
            JournalSchema.createIfMissing(db);
            // the product's own table: a stand-in created here would shadow it (IF NOT EXISTS) on a fresh database
            net.palisade.controlplane.cluster.LeaseTable.createIfMissing(c);
            s.execute("TRUNCATE event_journal, event_tag, snapshot, palisade_lease");
        }
        bridge();
        int portA;
        try (var s = new java.net.ServerSocket(0)) {
            portA = s.getLocalPort();
        }
        Member a = member(tmp.resolve("a"), portA, List.of(), db);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.node().role().active());
        Path dataB = Files.createDirectories(tmp.resolve("b"));
        for (String f : List.of("node.key", "cluster.p12")) {
            Files.copy(tmp.resolve("a").resolve(f), dataB.resolve(f));
        }
        Member b = member(dataB, 0, List.of("127.0.0.1:" + portA), db);
        await().atMost(Duration.ofSeconds(10)).until(() -> "standby".equals(b.node().cluster().role()));

        keepalived("gw1", a);
        keepalived("gw2", b);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(hasVip("gw1")).as("VIP on the active node's gateway%s", logs()).isTrue());
        assertThat(hasVip("gw2")).isFalse();
        String gw1 = mac("gw1");
        String gw2 = mac("gw2");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clientSees()).contains(gw1));

        // watch both gateways while the address moves: never on both at once
        AtomicBoolean both = new AtomicBoolean();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = Thread.ofVirtual().start(() -> {
            while (watching.get()) {
                try {
                    if (hasVip("gw1") && hasVip("gw2")) {
                        both.set(true);
                    }
                } catch (Exception e) {
                    return;
                }
            }
        });
        long stopped = System.nanoTime();
        a.api().unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // the active node goes away: it releases the lease, b becomes active. Its shutdown goes on in the
        // background (it can take longer than the move itself), the move is timed from its start
        Thread closing = Thread.ofVirtual().start(() -> a.node().close());
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(hasVip("gw2")).as("VIP moved to gw2%s", logs()).isTrue());
        Duration moved = Duration.ofNanos(System.nanoTime() - stopped);
        closing.join(Duration.ofSeconds(60));
        watching.set(false);
        watcher.join();
        assertThat(b.node().role().active()).isTrue();
        assertThat(hasVip("gw1")).isFalse();
        assertThat(both.get()).as("the address was never on both gateways").isFalse();
        assertThat(moved).as("stop to address on gw2").isLessThan(Duration.ofSeconds(8));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clientSees()).contains(gw2));
        assertThat(Files.readString(tmp.resolve("keepalived-gw1").resolve("state"))).contains("MASTER")
                .contains("FAULT");
        // the standby's gateway waits as BACKUP (its node answers, with the lower priority), not in FAULT: it takes the
        // address as soon as the other resigns
        assertThat(Files.readString(tmp.resolve("keepalived-gw2").resolve("state"))).contains("BACKUP")
                .contains("MASTER");
        System.out.println("keepalived lab: virtual address on gw2 " + moved.toMillis() + " ms after the active node stopped"
                + "\n--- gw1 states:\n" + Files.readString(tmp.resolve("keepalived-gw1").resolve("state"))
                + "--- gw2 states:\n" + Files.readString(tmp.resolve("keepalived-gw2").resolve("state")));
    }
}
