package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.EspConstants.AEAD_EXPLICIT_IV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.AEAD_ICV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.AEAD_SALT_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.HEADER_LENGTH;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.util.Optional;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * What the AEAD transforms on native code ({@link OpenSslAeadTransform}, {@link IpsecMbAeadTransform}) share: the
 * nonce (salt, then the explicit IV), AAD and tag scratch their critical downcalls read and write in place, the views
 * of the caller's arrays, the refusal to seal twice in a row under one explicit IV, and closing — a {@link Cleaner}
 * runs the subclass's wipe once the instance is unreachable, {@link #close()} runs it now, and afterwards
 * {@code seal} and {@code open} throw.
 *
 * <p>A seal is {@link #beginSeal}, the subclass's downcalls, then {@link #sealed()}; an open is {@link #beginOpen},
 * then the downcalls. Not thread-safe, like every {@link EspTransform}.
 */
abstract sealed class NativeAeadTransform extends AbstractEspTransform implements AutoCloseable
        permits IpsecMbAeadTransform, OpenSslAeadTransform {

    private static final Cleaner CLEANER = Cleaner.create();
    static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    // Heap scratch, wrapped once: the critical downcalls read and write them in place.
    final byte[] nonce = new byte[AEAD_SALT_LENGTH + AEAD_EXPLICIT_IV_LENGTH];
    final MemorySegment nonceSegment = MemorySegment.ofArray(nonce);
    final byte[] aad = new byte[12];
    final MemorySegment aadSegment = MemorySegment.ofArray(aad);
    final byte[] tag = new byte[AEAD_ICV_LENGTH];
    final MemorySegment tagSegment = MemorySegment.ofArray(tag);

    // Views of the caller's arrays, kept while the caller passes the same array and offset again (a worker's
    // packet buffers): then a packet creates no segment at all, whatever C2's escape analysis decides.
    final SegmentCache sealData = new SegmentCache();
    final SegmentCache openInput = new SegmentCache();
    final SegmentCache openOutput = new SegmentCache();

    private Cleaner.Cleanable cleanable;
    private boolean closed;
    /** The explicit IV of the last completed seal, once there was one; the one being sealed. */
    private boolean sealedBefore;
    private long lastSealIv;
    private long sealingIv;

    NativeAeadTransform(EncryptionAlgorithm algorithm, boolean esn) {
        super(algorithm, Optional.empty(), esn, algorithm.ivBytes(), algorithm.icvBytes(),
                EspConstants.MIN_ALIGNMENT);
    }

    /** Keeps the key material's 4-octet salt (RFC 4106 section 8.1: it follows the key) as the nonce's start. */
    final void salt(EncryptionAlgorithm algorithm, byte[] keyMaterial, int offset) {
        System.arraycopy(keyMaterial, offset + algorithm.keyBytes(), nonce, 0, AEAD_SALT_LENGTH);
    }

    /**
     * Registers what wipes and frees the native key; last in the subclass's constructor. {@code wipe} must not
     * capture the transform.
     */
    final void wipeWith(Runnable wipe) {
        cleanable = CLEANER.register(this, wipe);
    }

    /** Wipes and frees the native key now (idempotent). Afterwards {@code seal} and {@code open} throw. */
    @Override
    public final void close() {
        closed = true;
        cleanable.clean();
    }

    @Override
    final void nextIv(long sequenceNumber, byte[] dst, int dstOffset) {
        LONG_BE.set(dst, dstOffset, sequenceNumber);
    }

    /**
     * A seal's start: the explicit IV the framing wrote (the sequence number) into the nonce, refused if it is the
     * one sealed last (a reused sequence number would reuse an AES-GCM nonce under one key), and the AAD written.
     *
     * @return the AAD's length
     * @throws IllegalStateException if closed, or the IV is the one sealed last
     */
    final int beginSeal(byte[] packet, int offset, long sequenceNumber) {
        checkOpen();
        long iv = (long) LONG_BE.get(packet, offset + HEADER_LENGTH);
        if (sealedBefore && iv == lastSealIv) {
            throw new IllegalStateException(name() + " seal failed: explicit IV " + Long.toUnsignedString(iv)
                    + " reused under one key (a reused sequence number)");
        }
        LONG_BE.set(nonce, AEAD_SALT_LENGTH, iv);
        sealingIv = iv;
        return aeadAad(packet, offset, sequenceNumber, aad);
    }

    /** A seal's end, its tag in place: its IV is the one sealed last. */
    final void sealed() {
        sealedBefore = true;
        lastSealIv = sealingIv;
    }

    /**
     * An open's start: the packet's explicit IV into the nonce and the AAD written.
     *
     * @return the AAD's length
     * @throws IllegalStateException if closed
     */
    final int beginOpen(byte[] packet, int offset, long sequenceNumber) {
        checkOpen();
        System.arraycopy(packet, offset + HEADER_LENGTH, nonce, AEAD_SALT_LENGTH, AEAD_EXPLICIT_IV_LENGTH);
        return aeadAad(packet, offset, sequenceNumber, aad);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name() + " transform is closed");
        }
    }
}
