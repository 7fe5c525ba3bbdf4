package net.palisade.dataplane.sa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
