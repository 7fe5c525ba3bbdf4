package net.palisade.controlplane.ike.crypto;

import net.palisade.model.crypto.DhGroup;

/**
 * One side of one Diffie-Hellman or ECDH exchange: a private value generated once, its public value for the KE
 * payload, and the shared secret g^ir computed from the peer's public value. Public values and shared secrets use
 * the IKEv2 encodings: MODP big-endian padded to the prime's length (RFC 7296 section 3.4), ECP x | y and shared x
 * (RFC 5903 section 7), Curve25519 the 32-octet u-coordinate (RFC 8031).
 */
public interface KeyExchange {

    /** The group. */
    DhGroup group();

    /** The public value for the KE payload. */
    byte[] publicValue();

    /**
     * g^ir from the peer's public value.
     *
     * @throws KeyExchangeException if the peer's value is invalid (wrong length, not on the curve, out of range, or
     *                              an all-zero X25519 result)
     */
    byte[] sharedSecret(byte[] peerPublicValue) throws KeyExchangeException;

    /** Makes key exchanges for the engine; injected so tests may fix private values. */
    @FunctionalInterface
    interface Factory {
        /** A fresh private value in {@code group}. */
        KeyExchange generate(DhGroup group, Randomness random);
    }

    /** A peer's public value was refused. */
    final class KeyExchangeException extends Exception {
        private static final long serialVersionUID = 1L;

        /** With a message saying what was wrong. */
        public KeyExchangeException(String message) {
            super(message);
        }
    }
}
