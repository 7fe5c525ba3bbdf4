package net.palisade.model.wire.ikev2;

import net.palisade.model.wire.Octets;

/**
 * Nonce payload, Ni or Nr (RFC 7296 section 3.9): 16 to 256 octets, which both the decoder and this record check.
 *
 * @param nonce the nonce data
 */
public record NoncePayload(Octets nonce) implements Payload {
    /** Shortest nonce RFC 7296 allows. */
    public static final int MIN_LENGTH = 16;
    /** Longest nonce RFC 7296 allows. */
    public static final int MAX_LENGTH = 256;

    /** Validates the length. */
    public NoncePayload {
        if (nonce.length() < MIN_LENGTH || nonce.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("nonce of " + nonce.length() + " octets; RFC 7296 wants 16-256");
        }
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.NONCE;
    }
}
