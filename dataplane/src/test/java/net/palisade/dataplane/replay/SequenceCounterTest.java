package net.palisade.dataplane.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** RFC 4303 Section 3.3.3: the sender's counter starts at 1 and never cycles. */
class SequenceCounterTest {

    @Test
    @DisplayName("Starts at 1 and counts up")
    void counts() {
        SequenceCounter c = new SequenceCounter(false);
        assertThat(c.next()).isEqualTo(1);
        assertThat(c.next()).isEqualTo(2);
        assertThat(c.lastIssued()).isEqualTo(2);
        assertThat(c.rekeyDue()).isFalse();
        assertThat(c.exhausted()).isFalse();
    }

    @Test
    @DisplayName("RFC 4303 Sec. 3.3.3: without ESN the last number is 2^32-1, then EXHAUSTED for good, never 0")
    void exhaustsWithout_esn() {
        SequenceCounter c = SequenceCounter.startingAfter(false, 0xF000_0000L, 0xFFFF_FFFDL);
        assertThat(c.rekeyDue()).isTrue();
        assertThat(c.next()).isEqualTo(0xFFFF_FFFEL);
        assertThat(c.remaining()).isEqualTo(1);
        assertThat(c.next()).isEqualTo(0xFFFF_FFFFL);
        assertThat(c.exhausted()).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(c.next()).isEqualTo(SequenceCounter.EXHAUSTED);
        }
        assertThat(c.lastIssued()).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    @DisplayName("RFC 4303 Sec. 2.2.1: with ESN the counter crosses 2^32 and stops at 2^64-2")
    void esnCrossesAndExhausts() {
        SequenceCounter c = SequenceCounter.startingAfter(true, 0x1_0000_0001L, 0xFFFF_FFFFL);
        assertThat(c.rekeyDue()).isFalse();
        assertThat(c.next()).isEqualTo(0x1_0000_0000L);
        assertThat(c.next()).isEqualTo(0x1_0000_0001L);
        assertThat(c.rekeyDue()).isTrue();

        SequenceCounter end = SequenceCounter.startingAfter(true, 1, SequenceCounter.MAX_64 - 1);
        assertThat(end.next()).isEqualTo(SequenceCounter.MAX_64);
        assertThat(end.next()).isEqualTo(SequenceCounter.EXHAUSTED);
        assertThat(end.exhausted()).isTrue();
    }

    @Test
    @DisplayName("Default soft limit: 15/16 of the sequence space")
    void defaultSoftLimit() {
        assertThat(new SequenceCounter(false).softLimit()).isEqualTo(0xFFFF_FFFFL - 0x0FFF_FFFFL);
        assertThat(new SequenceCounter(true).softLimit())
                .isEqualTo(SequenceCounter.MAX_64 - Long.divideUnsigned(SequenceCounter.MAX_64, 16));
        SequenceCounter c = SequenceCounter.startingAfter(false, 10, 8);
        assertThat(c.rekeyDue()).isFalse();
        c.next();
        assertThat(c.rekeyDue()).isFalse();
        c.next();
        assertThat(c.rekeyDue()).isTrue();
    }

    @Test
    @DisplayName("A soft limit beyond the hard limit, or 0, is refused")
    void refusesBadLimits() {
        assertThatThrownBy(() -> new SequenceCounter(false, 0x1_0000_0000L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequenceCounter(true, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequenceCounter(true, -1L)).isInstanceOf(IllegalArgumentException.class);
    }
}
