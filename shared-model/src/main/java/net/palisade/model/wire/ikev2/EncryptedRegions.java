package net.palisade.model.wire.ikev2;

import java.util.Arrays;

/**
 * Where the parts of an SK (or SKF) payload lie in a datagram, for the engine's cipher. All offsets count from the
 * first octet of the IKE header.
 *
 * <ul>
 *   <li>AEAD (RFC 5282 section 5.1): associated data is octets {@code [0, aadLength)}: the IKE header, any payload
 *       before SK, and the SK generic header (for SKF also Fragment Number and Total Fragments, RFC 7383 section
 *       2.5). The nonce is salt plus {@link #ivOffset() IV}; the ciphertext is followed by the ICV.
 *   <li>CBC and HMAC (RFC 7296 section 3.14): the integrity checksum covers {@code [0, icvOffset)}, header through
 *       ciphertext; the CBC IV and ciphertext are as given.
 * </ul>
 *
 * <p>The decrypted ciphertext is inner payloads, padding and a pad-length octet, which
 * {@link Ikev2Codec#decodeInner(IkeHeader, PayloadType, byte[])} takes as is.
 *
 * @param firstInner       first inner payload type (from the SK or SKF Next Payload field)
 * @param aadLength        octets of associated data from offset 0
 * @param ivOffset         where the IV starts
 * @param ivLength         IV length
 * @param ciphertextOffset where the ciphertext starts
 * @param ciphertextLength ciphertext length (at least 1)
 * @param icvOffset        where the ICV starts
 * @param icvLength        ICV length
 * @param fragmentNumber   SKF fragment number, 0 for SK
 * @param totalFragments   SKF total fragments, 0 for SK
 */
public record EncryptedRegions(PayloadType firstInner, int aadLength, int ivOffset, int ivLength,
        int ciphertextOffset, int ciphertextLength, int icvOffset, int icvLength, int fragmentNumber,
        int totalFragments) {

    /** Length of the message these regions describe. */
    public int messageLength() {
        return icvOffset + icvLength;
    }

    /** Octets the HMAC of a non-AEAD suite covers, from offset 0: everything before the ICV. */
    public int integrityLength() {
        return icvOffset;
    }

    /** True for an SKF fragment. */
    public boolean fragment() {
        return totalFragments > 0;
    }

    /** A copy of the associated data. */
    public byte[] aad(byte[] datagram) {
        return Arrays.copyOfRange(datagram, 0, aadLength);
    }

    /** A copy of the IV. */
    public byte[] iv(byte[] datagram) {
        return Arrays.copyOfRange(datagram, ivOffset, ivOffset + ivLength);
    }

    /** A copy of the ciphertext. */
    public byte[] ciphertext(byte[] datagram) {
        return Arrays.copyOfRange(datagram, ciphertextOffset, ciphertextOffset + ciphertextLength);
    }

    /** A copy of the ICV. */
    public byte[] icv(byte[] datagram) {
        return Arrays.copyOfRange(datagram, icvOffset, icvOffset + icvLength);
    }

    /** A copy of the octets the HMAC covers. */
    public byte[] integrityInput(byte[] datagram) {
        return Arrays.copyOfRange(datagram, 0, icvOffset);
    }
}
