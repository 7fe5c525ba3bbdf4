package net.palisade.controlplane.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.NodeConfig;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.tunnel.RecordingPorts;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.model.event.Cause;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two pair members on one real PostgreSQL: the active one killed with SIGKILL (a child JVM), or cut off from the
 * database; the other becomes active within the lease TTL, journals the takeover, and its tunnels start there.
 */
class PairTest {
    static final Duration TTL = NodeConfig.LEASE_TTL;

    @TempDir
    Path tmp;

    static JournalSettings pg;
    final List<AutoCloseable> open = new ArrayList<>();
    Process child;

    @BeforeAll
    static void server() {
        pg = PgTest.server();
    }

    /**
     * A fresh journal: the pair's history starts with this test, and ends with it (its events are sealed with a
     * node key no other test has).
     */
    @BeforeEach
    void emptyJournal() throws Exception {
        PgTest.emptyJournal(pg);
    }

    @AfterEach
    void stop() throws Exception {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        emptyJournal();
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The second node shares the first one's node key and cluster certificate, as the docs tell users to copy. */
    static void pairFiles(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        for (String f : List.of("node.key", "cluster.p12")) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
        try (var s = Files.newDirectoryStream(to)) {
            for (Path p : s) {
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    ControlPlane node(Path data, int port, List<String> seeds, JournalSettings db, RecordingPorts ports,
            Transitions seen) throws Exception {
        ControlPlane cp = ControlPlane.start(Settings.defaults(data).withCluster("127.0.0.1", port, seeds)
                .withJournal(db), ports, seen);
        open.add(cp);
        cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        return cp;
    }

    /** Role changes of a node with the instant (nanoTime) each happened. */
    static final class Transitions implements ActiveRole.Listener {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final List<Long> at = new CopyOnWriteArrayList<>();

        @Override
        public synchronized void becameActive(long epoch) {
            at.add(System.nanoTime());
            seen.add("active " + epoch);
        }

        @Override
        public synchronized void becameStandby(Cause cause) {
            at.add(System.nanoTime());
            seen.add("standby " + cause.value());
        }

        /** @return whether a transition starting with {@code prefix} happened (its listeners have all run) */
        boolean became(String prefix) {
            return seen.stream().anyMatch(x -> x.startsWith(prefix));
        }

        /** @return when the first transition starting with {@code prefix} happened */
        synchronized long when(String prefix) {
            for (int i = 0; i < seen.size(); i++) {
                if (seen.get(i).startsWith(prefix)) {
                    return at.get(i);
                }
            }
            throw new AssertionError("no " + prefix + " in " + seen);
        }
    }

    @Test
    void killNineOfTheActiveMakesTheStandbyActiveWithinTheTtlAndItsTunnelsStartThere() throws Exception {
        Path dataA = tmp.resolve("a");
        int portA = freePort();
        int portB = freePort();
        String seedA = "127.0.0.1:" + portA;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path stderr = tmp.resolve("a.err");
        child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), PairMain.class.getName(), dataA.toString(),
                String.valueOf(portA), "-", "commit")
                .redirectError(stderr.toFile()).start();
        List<String> aSays = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    aSays.add(line);
                }
            } catch (java.io.IOException e) {
                // killed
            }
        });
        await().atMost(Duration.ofSeconds(90)).until(() -> aSays.contains("COMMITTED") || !child.isAlive());
        assertThat(aSays).as("a's output; stderr: %s", Files.exists(stderr) ? Files.readString(stderr) : "")
                .contains("UP", "COMMITTED");
        assertThat(aSays).anyMatch(l -> l.startsWith("ACTIVE "));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(aSays).contains(
                "PORT startIke site-b", "PORT startIke legacy-c", "PORT startIke road", "PORT installManual static-d",
                "PORT installManual static-e"));

        Path dataB = tmp.resolve("b");
        pairFiles(dataA, dataB);
        RecordingPorts portsB = new RecordingPorts();
        Transitions bRole = new Transitions();
        ControlPlane b = node(dataB, portB, List.of(seedA), pg, portsB, bRole);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ClusterView v = b.cluster();
            // Up, not only reachable: a member still Joining when a dies would never be removed (see the cut test)
            assertThat(v.members()).hasSize(2).allMatch(m -> m.reachable() && "up".equals(m.status()));
            assertThat(v.role()).isEqualTo("standby");
            assertThat(v.leaseHolder()).contains(seedA);
        });
        assertThat(portsB.calls()).as("the standby runs no tunnel").isEmpty();
        // asked on the standby, a tunnel answers from the active node (the standby's tunnel host forwards the ask)
        TunnelView viaStandby = get(b.tunnel("site-b"));
        assertThat(viaStandby.configured()).isTrue();
        assertThat(viaStandby.kind()).isPresent();
        assertThat(portsB.calls()).as("the standby still runs no tunnel").isEmpty();

        long killed = System.nanoTime();
        child.destroyForcibly(); // SIGKILL
        await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> bRole.became("active"));
        long took = bRole.when("active") - killed;
        assertThat(Duration.ofNanos(took)).as("kill -9 to active").isLessThan(Duration.ofSeconds(3));
        assertThat(bRole.seen).containsExactly("standby lease-held-by-other", "active 2");

        // every tunnel starts on b as soon as it holds the lease: before membership has removed the dead node (the
        // resolver downs it ~2 s after it became unreachable, then the leader removes it), not after
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(portsB.calls()).contains("startIke site-b", "startIke legacy-c", "startIke road",
                        "installManual static-d", "installManual static-e"));
        Duration started = Duration.ofNanos(System.nanoTime() - killed);
        List<String> membersThen = b.cluster().members().stream().map(ClusterView.Member::address).toList();
        assertThat(membersThen).as("members when b's tunnels had started, %s after the kill", started)
                .contains(seedA);
        assertThat(started).as("kill -9 to every tunnel started on b").isLessThan(Duration.ofSeconds(4));

        String self = b.cluster().self();
        // an events-by-tag query waits out gaps in the journal's ordering, such as the killed node's unfinished
        // inserts leave (jdbc-read-journal.journal-sequence-retrieval: up to 10 tries, 1 s apart)
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(get(b.clusterEvents(Optional.empty())))
                .anySatisfy(e -> {
                    assertThat(e).isInstanceOf(HaEvent.Takeover.class);
                    HaEvent.Takeover t = (HaEvent.Takeover) e;
                    assertThat(t.from()).isEqualTo(seedA);
                    assertThat(t.to()).isEqualTo(self);
                    assertThat(t.cause().value()).isEqualTo("lease-expired");
                    assertThat(t.gapMillis()).isBetween(TTL.toMillis(), TTL.toMillis() + 1500);
                }));
        List<HaEvent> events = get(b.clusterEvents(Optional.empty()));
        assertThat(events.stream().map(e -> e.type() + " " + e.node()).toList()).containsSubsequence(
                "ha-active " + seedA, "ha-standby " + self, "ha-takeover " + self, "ha-active " + self);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(b.cluster().members())
                .extracting(ClusterView.Member::address).containsExactly(self));
    }

    @Test
    void anActiveCutOffFromTheDatabaseStopsItsTunnelsBeforeTheOtherTakesOver() throws Exception {
        try (TcpProxy proxy = new TcpProxy(PgTest.host(pg), PgTest.port(pg))) {
            Path dataA = tmp.resolve("a");
            int portA = freePort();
            RecordingPorts portsA = new RecordingPorts();
            Transitions aRole = new Transitions();
            ControlPlane a = node(dataA, portA, List.of(), PgTest.through(pg, proxy), portsA, aRole);
            await().atMost(Duration.ofSeconds(10)).until(() -> a.role().active());
            get(a.commit(Fixtures.CONFIG, "pair", "partition test", Optional.empty()));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(portsA.calls())
                    .contains("startIke site-b", "installManual static-d"));

            Path dataB = tmp.resolve("b");
            pairFiles(dataA, dataB);
            RecordingPorts portsB = new RecordingPorts();
            Transitions bRole = new Transitions();
            ControlPlane b = node(dataB, freePort(), List.of("127.0.0.1:" + portA), pg, portsB, bRole);
            await().atMost(Duration.ofSeconds(10)).until(() -> "standby".equals(b.cluster().role()));

            portsA.clear();
            long cut = System.nanoTime();
            proxy.blackHole();
            await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> bRole.became("active"));
            assertThat(aRole.seen).containsExactly("active 1", "standby lease-lost");
            assertThat(a.role().mayAct()).isFalse();
            assertThat(aRole.when("standby")).as("a stood down before b took over").isLessThan(bRole.when("active"));
            assertThat(Duration.ofNanos(aRole.when("standby") - cut)).isLessThanOrEqualTo(TTL.plusMillis(300));
            assertThat(portsA.calls()).as("a stopped every tunnel").contains("stopIke site-b", "stopIke legacy-c",
                    "stopIke road", "removeManual static-d", "removeManual static-e");
            assertThat(bRole.seen).containsExactly("standby lease-held-by-other", "active 2");
            String answer = get(a.report("site-b", r -> new net.palisade.controlplane.tunnel.TunnelCommand.SaExpired(
                    net.palisade.controlplane.tunnel.TunnelState.MANUAL_SA, Cause.of("dataplane"), r))
                    .handle((v, e) -> e == null ? "written" : e.getMessage()));
            assertThat(answer).as("a's tunnel reports are fenced").contains("not the active one");
            assertThat(a.fencedReports()).isEqualTo(1);
            // a is still a member but lost the lease: its tunnel host stopped its entities, b's started them
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(portsB.calls()).contains(
                    "startIke site-b", "startIke legacy-c", "startIke road", "installManual static-d",
                    "installManual static-e"));
        }
    }

    @Test
    void anActiveNodeWhoseClusterMembershipEndsStepsDownAndHandsOverAtOnce() throws Exception {
        Path dataA = tmp.resolve("a");
        int portA = freePort();
        RecordingPorts portsA = new RecordingPorts();
        Transitions aRole = new Transitions();
        ControlPlane a = node(dataA, portA, List.of(), pg, portsA, aRole);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.role().active());
        get(a.commit(Fixtures.CONFIG, "pair", "leave test", Optional.empty()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(portsA.calls()).contains("startIke site-b"));
        Path dataB = tmp.resolve("b");
        pairFiles(dataA, dataB);
        Transitions bRole = new Transitions();
        RecordingPorts portsBRecorder = new RecordingPorts();
        ControlPlane b = node(dataB, freePort(), List.of("127.0.0.1:" + portA), pg, portsBRecorder, bRole);
        await().atMost(Duration.ofSeconds(10)).until(() -> "standby".equals(b.cluster().role()));
        // a commit through the standby's facade reaches the config store (a singleton on a), and the new tunnel
        // runs on the active node only
        String more = Fixtures.CONFIG + "ike from 10.1.0.0/16 to 10.9.0.0/16 peer 198.51.100.99 psk \"via-standby-psk-123456\" label via-b\n";
        assertThat(get(b.commit(more, "pair", "through the standby", Optional.empty())).revision().id()).isNotBlank();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(portsA.calls()).contains("startIke via-b"));
        assertThat(portsBRecorder.calls()).isEmpty();

        long left = System.nanoTime();
        a.system().terminate(); // as when the resolver downs this node: no close() from the caller
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> bRole.became("active"));
        assertThat(aRole.seen).containsExactly("active 1", "standby cluster-left");
        assertThat(portsA.calls()).contains("stopIke site-b", "removeManual static-d");
        assertThat(aRole.when("standby")).isLessThan(bRole.when("active"));
        assertThat(Duration.ofNanos(bRole.when("active") - left)).as("released, not left to expire")
                .isLessThan(TTL);
    }

    @Test
    void aCutBetweenTheTwoNodesLeavesExactlyOneActive() throws Exception {
        // a reaches b directly; b reaches a only through the proxy (a advertises the proxy's port and binds another)
        int bindA = freePort();
        try (TcpProxy toA = new TcpProxy("127.0.0.1", bindA)) {
            Path dataA = tmp.resolve("a");
            RecordingPorts portsA = new RecordingPorts();
            Transitions aRole = new Transitions();
            ControlPlane a = ControlPlane.start(Settings.defaults(dataA).withCluster("127.0.0.1", toA.port(), List.of())
                    .withJournal(pg).withOverrides(com.typesafe.config.ConfigFactory.parseString(
                            "pekko.remote.artery.bind { hostname = \"127.0.0.1\", port = " + bindA + " }")),
                    portsA, aRole);
            open.add(a);
            a.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> aRole.became("active"));
            Path dataB = tmp.resolve("b");
            pairFiles(dataA, dataB);
            Transitions bRole = new Transitions();
            ControlPlane b = node(dataB, freePort(), List.of("127.0.0.1:" + toA.port()), pg, new RecordingPorts(),
                    bRole);
            // both nodes must see both members Up before the cut: a member still Joining on b's side has no leader
            // there, so its resolver never decides and b would neither down itself nor hear a's decision (gossip
            // from an unreachable node is ignored) -- the race CI hit once
            for (ControlPlane n : List.of(a, b)) {
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(n.cluster().members()).hasSize(2)
                        .allMatch(m -> m.reachable() && "up".equals(m.status())));
            }

            toA.blackHole();
            // each side finds the other unreachable; the resolver's lease lets one side down the other
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                boolean aUp = stillMember(a);
                boolean bUp = stillMember(b);
                assertThat(aUp ^ bUp).as(() -> "exactly one member left (a " + aUp + ", b " + bUp + ")\n"
                        + state("a", a, aRole) + state("b", b, bRole) + leaseRows()).isTrue();
            });
            boolean aSurvived = stillMember(a);
            ControlPlane survivor = aSurvived ? a : b;
            ControlPlane downed = aSurvived ? b : a;
            // a downed node then runs its coordinated shutdown; partitioned, its cluster-exiting phase waits out its
            // 10 s timeout, and every phase's timeouts add up to 75 s
            await().atMost(Duration.ofSeconds(80)).untilAsserted(() -> assertThat(
                    downed.system().whenTerminated().isCompleted()).as(() -> "the downed node terminated\n"
                            + state("a", a, aRole) + state("b", b, bRole) + threads()).isTrue());
            Transitions survivorRole = aSurvived ? aRole : bRole;
            Transitions downedRole = aSurvived ? bRole : aRole;
            await().atMost(Duration.ofSeconds(10)).until(() -> survivor.role().active());
            assertThat(survivorRole.seen.getLast()).startsWith("active ");
            if (!aSurvived) {
                // the active node was downed: it stood down (and released) before b became active
                assertThat(aRole.seen).containsExactly("active 1", "standby cluster-left");
                assertThat(aRole.when("standby")).isLessThan(bRole.when("active"));
            } else {
                assertThat(downedRole.seen).noneMatch(x -> x.startsWith("active"));
            }
        }
    }

    /** @return whether {@code n} still counts itself a member: not downed (nor leaving) in its own view, not terminated */
    static boolean stillMember(ControlPlane n) {
        if (n.system().whenTerminated().isCompleted()) {
            return false;
        }
        var status = org.apache.pekko.cluster.Cluster.get(n.system().classicSystem()).selfMember().status();
        return status == org.apache.pekko.cluster.MemberStatus.up()
                || status == org.apache.pekko.cluster.MemberStatus.weaklyUp()
                || status == org.apache.pekko.cluster.MemberStatus.joining();
    }

    /** What a failed partition test needs to be understood: each node's view of the cluster, its roles, and the leases. */
    /** Every live thread's stack: which one held a downed node's termination when it did not end (seen twice). */
    static String threads() {
        StringBuilder b = new StringBuilder("threads:\n");
        Thread.getAllStackTraces().forEach((t, st) -> {
            b.append(t.getName()).append(' ').append(t.getState()).append('\n');
            for (StackTraceElement e : st) {
                b.append("    at ").append(e).append('\n');
            }
        });
        return b.toString();
    }

    static String state(String name, ControlPlane n, Transitions role) {
        String view;
        try {
            view = n.system().whenTerminated().isCompleted() ? "terminated"
                    : "self " + org.apache.pekko.cluster.Cluster.get(n.system().classicSystem()).selfMember().status()
                            + ", members " + n.cluster().members();
        } catch (RuntimeException e) {
            view = "unreadable: " + e;
        }
        return name + ": " + view + ", roles " + role.seen + "\n";
    }

    static String leaseRows() {
        try (Connection c = JournalSchema.connect(pg); Statement s = c.createStatement();
                var r = s.executeQuery("SELECT * FROM palisade_lease")) {
            StringBuilder b = new StringBuilder("lease rows at " + java.time.Instant.now() + ":");
            while (r.next()) {
                b.append("\n  ");
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                    b.append(r.getMetaData().getColumnName(i)).append('=').append(r.getString(i)).append(' ');
                }
            }
            return b.toString();
        } catch (Exception e) {
            return "lease rows unreadable: " + e;
        }
    }

    static <T> T get(java.util.concurrent.CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
