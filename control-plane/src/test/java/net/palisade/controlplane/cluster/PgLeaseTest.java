package net.palisade.controlplane.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PostgreSQL lease against a real server: one holder at a time, epochs, expiry, the lost callback. */
class PgLeaseTest {
    static final Duration TTL = Duration.ofMillis(1500);
    static final Duration EVERY = Duration.ofMillis(150);

    static JournalSettings pg;
    final List<AutoCloseable> open = new ArrayList<>();
    final String name = "test-" + UUID.randomUUID();

    @BeforeAll
    static void server() {
        pg = PgTest.server();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    PgLease lease(String owner, JournalSettings db) {
        PgLease l = new PgLease(PgLease.settings(name, owner, TTL, EVERY, Duration.ofSeconds(5)), db);
        open.add(l);
        return l;
    }

    static boolean get(java.util.concurrent.CompletionStage<Boolean> s) throws Exception {
        return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    LeaseTable.Row row() throws Exception {
        try (Connection c = JournalSchema.connect(pg)) {
            return LeaseTable.read(c, name).orElseThrow();
        }
    }

    @Test
    void twoClientsRacingExactlyOneWins() throws Exception {
        for (int round = 0; round < 5; round++) {
            PgLease a = lease("a" + round, pg);
            PgLease b = lease("b" + round, pg);
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Boolean> fa = CompletableFuture.supplyAsync(() -> race(go, a));
            CompletableFuture<Boolean> fb = CompletableFuture.supplyAsync(() -> race(go, b));
            go.countDown();
            boolean ga = fa.get(10, TimeUnit.SECONDS);
            boolean gb = fb.get(10, TimeUnit.SECONDS);
            assertThat(ga ^ gb).as("round %d: exactly one of a=%s b=%s", round, ga, gb).isTrue();
            assertThat(a.checkLease()).isEqualTo(ga);
            assertThat(b.checkLease()).isEqualTo(gb);
            assertThat(row().owner()).isEqualTo(ga ? "a" + round : "b" + round);
            assertThat(get((ga ? a : b).release())).isTrue();
        }
    }

    private static boolean race(CountDownLatch go, PgLease l) {
        try {
            go.await();
            return get(l.acquire());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void epochGrowsWithEachChangeOfHolderNotWithRenewals() throws Exception {
        PgLease a = lease("a", pg);
        PgLease b = lease("b", pg);
        assertThat(get(a.acquire())).isTrue();
        long first = a.epoch();
        assertThat(row().epoch()).isEqualTo(first);
        long renewedBefore = row().renewed().toEpochMilli();
        await().atMost(Duration.ofSeconds(5)).until(() -> row().renewed().toEpochMilli() > renewedBefore + 3 * EVERY.toMillis());
        assertThat(row().epoch()).as("renewals keep the epoch").isEqualTo(first);
        assertThat(get(b.acquire())).as("held by a").isFalse();
        assertThat(get(a.release())).isTrue();
        assertThat(get(b.acquire())).isTrue();
        assertThat(b.epoch()).isEqualTo(first + 1);
        assertThat(get(b.release())).isTrue();
        assertThat(get(a.acquire())).isTrue();
        assertThat(a.epoch()).isEqualTo(first + 2);
        assertThat(row().held()).isTrue();
    }

    @Test
    void anExpiredLeaseGoesToTheNextTakerAfterTheTtlOnly() throws Exception {
        PgLease a = lease("a", pg);
        PgLease b = lease("b", pg);
        assertThat(get(a.acquire())).isTrue();
        long epoch = a.epoch();
        a.close(); // stops renewing, releases nothing: as a node that died
        long t0 = System.nanoTime();
        assertThat(get(b.acquire())).as("not before the TTL").isFalse();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> get(b.acquire()));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(TTL.plusMillis(1000));
        assertThat(b.epoch()).isEqualTo(epoch + 1);
        assertThat(row().owner()).isEqualTo("b");
    }

    @Test
    void aHolderCutOffFromTheDatabaseIsToldItLostTheLeaseBeforeAnotherCanTakeIt() throws Exception {
        try (TcpProxy proxy = new TcpProxy(PgTest.host(pg), PgTest.port(pg))) {
            PgLease a = lease("a", PgTest.through(pg, proxy));
            PgLease b = lease("b", pg);
            List<Optional<Throwable>> lost = new CopyOnWriteArrayList<>();
            List<Long> lostAt = new CopyOnWriteArrayList<>();
            List<LeaseTable.Grant> bGrants = new CopyOnWriteArrayList<>();
            b.listen((g, changed) -> {
                if (changed) {
                    bGrants.add(g);
                }
            });
            assertThat(get(a.acquire(w -> {
                lostAt.add(System.nanoTime());
                lost.add(w);
            }))).isTrue();
            long epoch = a.epoch();
            proxy.blackHole();
            long cut = System.nanoTime();
            await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> !lost.isEmpty());
            assertThat(a.checkLease()).isFalse();
            assertThat(lost.get(0)).as("timed out, with a reason").isPresent();
            assertThat(Duration.ofNanos(lostAt.get(0) - cut)).isLessThanOrEqualTo(TTL.plusMillis(300));
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> get(b.acquire()));
            long bTook = System.nanoTime();
            assertThat(bTook).as("a gave up before b could take it").isGreaterThan(lostAt.get(0));
            assertThat(b.epoch()).isEqualTo(epoch + 1);
            assertThat(bGrants.get(0).previous()).hasValueSatisfying(h -> {
                assertThat(h.owner()).isEqualTo("a");
                assertThat(h.released()).isFalse();
            });
            proxy.heal();
            assertThat(lost).hasSize(1);
            assertThat(get(a.acquire())).as("after healing, b holds it").isFalse();
        }
    }
}
