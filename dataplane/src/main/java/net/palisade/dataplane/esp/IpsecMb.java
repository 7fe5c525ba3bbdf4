package net.palisade.dataplane.esp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;
import net.palisade.dataplane.io.NativeLibrary;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * AES-GCM of Intel's IPsec Multi-Buffer library ({@code libIPSec_MB.so.1}, Debian 12 package {@code libipsec-mb1},
 * BSD-3-Clause) for {@link IpsecMbAeadTransform}: found once per JVM, checked, and never unloaded.
 *
 * <p>CPU dispatch is the library's own: {@code alloc_mb_mgr(0)} and {@code init_mb_mgr_auto}, which picks SSE, AVX,
 * AVX2 or AVX-512 (with VAES where the CPU has it) from CPUID, and fills the manager's function pointers
 * {@code gcm128_pre}, {@code gcm128_enc}, {@code gcm128_dec} and the 256-bit ones. We read those six pointers at the
 * offsets of the 1.3 header ({@code intel-ipsec-mb.h}: the header keeps existing fields in place within the 1.x ABI)
 * and accept them only if each one equals the address of one of the library's exported per-architecture symbols,
 * all six of the same architecture ({@code aes_gcm_enc_128_vaes_avx512}, {@code _avx512}, {@code _avx_gen4},
 * {@code _avx_gen2}, {@code _sse}): a manager of another layout, or an architecture we do not know (the AES-NI
 * emulation), is refused rather than called. So a machine without AVX-512 (an AMD Zen 3 has VAES on AVX2 only)
 * gets the function the library chose for it, never an AVX-512 one. The library's version must be 1.3 or later
 * within 1.x ({@code imb_get_version}), and its start-up self-test, when it reports one, must have passed.
 *
 * <p>Then a self-check: the GCM known answers of McGrew and Viega's "The Galois/Counter Mode of Operation"
 * (test cases 2, 4 and 14) through the chosen functions, sealing and opening, and a tampered tag must not verify.
 * Anything missing or wrong: {@link #available()} is false, {@link #unavailableReason()} says why, and the
 * dataplane stays on OpenSSL.
 *
 * <p>The per-packet functions are linked critical ({@link java.lang.foreign.Linker.Option#critical(boolean)}): they
 * take the worker's heap arrays without a copy. They are short (about 100 ns for 1400 octets with VAES), never
 * block and never call back into Java.
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
final class IpsecMb {

    static final String LIBRARY = "libIPSec_MB.so.1";
    /** {@code -Dpalisade.ipsecmb=false}: ESP AES-GCM stays on OpenSSL (the library is then not even loaded). */
    static final String PROPERTY = "palisade.ipsecmb";

    /** 1.3.0 ({@code IMB_VERSION(1, 3, 0)}); the offsets below are those of its header. */
    static final int MIN_VERSION = 0x10300;
    static final int NEXT_MAJOR = 0x20000;

    /** {@code offsetof(IMB_MGR, features)} and {@code used_arch}, x86-64, 1.3 header. */
    static final long MGR_FEATURES = 8;
    static final long MGR_USED_ARCH = 56;
    /** The six pointers we use, in the order of {@link #FUNCTIONS}: gcm128_pre, _enc, _dec, gcm256_pre, _enc, _dec. */
    static final long[] FUNCTION_OFFSETS = {448, 256, 280, 464, 272, 296};
    static final List<String> FUNCTIONS = List.of("aes_gcm_pre_128", "aes_gcm_enc_128", "aes_gcm_dec_128",
            "aes_gcm_pre_256", "aes_gcm_enc_256", "aes_gcm_dec_256");
    /** Suffixes of the library's exported per-architecture symbols, as {@code init_mb_mgr_*} assign them. */
    static final List<String> IMPLEMENTATIONS = List.of("vaes_avx512", "avx512", "avx_gen4", "avx_gen2", "sse");
    /** {@code IMB_ARCH}: NONE, NOAESNI, SSE, AVX, AVX2, AVX512. */
    private static final List<String> ARCHES = List.of("none", "no-aesni", "SSE", "AVX", "AVX2", "AVX512");
    private static final long FEATURE_SELF_TEST = 1L << 20;
    private static final long FEATURE_SELF_TEST_PASS = 1L << 21;
    /** Enough of the manager for the fields above. */
    private static final long MGR_READ = 512;

    /**
     * {@code sizeof(struct gcm_key_data)} is 1008 in 1.3 (64-byte aligned) and {@code struct gcm_context_data} 88;
     * the transforms allocate twice that, so a later 1.x with larger structures cannot write past our memory.
     */
    static final long KEY_DATA_BYTES = 2048;
    static final long KEY_DATA_ALIGNMENT = 64;
    static final long CONTEXT_BYTES = 256;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);
    /** {@code void aes_gcm_pre_128(const void *key, struct gcm_key_data *key_data)} */
    private static final FunctionDescriptor PRE = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS);
    /**
     * {@code void aes_gcm_enc_128(const struct gcm_key_data *, struct gcm_context_data *, uint8_t *out,
     * const uint8_t *in, uint64_t len, const uint8_t *iv, const uint8_t *aad, uint64_t aad_len, uint8_t *tag,
     * uint64_t tag_len)}; {@code dec} alike (it writes the computed tag; the caller compares).
     */
    private static final FunctionDescriptor ENC_DEC = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS,
            JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG);

    /** One key size's functions, as the library's dispatch chose them. */
    record Gcm(MethodHandle pre, MethodHandle enc, MethodHandle dec) {
    }

    private record Loaded(String version, String arch, String implementation, Gcm aes128, Gcm aes256) {
    }

    private static final Object STATE = load();

    private IpsecMb() {
    }

    /** True when the library loaded, its dispatch was accepted and the self-check passed. */
    static boolean available() {
        return STATE instanceof Loaded;
    }

    /** Why {@link #available()} is false, or null. */
    static String unavailableReason() {
        return STATE instanceof String reason ? reason : null;
    }

    /** E.g. "Intel IPsec-MB 1.3.0, AVX512 (aes_gcm_*_vaes_avx512)", or "unavailable". */
    static String describe() {
        return STATE instanceof Loaded l
                ? "Intel IPsec-MB " + l.version() + ", " + l.arch() + " (aes_gcm_*_" + l.implementation() + ")"
                : "unavailable";
    }

    /** The functions for AES-128-GCM or AES-256-GCM. */
    static Gcm gcm(EncryptionAlgorithm algorithm) {
        if (!(STATE instanceof Loaded l)) {
            throw new IllegalStateException(LIBRARY + " unavailable: " + STATE);
        }
        return switch (algorithm) {
            case AES_128_GCM -> l.aes128();
            case AES_256_GCM -> l.aes256();
            default -> throw new IllegalArgumentException(algorithm + " is not AES-GCM");
        };
    }

    /**
     * The dispatch check: the suffix of {@link #IMPLEMENTATIONS} whose six exported symbols ({@link #FUNCTIONS}
     * + "_" + suffix) are exactly {@code pointers}, in order.
     *
     * @param exported the address of an exported symbol, empty when the library has none of that name
     * @throws IllegalStateException naming the pointers when no architecture matches them all
     */
    static String matchImplementation(long[] pointers, Function<String, OptionalLong> exported) {
        if (pointers.length != FUNCTIONS.size()) {
            throw new IllegalArgumentException("expected " + FUNCTIONS.size() + " pointers");
        }
        for (String suffix : IMPLEMENTATIONS) {
            boolean all = true;
            for (int i = 0; i < pointers.length && all; i++) {
                OptionalLong symbol = exported.apply(FUNCTIONS.get(i) + "_" + suffix);
                all = pointers[i] != 0 && symbol.isPresent() && symbol.getAsLong() == pointers[i];
            }
            if (all) {
                return suffix;
            }
        }
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < pointers.length; i++) {
            seen.append(i == 0 ? "" : ", ").append(FUNCTIONS.get(i)).append("=0x")
                    .append(Long.toHexString(pointers[i]));
        }
        throw new IllegalStateException("the manager's GCM pointers (" + seen + ") are not all the exported "
                + "functions of one of " + IMPLEMENTATIONS + ": refusing an unknown layout or architecture");
    }

    /** A {@link Loaded}, or a String saying why there is none. */
    private static Object load() {
        try {
            return loadOrThrow();
        } catch (RuntimeException | Error e) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        } catch (Throwable t) {
            return "FFM downcall failed: " + t;
        }
    }

    private static Loaded loadOrThrow() throws Throwable {
        NativeLibrary lib = new NativeLibrary(LIBRARY);
        MethodHandle version = lib.link("imb_get_version", FunctionDescriptor.of(JAVA_INT), false);
        MethodHandle alloc = lib.link("alloc_mb_mgr", FunctionDescriptor.of(ADDRESS, JAVA_LONG), false);
        MethodHandle initAuto = lib.link("init_mb_mgr_auto", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), false);
        MethodHandle errno = lib.link("imb_get_errno", FunctionDescriptor.of(JAVA_INT, ADDRESS), false);
        MethodHandle free = lib.link("free_mb_mgr", FunctionDescriptor.ofVoid(ADDRESS), false);
        if (lib.failure() != null) {
            throw new IllegalStateException(lib.failure());
        }
        int v = (int) version.invokeExact();
        String versionText = (v >>> 16) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
        if (v < MIN_VERSION || v >= NEXT_MAJOR) {
            throw new IllegalStateException(LIBRARY + " is version " + versionText + ", expected 1.3 or a later 1.x");
        }
        long[] pointers = new long[FUNCTIONS.size()];
        int arch;
        MemorySegment mgr = (MemorySegment) alloc.invokeExact(0L);
        if (mgr.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("alloc_mb_mgr returned NULL");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment archOut = arena.allocate(JAVA_INT);
            initAuto.invokeExact(mgr, archOut);
            int error = (int) errno.invokeExact(mgr);
            if (error != 0) {
                throw new IllegalStateException("init_mb_mgr_auto failed: imb_errno " + error);
            }
            MemorySegment m = mgr.reinterpret(MGR_READ);
            long features = m.get(JAVA_LONG, MGR_FEATURES);
            if ((features & FEATURE_SELF_TEST) != 0 && (features & FEATURE_SELF_TEST_PASS) == 0) {
                throw new IllegalStateException(LIBRARY + "'s own self-test failed");
            }
            arch = m.get(JAVA_INT, MGR_USED_ARCH);
            for (int i = 0; i < pointers.length; i++) {
                pointers[i] = m.get(ADDRESS, FUNCTION_OFFSETS[i]).address();
            }
        } finally {
            free.invokeExact(mgr);
        }
        String implementation = matchImplementation(pointers,
                name -> lib.address(name).map(s -> OptionalLong.of(s.address())).orElse(OptionalLong.empty()));
        Gcm aes128 = link(pointers, 0);
        Gcm aes256 = link(pointers, 3);
        selfCheck(aes128, aes256);
        String archName = arch >= 0 && arch < ARCHES.size() ? ARCHES.get(arch) : "arch " + arch;
        return new Loaded(versionText, archName, implementation, aes128, aes256);
    }

    private static Gcm link(long[] pointers, int first) {
        return new Gcm(LINKER.downcallHandle(MemorySegment.ofAddress(pointers[first]), PRE, CRITICAL),
                LINKER.downcallHandle(MemorySegment.ofAddress(pointers[first + 1]), ENC_DEC, CRITICAL),
                LINKER.downcallHandle(MemorySegment.ofAddress(pointers[first + 2]), ENC_DEC, CRITICAL));
    }

    /**
     * McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B: test case 2 (AES-128, zero key,
     * nonce and block), 4 (AES-128, 60 octets, 20 octets of AAD) and 14 (AES-256, zero key, nonce and block).
     */
    private static void selfCheck(Gcm aes128, Gcm aes256) throws Throwable {
        HexFormat hex = HexFormat.of();
        knownAnswer("test case 2", aes128, new byte[16], new byte[12], new byte[16], new byte[0],
                hex.parseHex("0388dace60b6a392f328c2b971b2fe78"), hex.parseHex("ab6e47d42cec13bdf53a67b21257bddf"));
        knownAnswer("test case 4", aes128, hex.parseHex("feffe9928665731c6d6a8f9467308308"),
                hex.parseHex("cafebabefacedbaddecaf888"),
                hex.parseHex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"),
                hex.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
                hex.parseHex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                        + "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"),
                hex.parseHex("5bc94fbc3221a5db94fae95ae7121a47"));
        knownAnswer("test case 14", aes256, new byte[32], new byte[12], new byte[16], new byte[0],
                hex.parseHex("cea7403d4d606b6e074ec5d3baf39d18"), hex.parseHex("d0d1c8a799996bf0265b98b5d48ab919"));
    }

    private static void knownAnswer(String name, Gcm gcm, byte[] key, byte[] iv, byte[] plaintext, byte[] aad,
            byte[] ciphertext, byte[] tag) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keyData = arena.allocate(KEY_DATA_BYTES, KEY_DATA_ALIGNMENT);
            MemorySegment context = arena.allocate(CONTEXT_BYTES, KEY_DATA_ALIGNMENT);
            MemorySegment in = arena.allocateFrom(JAVA_BYTE, plaintext);
            MemorySegment out = arena.allocate(Math.max(1, plaintext.length));
            MemorySegment ivSegment = arena.allocateFrom(JAVA_BYTE, iv);
            MemorySegment aadSegment = arena.allocateFrom(JAVA_BYTE, aad.length == 0 ? new byte[1] : aad);
            MemorySegment tagOut = arena.allocate(16);
            gcm.pre().invokeExact(arena.allocateFrom(JAVA_BYTE, key), keyData);
            gcm.enc().invokeExact(keyData, context, out, in, (long) plaintext.length, ivSegment, aadSegment,
                    (long) aad.length, tagOut, 16L);
            boolean sealed = out.asSlice(0, plaintext.length).mismatch(MemorySegment.ofArray(ciphertext)) == -1
                    && tagOut.mismatch(MemorySegment.ofArray(tag)) == -1;
            MemorySegment.copy(ciphertext, 0, in, JAVA_BYTE, 0, ciphertext.length);
            tagOut.fill((byte) 0);
            gcm.dec().invokeExact(keyData, context, out, in, (long) ciphertext.length, ivSegment, aadSegment,
                    (long) aad.length, tagOut, 16L);
            boolean opened = out.asSlice(0, plaintext.length).mismatch(MemorySegment.ofArray(plaintext)) == -1
                    && tagOut.mismatch(MemorySegment.ofArray(tag)) == -1;
            // A flipped ciphertext bit must change the tag the library computes.
            in.set(JAVA_BYTE, 0, (byte) (in.get(JAVA_BYTE, 0) ^ 1));
            gcm.dec().invokeExact(keyData, context, out, in, (long) ciphertext.length, ivSegment, aadSegment,
                    (long) aad.length, tagOut, 16L);
            boolean tamperSeen = tagOut.mismatch(MemorySegment.ofArray(tag)) != -1;
            keyData.fill((byte) 0);
            context.fill((byte) 0);
            if (!sealed || !opened || !tamperSeen) {
                throw new IllegalStateException(LIBRARY + " failed its GCM self-check (" + name + ": "
                        + (!sealed ? "seal" : !opened ? "open" : "tampered tag") + ")");
            }
        }
    }
}
