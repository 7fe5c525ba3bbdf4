package net.palisade.controlplane.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;

/**
 * New, unkeyed JCA objects ({@link Mac}, {@link Cipher}, {@link MessageDigest}) from the provider the platform chose
 * for the algorithm the first time it was asked. {@code Mac.getInstance(name)} searches the whole provider list on
 * every call (SUN, SunRsaSign, SunEC, SunJSSE, then SunJCE for an HMAC; for a cipher every form of the
 * transformation in each provider): about 2 % of an IKE responder's CPU and 5 % of the load generator's in an IKE
 * setup run (perf, docs/benchmarks.md "2026-12-07"). Here the search runs once per algorithm name and later calls ask
 * that provider alone ({@code getInstance(name, provider)}: one service look-up).
 *
 * <p>Only the choice of provider is kept, and for a {@link Mac} or a {@link MessageDigest} one unkeyed, unused
 * instance of it that each later call clones (an HMAC's clone copies its digest and empty pads: no service look-up,
 * no reflective construction, no {@code MessageDigest.getInstance} inside SunJCE's HMAC). The prototype is never
 * keyed nor updated, so it holds nothing of any SA: every call returns a new object, keyed by its caller and
 * dropped with it, so no key schedule outlives the SA whose keys it holds. A provider added or reordered after the first call (the
 * node does neither) is not seen for names already asked.
 */
public final class Jca {
    private static final ConcurrentHashMap<String, Provider> MACS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Provider> CIPHERS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Provider> DIGESTS = new ConcurrentHashMap<>();
    /** Unkeyed, never-used instances to clone, by name (absent where the provider's cannot be cloned). */
    private static final ConcurrentHashMap<String, Mac> MAC_PROTOTYPES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, MessageDigest> DIGEST_PROTOTYPES = new ConcurrentHashMap<>();

    private Jca() {
    }

    /** A new {@link Mac} of {@code algorithm}, not initialized. */
    public static Mac mac(String algorithm) throws NoSuchAlgorithmException {
        Mac prototype = MAC_PROTOTYPES.get(algorithm);
        if (prototype != null) {
            try {
                return (Mac) prototype.clone();
            } catch (CloneNotSupportedException e) {
                MAC_PROTOTYPES.remove(algorithm);
            }
        }
        Provider p = MACS.get(algorithm);
        if (p != null) {
            Mac m = Mac.getInstance(algorithm, p);
            try {
                Mac fresh = Mac.getInstance(algorithm, p);
                fresh.clone(); // throws if this provider's cannot be cloned: then no prototype
                MAC_PROTOTYPES.putIfAbsent(algorithm, fresh);
            } catch (CloneNotSupportedException e) {
                // each call constructs its own, as before
            }
            return m;
        }
        Mac m = Mac.getInstance(algorithm);
        MACS.putIfAbsent(algorithm, m.getProvider());
        return m;
    }

    /** A new {@link Cipher} of {@code transformation}, not initialized. */
    public static Cipher cipher(String transformation) throws GeneralSecurityException {
        Provider p = CIPHERS.get(transformation);
        if (p != null) {
            return Cipher.getInstance(transformation, p);
        }
        Cipher c = Cipher.getInstance(transformation);
        CIPHERS.putIfAbsent(transformation, c.getProvider());
        return c;
    }

    /** A new {@link MessageDigest} of {@code algorithm}. */
    public static MessageDigest digest(String algorithm) throws NoSuchAlgorithmException {
        MessageDigest prototype = DIGEST_PROTOTYPES.get(algorithm);
        if (prototype != null) {
            try {
                return (MessageDigest) prototype.clone();
            } catch (CloneNotSupportedException e) {
                DIGEST_PROTOTYPES.remove(algorithm);
            }
        }
        Provider p = DIGESTS.get(algorithm);
        if (p != null) {
            MessageDigest d = MessageDigest.getInstance(algorithm, p);
            try {
                MessageDigest fresh = MessageDigest.getInstance(algorithm, p);
                fresh.clone();
                DIGEST_PROTOTYPES.putIfAbsent(algorithm, fresh);
            } catch (CloneNotSupportedException e) {
                // each call constructs its own, as before
            }
            return d;
        }
        MessageDigest d = MessageDigest.getInstance(algorithm);
        DIGESTS.putIfAbsent(algorithm, d.getProvider());
        return d;
    }
}
