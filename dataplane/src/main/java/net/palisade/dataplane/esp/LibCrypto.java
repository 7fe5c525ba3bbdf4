package net.palisade.dataplane.esp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import net.palisade.dataplane.io.NativeLibrary;

/**
 * The few OpenSSL 3 libcrypto functions {@link OpenSslAeadTransform} calls, as FFM downcall handles, looked up in
 * {@code libcrypto.so.3} (Debian 12: package {@code libssl3}).
 *
 * <p>Loading never throws: if the library or a symbol is missing, {@link #available()} is false and
 * {@link #unavailableReason()} says why; the handles are then null and must not be used.
 *
 * <p>The handles are linked through {@link NativeLibrary}. The per-packet ones ({@link #ENCRYPT_INIT},
 * {@link #DECRYPT_INIT}, the updates, finals and {@link #CTX_CTRL}) are linked critical
 * ({@link java.lang.foreign.Linker.Option#critical(boolean)}): they accept heap segments
 * ({@code MemorySegment.ofArray(byte[])}) without a copy and skip the thread-state transition. That is
 * sound because these calls are short, never block and never call back into Java; the GC waits for them (at
 * most a few microseconds for a jumbo packet).
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
final class LibCrypto {

    static final String LIBRARY = "libcrypto.so.3";

    /** {@code EVP_CTRL_AEAD_GET_TAG} (= {@code EVP_CTRL_GCM_GET_TAG}), {@code include/openssl/evp.h}. */
    static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    /** {@code EVP_CTRL_AEAD_SET_TAG} (= {@code EVP_CTRL_GCM_SET_TAG}). */
    static final int EVP_CTRL_AEAD_SET_TAG = 0x11;

    /** The library, loaded once; every handle below is linked from it (null when it or the function is missing). */
    private static final NativeLibrary LIB = new NativeLibrary(LIBRARY);

    // ---- setup --------------------------------------------------------------------------------------------

    /** {@code unsigned long OpenSSL_version_num(void);} */
    static final MethodHandle VERSION_NUM = link("OpenSSL_version_num", FunctionDescriptor.of(JAVA_LONG), false);

    /** {@code EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void);} */
    static final MethodHandle CTX_NEW = link("EVP_CIPHER_CTX_new", FunctionDescriptor.of(ADDRESS), false);

    /** {@code void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *ctx);} (cleanses the key schedule) */
    static final MethodHandle CTX_FREE = link("EVP_CIPHER_CTX_free", FunctionDescriptor.ofVoid(ADDRESS), false);

    /** {@code const EVP_CIPHER *EVP_aes_128_gcm(void);} and friends: static objects, never freed. */
    static final MethodHandle AES_128_GCM = link("EVP_aes_128_gcm", FunctionDescriptor.of(ADDRESS), false);
    static final MethodHandle AES_256_GCM = link("EVP_aes_256_gcm", FunctionDescriptor.of(ADDRESS), false);
    static final MethodHandle CHACHA20_POLY1305 =
            link("EVP_chacha20_poly1305", FunctionDescriptor.of(ADDRESS), false);

    /** {@code void ERR_clear_error(void);} (after a failed call, so the thread's error queue stays empty) */
    static final MethodHandle ERR_CLEAR_ERROR = link("ERR_clear_error", FunctionDescriptor.ofVoid(), false);

    /** {@code EVP_CIPHER *EVP_CIPHER_fetch(OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties);} */
    static final MethodHandle CIPHER_FETCH = link("EVP_CIPHER_fetch",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS), false);

    /** {@code const OSSL_PROVIDER *EVP_CIPHER_get0_provider(const EVP_CIPHER *cipher);} */
    static final MethodHandle CIPHER_GET0_PROVIDER = link("EVP_CIPHER_get0_provider",
            FunctionDescriptor.of(ADDRESS, ADDRESS), false);

    /** {@code void *OSSL_PROVIDER_get0_provider_ctx(const OSSL_PROVIDER *prov);} */
    static final MethodHandle PROVIDER_GET0_PROVIDER_CTX = link("OSSL_PROVIDER_get0_provider_ctx",
            FunctionDescriptor.of(ADDRESS, ADDRESS), false);

    /**
     * {@code const OSSL_ALGORITHM *OSSL_PROVIDER_query_operation(const OSSL_PROVIDER *prov, int operation_id,
     * int *no_cache);}
     */
    static final MethodHandle PROVIDER_QUERY_OPERATION = link("OSSL_PROVIDER_query_operation",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS), false);

    /**
     * {@code void OSSL_PROVIDER_unquery_operation(const OSSL_PROVIDER *prov, int operation_id,
     * const OSSL_ALGORITHM *algs);}
     */
    static final MethodHandle PROVIDER_UNQUERY_OPERATION = link("OSSL_PROVIDER_unquery_operation",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS), false);

    // ---- per packet (critical) ----------------------------------------------------------------------------

    /**
     * {@code int EVP_EncryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, ENGINE *impl,
     * const unsigned char *key, const unsigned char *iv);} (1 on success)
     */
    static final MethodHandle ENCRYPT_INIT = link("EVP_EncryptInit_ex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), true);

    /** {@code int EVP_DecryptInit_ex(...)}, same parameters. */
    static final MethodHandle DECRYPT_INIT = link("EVP_DecryptInit_ex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), true);

    /**
     * {@code int EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in,
     * int inl);} ({@code out} NULL: {@code in} is AAD)
     */
    static final MethodHandle ENCRYPT_UPDATE = link("EVP_EncryptUpdate",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), true);

    /** {@code int EVP_DecryptUpdate(...)}, same parameters. */
    static final MethodHandle DECRYPT_UPDATE = link("EVP_DecryptUpdate",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), true);

    /** {@code int EVP_EncryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl);} */
    static final MethodHandle ENCRYPT_FINAL = link("EVP_EncryptFinal_ex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), true);

    /** {@code int EVP_DecryptFinal_ex(...)}: not positive when the tag does not verify. */
    static final MethodHandle DECRYPT_FINAL = link("EVP_DecryptFinal_ex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), true);

    /** {@code int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr);} */
    static final MethodHandle CTX_CTRL = link("EVP_CIPHER_CTX_ctrl",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), true);

    private static final String FAILURE = computeFailure();

    private LibCrypto() {
    }

    /** True when libcrypto and every function above were found. */
    static boolean available() {
        return FAILURE == null;
    }

    /** Why {@link #available()} is false, or null. */
    static String unavailableReason() {
        return FAILURE;
    }

    /** "OpenSSL 3.0.19"-style version of the loaded library, from {@code OpenSSL_version_num()}. */
    static String version() {
        if (!available()) {
            return "unavailable";
        }
        try {
            long v = (long) VERSION_NUM.invokeExact();
            // 0xMNN00PP0L since OpenSSL 3.0
            return "OpenSSL " + (v >>> 28) + "." + ((v >>> 20) & 0xff) + "." + ((v >>> 4) & 0xff);
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor, boolean critical) {
        return LIB.link(name, descriptor, critical);
    }

    private static String computeFailure() {
        if (LIB.failure() != null) {
            return LIB.failure();
        }
        try {
            long v = (long) VERSION_NUM.invokeExact();
            if ((v >>> 28) < 3) {
                return LIBRARY + " reports version 0x" + Long.toHexString(v) + ", expected OpenSSL 3";
            }
        } catch (Throwable t) {
            return "calling OpenSSL_version_num failed: " + t;
        }
        return null;
    }

    /** Creates a context, or throws if libcrypto is out of memory. */
    static MemorySegment newContext() {
        try {
            MemorySegment ctx = (MemorySegment) CTX_NEW.invokeExact();
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("EVP_CIPHER_CTX_new returned NULL");
            }
            return ctx;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** Frees a context by address; 0 is ignored. Used from a {@link java.lang.ref.Cleaner} action. */
    static void freeContext(long address) {
        if (address == 0) {
            return;
        }
        try {
            CTX_FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
