package net.palisade.dataplane.sa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.palisade.dataplane.replay.ReplayWindow;
import org.junit.jupiter.api.Test;

/** Recovered replay marks waiting for their SAs: found by label and SPI, kept until the SA is seen or given up. */
class ReplayMarksTest {

    @Test
    void aRecoveredMarkStartsTheSaOfItsLabelAndSpiOnly() {
        ReplayMarks marks = new ReplayMarks();
        marks.recovered("to-b", 0xC000_0001, 500);
        marks.recovered("to-b", 0xC000_0001, 400); // an older read: the higher mark stays
        marks.recovered("to-b", 0x2, 0); // nothing received: nothing to wait for
        assertThat(marks.markFor("to-b", 0xC000_0001)).isEqualTo(500);
        assertThat(marks.markFor("to-c", 0xC000_0001)).isZero();
        assertThat(marks.markFor("to-b", 0x2)).isZero();
        assertThat(marks.pendingKeys()).containsExactly(new ReplayMarks.Key("to-b", 0xC000_0001));

        InboundSa sa = new InboundSa("to-b", 0xC000_0001, "aes128gcm16", new ReplayWindow(64, false),
                new Selectors(List.of(), List.of()), 1360, 1340, 1);
        sa.startAt(marks.markFor("to-b", 0xC000_0001));
        assertThat(sa.replayCheck(500)).isEqualTo(ReplayWindow.REJECT);
        assertThat(sa.replayCheck(501)).isEqualTo(501);
        assertThat(sa.startedAt()).isEqualTo(500);

        // kept until the SA is seen installed (a retried install starts at the mark again), then gone
        marks.installed(new ReplayMarks.Key("to-b", 0xC000_0001));
        assertThat(marks.markFor("to-b", 0xC000_0001)).isZero();
    }

    @Test
    void marksWaitingLongerThanTheGraceAreForgotten() {
        ReplayMarks marks = new ReplayMarks();
        marks.recovered("to-b", 7, 10);
        long after = System.nanoTime() + 1;
        assertThat(marks.forget(after - 1_000_000_000L)).isEmpty(); // recovered after that instant: kept
        assertThat(marks.forget(after)).containsExactly(new ReplayMarks.Key("to-b", 7));
        assertThat(marks.markFor("to-b", 7)).isZero();
    }
}
