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

    @Test
    void aJournalLikeStoreIsAskedAheadAndAResumedSaStartsAboveItsLastDurableReservation() {
        SlowStore store = new SlowStore();
        OutboundSa sa = sa(store);
        // installing does not wait; the first packet waits for the first block to be durable
        assertThat(sa.nextSequence()).isEqualTo(1);
        assertThat(store.durable.get(0x2002)).isEqualTo(SequenceReservations.BLOCK + 1);
        long last = 0;
        for (long i = 1; i < SequenceReservations.BLOCK * 2; i++) {
            long n = sa.nextSequence();
            assertThat(n).isGreaterThan(last);
            // no number is handed out that a durable reservation does not cover
            assertThat(n).isLessThanOrEqualTo(store.durable.get(0x2002));
            last = n;
        }
        // the next block was asked for at half of the current one, not when it ran out
        assertThat(store.asked.size()).isBetween(3, 5);

        // "kill -9": whatever was sent, a resumed SA with the same SPI starts above the last durable reservation
        long durable = store.durable.get(0x2002);
        OutboundSa resumed = sa(store);
        assertThat(resumed.nextSequence()).isGreaterThan(durable).isGreaterThan(last);
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
        long first = resumed.nextSequence();
        assertThat(first).isGreaterThan(SequenceReservations.BLOCK).isGreaterThan(sentBefore);
        assertThat(store.durable.get(0x2002)).as("and only once it is reserved").isGreaterThanOrEqualTo(first);
        // configured (manual) keys never use the first block unreserved, so they start at 1 after a reservation
        assertThat(sa(new SlowStore(), KeyOrigin.CONFIGURED).nextSequence()).isEqualTo(1);
    }
}
