package net.palisade.dataplane.sa;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Durable reservations of outbound sequence numbers, so that an SA whose key outlives the process (a manually keyed
 * one) never sends a sequence number twice: before a number is used it is covered by a reservation on disk, and
 * after a restart the SA continues above the last reservation. With AES-GCM and ChaCha20-Poly1305 the sequence
 * number is the IV, so reuse would repeat a nonce under the same key; and the peer's anti-replay window would drop
 * restarted numbers anyway.
 *
 * <p>Reservations are made in blocks ({@link #BLOCK} numbers), so the disk is written once per block, and a restart
 * skips at most one block of the 2^32 sequence space.
 */
public interface SequenceReservations {
    /** Numbers reserved at a time. */
    long BLOCK = 1L << 20;

    /** The highest number reserved for this SA before, or 0 for an SA never used. */
    long lastReserved(String label, int spi);

    /**
     * Records durably that numbers up to {@code upTo} may be in use; returns once that is on disk.
     *
     * @throws UncheckedIOException if it cannot be recorded (the SA must then stop sending)
     */
    void reserve(String label, int spi, long upTo);

    /**
     * True when {@link #reserve} waits for something slower than a local fsync (a journal shared by a gateway pair):
     * an SA then asks for its next block ahead of use, when half the current one is spent, through
     * {@link #reserveAhead}, and its first block after install the same way (unless the node journaled it before the
     * install: {@link KeyOrigin}); a worker never waits for the answer: a packet no durable reservation covers is
     * dropped ({@code seq_unreserved}).
     */
    default boolean ahead() {
        return false;
    }

    /**
     * Asks for numbers up to {@code upTo} without waiting; {@code done} is told {@code true} once the reservation is
     * durable, {@code false} if it could not be recorded. It may be told on any thread, or at once.
     */
    default void reserveAhead(String label, int spi, long upTo, java.util.function.Consumer<Boolean> done) {
        boolean ok;
        try {
            reserve(label, spi, upTo);
            ok = true;
        } catch (RuntimeException e) {
            ok = false;
        }
        done.accept(ok);
    }

    /** Keeps nothing: sequence numbers start at 1 with every start (tests, or IKE SAs whose keys die with the process). */
    SequenceReservations NONE = new SequenceReservations() {
        @Override
        public long lastReserved(String label, int spi) {
            return 0;
        }

        @Override
        public void reserve(String label, int spi, long upTo) {}
    };

    /** One small file per SA in {@code dir} ({@code LABEL-SPI}), replaced atomically and fsynced. */
    static SequenceReservations inDirectory(Path dir) {
        return new SequenceReservations() {
            private Path file(String label, int spi) {
                return dir.resolve(label + "-" + String.format("%08x", spi));
            }

            @Override
            public long lastReserved(String label, int spi) {
                Path f = file(label, spi);
                try {
                    return Files.exists(f) ? Long.parseUnsignedLong(Files.readString(f, StandardCharsets.US_ASCII).strip()) : 0;
                } catch (IOException | NumberFormatException e) {
                    throw new IllegalStateException("cannot read the sequence reservation " + f + ": " + e.getMessage()
                            + "; refusing to guess (a wrong guess could reuse an IV). Restore or remove the file and "
                            + "install new keys.", e);
                }
            }

            @Override
            public void reserve(String label, int spi, long upTo) {
                try {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                    Path f = file(label, spi);
                    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
                    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                        ch.write(java.nio.ByteBuffer.wrap((Long.toUnsignedString(upTo) + "\n").getBytes(StandardCharsets.US_ASCII)));
                        ch.force(true);
                    }
                    try {
                        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
                    }
                    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                        d.force(true); // the rename itself
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot record the sequence reservation for " + label, e);
                }
            }
        };
    }
}
