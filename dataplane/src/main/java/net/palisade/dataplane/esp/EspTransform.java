package net.palisade.dataplane.esp;

import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * The cryptographic half of one ESP SA in tunnel mode (RFC 4303): builds and checks
 * {@code SPI | sequence number (low 32 bits) | IV | ciphertext(payload | padding 1,2,3.. | pad length |
 * next header) | ICV}.
 *
 * <p>Hot-path contract: neither {@code seal} nor {@code open} allocates Java objects of its own (the JCE provider
 * may: SunJCE's AES-GCM and ChaCha20-Poly1305 build a fresh internal engine at every {@code init}, see
 * {@code docs/benchmarks-esp-crypto.md}). An instance keeps one JCE object per SA and reuses it, so it is
 * <strong>not thread-safe</strong>: one instance per SA per worker thread.
 *
 * <p>{@code open} never throws because of packet contents: a bad packet yields an {@link EspOutcome}. Arguments
 * that break the call contract (output array too small, offsets outside the array) are programming errors and
 * throw {@link IllegalArgumentException}.
 *
 * <p>Sequence numbers: the caller owns them. For sending, take them from a
 * {@link net.palisade.dataplane.replay.SequenceCounter} (never reuse one: for AES-GCM and ChaCha20-Poly1305 the
 * IV is the 64-bit sequence number). For receiving, {@link net.palisade.dataplane.replay.ReplayWindow#check}
 * infers the full 64-bit number before {@code open}, and {@code ReplayWindow.update} runs only after
 * {@code open} returned {@link EspOutcome#OK}.
 */
public interface EspTransform {

    /**
     * Wipes and frees what the transform holds natively (the expanded key), when it has such; afterwards it must
     * not be used. Idempotent. The worker that owns it calls it once the SA is out of its tables.
     */
    default void close() {
    }

    /** The encryption algorithm, from the table the config language and IKE use. */
    EncryptionAlgorithm encryption();

    /**
     * The integrity algorithm: empty for the AEAD algorithms, which carry their own (and for the RFC 3602
     * encryption-only known-answer transform the tests build, which {@link EspTransforms} never does).
     */
    Optional<AuthAlgorithm> integrity();

    /** Whether the SA uses 64-bit extended sequence numbers (RFC 4303 Section 2.2.1). */
    boolean extendedSequenceNumbers();

    /** The config keywords, such as {@code aes-128-gcm} or {@code aes-256/hmac-sha2-256}. */
    String name();

    /** Octets of IV carried in each packet. */
    int ivLength();

    /** Octets of ICV at the end of each packet. */
    int icvLength();

    /** The ciphertext (payload, padding, trailer) is a multiple of this. */
    int alignment();

    /** Length of the ESP packet that {@link #seal} writes for a payload of {@code payloadLength} octets. */
    int sealedLength(int payloadLength);

    /**
     * Octets {@link #open} needs in its output array for a packet of {@code packetLength} octets (the decrypted
     * payload, padding and trailer), or 0 if the packet is too short to be opened.
     */
    int openedLength(int packetLength);

    /**
     * Encrypts and authenticates one payload into a complete ESP packet.
     *
     * @param spi the SA's SPI, written big-endian
     * @param sequenceNumber the 64-bit sequence number (without ESN it must fit in 32 bits); the low 32 bits go on
     *     the wire
     * @param nextHeader {@link EspConstants#NEXT_HEADER_IPV4} or {@link EspConstants#NEXT_HEADER_IPV6} in tunnel
     *     mode
     * @param out receives {@link #sealedLength(int)} octets from {@code outOffset}; it may be the payload's own
     *     array if the payload already sits at {@code outOffset + 8 + ivLength()}
     * @return the number of octets written
     */
    int seal(int spi, long sequenceNumber, int nextHeader, byte[] payload, int payloadOffset, int payloadLength,
            byte[] out, int outOffset);

    /**
     * Seals an inner IP packet in tunnel mode, choosing Next Header 4 or 41 from its version nibble.
     *
     * @throws IllegalArgumentException if the packet is empty or neither IPv4 nor IPv6
     */
    default int sealTunnel(int spi, long sequenceNumber, byte[] innerPacket, int offset, int length, byte[] out,
            int outOffset) {
        if (length <= 0) {
            throw new IllegalArgumentException("empty inner packet");
        }
        int version = (innerPacket[offset] & 0xf0) >>> 4;
        int nextHeader = switch (version) {
            case 4 -> EspConstants.NEXT_HEADER_IPV4;
            case 6 -> EspConstants.NEXT_HEADER_IPV6;
            default -> throw new IllegalArgumentException("inner packet is neither IPv4 nor IPv6: version " + version);
        };
        return seal(spi, sequenceNumber, nextHeader, innerPacket, offset, length, out, outOffset);
    }

    /**
     * Verifies the ICV of one ESP packet and decrypts it. If the ICV fails, {@code out} holds no plaintext: CBC
     * transforms check the HMAC before decrypting anything; SunJCE's AES-GCM decrypts into {@code out} and zeroes
     * it when the tag turns out wrong (so the region may read as zeros afterwards).
     *
     * @param packet the ESP packet from its SPI to its ICV
     * @param sequenceNumber the full 64-bit sequence number as inferred by the replay window; only its high 32
     *     bits are used (for ESN SAs), the low 32 bits are read from the packet
     * @param out receives the decrypted payload, padding and trailer: at least {@link #openedLength(int)}
     *     octets from {@code outOffset}; must not overlap the packet
     * @param result receives payload position, length and next header
     * @return the outcome, also stored in {@code result}
     */
    EspOutcome open(byte[] packet, int offset, int length, long sequenceNumber, byte[] out, int outOffset,
            EspOpenResult result);
}
