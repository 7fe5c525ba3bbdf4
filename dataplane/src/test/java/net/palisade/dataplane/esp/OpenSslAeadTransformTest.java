package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link OpenSslAeadTransform} (libcrypto through FFM) against {@link AeadTransform} (SunJCE): same packets octet
 * for octet, each opens the other's, failures leave no plaintext, separate instances on separate threads, close,
 * and how {@link EspTransforms} picks an implementation.
 */
class OpenSslAeadTransformTest {

    private static final List<EncryptionAlgorithm> AEADS = List.of(EncryptionAlgorithm.AES_128_GCM,
            EncryptionAlgorithm.AES_256_GCM, EncryptionAlgorithm.CHACHA20_POLY1305);

    static Stream<Arguments> aeadsWithEsn() {
        return AEADS.stream().flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    private static byte[] keyMaterial(EncryptionAlgorithm a, long seed) {
        byte[] k = new byte[a.keyMaterialBytes()];
        new Random(seed).nextBytes(k);
        return k;
    }

    private static EspTransform openssl(EncryptionAlgorithm a, byte[] key, boolean esn) {
        return EspTransforms.create(a, Optional.empty(), key, null, esn, CryptoImplementation.OPENSSL);
    }

    private static EspTransform jce(EncryptionAlgorithm a, byte[] key, boolean esn) {
        return EspTransforms.create(a, Optional.empty(), key, null, esn, CryptoImplementation.JCE);
    }

    @Test
    @DisplayName("libcrypto.so.3 (Debian 12 libssl3) loads and is OpenSSL 3")
    void libcryptoLoads() {
        assertThat(LibCrypto.unavailableReason()).isNull();
        assertThat(LibCrypto.available()).isTrue();
        assertThat(LibCrypto.version()).startsWith("OpenSSL 3.");
        assertThat(CryptoImplementation.OPENSSL.isAvailable()).isTrue();
        assertThat(CryptoImplementation.OPENSSL.unavailableReason()).isEmpty();
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("aeadsWithEsn")
    @DisplayName("OpenSSL and JCE seal the same packet octet for octet and open each other's (sizes 0..1500)")
    void sameWireFormatBothWays(EncryptionAlgorithm a, boolean esn) {
        byte[] key = keyMaterial(a, a.ordinal() * 7L + (esn ? 1 : 0));
        EspTransform sslSeal = openssl(a, key, esn);
        EspTransform jceSeal = jce(a, key, esn);
        EspTransform sslOpen = openssl(a, key, esn);
        EspTransform jceOpen = jce(a, key, esn);
        Random random = new Random(a.ordinal() + (esn ? 100 : 0));
        EspOpenResult r = new EspOpenResult();
        long seq = esn ? 0x0000_0001_FFFF_FF00L : 0xFFFF_F000L; // ESN: crosses 2^32 on the way
        int spi = random.nextInt();
        for (int i = 0; i < 400; i++) {
            int size = i < 2 ? i * 1500 : random.nextInt(1501);
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            int at = random.nextInt(5);
            byte[] ours = new byte[sslSeal.sealedLength(size) + at];
            byte[] theirs = new byte[jceSeal.sealedLength(size) + at];
            int n = sslSeal.seal(spi, seq, EspConstants.NEXT_HEADER_IPV4, payload, 0, size, ours, at);
            jceSeal.seal(spi, seq, EspConstants.NEXT_HEADER_IPV4, payload, 0, size, theirs, at);
            assertThat(hex(ours)).as("size %d", size).isEqualTo(hex(theirs));

            byte[] out = new byte[sslOpen.openedLength(n) + at];
            assertThat(jceOpen.open(ours, at, n, seq, out, at, r)).isEqualTo(EspOutcome.OK);
            assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(payload));
            java.util.Arrays.fill(out, (byte) 0);
            assertThat(sslOpen.open(theirs, at, n, seq, out, at, r)).isEqualTo(EspOutcome.OK);
            assertThat(r.payloadOffset()).isEqualTo(at);
            assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(payload));
            seq += 1 + random.nextInt(3);
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("aeadsWithEsn")
    @DisplayName("The provider's functions called directly and the EVP functions: same packets, each opens the "
            + "other's, a bad tag fails on both")
    void providerPathAndEvpPathAgree(EncryptionAlgorithm a, boolean esn) {
        byte[] key = keyMaterial(a, 4106L + a.ordinal() + (esn ? 50 : 0));
        OpenSslAeadTransform direct = new OpenSslAeadTransform(a, key, 0, esn, true);
        OpenSslAeadTransform evp = new OpenSslAeadTransform(a, key, 0, esn, false);
        OpenSslAeadTransform directOpen = new OpenSslAeadTransform(a, key, 0, esn, true);
        OpenSslAeadTransform evpOpen = new OpenSslAeadTransform(a, key, 0, esn, false);
        // libcrypto 3 here offers the provider functions: the default instances (every other test) use them
        assertThat(direct.viaProvider()).as(ProviderAead.unavailableReason(a)).isTrue();
        assertThat(evp.viaProvider()).isFalse();
        Random random = new Random(7634L + a.ordinal());
        EspOpenResult r = new EspOpenResult();
        long seq = esn ? 0x0000_0001_FFFF_FFF0L : 1;
        int spi = random.nextInt();
        for (int i = 0; i < 300; i++) {
            int size = i < 3 ? new int[] {0, 1, 9000}[i] : random.nextInt(1501);
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            byte[] viaProvider = new byte[direct.sealedLength(size)];
            byte[] viaEvp = new byte[evp.sealedLength(size)];
            int n = direct.seal(spi, seq, EspConstants.NEXT_HEADER_IPV6, payload, 0, size, viaProvider, 0);
            evp.seal(spi, seq, EspConstants.NEXT_HEADER_IPV6, payload, 0, size, viaEvp, 0);
            assertThat(hex(viaProvider)).as("size %d", size).isEqualTo(hex(viaEvp));
            byte[] out = new byte[direct.openedLength(n)];
            assertThat(directOpen.open(viaEvp, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
            assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(payload));
            assertThat(evpOpen.open(viaProvider, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
            assertThat(hex(out, r.payloadOffset(), r.payloadLength())).isEqualTo(hex(payload));
            if (i % 10 == 0) {
                byte[] bad = viaProvider.clone();
                bad[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
                assertThat(directOpen.open(bad, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.ICV_FAILED);
                assertThat(evpOpen.open(bad, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.ICV_FAILED);
                // a failed open leaves the context usable: the good packet opens afterwards
                assertThat(directOpen.open(viaProvider, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
            }
            seq += 1 + random.nextInt(2);
        }
        for (OpenSslAeadTransform t : List.of(direct, evp, directOpen, evpOpen)) {
            t.close();
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("aeadsWithEsn")
    @DisplayName("A bad tag: ICV_FAILED, no exception, the decrypted octets wiped, nothing outside the region touched")
    void icvFailureLeavesNoPlaintext(EncryptionAlgorithm a, boolean esn) {
        byte[] key = keyMaterial(a, 9);
        EspTransform sender = jce(a, key, esn);
        EspTransform receiver = openssl(a, key, esn);
        byte[] payload = new byte[700];
        new Random(3).nextBytes(payload);
        long seq = esn ? 0x0000_0007_0000_0001L : 1;
        byte[] packet = new byte[sender.sealedLength(payload.length)];
        int n = sender.seal(0x1234, seq, EspConstants.NEXT_HEADER_IPV6, payload, 0, payload.length, packet, 0);
        int ciphertext = receiver.openedLength(n);
        EspOpenResult r = new EspOpenResult();
        Random random = new Random(4);
        for (int trial = 0; trial < 200; trial++) {
            byte[] bad = packet.clone();
            int where = trial == 0 ? n - 1 : random.nextInt(n);
            bad[where] ^= (byte) (1 + random.nextInt(255));
            byte[] out = new byte[ciphertext + 10];
            java.util.Arrays.fill(out, (byte) 0x5a);
            assertThatCode(() -> receiver.open(bad, 0, n, seq, out, 5, r)).doesNotThrowAnyException();
            assertThat(r.outcome()).as("octet %d", where).isEqualTo(EspOutcome.ICV_FAILED);
            assertThat(r.payloadLength()).isZero();
            for (int i = 0; i < out.length; i++) {
                byte expected = i >= 5 && i < 5 + ciphertext ? 0 : (byte) 0x5a;
                assertThat(out[i]).as("octet %d of the output after a flip at %d", i, where).isEqualTo(expected);
            }
        }
        // The context recovers: the genuine packet still opens on the same instance.
        byte[] out = new byte[ciphertext];
        assertThat(receiver.open(packet, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
        assertThat(hex(out, 0, r.payloadLength())).isEqualTo(hex(payload));
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("aeadsWithEsn")
    @DisplayName("Wrong key, wrong salt or wrong ESN high half: ICV_FAILED")
    void wrongInputsFail(EncryptionAlgorithm a, boolean esn) {
        byte[] key = keyMaterial(a, 21);
        EspTransform sender = openssl(a, key, esn);
        byte[] payload = Bytes.ipv4Icmp(100, 1, 2, 3, 4);
        long seq = esn ? 0x0000_0003_0000_0010L : 0x10;
        byte[] packet = new byte[sender.sealedLength(payload.length)];
        int n = sender.sealTunnel(77, seq, payload, 0, payload.length, packet, 0);
        EspOpenResult r = new EspOpenResult();
        byte[] out = new byte[n];

        byte[] otherKey = key.clone();
        otherKey[0] ^= 1;
        assertThat(openssl(a, otherKey, esn).open(packet, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.ICV_FAILED);
        byte[] otherSalt = key.clone();
        otherSalt[otherSalt.length - 1] ^= 1;
        assertThat(openssl(a, otherSalt, esn).open(packet, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.ICV_FAILED);
        if (esn) {
            assertThat(openssl(a, key, true).open(packet, 0, n, seq + (1L << 32), out, 0, r))
                    .isEqualTo(EspOutcome.ICV_FAILED);
        }
        assertThat(openssl(a, key, esn).open(packet, 0, n, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
    }

    @Test
    @DisplayName("Separate instances on two threads at once give the same packets as JCE on one thread")
    void separateInstancesOnTwoThreads() throws Exception {
        int threads = 2;
        int packets = 3000;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                EncryptionAlgorithm a = t == 0 ? EncryptionAlgorithm.AES_128_GCM : EncryptionAlgorithm.AES_256_GCM;
                byte[] key = keyMaterial(a, 40 + t);
                results.add(pool.submit(() -> {
                    // Each thread builds and uses its own instances, as a worker does per SA.
                    EspTransform sealer = openssl(a, key, true);
                    EspTransform opener = openssl(a, key, true);
                    List<String> sealed = new ArrayList<>(packets);
                    Random random = new Random(a.ordinal());
                    EspOpenResult r = new EspOpenResult();
                    start.await();
                    for (int i = 1; i <= packets; i++) {
                        byte[] payload = new byte[random.nextInt(1501)];
                        random.nextBytes(payload);
                        byte[] packet = new byte[sealer.sealedLength(payload.length)];
                        int n = sealer.seal(5, i, 4, payload, 0, payload.length, packet, 0);
                        byte[] out = new byte[opener.openedLength(n)];
                        if (opener.open(packet, 0, n, i, out, 0, r) != EspOutcome.OK
                                || !hex(out, 0, r.payloadLength()).equals(hex(payload))) {
                            throw new AssertionError("packet " + i + " did not round-trip: " + r);
                        }
                        sealed.add(hex(packet));
                    }
                    return sealed;
                }));
            }
            for (int t = 0; t < threads; t++) {
                List<String> sealed = results.get(t).get();
                EncryptionAlgorithm a = t == 0 ? EncryptionAlgorithm.AES_128_GCM : EncryptionAlgorithm.AES_256_GCM;
                EspTransform reference = jce(a, keyMaterial(a, 40 + t), true);
                Random random = new Random(a.ordinal());
                for (int i = 1; i <= packets; i++) {
                    byte[] payload = new byte[random.nextInt(1501)];
                    random.nextBytes(payload);
                    byte[] packet = new byte[reference.sealedLength(payload.length)];
                    reference.seal(5, i, 4, payload, 0, payload.length, packet, 0);
                    assertThat(sealed.get(i - 1)).as("thread %d packet %d", t, i).isEqualTo(hex(packet));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("close() frees the contexts once; afterwards seal and open throw IllegalStateException")
    void closeIsIdempotentAndFinal() {
        EspTransform t = openssl(EncryptionAlgorithm.AES_128_GCM, new byte[20], false);
        byte[] packet = new byte[t.sealedLength(10)];
        t.seal(1, 1, 4, new byte[10], 0, 10, packet, 0);
        OpenSslAeadTransform closable = (OpenSslAeadTransform) t;
        closable.close();
        closable.close();
        assertThatThrownBy(() -> t.seal(1, 2, 4, new byte[10], 0, 10, packet, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> t.open(packet, 0, packet.length, 1, new byte[64], 0, new EspOpenResult()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    @DisplayName("Sealing a new sequence number after a refused reuse works; only back-to-back reuse is caught")
    void nonceReuseCheckIsCheap() {
        EspTransform t = openssl(EncryptionAlgorithm.CHACHA20_POLY1305, new byte[36], false);
        byte[] packet = new byte[t.sealedLength(0)];
        t.seal(1, 1, 59, new byte[0], 0, 0, packet, 0);
        assertThatThrownBy(() -> t.seal(1, 1, 59, new byte[0], 0, 0, packet, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("reused");
        t.seal(1, 2, 59, new byte[0], 0, 0, packet, 0);
        assertThat(Bytes.int32(packet, 4)).isEqualTo(2);
    }

    // ---- selection --------------------------------------------------------------------------------------------

    /** The IPsec-MB library as if it were not installed. */
    private static final java.util.function.Supplier<String> NO_IPSECMB = () -> "cannot load libIPSec_MB.so.1";

    @Test
    @DisplayName("Without IPsec-MB: OpenSSL when libcrypto loads, JCE with a logged warning otherwise; palisade.crypto"
            + " forces")
    void selection() {
        assertThat(EspTransforms.Selection.resolve(null, null, null, NO_IPSECMB).implementation())
                .isEqualTo(CryptoImplementation.OPENSSL);
        EspTransforms.Selection fallback =
                EspTransforms.Selection.resolve("", null, "cannot load libcrypto.so.3: gone", NO_IPSECMB);
        assertThat(fallback.implementation()).isEqualTo(CryptoImplementation.JCE);
        assertThat(fallback.problem()).isNull();
        assertThat(fallback.level()).isEqualTo(System.Logger.Level.WARNING);
        assertThat(fallback.message()).contains("falling back to JCE").contains("cannot load libcrypto.so.3: gone");

        assertThat(EspTransforms.Selection.resolve("jce", null, null, NO_IPSECMB).implementation())
                .isEqualTo(CryptoImplementation.JCE);
        assertThat(EspTransforms.Selection.resolve("JCE", null, "gone", NO_IPSECMB).implementation())
                .isEqualTo(CryptoImplementation.JCE);
        assertThat(EspTransforms.Selection.resolve(" OpenSSL ", null, null, NO_IPSECMB).implementation())
                .isEqualTo(CryptoImplementation.OPENSSL);

        EspTransforms.Selection forcedMissing = EspTransforms.Selection.resolve("openssl", null, "gone", NO_IPSECMB);
        assertThat(forcedMissing.implementation()).isNull();
        assertThat(forcedMissing.problem()).isEqualTo("palisade.crypto=openssl, but gone");
        EspTransforms.Selection bogus = EspTransforms.Selection.resolve("bouncycastle", null, null, NO_IPSECMB);
        assertThat(bogus.implementation()).isNull();
        assertThat(bogus.problem()).contains("neither jce, openssl nor ipsecmb");

        // This JVM: whatever the property says, else IPsec-MB where its library is usable, else OpenSSL
        // (libcrypto loads here, see libcryptoLoads).
        boolean ipsecmb = CryptoImplementation.IPSECMB.isAvailable()
                && !"false".equals(System.getProperty(IpsecMb.PROPERTY));
        CryptoImplementation expected = CryptoImplementation.byName(
                System.getProperty(CryptoImplementation.PROPERTY, ipsecmb ? "ipsecmb" : "openssl")).orElseThrow();
        assertThat(EspTransforms.defaultImplementation()).isEqualTo(expected);
        EspTransform t = EspTransforms.create("aes-256-gcm", "none", new byte[36], false);
        assertThat(t).isInstanceOf(switch (expected) {
            case OPENSSL -> OpenSslAeadTransform.class;
            case IPSECMB -> IpsecMbAeadTransform.class;
            case JCE -> AeadTransform.class;
        });
        // CBC stays on JCE whatever the AEAD choice.
        assertThat(EspTransforms.create(EncryptionAlgorithm.AES_128, Optional.of(AuthAlgorithm.HMAC_SHA2_256),
                new byte[16], new byte[32], false, CryptoImplementation.OPENSSL)).isInstanceOf(CbcHmacTransform.class);
    }

    @Test
    @DisplayName("Implementation names: jce and openssl, case-insensitive")
    void implementationNames() {
        assertThat(CryptoImplementation.byName("OPENSSL")).contains(CryptoImplementation.OPENSSL);
        assertThat(CryptoImplementation.byName("jce")).contains(CryptoImplementation.JCE);
        assertThat(CryptoImplementation.byName("nss")).isEmpty();
        assertThat(CryptoImplementation.byName(null)).isEmpty();
        assertThat(CryptoImplementation.JCE.isAvailable()).isTrue();
    }
}
