package net.palisade.dataplane.sa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A manually keyed SA outlives the process: after a restart its sequence numbers (the AES-GCM IVs) must continue
 * above every number the previous process may have sent.
 */
class SequenceReservationsTest {
    @TempDir
    Path dir;

    private OutboundSa sa(SequenceReservations store) {
        return new OutboundSa("site-b", 0x2002, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1400, 2,
                SaEvents.NONE, store);
    }

    @Test
    void aRestartedSaContinuesAboveEverythingTheLastOneMayHaveSent() throws Exception {
        SequenceReservations store = SequenceReservations.inDirectory(dir.resolve("seq"));
        OutboundSa first = sa(store);
        long last = 0;
        for (int i = 0; i < 1000; i++) {
            last = first.nextSequence();
        }
        assertThat(last).isEqualTo(1000);
        Path file = dir.resolve("seq/site-b-00002002");
        assertThat(Files.readString(file).strip()).isEqualTo(Long.toString(1 + SequenceReservations.BLOCK));

        OutboundSa restarted = sa(SequenceReservations.inDirectory(dir.resolve("seq")));
        assertThat(restarted.nextSequence()).isEqualTo(SequenceReservations.BLOCK + 2);
    }

    @Test
    void theReservationMovesAheadBeforeANumberBeyondItIsUsed() throws Exception {
        SequenceReservations store = SequenceReservations.inDirectory(dir);
        OutboundSa sa = sa(store);
        long n = 0;
        for (long i = 0; i < SequenceReservations.BLOCK + 10; i++) {
            n = sa.nextSequence();
        }
        assertThat(n).isEqualTo(SequenceReservations.BLOCK + 10);
        long reserved = Long.parseLong(Files.readString(dir.resolve("site-b-00002002")).strip());
        assertThat(reserved).isGreaterThanOrEqualTo(n);
        assertThat(sa(store).nextSequence()).isGreaterThan(reserved);
    }

    @Test
    void withoutADurableReservationTheSaIsNotInstalled() throws Exception {
        Path notADirectory = dir.resolve("file");
        Files.writeString(notADirectory, "x");
        assertThatThrownBy(() -> sa(SequenceReservations.inDirectory(notADirectory)))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("site-b");

        Files.writeString(dir.resolve("site-b-00002002"), "garbage\n");
        assertThatThrownBy(() -> sa(SequenceReservations.inDirectory(dir)))
                .hasMessageContaining("refusing to guess");
    }

    @Test
    void noneStartsAtOneEveryTime() {
        assertThat(sa(SequenceReservations.NONE).nextSequence()).isEqualTo(1);
        assertThat(sa(SequenceReservations.NONE).nextSequence()).isEqualTo(1);
    }

    /**
     * A store like the journal: slow, answering later on another thread. What it has acknowledged is what survives a
     * crash; {@code failing} makes it refuse.
     */
    static final class SlowStore implements SequenceReservations {
        final ConcurrentHashMap<Integer, Long> durable = new ConcurrentHashMap<>();
        final List<Long> asked = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean failing = new AtomicBoolean();

        @Override
        public boolean ahead() {
            return true;
        }

        @Override
        public long lastReserved(String label, int spi) {
            return durable.getOrDefault(spi, 0L);
        }

        @Override
        public void reserve(String label, int spi, long upTo) {
            throw new AssertionError("an ahead store is only asked ahead");
        }

        @Override
        public void reserveAhead(String label, int spi, long upTo, Consumer<Boolean> done) {
            asked.add(upTo);
            Thread.ofPlatform().start(() -> {
                if (failing.get()) {
                    done.accept(false);
                    return;
                }
                durable.merge(spi, upTo, Math::max);
                done.accept(true);
            });
        }
    }

