package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.EspConstants.AEAD_EXPLICIT_IV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.AEAD_ICV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.HEADER_LENGTH;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Arrays;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * AES-GCM with a 16-octet ICV (RFC 4106) on Intel's IPsec Multi-Buffer library ({@link IpsecMb}) through the FFM
 * API: one call per packet ({@code aes_gcm_enc_128} / {@code _dec_128}, or the 256-bit ones, of the architecture
 * the library's dispatch chose), against the four to six calls of the OpenSSL path. The same nonce, AAD and IV
 * rules as {@link AeadTransform} and {@link OpenSslAeadTransform}, hence the same packets octet for octet:
 *
 * <ul>
 *   <li>nonce = salt (last 4 octets of the key material) || 8-octet explicit IV (the 64-bit sequence number);
 *   <li>AAD = SPI || sequence number, or SPI || ESN high 32 bits || ESN low 32 bits.
 * </ul>
 *
 * <p>The expanded key ({@code struct gcm_key_data}: round keys and the powers of the hash key) and the
 * per-operation context live in 64-byte-aligned native memory of this instance's own automatic arena; {@link
 * #close()} or, failing that, a {@link Cleaner} once the instance is unreachable overwrites both with zeros, and the
 * GC frees them after that.
 * The raw key goes from the caller's array to {@code aes_gcm_pre} without a copy and is never kept.
 *
 * <p>Per packet nothing is allocated: the packet's heap arrays go to the library directly (critical downcalls,
 * {@link SegmentCache} views reused while array and offset stay the same), the nonce, AAD and tag through small
 * heap arrays of this instance. Encryption is in place.
 *
 * <p>Open: the library decrypts into {@code out} and computes the tag; this class compares it with the packet's ICV
 * in constant time (every octet is compared, whatever the first difference). When they differ, the decrypted octets
 * are overwritten with zeros before {@code open} returns {@link EspOutcome#ICV_FAILED}, as the OpenSSL path does; the
 * instance stays usable for the next packet. Before the call the tag buffer holds the complement of the packet's ICV,
 * so a call that wrote nothing can never pass as verified.
 *
 * <p>Not thread-safe, like every {@link EspTransform}: one instance per SA per worker thread; {@link #close()} only
 * when no thread uses the instance any more. As {@link OpenSslAeadTransform} does, {@code seal} refuses to encrypt
 * twice in a row under the same explicit IV (a reused sequence number) with {@link IllegalStateException}.
 */
final class IpsecMbAeadTransform extends NativeAeadTransform {

    private final IpsecMb.Gcm gcm;
    private final MemorySegment keyData;
    private final MemorySegment context;

    /**
     * @throws IllegalStateException if the library is not available ({@link IpsecMb#unavailableReason()})
     * @throws IllegalArgumentException for an algorithm other than AES-128-GCM or AES-256-GCM
     */
    IpsecMbAeadTransform(EncryptionAlgorithm algorithm, byte[] keyMaterial, int offset, boolean esn) {
        super(algorithm, esn);
        requireAead(algorithm);
        if (algorithm != EncryptionAlgorithm.AES_128_GCM && algorithm != EncryptionAlgorithm.AES_256_GCM) {
            throw new IllegalArgumentException(algorithm + " is not AES-GCM");
        }
        AbstractEspTransform.checkRange(keyMaterial, offset, algorithm.keyMaterialBytes(), "key material");
        this.gcm = IpsecMb.gcm(algorithm);
        salt(algorithm, keyMaterial, offset);
        // An automatic arena, not a shared one: closing a shared arena stops every thread of the JVM for a
        // handshake (the VM thread's work: about 30 µs per transform at a few thousand Child SAs a second,
        // docs/benchmarks.md). The memory is zeroed when the transform closes and freed by the GC after that.
        Arena arena = Arena.ofAuto();
        this.keyData = arena.allocate(IpsecMb.KEY_DATA_BYTES, IpsecMb.KEY_DATA_ALIGNMENT);
        this.context = arena.allocate(IpsecMb.CONTEXT_BYTES, IpsecMb.KEY_DATA_ALIGNMENT);
        Wipe wipe = new Wipe(keyData, context);
        try {
            gcm.pre().invokeExact(MemorySegment.ofArray(keyMaterial).asSlice(offset, algorithm.keyBytes()),
                    keyData);
        } catch (RuntimeException | Error e) {
            wipe.run();
            throw e;
        } catch (Throwable t) {
            wipe.run();
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
        wipeWith(wipe);
    }

    /**
     * Zeroes the expanded key and the context; captures the memory only, never the transform. Their automatic
     * arena frees them once nothing refers to them, which is after this has run.
     */
    record Wipe(MemorySegment keyData, MemorySegment context) implements Runnable {
        @Override
        public void run() {
            keyData.fill((byte) 0);
            context.fill((byte) 0);
        }
    }

    @Override
    void encryptAndAuthenticate(byte[] packet, int offset, int ciphertextLength, long sequenceNumber) {
        int aadLength = beginSeal(packet, offset, sequenceNumber);
        int plaintextOffset = offset + HEADER_LENGTH + AEAD_EXPLICIT_IV_LENGTH;
        MemorySegment data = sealData.at(packet, plaintextOffset);
        try {
            // Same pointer in and out: encrypted in place.
            gcm.enc().invokeExact(keyData, context, data, data, (long) ciphertextLength, nonceSegment, aadSegment,
                    (long) aadLength, tagSegment, (long) AEAD_ICV_LENGTH);
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            // The Cleaner must not free the key while the call above still uses it.
            Reference.reachabilityFence(this);
        }
        System.arraycopy(tag, 0, packet, plaintextOffset + ciphertextLength, AEAD_ICV_LENGTH);
        sealed();
    }

    @Override
    EspOutcome verifyAndDecrypt(byte[] packet, int offset, int ciphertextLength, long sequenceNumber, byte[] out,
            int outOffset) {
        int aadLength = beginOpen(packet, offset, sequenceNumber);
        int ciphertextOffset = offset + HEADER_LENGTH + AEAD_EXPLICIT_IV_LENGTH;
        int icvOffset = ciphertextOffset + ciphertextLength;
        for (int i = 0; i < AEAD_ICV_LENGTH; i++) {
            tag[i] = (byte) ~packet[icvOffset + i];
        }
        MemorySegment ciphertext = openInput.at(packet, ciphertextOffset);
        MemorySegment plaintext = openOutput.at(out, outOffset);
        try {
            gcm.dec().invokeExact(keyData, context, plaintext, ciphertext, (long) ciphertextLength, nonceSegment,
                    aadSegment, (long) aadLength, tagSegment, (long) AEAD_ICV_LENGTH);
        } catch (Throwable t) {
            Arrays.fill(out, outOffset, outOffset + ciphertextLength, (byte) 0);
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            Reference.reachabilityFence(this);
        }
        if (tagsEqual(tag, 0, packet, icvOffset)) {
            return EspOutcome.OK;
        }
        // Unauthenticated plaintext is in out: wipe it before anyone sees it.
        Arrays.fill(out, outOffset, outOffset + ciphertextLength, (byte) 0);
        return EspOutcome.ICV_FAILED;
    }

    /** Compares two 16-octet tags in time independent of where they differ. */
    static boolean tagsEqual(byte[] a, int aOffset, byte[] b, int bOffset) {
        int difference = 0;
        for (int i = 0; i < AEAD_ICV_LENGTH; i++) {
            difference |= a[aOffset + i] ^ b[bOffset + i];
        }
        return difference == 0;
    }

    @Override
    public String toString() {
        return "IpsecMbAeadTransform[" + name() + (extendedSequenceNumbers() ? ", esn" : "") + "]";
    }
}
