package net.palisade.controlplane.ike.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.math.BigInteger;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Modular exponentiation for the MODP groups through OpenSSL 3's libcrypto ({@code BN_mod_exp_mont_consttime}, FFM
 * downcalls): base^x mod p in constant time for the secret exponent, where the JDK's {@code BigInteger.modPow}
 * neither is constant-time nor as fast. Each prime is loaded once with its Montgomery context and shared read-only
 * by every thread; the exponent stays a Java array, and its native copy is flagged constant-time, cleared and freed
 * before each call returns, with the result's.
 *
 * <p>Loading never throws: without {@code libcrypto.so.3} or one of its functions {@link #available()} is false and
 * {@link KeyExchanges} stays on {@code BigInteger.modPow}. Handles are linked critical (heap arrays passed without a
 * copy): these calls never block nor call back into Java (a MODP-4096 exponentiation takes a few milliseconds).
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
public final class OpenSslModp {

    /** {@code BN_CTX *BN_CTX_new(void);} */
    private static final MethodHandle CTX_NEW = Libcrypto.link("BN_CTX_new", FunctionDescriptor.of(ADDRESS));
    /** {@code void BN_CTX_free(BN_CTX *c);} */
    private static final MethodHandle CTX_FREE = Libcrypto.link("BN_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code BN_MONT_CTX *BN_MONT_CTX_new(void);} */
    private static final MethodHandle MONT_NEW = Libcrypto.link("BN_MONT_CTX_new", FunctionDescriptor.of(ADDRESS));
    /** {@code int BN_MONT_CTX_set(BN_MONT_CTX *mont, const BIGNUM *mod, BN_CTX *ctx);} */
    private static final MethodHandle MONT_SET = Libcrypto.link("BN_MONT_CTX_set",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    /**
     * {@code int BN_mod_exp_mont_consttime(BIGNUM *rr, const BIGNUM *a, const BIGNUM *p, const BIGNUM *m, BN_CTX *ctx,
     * BN_MONT_CTX *in_mont);}
     */
    private static final MethodHandle MOD_EXP = Libcrypto.link("BN_mod_exp_mont_consttime",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final String FAILURE = Libcrypto.failure();

    /** A prime loaded into libcrypto with its Montgomery context; never freed (five groups at most). */
    private record Modulus(MemorySegment p, MemorySegment mont, int bytes) {
    }

    private static final Map<BigInteger, Modulus> MODULI = new ConcurrentHashMap<>();

    private OpenSslModp() {
    }

    /** True when libcrypto and every function above were found. */
    public static boolean available() {
        return FAILURE == null;
    }

    /** Why {@link #available()} is false, or null. */
    public static String unavailableReason() {
        return FAILURE;
    }

    /**
     * base^x mod p as {@code p}'s length in octets, big-endian. {@code base} is public (the generator or the peer's
     * checked value), {@code x} is the secret exponent (big-endian octets), computed in constant time.
     */
    public static byte[] modPow(BigInteger base, byte[] x, BigInteger p) {
        if (FAILURE != null) {
            throw new IllegalStateException("OpenSSL MODP unavailable: " + FAILURE);
        }
        Modulus m = MODULI.computeIfAbsent(p, OpenSslModp::load);
        byte[] baseOctets = KeyExchanges.fixed(base, m.bytes());
        MemorySegment a = MemorySegment.NULL;
        MemorySegment e = MemorySegment.NULL;
        MemorySegment r = MemorySegment.NULL;
        MemorySegment ctx = MemorySegment.NULL;
        try {
            a = Libcrypto.bignum(baseOctets);
            e = Libcrypto.secret(x);
            r = Libcrypto.newBignum();
            ctx = (MemorySegment) CTX_NEW.invokeExact();
            Libcrypto.nonNull(ctx, "BN_CTX_new");
            if ((int) MOD_EXP.invokeExact(r, a, e, m.p(), ctx, m.mont()) != 1) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("BN_mod_exp_mont_consttime failed");
            }
            return Libcrypto.octets(r, m.bytes());
        } catch (RuntimeException | Error t) {
            throw t;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            Libcrypto.clearFree(a);
            Libcrypto.clearFree(e);
            Libcrypto.clearFree(r);
            try {
                if (!ctx.equals(MemorySegment.NULL)) {
                    CTX_FREE.invokeExact(ctx);
                }
            } catch (Throwable t) {
                throw new AssertionError("FFM downcall failed unexpectedly", t);
            }
        }
    }

    private static Modulus load(BigInteger p) {
        int bytes = (p.bitLength() + 7) / 8;
        try {
            MemorySegment bn = Libcrypto.bignum(KeyExchanges.fixed(p, bytes));
            MemorySegment mont = (MemorySegment) MONT_NEW.invokeExact();
            Libcrypto.nonNull(mont, "BN_MONT_CTX_new");
            MemorySegment ctx = (MemorySegment) CTX_NEW.invokeExact();
            Libcrypto.nonNull(ctx, "BN_CTX_new");
            try {
                if ((int) MONT_SET.invokeExact(mont, bn, ctx) != 1) {
                    Libcrypto.clearErrors();
                    throw new IllegalStateException("BN_MONT_CTX_set failed");
                }
            } finally {
                CTX_FREE.invokeExact(ctx);
            }
            return new Modulus(bn, mont, bytes);
        } catch (RuntimeException | Error t) {
            throw t;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
