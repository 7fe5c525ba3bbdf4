package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.EspConstants.AEAD_EXPLICIT_IV_LENGTH;
import static net.palisade.dataplane.esp.EspConstants.AEAD_ICV_LENGTH;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static net.palisade.dataplane.esp.EspConstants.HEADER_LENGTH;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Arrays;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * AES-GCM with a 16-octet ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) on OpenSSL 3's libcrypto through the
 * FFM API, with no Java allocation per packet. Same nonce, AAD and IV rules as {@link AeadTransform}, hence the
 * same packets octet for octet:
 *
 * <ul>
 *   <li>nonce = salt (last 4 octets of the key material) || 8-octet explicit IV (the 64-bit sequence number);
 *   <li>AAD = SPI || sequence number, or SPI || ESN high 32 bits || ESN low 32 bits.
 * </ul>
 *
 * <p>Two cipher contexts per instance, one per direction, keyed once at construction. By default they are the
 * provider's own ({@link ProviderAead}: its {@code newctx}, {@code encrypt_init} with the key), and per packet the
 * provider's functions are called directly — {@code encrypt_init} with the nonce only, AAD update, data update,
 * final, and the tag through {@code get_ctx_params} / {@code set_ctx_params} — which is what the EVP functions
 * call, without the EVP layer's own work (in OpenSSL 3.0 about 100 ns a packet of {@code OSSL_PARAM} lookups by
 * name). If libcrypto does not offer the provider's functions, two {@code EVP_CIPHER_CTX}s
 * ({@code EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, NULL)}) and per packet
 * {@code EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce)}, AAD update, data update, final, and
 * {@code EVP_CTRL_AEAD_GET_TAG} / {@code SET_TAG}. Both give the same packets.
 *
 * <p>The packet's heap arrays go to libcrypto directly
 * ({@link java.lang.foreign.Linker.Option#critical(boolean) critical(true)} downcalls): no copy of the data (only
 * the 16-octet tag goes through a scratch array, native memory on the provider path). The {@code MemorySegment}
 * views of the caller's arrays are kept from call to call while array and offset stay the same, as a worker's
 * buffers do, so a packet allocates
 * nothing (JMH {@code -prof gc}: 0 B/op) without relying on C2's escape analysis; a new array or offset costs
 * one small view.
 *
 * <p>Open: libcrypto decrypts into {@code out} while it computes the tag and verifies it only in
 * {@code EVP_DecryptFinal_ex}. When the tag does not verify, the decrypted octets are overwritten with zeros
 * before {@code open} returns {@link EspOutcome#ICV_FAILED}, as SunJCE does: no unauthenticated plaintext is
 * exposed to the caller.
 *
 * <p>The key is handed to libcrypto straight from the caller's array (no copy on the Java side); libcrypto keeps
 * only its key schedule, which {@code EVP_CIPHER_CTX_free} (or the provider's {@code freectx}, which it calls)
 * cleanses. Contexts are freed by {@link #close()} or, failing that, by a {@link Cleaner} once the instance is
 * unreachable.
 *
 * <p>Not thread-safe, like every {@link EspTransform}: one instance per SA per worker thread; {@link #close()}
 * only when no thread uses the instance any more.
 *
 * <p>As SunJCE does, {@code seal} refuses to encrypt twice in a row under the same explicit IV (a reused
 * sequence number), with {@link IllegalStateException}: a caller bug that would break GCM's security.
 */
final class OpenSslAeadTransform extends NativeAeadTransform {

    private final MemorySegment encryptCtx;
    private final MemorySegment decryptCtx;
    /** The provider's own functions, called without the EVP layer; null: the EVP functions. */
    private final ProviderAead provider;
    /** Provider path: the tag in native memory, and an OSSL_PARAM array {"tag", octet string, tagNative, 16}. */
    private final MemorySegment tagNative;
    private final MemorySegment tagParams;
    private final long[] size = new long[1];
    private final MemorySegment sizeSegment = MemorySegment.ofArray(size);

    private final int[] outLength = new int[1];
    private final MemorySegment outLengthSegment = MemorySegment.ofArray(outLength);
    /** Receives what a final writes (nothing, for these stream-like AEADs): never the caller's array. */
    private static final int FINAL_SCRATCH = 32;
    private final MemorySegment finalScratch = MemorySegment.ofArray(new byte[FINAL_SCRATCH]);

    /**
     * @throws IllegalStateException if libcrypto is not available (see {@link LibCrypto#unavailableReason()}) or
     *     refuses the key
     */
    OpenSslAeadTransform(EncryptionAlgorithm algorithm, byte[] keyMaterial, int offset, boolean esn) {
        this(algorithm, keyMaterial, offset, esn, true);
    }

    /**
     * @param viaProvider call the provider's functions directly ({@link ProviderAead}) when libcrypto offers them;
     *     false: always the EVP functions (tests compare the two)
     */
    OpenSslAeadTransform(EncryptionAlgorithm algorithm, byte[] keyMaterial, int offset, boolean esn,
            boolean viaProvider) {
        super(algorithm, esn);
        requireAead(algorithm);
        if (!LibCrypto.available()) {
            throw new IllegalStateException("OpenSSL libcrypto unavailable: " + LibCrypto.unavailableReason());
        }
        AbstractEspTransform.checkRange(keyMaterial, offset, algorithm.keyMaterialBytes(), "key material");
        salt(algorithm, keyMaterial, offset);
        ProviderAead p = viaProvider ? ProviderAead.of(algorithm) : null;

        MemorySegment enc = MemorySegment.NULL;
        MemorySegment dec = MemorySegment.NULL;
        try {
            MemorySegment key = MemorySegment.ofArray(keyMaterial).asSlice(offset, algorithm.keyBytes());
            boolean keyed;
            if (p != null) {
                enc = newProviderContext(p);
                dec = newProviderContext(p);
                long keyLength = algorithm.keyBytes();
                keyed = (int) p.encryptInit.invokeExact(enc, key, keyLength, MemorySegment.NULL, 0L,
                        MemorySegment.NULL) == 1
                        && (int) p.decryptInit.invokeExact(dec, key, keyLength, MemorySegment.NULL, 0L,
                                MemorySegment.NULL) == 1;
            } else {
                MemorySegment cipher = cipher(algorithm);
                enc = LibCrypto.newContext();
                dec = LibCrypto.newContext();
                keyed = (int) LibCrypto.ENCRYPT_INIT.invokeExact(enc, cipher, MemorySegment.NULL, key,
                        MemorySegment.NULL) == 1
                        && (int) LibCrypto.DECRYPT_INIT.invokeExact(dec, cipher, MemorySegment.NULL, key,
                                MemorySegment.NULL) == 1;
            }
            if (!keyed) {
                clearErrors();
                throw new IllegalStateException("libcrypto refused the " + algorithm + " key");
            }
        } catch (RuntimeException | Error e) {
            new Free(p, enc.address(), dec.address()).run();
            throw e;
        } catch (Throwable t) {
            new Free(p, enc.address(), dec.address()).run();
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
        this.provider = p;
        this.encryptCtx = enc;
        this.decryptCtx = dec;
        if (p != null) {
            // Not secret (a tag and a parameter name); freed with the transform by the GC.
            Arena auto = Arena.ofAuto();
            this.tagNative = auto.allocate(AEAD_ICV_LENGTH);
            this.tagParams = auto.allocate(2 * ProviderAead.OSSL_PARAM_SIZE, 8);
            ProviderAead.octetParam(tagParams, auto.allocateFrom("tag"), tagNative, AEAD_ICV_LENGTH);
        } else {
            this.tagNative = null;
            this.tagParams = null;
        }
        wipeWith(new Free(p, enc.address(), dec.address()));
    }

    private static MemorySegment newProviderContext(ProviderAead p) throws Throwable {
        MemorySegment ctx = (MemorySegment) p.newctx.invokeExact(p.provctx);
        if (ctx.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("the provider's newctx returned NULL");
        }
        return ctx;
    }

    /** Whether this instance calls the provider's functions directly (else the EVP functions). */
    boolean viaProvider() {
        return provider != null;
    }

    /**
     * Frees both contexts (EVP_CIPHER_CTX_free, or the provider's freectx: both cleanse the key schedule);
     * captures addresses and the provider's handles only, never the transform. 0 is ignored.
     */
    private record Free(ProviderAead provider, long encryptCtx, long decryptCtx) implements Runnable {
        @Override
        public void run() {
            if (provider == null) {
                LibCrypto.freeContext(encryptCtx);
                LibCrypto.freeContext(decryptCtx);
                return;
            }
            for (long ctx : new long[] {encryptCtx, decryptCtx}) {
                if (ctx != 0) {
                    try {
                        provider.freectx.invokeExact(MemorySegment.ofAddress(ctx));
                    } catch (Throwable t) {
                        throw new AssertionError("FFM downcall failed unexpectedly", t);
                    }
                }
            }
        }
    }

    private static MemorySegment cipher(EncryptionAlgorithm algorithm) throws Throwable {
        MethodHandle getter = switch (algorithm) {
            case AES_128_GCM -> LibCrypto.AES_128_GCM;
            case AES_256_GCM -> LibCrypto.AES_256_GCM;
            case CHACHA20_POLY1305 -> LibCrypto.CHACHA20_POLY1305;
            default -> throw new IllegalArgumentException(algorithm + " is not an AEAD transform");
        };
        MemorySegment cipher = (MemorySegment) getter.invokeExact();
        if (cipher.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("libcrypto has no " + algorithm);
        }
        return cipher;
    }

    @Override
    void encryptAndAuthenticate(byte[] packet, int offset, int ciphertextLength, long sequenceNumber) {
        int aadLength = beginSeal(packet, offset, sequenceNumber);
        int plaintextOffset = offset + HEADER_LENGTH + AEAD_EXPLICIT_IV_LENGTH;
        MemorySegment data = sealData.at(packet, plaintextOffset);
        boolean ok;
        try {
            ok = provider != null ? sealViaProvider(data, aadLength, ciphertextLength)
                    : (int) LibCrypto.ENCRYPT_INIT.invokeExact(encryptCtx, MemorySegment.NULL,
                            MemorySegment.NULL, MemorySegment.NULL, nonceSegment) == 1
                            && (int) LibCrypto.ENCRYPT_UPDATE.invokeExact(encryptCtx, MemorySegment.NULL,
                                    outLengthSegment, aadSegment, aadLength) == 1
                            // Same pointer in and out: libcrypto encrypts in place.
                            && (int) LibCrypto.ENCRYPT_UPDATE.invokeExact(encryptCtx, data, outLengthSegment,
                                    data, ciphertextLength) == 1
                            && outLength[0] == ciphertextLength
                            && (int) LibCrypto.ENCRYPT_FINAL.invokeExact(encryptCtx, finalScratch,
                                    outLengthSegment) == 1
                            && outLength[0] == 0
                            && (int) LibCrypto.CTX_CTRL.invokeExact(encryptCtx, LibCrypto.EVP_CTRL_AEAD_GET_TAG,
                                    AEAD_ICV_LENGTH, tagSegment) == 1;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            // The Cleaner must not free the contexts while a call above still uses them.
            Reference.reachabilityFence(this);
        }
        if (!ok) {
            clearErrors();
            throw new IllegalStateException(name() + " seal failed in libcrypto");
        }
        if (provider != null) {
            MemorySegment.copy(tagNative, JAVA_BYTE, 0, packet, plaintextOffset + ciphertextLength,
                    AEAD_ICV_LENGTH);
        } else {
            System.arraycopy(tag, 0, packet, plaintextOffset + ciphertextLength, AEAD_ICV_LENGTH);
        }
        sealed();
    }

    @Override
    EspOutcome verifyAndDecrypt(byte[] packet, int offset, int ciphertextLength, long sequenceNumber, byte[] out,
            int outOffset) {
        int aadLength = beginOpen(packet, offset, sequenceNumber);
        int ciphertextOffset = offset + HEADER_LENGTH + AEAD_EXPLICIT_IV_LENGTH;
        MemorySegment ciphertext = openInput.at(packet, ciphertextOffset);
        MemorySegment plaintext = openOutput.at(out, outOffset);
        boolean prepared;
        boolean verified = false;
        try {
            if (provider != null) {
                MemorySegment.copy(packet, ciphertextOffset + ciphertextLength, tagNative, JAVA_BYTE, 0,
                        AEAD_ICV_LENGTH);
                prepared = openViaProvider(ciphertext, plaintext, aadLength, ciphertextLength);
                if (prepared) {
                    verified = (int) provider.doFinal.invokeExact(decryptCtx, finalScratch, sizeSegment,
                            (long) FINAL_SCRATCH) > 0;
                }
            } else {
                System.arraycopy(packet, ciphertextOffset + ciphertextLength, tag, 0, AEAD_ICV_LENGTH);
                prepared = (int) LibCrypto.DECRYPT_INIT.invokeExact(decryptCtx, MemorySegment.NULL,
                        MemorySegment.NULL, MemorySegment.NULL, nonceSegment) == 1
                        // SET_TAG copies the 16 octets into the context.
                        && (int) LibCrypto.CTX_CTRL.invokeExact(decryptCtx, LibCrypto.EVP_CTRL_AEAD_SET_TAG,
                                AEAD_ICV_LENGTH, tagSegment) == 1
                        && (int) LibCrypto.DECRYPT_UPDATE.invokeExact(decryptCtx, MemorySegment.NULL,
                                outLengthSegment, aadSegment, aadLength) == 1
                        && (int) LibCrypto.DECRYPT_UPDATE.invokeExact(decryptCtx, plaintext, outLengthSegment,
                                ciphertext, ciphertextLength) == 1
                        && outLength[0] == ciphertextLength;
                if (prepared) {
                    verified = (int) LibCrypto.DECRYPT_FINAL.invokeExact(decryptCtx, finalScratch,
                            outLengthSegment) > 0;
                }
            }
        } catch (Throwable t) {
            Arrays.fill(out, outOffset, outOffset + ciphertextLength, (byte) 0);
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            Reference.reachabilityFence(this);
        }
        if (verified) {
            return EspOutcome.OK;
        }
        // Unauthenticated plaintext is in out: wipe it before anyone sees it.
        Arrays.fill(out, outOffset, outOffset + ciphertextLength, (byte) 0);
        clearErrors();
        if (!prepared) {
            // Nothing here depends on packet contents (lengths are checked before): a broken context.
            throw new IllegalStateException(name() + " open failed in libcrypto before the tag check");
        }
        return EspOutcome.ICV_FAILED;
    }

    /**
     * Provider path of a seal: what EVP_EncryptInit_ex (nonce only), two EVP_EncryptUpdate, EVP_EncryptFinal_ex
     * and EVP_CTRL_AEAD_GET_TAG call, without their wrapping; the tag lands in {@link #tagNative}.
     */
    private boolean sealViaProvider(MemorySegment data, int aadLength, int ciphertextLength) throws Throwable {
        ProviderAead p = provider;
        return (int) p.encryptInit.invokeExact(encryptCtx, MemorySegment.NULL, 0L, nonceSegment,
                (long) nonce.length, MemorySegment.NULL) == 1
                && (int) p.update.invokeExact(encryptCtx, MemorySegment.NULL, sizeSegment, (long) aadLength,
                        aadSegment, (long) aadLength) == 1
                // Same pointer in and out: encrypted in place.
                && (int) p.update.invokeExact(encryptCtx, data, sizeSegment, (long) ciphertextLength, data,
                        (long) ciphertextLength) == 1
                && size[0] == ciphertextLength
                && (int) p.doFinal.invokeExact(encryptCtx, finalScratch, sizeSegment, (long) FINAL_SCRATCH) == 1
                && size[0] == 0
                && (int) p.getCtxParams.invokeExact(encryptCtx, tagParams) == 1;
    }

    /** Provider path of an open up to the final (which checks the tag, set here from {@link #tagNative}). */
    private boolean openViaProvider(MemorySegment ciphertext, MemorySegment plaintext, int aadLength,
            int ciphertextLength) throws Throwable {
        ProviderAead p = provider;
        return (int) p.decryptInit.invokeExact(decryptCtx, MemorySegment.NULL, 0L, nonceSegment,
                (long) nonce.length, MemorySegment.NULL) == 1
                && (int) p.setCtxParams.invokeExact(decryptCtx, tagParams) == 1
                && (int) p.update.invokeExact(decryptCtx, MemorySegment.NULL, sizeSegment, (long) aadLength,
                        aadSegment, (long) aadLength) == 1
                && (int) p.update.invokeExact(decryptCtx, plaintext, sizeSegment, (long) ciphertextLength,
                        ciphertext, (long) ciphertextLength) == 1
                && size[0] == ciphertextLength;
    }

    private static void clearErrors() {
        try {
            LibCrypto.ERR_CLEAR_ERROR.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }

    @Override
    public String toString() {
        return "OpenSslAeadTransform[" + name() + (extendedSequenceNumbers() ? ", esn" : "") + "]";
    }
}
