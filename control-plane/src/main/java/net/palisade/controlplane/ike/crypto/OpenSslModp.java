package net.palisade.controlplane.ike.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.math.BigInteger;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import net.palisade.dataplane.io.NativeLibrary;

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

    private static final NativeLibrary LIB = new NativeLibrary("libcrypto.so.3");
    /** {@code BN_FLG_CONSTTIME}. */
    private static final int BN_FLG_CONSTTIME = 0x04;

    /** {@code BIGNUM *BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret);} */
    private static final MethodHandle BIN2BN = link("BN_bin2bn",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
    /** {@code BIGNUM *BN_new(void);} */
    private static final MethodHandle BN_NEW = link("BN_new", FunctionDescriptor.of(ADDRESS));
    /** {@code int BN_bn2binpad(const BIGNUM *a, unsigned char *to, int tolen);} */
    private static final MethodHandle BN2BINPAD = link("BN_bn2binpad",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    /** {@code void BN_set_flags(BIGNUM *b, int n);} */
    private static final MethodHandle BN_SET_FLAGS = link("BN_set_flags",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
    /** {@code void BN_clear_free(BIGNUM *a);} */
    private static final MethodHandle BN_CLEAR_FREE = link("BN_clear_free", FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code BN_CTX *BN_CTX_new(void);} */
    private static final MethodHandle CTX_NEW = link("BN_CTX_new", FunctionDescriptor.of(ADDRESS));
    /** {@code void BN_CTX_free(BN_CTX *c);} */
    private static final MethodHandle CTX_FREE = link("BN_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code BN_MONT_CTX *BN_MONT_CTX_new(void);} */
    private static final MethodHandle MONT_NEW = link("BN_MONT_CTX_new", FunctionDescriptor.of(ADDRESS));
    /** {@code int BN_MONT_CTX_set(BN_MONT_CTX *mont, const BIGNUM *mod, BN_CTX *ctx);} */
    private static final MethodHandle MONT_SET = link("BN_MONT_CTX_set",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    /**
     * {@code int BN_mod_exp_mont_consttime(BIGNUM *rr, const BIGNUM *a, const BIGNUM *p, const BIGNUM *m, BN_CTX *ctx,
     * BN_MONT_CTX *in_mont);}
     */
    private static final MethodHandle MOD_EXP = link("BN_mod_exp_mont_consttime",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /** {@code void ERR_clear_error(void);} */
    private static final MethodHandle ERR_CLEAR = link("ERR_clear_error", FunctionDescriptor.ofVoid());

    private static final String FAILURE = LIB.failure();

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
            a = bignum(baseOctets);
            e = bignum(x);
            BN_SET_FLAGS.invokeExact(e, BN_FLG_CONSTTIME);
            r = (MemorySegment) BN_NEW.invokeExact();
            nonNull(r, "BN_new");
            ctx = (MemorySegment) CTX_NEW.invokeExact();
            nonNull(ctx, "BN_CTX_new");
            if ((int) MOD_EXP.invokeExact(r, a, e, m.p(), ctx, m.mont()) != 1) {
                clearErrors();
                throw new IllegalStateException("BN_mod_exp_mont_consttime failed");
            }
            byte[] out = new byte[m.bytes()];
            if ((int) BN2BINPAD.invokeExact(r, MemorySegment.ofArray(out), m.bytes()) != m.bytes()) {
                clearErrors();
                throw new IllegalStateException("BN_bn2binpad failed");
            }
            return out;
        } catch (RuntimeException | Error t) {
            throw t;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            try {
                for (MemorySegment bn : new MemorySegment[] {a, e, r}) {
                    if (!bn.equals(MemorySegment.NULL)) {
                        BN_CLEAR_FREE.invokeExact(bn);
                    }
                }
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
            MemorySegment bn = bignum(KeyExchanges.fixed(p, bytes));
            MemorySegment mont = (MemorySegment) MONT_NEW.invokeExact();
            nonNull(mont, "BN_MONT_CTX_new");
            MemorySegment ctx = (MemorySegment) CTX_NEW.invokeExact();
            nonNull(ctx, "BN_CTX_new");
            try {
                if ((int) MONT_SET.invokeExact(mont, bn, ctx) != 1) {
                    clearErrors();
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

    private static MemorySegment bignum(byte[] octets) throws Throwable {
        MemorySegment bn = (MemorySegment) BIN2BN.invokeExact(MemorySegment.ofArray(octets), octets.length,
                MemorySegment.NULL);
        nonNull(bn, "BN_bin2bn");
        return bn;
    }

    private static void nonNull(MemorySegment p, String call) {
        if (p.equals(MemorySegment.NULL)) {
            clearErrors();
            throw new IllegalStateException(call + " returned NULL");
        }
    }

    private static void clearErrors() {
        try {
            ERR_CLEAR.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return LIB.link(name, descriptor, true);
    }
}
