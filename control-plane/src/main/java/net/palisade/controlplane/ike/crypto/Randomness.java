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

    /**
     * The octets HMAC-SHA-256 keyed with {@code seed} gives over a counter (1, 2, ...), in order: the same seed
     * gives the same stream. For a key exchange that another node may have to make again — our IKE SA rekey in
     * flight at a takeover: the journal keeps its 32-octet seed, sealed, not the private value
     * ({@code IkeSaSnapshot.RekeyInFlight}). The seed must come from a strong source.
     */
    static Randomness fromSeed(byte[] seed) {
        javax.crypto.Mac mac;
        try {
            mac = Jca.mac("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(seed, "HmacSHA256"));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available", e);
        }
        return new Randomness() {
            private long counter;
            private byte[] block = new byte[0];
            private int used;

            @Override
            public void nextBytes(byte[] out) {
                for (int i = 0; i < out.length; i++) {
                    if (used == block.length) {
                        counter++;
                        block = mac.doFinal(java.nio.ByteBuffer.allocate(8).putLong(counter).array());
                        used = 0;
                    }
                    out[i] = block[used++];
                }
            }
        };
    }

    /**
     * The platform's strong random source: one for the whole node. Every IKE session used to make its own
     * {@code new SecureRandom()}, a search of the providers for the default algorithm and a new NativePRNG object on
     * Linux, though every NativePRNG object reads through the JDK's one shared instance behind one lock: sharing ours
     * adds no contention and saves that per IKE SA.
     */
    static Randomness secure() {
        return Shared.SECURE;
    }

    /** Holder of {@link #secure()}'s instance, made at first use. */
    final class Shared {
        private static final Randomness SECURE = wrap(new SecureRandom());

        private Shared() {
        }

        private static Randomness wrap(SecureRandom random) {
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
}
