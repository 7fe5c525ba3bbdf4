package net.palisade.dataplane.esp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link IpsecMbAeadTransform} (Intel IPsec-MB through FFM) against {@link OpenSslAeadTransform}: same packets octet
 * for octet, each opens the other's, a tampered packet is refused without plaintext and the next one still opens,
 * the CPU dispatch check, key wiping, and how {@link EspTransforms} chooses it. The RFC 4106 vectors, the Bouncy
 * Castle cross-check and the every-bit-flip test run through it too ({@link CryptoImplementation#IPSECMB} in
 * {@code AesGcmRfc4106VectorsTest}, {@code IndependentCrossCheckTest}, {@code EspTransformBehaviourTest}).
 * Tests that need the library skip, saying so, where it is not installed; ops/bin/test installs it.
 */
class IpsecMbAeadTransformTest {

    private static final List<EncryptionAlgorithm> GCM = List.of(EncryptionAlgorithm.AES_128_GCM,
            EncryptionAlgorithm.AES_256_GCM);

    static Stream<Arguments> gcmWithEsn() {
        return GCM.stream().flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    private static byte[] keyMaterial(EncryptionAlgorithm a, long seed) {
        byte[] k = new byte[a.keyMaterialBytes()];
        new Random(seed).nextBytes(k);
        return k;
    }

    private static EspTransform create(CryptoImplementation impl, EncryptionAlgorithm a, byte[] key, boolean esn) {
        Transforms.assumeInstalled(impl);
        return EspTransforms.create(a, Optional.empty(), key, null, esn, impl);
    }

    private static Set<String> cpuFlags() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                .findFirst().map(l -> Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+")))
                .orElse(Set.of());
    }

    @Test
    @DisplayName("The library loads, passes its checks, and runs code this CPU has (no AVX-512 without avx512f)")
    void libraryLoadsWithCodeForThisCpu() throws IOException {
        Transforms.assumeInstalled(CryptoImplementation.IPSECMB);
        assertThat(IpsecMb.unavailableReason()).isNull();
        assertThat(CryptoImplementation.IPSECMB.isAvailable()).isTrue();
        String description = IpsecMb.describe();
        assertThat(description).startsWith("Intel IPsec-MB 1.");
        String implementation = IpsecMb.IMPLEMENTATIONS.stream()
                .filter(s -> description.endsWith("(aes_gcm_*_" + s + ")")).findFirst().orElseThrow();
        Set<String> flags = cpuFlags();
        assertThat(flags).contains("aes", "pclmulqdq");
        Map<String, List<String>> needs = Map.of("vaes_avx512", List.of("avx512f", "vaes", "vpclmulqdq"),
                "avx512", List.of("avx512f"), "avx_gen4", List.of("avx2"), "avx_gen2", List.of("avx"),
                "sse", List.of("sse4_2"));
        assertThat(flags).as("CPU flags for aes_gcm_*_" + implementation).containsAll(needs.get(implementation));
        // The library picks the fastest the CPU has: with VAES and AVX-512 nothing less.
        if (flags.containsAll(needs.get("vaes_avx512"))) {
            assertThat(implementation).isEqualTo("vaes_avx512");
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("gcmWithEsn")
    @DisplayName("Same packets as OpenSSL for payloads of 0 to 9000 octets, and each opens the other's")
    void sameOctetsAsOpenSsl(EncryptionAlgorithm a, boolean esn) {
        byte[] key = keyMaterial(a, 7 + a.ordinal());
        EspTransform mb = create(CryptoImplementation.IPSECMB, a, key, esn);
        EspTransform ossl = create(CryptoImplementation.OPENSSL, a, key, esn);
        assertThat(mb).isInstanceOf(IpsecMbAeadTransform.class);
        assertThat(ossl).isInstanceOf(OpenSslAeadTransform.class);
        Random random = new Random(a.ordinal() * 2 + (esn ? 1 : 0));
        List<Integer> sizes = new ArrayList<>(List.of(0, 1, 2, 3, 13, 15, 16, 17, 63, 255, 1399, 1400, 8999, 9000));
        for (int i = 0; i < 100; i++) {
            sizes.add(random.nextInt(9001) | 1); // odd sizes: every padding length
        }
        EspOpenResult result = new EspOpenResult();
        long seq = esn ? 0x0000_0002_FFFF_FF00L : 1;
        for (int size : sizes) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            int spi = random.nextInt();
            byte[] fromMb = new byte[mb.sealedLength(size)];
            byte[] fromOssl = new byte[ossl.sealedLength(size)];
            seq++;
            mb.seal(spi, seq, 4, payload, 0, size, fromMb, 0);
            ossl.seal(spi, seq, 4, payload, 0, size, fromOssl, 0);
            assertThat(fromMb).as("sealed %d octets, seq %d", size, seq).isEqualTo(fromOssl);

            byte[] out = new byte[fromMb.length];
            assertThat(ossl.open(fromMb, 0, fromMb.length, seq, out, 0, result)).isEqualTo(EspOutcome.OK);
            assertThat(Arrays.copyOfRange(out, 0, result.payloadLength())).isEqualTo(payload);
            Arrays.fill(out, (byte) 0);
            assertThat(mb.open(fromOssl, 0, fromOssl.length, seq, out, 0, result)).isEqualTo(EspOutcome.OK);
            assertThat(Arrays.copyOfRange(out, 0, result.payloadLength())).isEqualTo(payload);
            assertThat(result.nextHeader()).isEqualTo(4);
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("gcmWithEsn")
    @DisplayName("A flipped bit in ciphertext, ICV or AAD is refused, no plaintext comes out, the next packet opens")
    void tamperedPacketsAreRefused(EncryptionAlgorithm a, boolean esn) {
        EspTransform sender = create(CryptoImplementation.OPENSSL, a, keyMaterial(a, 99), esn);
        EspTransform receiver = create(CryptoImplementation.IPSECMB, a, keyMaterial(a, 99), esn);
        Random random = new Random(5);
        EspOpenResult result = new EspOpenResult();
        long seq = esn ? 0x0000_0001_0000_0010L : 0x10;
        byte[] payload = new byte[1371];
        random.nextBytes(payload);
        int length = sender.sealedLength(payload.length);
        int ciphertextStart = EspConstants.HEADER_LENGTH + EspConstants.AEAD_EXPLICIT_IV_LENGTH;
        int icvStart = length - EspConstants.AEAD_ICV_LENGTH;
        // {octet, bit}: SPI and sequence number (AAD), explicit IV (nonce), ciphertext first/last, ICV first/last
        int[][] flips = {{0, 0}, {5, 7}, {9, 3}, {ciphertextStart, 0}, {icvStart - 1, 6}, {icvStart, 1},
            {length - 1, 7}};
        for (int[] flip : flips) {
            byte[] packet = new byte[length];
            sender.seal(0x01020304, ++seq, 4, payload, 0, payload.length, packet, 0);
            packet[flip[0]] ^= (byte) (1 << flip[1]);
            byte[] out = new byte[length];
            Arrays.fill(out, (byte) 0x5a);
            assertThat(receiver.open(packet, 0, length, seq, out, 0, result))
                    .as("bit %d of octet %d", flip[1], flip[0]).isEqualTo(EspOutcome.ICV_FAILED);
            assertThat(result.outcome()).isEqualTo(EspOutcome.ICV_FAILED);
            assertThat(result.payloadLength()).isZero();
            assertThat(Arrays.copyOfRange(out, 0, icvStart - ciphertextStart)).containsOnly((byte) 0);

            packet[flip[0]] ^= (byte) (1 << flip[1]);
            assertThat(receiver.open(packet, 0, length, seq, out, 0, result)).isEqualTo(EspOutcome.OK);
            assertThat(Arrays.copyOfRange(out, 0, result.payloadLength())).isEqualTo(payload);
        }
        if (esn) {
            // The high 32 bits are not sent but authenticated: the wrong ones must not verify.
            byte[] packet = new byte[length];
            sender.seal(0x01020304, ++seq, 4, payload, 0, payload.length, packet, 0);
            byte[] out = new byte[length];
            assertThat(receiver.open(packet, 0, length, seq + (1L << 32), out, 0, result))
                    .isEqualTo(EspOutcome.ICV_FAILED);
            assertThat(receiver.open(packet, 0, length, seq, out, 0, result)).isEqualTo(EspOutcome.OK);
        }
    }

    @Test
    @DisplayName("Tag comparison: equal only when all 16 octets are")
    void tagComparison() {
        byte[] a = new byte[20];
        new Random(3).nextBytes(a);
        byte[] b = new byte[24];
        System.arraycopy(a, 2, b, 5, 16);
        assertThat(IpsecMbAeadTransform.tagsEqual(a, 2, b, 5)).isTrue();
        for (int i = 0; i < 16; i++) {
            b[5 + i] ^= (byte) 0x80;
            assertThat(IpsecMbAeadTransform.tagsEqual(a, 2, b, 5)).as("octet %d differs", i).isFalse();
            b[5 + i] ^= (byte) 0x80;
        }
    }

    // ---- dispatch check -----------------------------------------------------------------------------------------

    /** A symbol table as a library would export it: every function of every implementation at its own address. */
    private static Map<String, Long> exports() {
        Map<String, Long> symbols = new HashMap<>();
        long address = 0x7f00_0000_1000L;
        for (String suffix : IpsecMb.IMPLEMENTATIONS) {
            for (String f : IpsecMb.FUNCTIONS) {
                symbols.put(f + "_" + suffix, address);
                address += 0x40;
            }
        }
        return symbols;
    }

    private static long[] pointersOf(Map<String, Long> symbols, String suffix) {
        return IpsecMb.FUNCTIONS.stream().mapToLong(f -> symbols.get(f + "_" + suffix)).toArray();
    }

    private static String match(Map<String, Long> symbols, long[] pointers) {
        return IpsecMb.matchImplementation(pointers,
                name -> symbols.containsKey(name) ? OptionalLong.of(symbols.get(name)) : OptionalLong.empty());
    }

    @Test
    @DisplayName("Dispatch: accepts six pointers that are one architecture's exported functions, refuses the rest")
    void dispatchCheck() {
        Map<String, Long> symbols = exports();
        for (String suffix : IpsecMb.IMPLEMENTATIONS) {
            assertThat(match(symbols, pointersOf(symbols, suffix))).isEqualTo(suffix);
        }
        // One pointer that is no exported function (another layout, or garbage): refused.
        long[] odd = pointersOf(symbols, "avx_gen4");
        odd[2] += 8;
        assertThatThrownBy(() -> match(symbols, odd)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("aes_gcm_dec_128=0x" + Long.toHexString(odd[2]))
                .hasMessageContaining("refusing");
        // Two architectures mixed (e.g. the pointers read at wrong offsets): refused.
        long[] mixed = pointersOf(symbols, "avx512");
        mixed[4] = symbols.get("aes_gcm_enc_256_sse");
        assertThatThrownBy(() -> match(symbols, mixed)).isInstanceOf(IllegalStateException.class);
        // An architecture we do not list (say, the AES-NI emulation) is never called.
        Map<String, Long> withEmulation = new HashMap<>(symbols);
        long[] emulated = new long[IpsecMb.FUNCTIONS.size()];
        for (int i = 0; i < emulated.length; i++) {
            emulated[i] = 0x7f00_0010_0000L + i;
            withEmulation.put(IpsecMb.FUNCTIONS.get(i) + "_sse_no_aesni", emulated[i]);
        }
        assertThatThrownBy(() -> match(withEmulation, emulated)).isInstanceOf(IllegalStateException.class);
        // NULL pointers and a library that exports none of the names.
        assertThatThrownBy(() -> match(symbols, new long[6])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> match(Map.of(), pointersOf(symbols, "sse")))
                .isInstanceOf(IllegalStateException.class);
    }

    // ---- key lifetime -------------------------------------------------------------------------------------------

    @Test
    @DisplayName("Closing zeroes the expanded key and the context")
    void keyIsWipedOnClose() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keyData = arena.allocate(IpsecMb.KEY_DATA_BYTES, IpsecMb.KEY_DATA_ALIGNMENT);
            MemorySegment context = arena.allocate(IpsecMb.CONTEXT_BYTES, IpsecMb.KEY_DATA_ALIGNMENT);
            keyData.fill((byte) 0xa7);
            context.fill((byte) 0x3c);
            new IpsecMbAeadTransform.Wipe(keyData, context).run();
            assertThat(keyData.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
            assertThat(context.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
        }
    }

    @Test
    @DisplayName("A closed transform refuses to seal or open; close twice is harmless")
    void closedTransformRefuses() {
        IpsecMbAeadTransform t = (IpsecMbAeadTransform) create(CryptoImplementation.IPSECMB,
                EncryptionAlgorithm.AES_128_GCM, keyMaterial(EncryptionAlgorithm.AES_128_GCM, 1), false);
        byte[] packet = new byte[t.sealedLength(10)];
        t.seal(1, 1, 4, new byte[10], 0, 10, packet, 0);
        t.close();
        t.close();
        assertThatThrownBy(() -> t.seal(1, 2, 4, new byte[10], 0, 10, packet, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> t.open(packet, 0, packet.length, 1, new byte[packet.length], 0,
                new EspOpenResult())).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    @DisplayName("One instance per thread (as the workers have): four threads at once give OpenSSL's packets")
    void instancePerThread() throws Exception {
        Transforms.assumeInstalled(CryptoImplementation.IPSECMB);
        EncryptionAlgorithm a = EncryptionAlgorithm.AES_256_GCM;
        byte[] key = keyMaterial(a, 17);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int worker = w;
                done.add(pool.submit(() -> {
                    EspTransform mb = EspTransforms.create(a, Optional.empty(), key, null, true,
                            CryptoImplementation.IPSECMB);
                    EspTransform ossl = EspTransforms.create(a, Optional.empty(), key, null, true,
                            CryptoImplementation.OPENSSL);
                    Random random = new Random(worker);
                    EspOpenResult result = new EspOpenResult();
                    int checked = 0;
                    for (long seq = 1; seq <= 2000; seq++) {
                        byte[] payload = new byte[random.nextInt(1500)];
                        random.nextBytes(payload);
                        byte[] p1 = new byte[mb.sealedLength(payload.length)];
                        byte[] p2 = new byte[p1.length];
                        mb.seal(worker, seq, 4, payload, 0, payload.length, p1, 0);
                        ossl.seal(worker, seq, 4, payload, 0, payload.length, p2, 0);
                        byte[] out = new byte[p1.length];
                        if (Arrays.equals(p1, p2)
                                && mb.open(p2, 0, p2.length, seq, out, 0, result) == EspOutcome.OK
                                && Arrays.equals(payload, 0, payload.length, out, 0, result.payloadLength())) {
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(2000);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- selection ----------------------------------------------------------------------------------------------

    @Test
    @DisplayName("Default: IPsec-MB when usable; palisade.ipsecmb=false keeps OpenSSL without loading it")
    void selection() {
        EspTransforms.Selection chosen = EspTransforms.Selection.resolve(null, null, null, () -> null);
        assertThat(chosen.implementation()).isEqualTo(CryptoImplementation.IPSECMB);
        assertThat(chosen.level()).isEqualTo(System.Logger.Level.INFO);
        assertThat(chosen.message()).startsWith("ESP AEAD crypto: AES-GCM on ").contains("ChaCha20-Poly1305 on");

        EspTransforms.Selection off = EspTransforms.Selection.resolve(null, " FALSE ", null, () -> {
            throw new AssertionError("the library must not be looked at when it is off");
        });
        assertThat(off.implementation()).isEqualTo(CryptoImplementation.OPENSSL);
        assertThat(off.message()).contains("off by -Dpalisade.ipsecmb=false");
        assertThat(EspTransforms.Selection.resolve(null, "true", null, () -> null).implementation())
                .isEqualTo(CryptoImplementation.IPSECMB);

        EspTransforms.Selection missing = EspTransforms.Selection.resolve(null, null, null,
                () -> "cannot load libIPSec_MB.so.1: gone");
        assertThat(missing.implementation()).isEqualTo(CryptoImplementation.OPENSSL);
        assertThat(missing.level()).isEqualTo(System.Logger.Level.INFO);
        assertThat(missing.message()).contains("Intel IPsec-MB not used: cannot load libIPSec_MB.so.1: gone");

        EspTransforms.Selection forcedMissing = EspTransforms.Selection.resolve("ipsecmb", null, null, () -> "gone");
        assertThat(forcedMissing.implementation()).isNull();
        assertThat(forcedMissing.problem()).isEqualTo("palisade.crypto=ipsecmb, but gone");
        assertThat(EspTransforms.Selection.resolve("openssl", null, null, () -> null).implementation())
                .isEqualTo(CryptoImplementation.OPENSSL);
        EspTransforms.Selection bogus = EspTransforms.Selection.resolve(null, "sometimes", null, () -> null);
        assertThat(bogus.implementation()).isNull();
        assertThat(bogus.problem()).contains("palisade.ipsecmb=sometimes is neither true nor false");
    }

    @Test
    @DisplayName("ChaCha20-Poly1305 under IPsec-MB runs on OpenSSL; CBC stays on JCE")
    void otherAlgorithms() {
        EspTransform chacha = EspTransforms.create(EncryptionAlgorithm.CHACHA20_POLY1305, Optional.empty(),
                new byte[36], null, false, CryptoImplementation.IPSECMB);
        assertThat(chacha).isInstanceOf(OpenSslAeadTransform.class);
        assertThat(Stream.of(CryptoImplementation.values()).map(CryptoImplementation::propertyValue)
                .collect(Collectors.toList())).containsExactly("jce", "openssl", "ipsecmb");
        assertThat(CryptoImplementation.byName(" IpsecMB ")).contains(CryptoImplementation.IPSECMB);
    }
}