    /** The first number handed out once the store has answered (packets before are dropped, not waited for). */
    private static long firstSent(OutboundSa sa) {
        long[] n = {0};
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
            n[0] = sa.nextSequence();
            return n[0] != OutboundSa.UNRESERVED;
        });
        return n[0];
    }

    @Test
    void aJournalLikeStoreIsAskedAheadAndAResumedSaStartsAboveItsLastDurableReservation() {
        SlowStore store = new SlowStore();
        OutboundSa sa = sa(store);
        // installing does not wait, nor does a worker: packets are dropped until the first block is durable
        long first = firstSent(sa);
        assertThat(first).isPositive();
        assertThat(store.durable.get(0x2002)).isGreaterThanOrEqualTo(first);
        long last = first;
        for (long i = 1; i < SequenceReservations.BLOCK * 2; i++) {
            long n = sa.nextSequence();
            if (n == OutboundSa.UNRESERVED) {
                continue; // the store's thread has not answered yet: dropped, not waited for
            }
            assertThat(n).isGreaterThan(last);
            // no number is handed out that a durable reservation does not cover
            assertThat(n).isLessThanOrEqualTo(store.durable.get(0x2002));
            last = n;
        }
        // the next block was asked for at half of the current one, not when it ran out
        assertThat(store.asked.size()).isBetween(3, 6);

        // "kill -9": whatever was sent, a resumed SA with the same SPI starts above the last durable reservation
        long durable = store.durable.get(0x2002);
        OutboundSa resumed = sa(store);
        assertThat(firstSent(resumed)).isGreaterThan(durable).isGreaterThan(last);
    }

    @Test
    void whileTheStoreRefusesPacketsBeyondTheReservationAreDroppedAndTheSaGoesOnAfterwards() throws Exception {
        SlowStore store = new SlowStore();
        store.failing.set(true);
        OutboundSa sa = sa(store);
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.UNRESERVED);
        // within the retry pause the packet is dropped at once, without asking again
        int asked = store.asked.size();
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.UNRESERVED);
        assertThat(store.asked).hasSize(asked);
        assertThat(sa.exhausted()).isFalse();
        store.failing.set(false);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> {
            long n = sa.nextSequence();
            return n > 0;
        });
        assertThat(store.durable.get(0x2002)).isGreaterThan(0);
    }

    private OutboundSa sa(SequenceReservations store, KeyOrigin origin) {
        return new OutboundSa("site-b", 0x2002, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1400, 2,
                SaEvents.NONE, store, origin);
    }

    @Test
    void freshlyNegotiatedKeysSendAtOnceEvenWhileTheJournalDoesNotAnswer() {
        SlowStore store = new SlowStore();
        store.failing.set(true); // the journal is down: nothing will ever be durable
        OutboundSa sa = sa(store, KeyOrigin.NEGOTIATED);
        // nobody sent with these keys: the first block needs no reservation, so the first packet is not held up
        for (long i = 1; i <= SequenceReservations.BLOCK / 2 - 1; i++) {
            assertThat(sa.nextSequence()).isEqualTo(i);
        }
        // from half the block on the next block is asked for, and past the block nothing goes out unreserved
        while (sa.nextSequence() != SequenceReservations.BLOCK) {
            // the numbers up to the end of the first block
        }
        assertThat(store.asked).isNotEmpty();
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.UNRESERVED);
    }

    @Test
    void resumedNegotiatedKeysStartAboveTheFirstBlockWhenNothingWasReserved() {
        SlowStore store = new SlowStore();
        OutboundSa before = sa(store, KeyOrigin.NEGOTIATED);
        long sentBefore = 0;
        for (int i = 0; i < 1000; i++) {
            sentBefore = before.nextSequence();
        }
        assertThat(store.durable).as("no reservation was needed for the first 1000").isEmpty();
        // the other node of a pair resumes the same keys after a kill -9: the first block may all have been sent
        OutboundSa resumed = sa(store, KeyOrigin.RESUMED);
        long first = firstSent(resumed);
        assertThat(first).isGreaterThan(SequenceReservations.BLOCK).isGreaterThan(sentBefore);
        assertThat(store.durable.get(0x2002)).as("and only once it is reserved").isGreaterThanOrEqualTo(first);
        // configured (manual) keys never use the first block unreserved: after a reservation, above the drops
        assertThat(firstSent(sa(new SlowStore(), KeyOrigin.CONFIGURED))).isLessThan(SequenceReservations.BLOCK);
    }

    /**
     * A store like the journal whose answers the test gives ({@link #ack}): what it acknowledged is what survives a
     * crash; what it was asked and has not acknowledged is lost with the node. Like the node's
     * {@code JournalSequences} it reports the reservations the tunnel's journal held when it was recovered and those it
     * acknowledged itself since, not what the tunnel entity journaled itself afterwards.
     */
    static final class HeldStore implements SequenceReservations {
        long durable;
        long known;
        final List<Long> asked = new ArrayList<>();
        private final List<Runnable> pending = new ArrayList<>();

        @Override
        public boolean ahead() {
            return true;
        }

        @Override
        public synchronized long lastReserved(String label, int spi) {
            return known;
        }

        @Override
        public void reserve(String label, int spi, long upTo) {
            throw new AssertionError("an ahead store is only asked ahead");
        }

        @Override
        public synchronized void reserveAhead(String label, int spi, long upTo, Consumer<Boolean> done) {
            asked.add(upTo);
            pending.add(() -> {
                synchronized (this) {
                    durable = Math.max(durable, upTo);
                    known = Math.max(known, upTo);
                }
                done.accept(true);
            });
        }

        /** The journal answers every request made so far. */
        void ack() {
            List<Runnable> now;
            synchronized (this) {
                now = List.copyOf(pending);
                pending.clear();
            }
            now.forEach(Runnable::run);
        }

        /** The node dies: requests not answered are lost with it. */
        synchronized void crash() {
            pending.clear();
        }

        /** The next node recovers the tunnel's journal: what it knows is what was durable. */
        synchronized long recover() {
            known = durable;
            return known;
        }

        /**
         * What a node resuming the SA does (the tunnel entity, then the install): journals the first window with its
         * {@code resumed} — durable before the install — and installs the SA holding it.
         */
        OutboundSa resume() {
            long window;
            synchronized (this) {
                window = KeyOrigin.resumedWindow(recover());
                durable = Math.max(durable, window); // journaled with the resumed
            }
            return new OutboundSa("site-b", 0x2002, InetAddress.ofLiteral("192.0.2.1"),
                    new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1400, 2,
                    SaEvents.NONE, this, KeyOrigin.RESUMED, window);
        }
    }

    @Test
    void aResumedSaHoldingItsJournaledWindowSendsAtOnceEvenWhileTheJournalDoesNotAnswer() {
        HeldStore store = new HeldStore();
        store.durable = 3 * SequenceReservations.BLOCK + 17; // the node before had sent into its fourth block
        OutboundSa sa = store.resume();
        long window = store.durable;
        // the first packet goes at once, above everything sent before, and nothing was asked of the journal
        assertThat(sa.nextSequence()).isEqualTo(3 * SequenceReservations.BLOCK + 18);
        assertThat(store.asked).isEmpty();
        // the next window is asked for at half of this one, ahead of use; until it is durable the window is used up
        long last = 0;
        for (long n = sa.nextSequence(); n != OutboundSa.UNRESERVED; n = sa.nextSequence()) {
            assertThat(n).isLessThanOrEqualTo(window);
            last = n;
        }
        assertThat(last).isEqualTo(window);
        assertThat(store.asked).hasSize(1);
        store.ack();
        assertThat(sa.nextSequence()).isGreaterThan(window).isLessThanOrEqualTo(store.durable);
    }

    /**
     * kill -9 at each point of a takeover, several takeovers in a row (one SA, its keys taken over each time): the
     * next node's first number is above every number any node before it may have sent.
     */
    @Test
    void afterAKillAtAnyPointTheNextNodeStartsAboveEverythingThatCouldHaveBeenSent() {
        HeldStore store = new HeldStore();
        long sentMax = 0;
        // node 1 negotiated the keys: its first block is unreserved, it sent 1000 and died
        OutboundSa n1 = new OutboundSa("site-b", 0x2002, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1400, 2,
                SaEvents.NONE, store, KeyOrigin.NEGOTIATED);
        for (int i = 0; i < 1000; i++) {
            sentMax = Math.max(sentMax, n1.nextSequence());
        }
        store.crash();
        // node 2 journals its window and dies before it installs: it sent nothing
        long journaled = KeyOrigin.resumedWindow(store.recover());
        store.durable = Math.max(store.durable, journaled);
        store.crash();
        // node 3 resumes, sends past half its window (the next one is asked for) and dies before the answer
        OutboundSa n3 = store.resume();
        long first3 = n3.nextSequence();
        assertThat(first3).isGreaterThan(sentMax).isGreaterThan(journaled);
        sentMax = first3;
        for (long i = 0; i < SequenceReservations.BLOCK * 3 / 4; i++) {
            sentMax = Math.max(sentMax, n3.nextSequence());
        }
        assertThat(store.asked).isNotEmpty();
        store.crash();
        // node 4 resumes, sends, its next window is acknowledged, it sends into it and dies
        OutboundSa n4 = store.resume();
        long first4 = n4.nextSequence();
        assertThat(first4).isGreaterThan(sentMax);
        sentMax = first4;
        for (long i = 0; i < SequenceReservations.BLOCK * 3 / 4; i++) {
            sentMax = Math.max(sentMax, n4.nextSequence());
        }
        store.ack();
        for (long i = 0; i < SequenceReservations.BLOCK / 2; i++) {
            long n = n4.nextSequence();
            assertThat(n).isNotEqualTo(OutboundSa.UNRESERVED).isLessThanOrEqualTo(store.durable);
            sentMax = Math.max(sentMax, n);
        }
        store.crash();
        // node 5: above all of it
        assertThat(store.resume().nextSequence()).isGreaterThan(sentMax);
    }

    @Test
    void aWindowThatIsNotAboveWhatTheStoreKnowsIsNotUsed() {
        HeldStore store = new HeldStore();
        store.durable = 5 * SequenceReservations.BLOCK;
        store.recover();
        OutboundSa sa = new OutboundSa("site-b", 0x2002, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1400, 2,
                SaEvents.NONE, store, KeyOrigin.RESUMED, 4 * SequenceReservations.BLOCK);
        assertThat(sa.nextSequence()).isEqualTo(OutboundSa.UNRESERVED);
        assertThat(store.asked).hasSize(1);
        store.ack();
        assertThat(sa.nextSequence()).isGreaterThan(5 * SequenceReservations.BLOCK)
                .isLessThanOrEqualTo(store.durable);
    }

    /**
     * A worker serves every SA: an SA whose reservation the journal has not answered drops its packets at once
     * (counted by the worker as {@code seq_unreserved}) instead of holding the worker, and the other SAs go on.
     */
    @Test
    void packetsNoReservationCoversAreDroppedAtOnceAndTheSaSendsOnceItIsDurable() {
        HeldStore store = new HeldStore();
        OutboundSa waiting = sa(store, KeyOrigin.CONFIGURED);
        OutboundSa other = sa(new HeldStore(), KeyOrigin.NEGOTIATED);
        for (int i = 1; i <= 10_000; i++) {
            assertThat(waiting.nextSequence()).isEqualTo(OutboundSa.UNRESERVED);
            assertThat(other.nextSequence()).isEqualTo(i);
        }
        assertThat(store.asked).as("asked once, not once a packet").hasSize(1);
        store.ack();
        long n = waiting.nextSequence();
        // no number was spent on the dropped packets: a journal down for long does not use up the sequence space
        assertThat(n).isEqualTo(1).isLessThanOrEqualTo(store.durable);
    }
}
