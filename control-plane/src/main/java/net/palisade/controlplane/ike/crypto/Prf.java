package net.palisade.controlplane.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.model.crypto.AuthAlgorithm;

/**
 * An IKEv2 pseudo-random function: an HMAC (RFC 2104) keyed with octets of any length, and prf+ (RFC 7296 section
 * 2.13). Stateless and thread-safe; every call builds its own {@link Mac}.
 *
 * @param algorithm the HMAC negotiated as PRF (Transform Type 2)
 */
public record Prf(AuthAlgorithm algorithm) {

    /** Checks the algorithm is present. */
    public Prf {
        Objects.requireNonNull(algorithm, "algorithm");
    }

    /** Output length in octets (also the length of SK_d, SK_pi and SK_pr, RFC 7296 section 2.14). */
    public int outputBytes() {
        return algorithm.keyBytes();
    }

    /** prf(key, data...): the HMAC of the concatenated {@code data} under {@code key}. */
    public byte[] apply(byte[] key, byte[]... data) {
        Mac mac = mac(algorithm, key);
        for (byte[] d : data) {
            mac.update(d);
        }
        return mac.doFinal();
    }

    /**
     * prf+(key, seed) = T1 | T2 | ... truncated to {@code length}, where T1 = prf(K, S | 0x01) and
     * Tn = prf(K, Tn-1 | S | n) (RFC 7296 section 2.13). At most 255 iterations.
     *
     * @throws IllegalArgumentException if {@code length} needs more than 255 iterations
     */
    public byte[] plus(byte[] key, byte[] seed, int length) {
        int size = outputBytes();
        if (length < 0 || length > 255 * size) {
            throw new IllegalArgumentException("prf+ cannot produce " + length + " octets with " + algorithm);
        }
        byte[] out = new byte[length];
        Mac mac = mac(algorithm, key);
        byte[] t = new byte[0];
        int done = 0;
        for (int n = 1; done < length; n++) {
            mac.update(t);
            mac.update(seed);
            mac.update((byte) n);
            t = mac.doFinal();
            int take = Math.min(size, length - done);
            System.arraycopy(t, 0, out, done, take);
            done += take;
        }
        return out;
    }

    /** A JCE HMAC of {@code algorithm} keyed with {@code key} (any length, even empty). */
    static Mac mac(AuthAlgorithm algorithm, byte[] key) {
        try {
            Mac mac = Jca.mac(algorithm.jceName());
            // SecretKeySpec refuses an empty key; HMAC with one is well defined
            mac.init(key.length == 0 ? new RawKey(new byte[0], algorithm.jceName())
                    : new SecretKeySpec(key, algorithm.jceName()));
            return mac;
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("HMAC refused a key of " + key.length + " octets", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm.jceName() + " is not available", e);
        }
    }
}
