package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.EspConstants.HEADER_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.TRAILER_LENGTH;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * Framing shared by every transform: header, padding and trailer on the way out; length, alignment and trailer
 * checks on the way in. Subclasses supply the cipher work.
 */
abstract sealed class AbstractEspTransform implements EspTransform permits AeadTransform, CbcHmacTransform,
        NativeAeadTransform {

    private final EncryptionAlgorithm encryption;
    private final Optional<AuthAlgorithm> integrity;
    private final boolean esn;
    private final int ivLength;
    private final int icvLength;
    private final int alignment;
    private final byte[] ivScratch;

    AbstractEspTransform(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity, boolean esn, int ivLength,
            int icvLength, int alignment) {
        this.encryption = encryption;
        this.integrity = integrity;
        this.esn = esn;
        this.ivLength = ivLength;
        this.icvLength = icvLength;
        this.alignment = alignment;
        this.ivScratch = new byte[ivLength];
    }

    @Override
    public final EncryptionAlgorithm encryption() {
        return encryption;
    }

    @Override
    public final Optional<AuthAlgorithm> integrity() {
        return integrity;
    }

    @Override
    public final boolean extendedSequenceNumbers() {
        return esn;
    }

    @Override
    public String name() {
        return integrity.map(i -> encryption.keyword() + "/" + i.keyword()).orElse(encryption.keyword());
    }

    @Override
    public final int ivLength() {
        return ivLength;
    }

    @Override
    public final int icvLength() {
        return icvLength;
    }

    @Override
    public final int alignment() {
        return alignment;
    }

    /** Payload plus trailer, rounded up to the alignment with the fewest padding octets. */
    final int ciphertextLength(int payloadLength) {
        int n = payloadLength + TRAILER_LENGTH;
        int rest = n % alignment;
        return rest == 0 ? n : n + alignment - rest;
    }

    @Override
    public final int sealedLength(int payloadLength) {
        if (payloadLength < 0) {
            throw new IllegalArgumentException("negative payload length " + payloadLength);
        }
        return HEADER_LENGTH + ivLength + ciphertextLength(payloadLength) + icvLength;
    }

    @Override
    public final int openedLength(int packetLength) {
        int n = packetLength - HEADER_LENGTH - ivLength - icvLength;
        return n < TRAILER_LENGTH ? 0 : n;
    }

    @Override
    public final int seal(int spi, long sequenceNumber, int nextHeader, byte[] payload, int payloadOffset,
            int payloadLength, byte[] out, int outOffset) {
        checkSequence(sequenceNumber);
        nextIv(sequenceNumber, ivScratch, 0);
        return sealWithIv(ivScratch, 0, spi, sequenceNumber, nextHeader, payload, payloadOffset, payloadLength, out,
                outOffset);
    }

    /**
     * Seals with a caller-chosen IV. Package-private: only the RFC known-answer tests need it; production code
     * goes through {@link #seal}, which derives the IV itself.
     */
    final int sealWithIv(byte[] iv, int ivOffset, int spi, long sequenceNumber, int nextHeader, byte[] payload,
            int payloadOffset, int payloadLength, byte[] out, int outOffset) {
        checkSequence(sequenceNumber);
        if (nextHeader < 0 || nextHeader > 255) {
            throw new IllegalArgumentException("next header out of range: " + nextHeader);
        }
        checkRange(payload, payloadOffset, payloadLength, "payload");
        int ciphertextLength = ciphertextLength(payloadLength);
        int total = HEADER_LENGTH + ivLength + ciphertextLength + icvLength;
        checkRange(out, outOffset, total, "output");

        int plaintextOffset = outOffset + HEADER_LENGTH + ivLength;
        // Payload first: it may overlap the header area when the caller seals in place.
        System.arraycopy(payload, payloadOffset, out, plaintextOffset, payloadLength);
        writeInt(out, outOffset, spi);
        writeInt(out, outOffset + 4, (int) sequenceNumber);
        System.arraycopy(iv, ivOffset, out, outOffset + HEADER_LENGTH, ivLength);
        int padLength = ciphertextLength - payloadLength - TRAILER_LENGTH;
        int p = plaintextOffset + payloadLength;
        for (int i = 1; i <= padLength; i++) {
            out[p++] = (byte) i; // RFC 4303 Section 2.4: 1, 2, 3, ...
        }
        out[p++] = (byte) padLength;
        out[p] = (byte) nextHeader;
        encryptAndAuthenticate(out, outOffset, ciphertextLength, sequenceNumber);
        return total;
    }

    @Override
    public final EspOutcome open(byte[] packet, int offset, int length, long sequenceNumber, byte[] out,
            int outOffset, EspOpenResult result) {
        checkRange(packet, offset, length, "packet");
        int ciphertextLength = length - HEADER_LENGTH - ivLength - icvLength;
        if (ciphertextLength < TRAILER_LENGTH || ciphertextLength % alignment != 0) {
            return result.fail(EspOutcome.MALFORMED);
        }
        checkRange(out, outOffset, ciphertextLength, "output");
        if (packet == out && outOffset < offset + length && offset < outOffset + ciphertextLength) {
            throw new IllegalArgumentException("output overlaps the packet");
        }
        EspOutcome verdict = verifyAndDecrypt(packet, offset, ciphertextLength, sequenceNumber, out, outOffset);
        if (verdict != EspOutcome.OK) {
            return result.fail(verdict);
        }
        // The trailer is authenticated from here on; still never trust it for lengths unchecked.
        int padLength = out[outOffset + ciphertextLength - 2] & 0xff;
        int nextHeader = out[outOffset + ciphertextLength - 1] & 0xff;
        int payloadLength = ciphertextLength - TRAILER_LENGTH - padLength;
        if (payloadLength < 0) {
            return result.fail(EspOutcome.MALFORMED);
        }
        int p = outOffset + payloadLength;
        for (int i = 1; i <= padLength; i++) {
            if (out[p++] != (byte) i) {
                return result.fail(EspOutcome.MALFORMED);
            }
        }
        return result.ok(outOffset, payloadLength, nextHeader, padLength);
    }

    /** Writes the IV for the packet with this sequence number. */
    abstract void nextIv(long sequenceNumber, byte[] dst, int dstOffset);

    /**
     * Encrypts in place the plaintext that starts right after the IV and appends the ICV.
     *
     * @param packet holds header, IV, plaintext (payload, padding, trailer) from {@code offset}
     */
    abstract void encryptAndAuthenticate(byte[] packet, int offset, int ciphertextLength, long sequenceNumber);

    /** Checks the ICV and, only if it holds, decrypts {@code ciphertextLength} octets into {@code out}. */
    abstract EspOutcome verifyAndDecrypt(byte[] packet, int offset, int ciphertextLength, long sequenceNumber,
            byte[] out, int outOffset);

    private void checkSequence(long sequenceNumber) {
        if (!esn && (sequenceNumber >>> 32) != 0) {
            throw new IllegalArgumentException(
                    "sequence number " + Long.toUnsignedString(sequenceNumber) + " needs ESN on this SA");
        }
    }

    /**
     * Refuses a non-AEAD algorithm, and an AEAD one whose lengths differ from the RFC 4106 / RFC 7634 layout the
     * AEAD transforms' fixed nonce and tag buffers are built for.
     */
    static void requireAead(EncryptionAlgorithm algorithm) {
        if (!algorithm.aead()) {
            throw new IllegalArgumentException(algorithm + " is not an AEAD algorithm");
        }
        if (algorithm.saltBytes() != EspConstants.AEAD_SALT_LENGTH
                || algorithm.ivBytes() != EspConstants.AEAD_EXPLICIT_IV_LENGTH
                || algorithm.icvBytes() != EspConstants.AEAD_ICV_LENGTH) {
            throw new IllegalArgumentException(algorithm + ": salt, IV or ICV length unlike RFC 4106 / RFC 7634");
        }
    }

    static void checkRange(byte[] array, int offset, int length, String what) {
        if (array == null) {
            throw new IllegalArgumentException(what + " array is null");
        }
        if (offset < 0 || length < 0 || offset > array.length - length) {
            throw new IllegalArgumentException(what + ": " + length + " octets at " + offset
                    + " do not fit in an array of " + array.length);
        }
    }

    /**
     * Writes an AEAD transform's additional authenticated data (RFC 4106 section 5) into {@code aad}: SPI || sequence
     * number, or with ESN SPI || its high 32 bits || its low 32 bits (SPI and low bits as on the wire).
     *
     * @return its length, 8 or 12
     */
    final int aeadAad(byte[] packet, int offset, long sequenceNumber, byte[] aad) {
        System.arraycopy(packet, offset, aad, 0, 4); // SPI as on the wire
        if (extendedSequenceNumbers()) {
            writeInt(aad, 4, (int) (sequenceNumber >>> 32));
            System.arraycopy(packet, offset + 4, aad, 8, 4); // low 32 bits as on the wire
            return 12;
        }
        System.arraycopy(packet, offset + 4, aad, 4, 4);
        return 8;
    }

    static void writeInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
