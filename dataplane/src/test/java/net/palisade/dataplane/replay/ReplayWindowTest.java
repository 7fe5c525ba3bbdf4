package net.palisade.dataplane.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 4303 Section 3.4.3 / Appendix A and RFC 6479 receive window. */
class ReplayWindowTest {

    /** Receives a packet the way a worker does: check, (ICV assumed good), update. */
    private static boolean receive(ReplayWindow w, long seq) {
        long s = w.check((int) seq);
        return s != ReplayWindow.REJECT && w.update(s);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 128, 192, 1024, 2048, 4096})
    @DisplayName("RFC 4303 Sec. 3.4.3: duplicates are dropped, every window size 64..4096")
    void duplicatesDropped(int size) {
        ReplayWindow w = new ReplayWindow(size, false);
        for (long s = 1; s <= 3L * size; s++) {
            assertThat(receive(w, s)).isTrue();
        }
        for (long s = 2L * size + 1; s <= 3L * size; s++) {
            assertThat(w.check((int) s)).as("seq %d", s).isEqualTo(ReplayWindow.REJECT);
        }
        assertThat(w.duplicates()).isEqualTo(size);
        assertThat(w.highest()).isEqualTo(3L * size);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 128, 1024, 4096})
    @DisplayName("RFC 4303 Sec. 3.4.3: left of the window is dropped; the window's last slot is accepted")
    void leftOfWindowDropped(int size) {
        ReplayWindow w = new ReplayWindow(size, false);
        long top = 10L * size + 17;
        assertThat(receive(w, top)).isTrue();
        assertThat(w.check((int) (top - size))).isEqualTo(ReplayWindow.REJECT);
        assertThat(w.tooOld()).isEqualTo(1);
        assertThat(w.check((int) (top - size + 1))).isEqualTo(top - size + 1);
        assertThat(receive(w, top - size + 1)).isTrue();
        assertThat(receive(w, 1)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 128, 1024, 4096})
    @DisplayName("RFC 4303 Sec. 3.4.3: right of the window slides it; unseen numbers inside stay acceptable")
    void rightOfWindowSlides(int size) {
        ReplayWindow w = new ReplayWindow(size, false);
        for (long s = 1; s <= size; s += 2) {
            assertThat(receive(w, s)).isTrue();
        }
        long jump = size + size / 2;
        assertThat(receive(w, jump)).isTrue();
        for (long s = 1; s <= size; s++) {
            boolean inWindow = jump - s < size;
            boolean seen = (s & 1) == 1;
            assertThat(w.check((int) s) != ReplayWindow.REJECT).as("seq %d", s).isEqualTo(inWindow && !seen);
        }
        // A jump of many windows forgets everything behind.
        assertThat(receive(w, jump + 100L * size)).isTrue();
        assertThat(w.check((int) (jump + 100L * size - 1))).isNotEqualTo(ReplayWindow.REJECT);
        assertThat(w.check((int) jump)).isEqualTo(ReplayWindow.REJECT);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 1024, 4096})
    @DisplayName("Any reordering inside the window is accepted exactly once")
    void reorderingWithinWindow(int size) {
        ReplayWindow w = new ReplayWindow(size, false);
        List<Long> order = new ArrayList<>();
        for (long s = 1; s <= w.size(); s++) {
            order.add(s);
        }
        Collections.shuffle(order, new Random(size));
        for (long s : order) {
            assertThat(receive(w, s)).isTrue();
        }
        for (long s : order) {
            assertThat(receive(w, s)).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 128, 256, 1024, 4096})
    @DisplayName("Random traffic (jumps, duplicates, stale packets) agrees with a set-based model of RFC 4303")
    void agreesWithModel(int size) {
        Random random = new Random(size * 7L);
        ReplayWindow w = new ReplayWindow(size, false);
        Set<Long> seen = new HashSet<>();
        long top = 0;
        long next = 1;
        for (int i = 0; i < 200_000; i++) {
            long seq;
            int kind = random.nextInt(10);
            if (kind < 5) {
                seq = next++;
            } else if (kind < 8) {
                seq = Math.max(1, top - random.nextInt(size + 64));
            } else if (kind < 9) {
                seq = top + 1 + random.nextInt(3 * size);
                next = seq + 1;
            } else {
                seq = Math.max(1, top - random.nextInt(4 * size));
            }
            boolean expected = seq > top || (top - seq < w.size() && !seen.contains(seq));
            assertThat(receive(w, seq)).as("step %d seq %d top %d", i, seq, top).isEqualTo(expected);
            if (expected) {
                seen.add(seq);
                top = Math.max(top, seq);
            }
        }
    }

    @Test
    @DisplayName("RFC 4303 Sec. 3.4.3: the window moves only on update (after the ICV), never on check")
    void checkDoesNotMoveTheWindow() {
        ReplayWindow w = new ReplayWindow(64, false);
        assertThat(receive(w, 100)).isTrue();
        // A forged packet far to the right passes check but fails its ICV: update is never called.
        assertThat(w.check(1_000_000)).isEqualTo(1_000_000);
        assertThat(w.highest()).isEqualTo(100);
        assertThat(receive(w, 99)).isTrue();
        // Two copies of one packet both pass check before either is verified: the second update refuses.
        long a = w.check(101);
        long b = w.check(101);
        assertThat(w.update(a)).isTrue();
        assertThat(w.update(b)).isFalse();
        assertThat(w.duplicates()).isEqualTo(1);
    }

    @Test
    @DisplayName("RFC 4303 Sec. 2.2: sequence number 0 is never valid; 2^32-1 is (without ESN)")
    void zeroAndTopOfSpace() {
        ReplayWindow w = new ReplayWindow(64, false);
        assertThat(w.check(0)).isEqualTo(ReplayWindow.REJECT);
        assertThat(w.invalid()).isEqualTo(1);
        assertThat(receive(w, 0xFFFF_FFFFL)).isTrue();
        assertThat(w.highest()).isEqualTo(0xFFFF_FFFFL);
        assertThat(receive(w, 0xFFFF_FFFEL)).isTrue();
    }

    @Test
    @DisplayName("RFC 4303 App. A2.2: ESN inference across 2^32, both window cases")
    void esnAcrossTheWrap() {
        ReplayWindow w = new ReplayWindow(128, true);
        for (long s = 0xFFFF_FF00L; s <= 0xFFFF_FFFFL; s += 3) {
            assertThat(receive(w, s)).isTrue();
        }
        // Case A (window inside subspace 0): a small low half belongs to the next subspace.
        assertThat(w.check(2)).isEqualTo(0x1_0000_0002L);
        assertThat(receive(w, 0x1_0000_0002L)).isTrue();
        assertThat(w.highest()).isEqualTo(0x1_0000_0002L);
        // Case B (window spans the wrap): a late packet from before the wrap is still inferred in subspace 0.
        assertThat(w.check(0xFFFF_FFFE)).isEqualTo(0xFFFF_FFFEL);
        assertThat(receive(w, 0xFFFF_FFFEL)).isTrue();
        assertThat(receive(w, 0xFFFF_FFFEL)).isFalse();
        assertThat(w.check(0xFFFF_FFFF)).isEqualTo(ReplayWindow.REJECT); // seen before the wrap
        // Far from the window: App. A2.2 places it in the current subspace, i.e. far ahead. It passes the cheap
        // check and only its ICV (computed with that high half) can accept it.
        assertThat(w.check(0x8000_0000)).isEqualTo(0x1_8000_0000L);
        // Just under the window bottom: with ESN it is inferred ahead too (an old packet then fails its ICV,
        // see SenderReceiverTest); without ESN the same distance is dropped as too old (leftOfWindowDropped).
        assertThat(w.check(0xFFFF_FF82)).isEqualTo(0x1_FFFF_FF82L);
        assertThat(w.check(0xFFFF_FF83)).isEqualTo(0xFFFF_FF83L);
        // Just above the current top: new, in subspace 1.
        assertThat(w.check(100)).isEqualTo(0x1_0000_0064L);
        // A low half of 0 is legal with ESN once the high half is not 0.
        assertThat(receive(w, 0x1_0000_0000L)).isTrue();
    }

    @Test
    @DisplayName("RFC 4303 App. A2.2: before any packet, low halves just under 2^32 would be below 0: rejected")
    void esnStart() {
        ReplayWindow w = new ReplayWindow(64, true);
        assertThat(w.check(0xFFFF_FFF0)).isEqualTo(ReplayWindow.REJECT);
        assertThat(w.check(0)).isEqualTo(ReplayWindow.REJECT);
        assertThat(w.check(1)).isEqualTo(1);
        assertThat(w.invalid()).isEqualTo(2);
    }

    @Test
    @DisplayName("ESN numbers beyond 2^63 compare as unsigned")
    void esnUnsignedArithmetic() {
        ReplayWindow w = new ReplayWindow(64, true);
        long top = 0x8000_0000_0000_0010L;
        assertThat(w.update(top)).isTrue();
        assertThat(w.check(0x0000_0001)).isEqualTo(0x8000_0000_0000_0001L);
        assertThat(w.update(5)).isFalse();
        assertThat(w.tooOld()).isEqualTo(1);
        assertThat(w.check(0x0000_0020)).isEqualTo(0x8000_0000_0000_0020L);
    }

    @Test
    @DisplayName("Window size: default 1024, rounded up to a multiple of 64, bounded")
    void sizing() {
        assertThat(ReplayWindow.withDefaultSize(false).size()).isEqualTo(1024);
        assertThat(new ReplayWindow(1, false).size()).isEqualTo(64);
        assertThat(new ReplayWindow(65, false).size()).isEqualTo(128);
        assertThat(new ReplayWindow(4096, true).size()).isEqualTo(4096);
        assertThat(new ReplayWindow(4000, true).size()).isEqualTo(4032);
        assertThatThrownBy(() -> new ReplayWindow(0, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReplayWindow(1 << 20, false)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A window that received every number from {@code mark - 400} (or 1) up to {@code mark}, one by one. */
    private static ReplayWindow receivedUpTo(long mark, int size, boolean esn) {
        ReplayWindow w = new ReplayWindow(size, esn);
        for (long s = Math.max(1, mark - 400); s <= mark; s++) {
            assertThat(w.update(s)).isTrue();
        }
        return w;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 63, 64, 65, 127, 128, 1000, 4096, 5001, 0xFFFF_FE00L, 0xFFFF_FFFFL})
    @DisplayName("A window started at a mark drops every number up to it and takes those above, as if it had"
            + " received them all (32-bit)")
    void startAtAMark(long mark) {
        ReplayWindow started = new ReplayWindow(128, false);
        started.startAt(mark);
        ReplayWindow oracle = receivedUpTo(mark, 128, false);
        assertThat(started.highest()).isEqualTo(mark);
        assertThat(started.mark()).isEqualTo(mark);
        assertThat(started.startedAt()).isEqualTo(mark);
        for (long s = Math.max(1, mark - 400); s <= mark; s++) {
            assertThat(started.check((int) s)).as("seq %d at or below the mark", s).isEqualTo(ReplayWindow.REJECT);
            assertThat(started.update(s)).as("seq %d", s).isFalse();
        }
        if (mark == 0xFFFF_FFFFL) {
            return; // a 32-bit SA has nothing above
        }
        // the numbers above it, out of order and with duplicates: the same verdicts as the window that received all
        List<Long> above = new ArrayList<>();
        for (long s = mark + 1; s <= Math.min(mark + 300, 0xFFFF_FFFFL); s++) {
            above.add(s);
            if (s % 7 == 0) {
                above.add(s - 3);
            }
        }
        Collections.shuffle(above, new Random(mark));
        for (long s : above) {
            assertThat(receive(started, s)).as("seq %d", s).isEqualTo(receive(oracle, s));
        }
        assertThat(receive(started, mark + 1)).isFalse(); // a copy of the first packet above the mark
        assertThat(started.highest()).isEqualTo(oracle.highest());
    }

    @ParameterizedTest
    @ValueSource(longs = {0xFFFF_FFF0L, 0x1_0000_0000L, 0x1_0000_0005L, 0x1_0000_0040L, 0x5_0000_0123L})
    @DisplayName("ESN: a window started at a 64-bit mark infers the high half from it, drops up to it, takes above")
    void startAtAnEsnMark(long mark) {
        ReplayWindow started = new ReplayWindow(128, true);
        started.startAt(mark);
        ReplayWindow oracle = receivedUpTo(mark, 128, true);
        for (long s = mark - 400; s <= mark + 300; s++) {
            long expected = oracle.check((int) s);
            assertThat(started.check((int) s)).as("seq 0x%x", s).isEqualTo(expected);
            if (s <= mark && s > mark - 128) {
                assertThat(expected).as("seq 0x%x", s).isEqualTo(ReplayWindow.REJECT);
            }
        }
        assertThat(receive(started, mark + 1)).isTrue();
        assertThat(started.mark()).isEqualTo(mark + 1);
        // across the next 2^32 boundary from there: still the full number
        assertThat(receive(started, mark + 100)).isTrue();
        assertThat(started.check((int) (mark + 1))).isEqualTo(ReplayWindow.REJECT);
    }

    @Test
    @DisplayName("startAt: only before the first packet; 0 leaves the window empty; a 32-bit SA has no 2^32")
    void startAtBounds() {
        ReplayWindow w = new ReplayWindow(64, false);
        w.startAt(0);
        assertThat(w.highest()).isZero();
        assertThat(receive(w, 1)).isTrue();
        assertThatThrownBy(() -> w.startAt(10)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new ReplayWindow(64, false).startAt(0x1_0000_0000L))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
