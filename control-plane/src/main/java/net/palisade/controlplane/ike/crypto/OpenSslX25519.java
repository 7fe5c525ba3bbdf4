package net.palisade.controlplane.ike.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;


/**
 * X25519 (RFC 7748) through OpenSSL 3's libcrypto, as FFM downcalls. {@link KeyExchanges} makes our native key from
 * both halves of the pair ({@link #fromKeyPair}: nothing computed), agrees ({@link #agree}) and frees it
 * ({@link #free}) in one call; {@link #fromPrivate} (OpenSSL computes the public value, a scalar multiplication) and
 * {@link #generate} (OpenSSL's own key generation) are there for the known-answer test and {@code X25519Bench},
 * which measured them slower. Keys are passed as addresses ({@code long}).
 *
 * <p>Loading never throws: without {@code libcrypto.so.3} or one of its functions {@link #available()} is false.
 *
 * <p>Every handle is linked {@link java.lang.foreign.Linker.Option#critical(boolean) critical(true)} through
 * {@link Libcrypto} (shared with {@link OpenSslEcp} and {@link OpenSslModp}): the octets go in and out as heap
 * segments without a copy. Sound because these calls never block nor call back into Java and take tens of
 * microseconds at most (one scalar multiplication).
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
public final class OpenSslX25519 {

    static final int SIZE = 32;

    /** "X25519" as a C string, for the key-type parameters; lives as long as the JVM. */
    private static final MemorySegment X25519_NAME;
    /** {@code OSSL_PKEY_PARAM_PRIV_KEY} and {@code OSSL_PKEY_PARAM_PUB_KEY} as C strings. */
    private static final MemorySegment PRIV_NAME;
    private static final MemorySegment PUB_NAME;
    /** {@code EVP_PKEY_KEYPAIR} ({@code include/openssl/evp.h}). */
    private static final int EVP_PKEY_KEYPAIR = 0x87;
    /** {@code OSSL_PARAM_OCTET_STRING} ({@code include/openssl/core.h}). */
    private static final int OSSL_PARAM_OCTET_STRING = 5;
    /** {@code sizeof(OSSL_PARAM)} on LP64: key, data_type (padded), data, data_size, return_size. */
    private static final int PARAM_SIZE = 40;

    static {
        X25519_NAME = Arena.global().allocateFrom("X25519");
        PRIV_NAME = Arena.global().allocateFrom("priv");
        PUB_NAME = Arena.global().allocateFrom("pub");
    }

    /**
     * {@code EVP_PKEY *EVP_PKEY_new_raw_private_key_ex(OSSL_LIB_CTX *libctx, const char *keytype, const char *propq,
     * const unsigned char *priv, size_t len);}
     */
    private static final MethodHandle NEW_PRIVATE = Libcrypto.link("EVP_PKEY_new_raw_private_key_ex",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    /** {@code EVP_PKEY_new_raw_public_key_ex}, same parameters. */
    private static final MethodHandle NEW_PUBLIC = Libcrypto.link("EVP_PKEY_new_raw_public_key_ex",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    /** {@code int EVP_PKEY_get_raw_public_key(const EVP_PKEY *pkey, unsigned char *pub, size_t *len);} */
    private static final MethodHandle GET_PUBLIC = Libcrypto.link("EVP_PKEY_get_raw_public_key",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    /** {@code void EVP_PKEY_free(EVP_PKEY *pkey);} */
    private static final MethodHandle PKEY_FREE = Libcrypto.link("EVP_PKEY_free", FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_pkey(OSSL_LIB_CTX *libctx, EVP_PKEY *pkey, const char *propq);} */
    private static final MethodHandle CTX_FROM_PKEY = Libcrypto.link("EVP_PKEY_CTX_new_from_pkey",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /** {@code EVP_PKEY_CTX *EVP_PKEY_CTX_new_from_name(OSSL_LIB_CTX *libctx, const char *name, const char *propq);} */
    private static final MethodHandle CTX_FROM_NAME = Libcrypto.link("EVP_PKEY_CTX_new_from_name",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /** {@code void EVP_PKEY_CTX_free(EVP_PKEY_CTX *ctx);} */
    private static final MethodHandle CTX_FREE = Libcrypto.link("EVP_PKEY_CTX_free",
            FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code int EVP_PKEY_keygen_init(EVP_PKEY_CTX *ctx);} */
    private static final MethodHandle KEYGEN_INIT = Libcrypto.link("EVP_PKEY_keygen_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code int EVP_PKEY_keygen(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey);} */
    private static final MethodHandle KEYGEN = Libcrypto.link("EVP_PKEY_keygen",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    /** {@code int EVP_PKEY_derive_init(EVP_PKEY_CTX *ctx);} */
    private static final MethodHandle DERIVE_INIT = Libcrypto.link("EVP_PKEY_derive_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code int EVP_PKEY_derive_set_peer_ex(EVP_PKEY_CTX *ctx, EVP_PKEY *peer, int validate_peer);} */
    private static final MethodHandle SET_PEER = Libcrypto.link("EVP_PKEY_derive_set_peer_ex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    /** {@code int EVP_PKEY_derive(EVP_PKEY_CTX *ctx, unsigned char *key, size_t *keylen);} */
    private static final MethodHandle DERIVE = Libcrypto.link("EVP_PKEY_derive",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    /** {@code int EVP_PKEY_fromdata_init(EVP_PKEY_CTX *ctx);} */
    private static final MethodHandle FROMDATA_INIT = Libcrypto.link("EVP_PKEY_fromdata_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code int EVP_PKEY_fromdata(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey, int selection, OSSL_PARAM params[]);} */
    private static final MethodHandle FROMDATA = Libcrypto.link("EVP_PKEY_fromdata",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
    private static final String FAILURE = Libcrypto.failure();

    private OpenSslX25519() {
    }

    /** True when libcrypto and every function above were found. */
    public static boolean available() {
        return FAILURE == null;
    }

    /** Why {@link #available()} is false, or null. */
    public static String unavailableReason() {
        return FAILURE;
    }

    /** Our key from its 32 raw private octets (RFC 7748 clamping is OpenSSL's); its address, never 0. */
    public static long fromPrivate(byte[] k) {
        if (k.length != SIZE) {
            throw new IllegalArgumentException("X25519 private key of " + k.length + " octets");
        }
        try {
            MemorySegment p = (MemorySegment) NEW_PRIVATE.invokeExact(MemorySegment.NULL, X25519_NAME,
                    MemorySegment.NULL, MemorySegment.ofArray(k), (long) SIZE);
            return Libcrypto.nonNull(p, "EVP_PKEY_new_raw_private_key_ex");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** A new key from OpenSSL's own generator (keygen on {@code ctx}, see {@link #keygenContext()}). */
    public static long generate(long ctx) {
        try {
            long[] out = new long[1];
            int ok = (int) KEYGEN.invokeExact(MemorySegment.ofAddress(ctx), MemorySegment.ofArray(out));
            if (ok != 1 || out[0] == 0) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EVP_PKEY_keygen failed");
            }
            return out[0];
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** A keygen context for {@link #generate(long)}: X25519 fetched once, keygen initialised. */
    public static long keygenContext() {
        try {
            MemorySegment ctx = (MemorySegment) CTX_FROM_NAME.invokeExact(MemorySegment.NULL, X25519_NAME,
                    MemorySegment.NULL);
            long c = Libcrypto.nonNull(ctx, "EVP_PKEY_CTX_new_from_name");
            if ((int) KEYGEN_INIT.invokeExact(ctx) != 1) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EVP_PKEY_keygen_init failed");
            }
            return c;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** Frees a context from {@link #keygenContext()}. */
    public static void freeContext(long ctx) {
        try {
            CTX_FREE.invokeExact(MemorySegment.ofAddress(ctx));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /** The 32-octet public value of a key. */
    public static byte[] publicValue(long key) {
        byte[] pub = new byte[SIZE];
        long[] len = {SIZE};
        try {
            int ok = (int) GET_PUBLIC.invokeExact(MemorySegment.ofAddress(key), MemorySegment.ofArray(pub),
                    MemorySegment.ofArray(len));
            if (ok != 1 || len[0] != SIZE) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EVP_PKEY_get_raw_public_key failed");
            }
            return pub;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    /**
     * The shared secret of our key with the peer's 32-octet public value, or null when OpenSSL refuses it (it
     * refuses an all-zero result, RFC 7748 section 6.1).
     */
    public static byte[] agree(long key, byte[] peer) {
        if (peer.length != SIZE) {
            throw new IllegalArgumentException("X25519 public value of " + peer.length + " octets");
        }
        MemorySegment theirs = MemorySegment.NULL;
        MemorySegment ctx = MemorySegment.NULL;
        try {
            theirs = (MemorySegment) NEW_PUBLIC.invokeExact(MemorySegment.NULL, X25519_NAME, MemorySegment.NULL,
                    MemorySegment.ofArray(peer), (long) SIZE);
            if (theirs.equals(MemorySegment.NULL)) {
                Libcrypto.clearErrors();
                return null;
            }
            ctx = (MemorySegment) CTX_FROM_PKEY.invokeExact(MemorySegment.NULL, MemorySegment.ofAddress(key),
                    MemorySegment.NULL);
            Libcrypto.nonNull(ctx, "EVP_PKEY_CTX_new_from_pkey");
            byte[] out = new byte[SIZE];
            long[] len = {SIZE};
            // validate_peer 0: an X25519 public key has nothing to check (any 32 octets is a u-coordinate)
            if ((int) DERIVE_INIT.invokeExact(ctx) != 1 || (int) SET_PEER.invokeExact(ctx, theirs, 0) != 1
                    || (int) DERIVE.invokeExact(ctx, MemorySegment.ofArray(out), MemorySegment.ofArray(len)) != 1
                    || len[0] != SIZE) {
                Libcrypto.clearErrors();
                return null;
            }
            return out;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            try {
                if (!ctx.equals(MemorySegment.NULL)) {
                    CTX_FREE.invokeExact(ctx);
                }
                if (!theirs.equals(MemorySegment.NULL)) {
                    PKEY_FREE.invokeExact(theirs);
                }
            } catch (Throwable t) {
                throw new AssertionError("FFM downcall failed unexpectedly", t);
            }
        }
    }

    /**
     * Our key from its private octets and its public value, both given: OpenSSL then computes nothing
     * ({@code EVP_PKEY_fromdata} with both, where {@link #fromPrivate} makes the public value again, a scalar
     * multiplication). The caller vouches that {@code pub} belongs to {@code k}; the agreement uses only {@code k}.
     * The native copy of {@code k} is zeroed before this returns.
     */
    public static long fromKeyPair(byte[] k, byte[] pub) {
        if (k.length != SIZE || pub.length != SIZE) {
            throw new IllegalArgumentException("X25519 key pair of " + k.length + " and " + pub.length + " octets");
        }
        MemorySegment ctx = MemorySegment.NULL;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(2 * SIZE + 3 * PARAM_SIZE, 8);
            MemorySegment privData = data.asSlice(0, SIZE);
            MemorySegment pubData = data.asSlice(SIZE, SIZE);
            MemorySegment.copy(MemorySegment.ofArray(k), 0, privData, 0, SIZE);
            MemorySegment.copy(MemorySegment.ofArray(pub), 0, pubData, 0, SIZE);
            MemorySegment params = data.asSlice(2 * SIZE, 3 * PARAM_SIZE); // allocate zeroes: the terminator
            param(params, 0, PRIV_NAME, privData);
            param(params, 1, PUB_NAME, pubData);
            try {
                ctx = (MemorySegment) CTX_FROM_NAME.invokeExact(MemorySegment.NULL, X25519_NAME, MemorySegment.NULL);
                Libcrypto.nonNull(ctx, "EVP_PKEY_CTX_new_from_name");
                long[] out = new long[1];
                if ((int) FROMDATA_INIT.invokeExact(ctx) != 1 || (int) FROMDATA.invokeExact(ctx,
                        MemorySegment.ofArray(out), EVP_PKEY_KEYPAIR, params) != 1 || out[0] == 0) {
                    Libcrypto.clearErrors();
                    throw new IllegalStateException("EVP_PKEY_fromdata failed");
                }
                return out[0];
            } finally {
                privData.fill((byte) 0);
                if (!ctx.equals(MemorySegment.NULL)) {
                    CTX_FREE.invokeExact(ctx);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    private static void param(MemorySegment params, int i, MemorySegment key, MemorySegment data) {
        long at = (long) i * PARAM_SIZE;
        params.set(ADDRESS, at, key);
        params.set(JAVA_INT, at + 8, OSSL_PARAM_OCTET_STRING);
        params.set(ADDRESS, at + 16, data);
        params.set(JAVA_LONG, at + 24, data.byteSize());
        params.set(JAVA_LONG, at + 32, 0L);
    }

    /** Frees a key (EVP_PKEY_free cleanses the private octets); 0 is ignored. */
    public static void free(long key) {
        if (key == 0) {
            return;
        }
        try {
            PKEY_FREE.invokeExact(MemorySegment.ofAddress(key));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
