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
 * <p>Only the choice of provider is kept: every call returns a new object, keyed by its caller and dropped with it,
 * so no key schedule outlives the SA whose keys it holds. A provider added or reordered after the first call (the
 * node does neither) is not seen for names already asked.
 */
public final class Jca {
    private static final ConcurrentHashMap<String, Provider> MACS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Provider> CIPHERS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Provider> DIGESTS = new ConcurrentHashMap<>();

    private Jca() {
    }

    /** A new {@link Mac} of {@code algorithm}, not initialized. */
    public static Mac mac(String algorithm) throws NoSuchAlgorithmException {
        Provider p = MACS.get(algorithm);
        if (p != null) {
            return Mac.getInstance(algorithm, p);
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
        Provider p = DIGESTS.get(algorithm);
        if (p != null) {
            return MessageDigest.getInstance(algorithm, p);
        }
        MessageDigest d = MessageDigest.getInstance(algorithm);
        DIGESTS.putIfAbsent(algorithm, d.getProvider());
        return d;
    }
}
