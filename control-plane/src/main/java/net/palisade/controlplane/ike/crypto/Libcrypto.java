package net.palisade.controlplane.ike.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import net.palisade.dataplane.io.NativeLibrary;

/**
 * What the IKE engine's libcrypto users share ({@link OpenSslX25519}, {@link OpenSslEcp}, {@link OpenSslModp}): the
 * library, loaded once; their handles, linked critical (heap arrays passed without a copy: none of these calls
 * blocks or calls back into Java); OpenSSL's error queue, cleared after a failed call; and the BIGNUM calls that
 * carry a secret in and a result out. Loading and linking never throw: {@link #failure()} says what is missing, and
 * each user then reports itself unavailable.
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
final class Libcrypto {

    private static final NativeLibrary LIB = new NativeLibrary("libcrypto.so.3");
    /** {@code BN_FLG_CONSTTIME}. */
    private static final int BN_FLG_CONSTTIME = 0x04;

    /** {@code void ERR_clear_error(void);} */
    private static final MethodHandle ERR_CLEAR = link("ERR_clear_error", FunctionDescriptor.ofVoid());
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

    private Libcrypto() {
    }

    /** A critical downcall handle, or null when libcrypto or the function is missing (see {@link #failure()}). */
    static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return LIB.link(name, descriptor, true);
    }

    /** A handle for a call that may take long or allocate much (not critical), or null as {@link #link}. */
    static MethodHandle linkPlain(String name, FunctionDescriptor descriptor) {
        return LIB.link(name, descriptor, false);
    }

    /** Why a handle linked so far is null, or null when every one was linked. */
    static String failure() {
        return LIB.failure();
    }

    /** Empties OpenSSL's error queue of this thread (after a call that failed). */
    static void clearErrors() {
        try {
            ERR_CLEAR.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** {@code p}'s address; a NULL from {@code call} clears the error queue and throws. */
    static long nonNull(MemorySegment p, String call) {
        if (p.equals(MemorySegment.NULL)) {
            clearErrors();
            throw new IllegalStateException(call + " returned NULL");
        }
        return p.address();
    }

    /** A new BIGNUM of the big-endian {@code octets}; the caller frees it with {@link #clearFree}. */
    static MemorySegment bignum(byte[] octets) throws Throwable {
        MemorySegment bn = (MemorySegment) BIN2BN.invokeExact(MemorySegment.ofArray(octets), octets.length,
                MemorySegment.NULL);
        nonNull(bn, "BN_bin2bn");
        return bn;
    }

    /** A new BIGNUM of a secret: {@link #bignum} flagged constant-time. */
    static MemorySegment secret(byte[] octets) throws Throwable {
        MemorySegment bn = bignum(octets);
        BN_SET_FLAGS.invokeExact(bn, BN_FLG_CONSTTIME);
        return bn;
    }

    /** A new, empty BIGNUM. */
    static MemorySegment newBignum() throws Throwable {
        MemorySegment bn = (MemorySegment) BN_NEW.invokeExact();
        nonNull(bn, "BN_new");
        return bn;
    }

    /** {@code bn} as exactly {@code length} big-endian octets. */
    static byte[] octets(MemorySegment bn, int length) throws Throwable {
        byte[] out = new byte[length];
        if ((int) BN2BINPAD.invokeExact(bn, MemorySegment.ofArray(out), length) != length) {
            clearErrors();
            throw new IllegalStateException("BN_bn2binpad: the number does not fit in " + length + " octets");
        }
        return out;
    }

    /** Zeroes and frees a BIGNUM; NULL is skipped. */
    static void clearFree(MemorySegment bn) {
        if (bn.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            BN_CLEAR_FREE.invokeExact(bn);
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
