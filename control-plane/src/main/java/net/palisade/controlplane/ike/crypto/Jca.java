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
    /**
     * Unkeyed, never-used instances to clone, by name, or {@link #NOT_CLONEABLE} where the provider's cannot be
     * cloned (then every call constructs its own).
     */
    private static final ConcurrentHashMap<String, Object> MAC_PROTOTYPES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Object> DIGEST_PROTOTYPES = new ConcurrentHashMap<>();
    private static final Object NOT_CLONEABLE = new Object();

    private Jca() {
    }

    /** A new {@link Mac} of {@code algorithm}, not initialized. */
    public static Mac mac(String algorithm) throws NoSuchAlgorithmException {
        return fromPrototype(algorithm, MACS, MAC_PROTOTYPES,
                p -> p == null ? Mac.getInstance(algorithm) : Mac.getInstance(algorithm, p), m -> (Mac) m.clone(),
                Mac::getProvider);
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
        return fromPrototype(algorithm, DIGESTS, DIGEST_PROTOTYPES,
                p -> p == null ? MessageDigest.getInstance(algorithm) : MessageDigest.getInstance(algorithm, p),
                d -> (MessageDigest) d.clone(), MessageDigest::getProvider);
    }

    /** Makes an instance from provider {@code p}, or from the platform's choice when {@code p} is null. */
    private interface Make<T> {
        T make(Provider p) throws NoSuchAlgorithmException;
    }

    private interface Copy<T> {
        T copy(T prototype) throws CloneNotSupportedException;
    }

    /**
     * A clone of the kept prototype of {@code algorithm}; else a new instance from the provider chosen the first
     * time (the search runs then), keeping an unused second one as the prototype once the provider's clone works.
     */
    @SuppressWarnings("unchecked")
    private static <T> T fromPrototype(String algorithm, ConcurrentHashMap<String, Provider> providers,
            ConcurrentHashMap<String, Object> prototypes, Make<T> make, Copy<T> copy,
            java.util.function.Function<T, Provider> providerOf) throws NoSuchAlgorithmException {
        Object prototype = prototypes.get(algorithm);
        if (prototype != null && prototype != NOT_CLONEABLE) {
            try {
                return copy.copy((T) prototype);
            } catch (CloneNotSupportedException e) {
                prototypes.put(algorithm, NOT_CLONEABLE);
                prototype = NOT_CLONEABLE;
            }
        }
        Provider p = providers.get(algorithm);
        if (p == null) {
            T first = make.make(null);
            providers.putIfAbsent(algorithm, providerOf.apply(first));
            return first;
        }
        T made = make.make(p);
        if (prototype == null) {
            T fresh = make.make(p);
            try {
                copy.copy(fresh); // throws if this provider's cannot be cloned: then no prototype
                prototypes.putIfAbsent(algorithm, fresh);
            } catch (CloneNotSupportedException e) {
                prototypes.putIfAbsent(algorithm, NOT_CLONEABLE);
            }
        }
        return made;
    }
}
