package net.palisade.controlplane.ike.crypto;

import java.security.SecureRandom;

/**
 * Where the engine gets random octets (nonces, SPIs, IVs, private keys). Production uses {@link #secure()}; tests
 * inject a seeded source so that a handshake is reproducible.
 */
@FunctionalInterface
public interface Randomness {

    /** Fills {@code out} with random octets. */
    void nextBytes(byte[] out);

    /** {@code n} random octets. */
    default byte[] bytes(int n) {
        byte[] b = new byte[n];
        nextBytes(b);
        return b;
    }

    /** A random 64-bit value. */
    default long nextLong() {
        byte[] b = bytes(8);
        long v = 0;
        for (byte x : b) {
            v = (v << 8) | (x & 0xff);
        }
        return v;
    }

    /** A random long that is not 0: an IKE SPI or an ISAKMP cookie (0 means "none" on the wire). */
    default long nonZeroLong() {
        long v;
        do {
            v = nextLong();
        } while (v == 0);
        return v;
    }

    /** A {@link SecureRandom} view, for APIs that take one (key generation). */
    default SecureRandom asSecureRandom() {
        Randomness self = this;
        return new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                self.nextBytes(bytes);
            }
        };
    }

    /** The platform's strong random source. */
    static Randomness secure() {
        SecureRandom random = new SecureRandom();
        return new Randomness() {
            @Override
            public void nextBytes(byte[] out) {
                random.nextBytes(out);
            }

            @Override
            public SecureRandom asSecureRandom() {
                return random;
            }
        };
    }
}
