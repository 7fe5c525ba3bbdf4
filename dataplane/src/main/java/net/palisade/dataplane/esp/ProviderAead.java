package net.palisade.dataplane.esp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * One AEAD algorithm's functions in the OpenSSL 3 provider that implements it, called without the
 * {@code EVP_CIPHER_CTX} layer in between: what {@code EVP_EncryptInit_ex}, {@code EVP_EncryptUpdate},
 * {@code EVP_EncryptFinal_ex} and {@code EVP_CIPHER_CTX_ctrl} call themselves. The layer costs about 100 ns a
 * packet in OpenSSL 3.0 — setting the nonce asks the provider for the IV length through an {@code OSSL_PARAM}
 * lookup by name ({@code strcmp} per known parameter), the tag travels through another — which is a quarter of
 * AES-128-GCM's whole cost for a 1400-octet packet (see docs/benchmarks.md, 2026-12-07 issue 14 section).
 *
 * <p>Found once per algorithm through public API only: {@code EVP_CIPHER_fetch} (so the library context's
 * configuration picks the provider, as it does for {@code EVP_aes_128_gcm()}), {@code EVP_CIPHER_get0_provider},
 * {@code OSSL_PROVIDER_query_operation(OSSL_OP_CIPHER)} for the algorithm's dispatch table ({@code core_dispatch.h}
 * function numbers) and {@code OSSL_PROVIDER_get0_provider_ctx}. The fetched {@code EVP_CIPHER} is kept for the
 * life of the process, so the provider stays loaded. The per-packet handles are linked critical, as
 * {@link LibCrypto}'s are: heap arrays go to the provider without a copy.
 *
 * <p>{@link #of} answers null when anything is missing, or with {@code -Dpalisade.openssl.evpOnly=true};
 * {@link OpenSslAeadTransform} then uses the EVP functions.
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
final class ProviderAead {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);

    /** {@code OSSL_OP_CIPHER} and the {@code OSSL_FUNC_CIPHER_*} numbers of {@code openssl/core_dispatch.h}. */
    private static final int OP_CIPHER = 2;
    private static final int NEWCTX = 1;
    private static final int ENCRYPT_INIT = 2;
    private static final int DECRYPT_INIT = 3;
    private static final int UPDATE = 4;
    private static final int FINAL = 5;
    private static final int FREECTX = 7;
    private static final int GET_CTX_PARAMS = 10;
    private static final int SET_CTX_PARAMS = 11;
    /** {@code OSSL_PARAM_OCTET_STRING}; an {@code OSSL_PARAM} is key, type, data, data_size, return_size. */
    static final int OSSL_PARAM_OCTET_STRING = 5;
    static final long OSSL_PARAM_SIZE = 40;

    /** {@code -Dpalisade.openssl.evpOnly=true}: never the provider's functions (benchmarks compare the two). */
    static final String EVP_ONLY_PROPERTY = "palisade.openssl.evpOnly";

    private static final Map<EncryptionAlgorithm, Object> FOUND = new EnumMap<>(EncryptionAlgorithm.class);

    final MemorySegment provctx;
    /** {@code void *newctx(void *provctx)} */
    final MethodHandle newctx;
    /** {@code void freectx(void *cctx)} (the provider cleanses the key schedule) */
    final MethodHandle freectx;
    /** {@code int encrypt_init(void *cctx, key, size_t keylen, iv, size_t ivlen, const OSSL_PARAM params[])} */
    final MethodHandle encryptInit;
    final MethodHandle decryptInit;
    /** {@code int update(void *cctx, out, size_t *outl, size_t outsize, in, size_t inl)} ({@code out} NULL: AAD) */
    final MethodHandle update;
    /** {@code int final(void *cctx, out, size_t *outl, size_t outsize)} */
    final MethodHandle doFinal;
    /** {@code int get_ctx_params(void *cctx, OSSL_PARAM params[])} / {@code set_ctx_params} */
    final MethodHandle getCtxParams;
    final MethodHandle setCtxParams;
    private final String description;

    private ProviderAead(MemorySegment provctx, MemorySegment[] f, String description) {
        this.provctx = provctx;
        this.newctx = LINKER.downcallHandle(f[NEWCTX], FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.freectx = LINKER.downcallHandle(f[FREECTX], FunctionDescriptor.ofVoid(ADDRESS));
        FunctionDescriptor init = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
                ADDRESS);
        this.encryptInit = LINKER.downcallHandle(f[ENCRYPT_INIT], init, CRITICAL);
        this.decryptInit = LINKER.downcallHandle(f[DECRYPT_INIT], init, CRITICAL);
        this.update = LINKER.downcallHandle(f[UPDATE],
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), CRITICAL);
        this.doFinal = LINKER.downcallHandle(f[FINAL],
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG), CRITICAL);
        FunctionDescriptor params = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        this.getCtxParams = LINKER.downcallHandle(f[GET_CTX_PARAMS], params, CRITICAL);
        this.setCtxParams = LINKER.downcallHandle(f[SET_CTX_PARAMS], params, CRITICAL);
        this.description = description;
    }

    /** The provider functions of {@code algorithm}, or null if libcrypto does not offer them (then use EVP). */
    static synchronized ProviderAead of(EncryptionAlgorithm algorithm) {
        Object found = FOUND.computeIfAbsent(algorithm, ProviderAead::find);
        return found instanceof ProviderAead p ? p : null;
    }

    /** Why {@link #of} answers null for {@code algorithm}, or null if it does not. */
    static synchronized String unavailableReason(EncryptionAlgorithm algorithm) {
        Object found = FOUND.computeIfAbsent(algorithm, ProviderAead::find);
        return found instanceof String s ? s : null;
    }

    static String opensslName(EncryptionAlgorithm algorithm) {
        return switch (algorithm) {
            case AES_128_GCM -> "AES-128-GCM";
            case AES_256_GCM -> "AES-256-GCM";
            case CHACHA20_POLY1305 -> "ChaCha20-Poly1305";
            default -> null;
        };
    }

    /** A ProviderAead, or a String saying why there is none. */
    private static Object find(EncryptionAlgorithm algorithm) {
        if (Boolean.getBoolean(EVP_ONLY_PROPERTY)) {
            return "-D" + EVP_ONLY_PROPERTY + "=true";
        }
        String name = opensslName(algorithm);
        if (name == null) {
            return algorithm + " is not an AEAD algorithm libcrypto offers";
        }
        if (!LibCrypto.available()) {
            return "libcrypto unavailable: " + LibCrypto.unavailableReason();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cipher = (MemorySegment) LibCrypto.CIPHER_FETCH.invokeExact(MemorySegment.NULL,
                    arena.allocateFrom(name), MemorySegment.NULL);
            if (cipher.equals(MemorySegment.NULL)) {
                LibCrypto.ERR_CLEAR_ERROR.invokeExact();
                return "EVP_CIPHER_fetch found no " + name;
            }
            // kept: the fetched cipher holds a reference on its provider, which must stay loaded
            MemorySegment provider = (MemorySegment) LibCrypto.CIPHER_GET0_PROVIDER.invokeExact(cipher);
            MemorySegment provctx = (MemorySegment) LibCrypto.PROVIDER_GET0_PROVIDER_CTX.invokeExact(provider);
            MemorySegment noCache = arena.allocate(JAVA_INT);
            MemorySegment algorithms = (MemorySegment) LibCrypto.PROVIDER_QUERY_OPERATION.invokeExact(provider,
                    OP_CIPHER, noCache);
            if (algorithms.equals(MemorySegment.NULL)) {
                return "the provider of " + name + " lists no ciphers";
            }
            try {
                return dispatch(provctx, algorithms, name);
            } finally {
                LibCrypto.PROVIDER_UNQUERY_OPERATION.invokeExact(provider, OP_CIPHER, algorithms);
            }
        } catch (RuntimeException | Error e) {
            return "looking up the provider functions of " + name + " failed: " + e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** Walks the {@code OSSL_ALGORITHM} array (names, properties, dispatch, description) for {@code name}. */
    private static Object dispatch(MemorySegment provctx, MemorySegment algorithms, String name) {
        long algorithmSize = 4 * ADDRESS.byteSize();
        MemorySegment list = algorithms.reinterpret(Long.MAX_VALUE);
        for (long at = 0; ; at += algorithmSize) {
            MemorySegment names = list.get(ADDRESS, at);
            if (names.equals(MemorySegment.NULL)) {
                return "the provider lists no " + name;
            }
            String all = names.reinterpret(Long.MAX_VALUE).getString(0);
            boolean match = false;
            for (String n : all.split(":")) {
                match |= n.toUpperCase(Locale.ROOT).equals(name.toUpperCase(Locale.ROOT));
            }
            if (!match) {
                continue;
            }
            MemorySegment table = list.get(ADDRESS, at + 2 * ADDRESS.byteSize()).reinterpret(Long.MAX_VALUE);
            MemorySegment[] f = new MemorySegment[SET_CTX_PARAMS + 1];
            long entry = JAVA_LONG.byteSize() + ADDRESS.byteSize(); // int function_id, padding, function pointer
            for (long d = 0; ; d += entry) {
                int id = table.get(JAVA_INT, d);
                if (id == 0) {
                    break;
                }
                if (id < f.length) {
                    f[id] = table.get(ADDRESS, d + JAVA_LONG.byteSize());
                }
            }
            for (int needed : new int[] {NEWCTX, ENCRYPT_INIT, DECRYPT_INIT, UPDATE, FINAL, FREECTX, GET_CTX_PARAMS,
                    SET_CTX_PARAMS}) {
                if (f[needed] == null || f[needed].equals(MemorySegment.NULL)) {
                    return "the provider's " + name + " lacks function " + needed;
                }
            }
            return new ProviderAead(provctx, f, all.split(":")[0] + " provider functions");
        }
    }

    /**
     * Writes a one-entry {@code OSSL_PARAM} array (octet string {@code key}, {@code length} octets at
     * {@code data}) and its end marker into {@code params} (2 × {@link #OSSL_PARAM_SIZE} octets, zeroed).
     */
    static void octetParam(MemorySegment params, MemorySegment key, MemorySegment data, long length) {
        params.set(ADDRESS, 0, key);
        params.set(JAVA_INT, 8, OSSL_PARAM_OCTET_STRING);
        params.set(ADDRESS, 16, data);
        params.set(JAVA_LONG, 24, length);
        params.set(JAVA_LONG, 32, 0);
    }

    @Override
    public String toString() {
        return description;
    }
}
