package net.palisade.dataplane.bench;

import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.esp.CryptoImplementation;
import net.palisade.dataplane.esp.EspConstants;
import net.palisade.dataplane.esp.EspOpenResult;
import net.palisade.dataplane.esp.EspOutcome;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.esp.EspTransforms;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ESP seal and open on one core, per transform and packet size (payload octets: the inner IP packet). Run with
 * {@code ops/bench/esp-crypto.sh}, which also runs {@code openssl speed} for comparison.
 *
 * <p>{@code seal} uses a fresh sequence number (so a fresh AEAD nonce) per call, as on the wire. {@code open}
 * opens the same valid packet over and over: the transform does no replay check (that is the window's job), so
 * this measures ICV check, decryption and trailer validation.
 *
 * <p>{@code impl} picks the AEAD implementation ({@code jce}: SunJCE; {@code openssl}: libcrypto through FFM,
 * {@code OpenSslAeadTransform}; {@code ipsecmb}: AES-GCM on Intel's IPsec-MB library through FFM,
 * {@code IpsecMbAeadTransform}, ChaCha20-Poly1305 there being OpenSSL's). CBC transforms always run on JCE, so the
 * script passes {@code -p impl=jce} for them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class EspCryptoBenchmark {

    private static final int SPI = 0x0badcafe;

    @Param({"aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "aes-128/hmac-sha1", "aes-128/hmac-sha2-256",
        "aes-256/hmac-sha2-512", "3des/hmac-sha1"})
    public String transform;

    @Param({"64", "512", "1400"})
    public int size;

    @Param({"jce", "openssl", "ipsecmb"})
    public String impl;

    private EspTransform sealer;
    private EspTransform opener;
    private byte[] payload;
    private byte[] sealBuffer;
    private byte[] packet;
    private int packetLength;
    private byte[] openBuffer;
    private final EspOpenResult result = new EspOpenResult();
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = transform.split("/");
        EncryptionAlgorithm enc = EncryptionAlgorithm.fromKeyword(parts[0]);
        Optional<AuthAlgorithm> integ = parts.length > 1 ? Optional.of(AuthAlgorithm.fromKeyword(parts[1]))
                : Optional.empty();
        Random random = new Random(42);
        byte[] keyMaterial = new byte[EspTransforms.keyMaterialLength(enc, integ)];
        random.nextBytes(keyMaterial);
        CryptoImplementation implementation = CryptoImplementation.byName(impl)
                .orElseThrow(() -> new IllegalArgumentException("impl must be jce, openssl or ipsecmb, not " + impl));
        if (!enc.aead() && implementation != CryptoImplementation.JCE) {
            throw new IllegalArgumentException(transform + " always runs on JCE: use -p impl=jce");
        }
        int encLength = enc.keyMaterialBytes();
        byte[] encKey = java.util.Arrays.copyOfRange(keyMaterial, 0, encLength);
        byte[] integKey = enc.aead() ? null : java.util.Arrays.copyOfRange(keyMaterial, encLength,
                keyMaterial.length);
        sealer = EspTransforms.create(enc, integ, encKey, integKey, false, implementation);
        opener = EspTransforms.create(enc, integ, encKey, integKey, false, implementation);

        payload = new byte[size];
        random.nextBytes(payload);
        payload[0] = 0x45;
        sealBuffer = new byte[sealer.sealedLength(size)];
        packet = new byte[sealer.sealedLength(size)];
        packetLength = sealer.seal(SPI, 1, EspConstants.NEXT_HEADER_IPV4, payload, 0, size, packet, 0);
        openBuffer = new byte[opener.openedLength(packetLength)];
        if (opener.open(packet, 0, packetLength, 1, openBuffer, 0, result) != EspOutcome.OK) {
            throw new IllegalStateException("benchmark packet does not open: " + result);
        }
        sequence = 1;
    }

    @Benchmark
    public int seal() {
        return sealer.seal(SPI, ++sequence, EspConstants.NEXT_HEADER_IPV4, payload, 0, size, sealBuffer, 0);
    }

    @Benchmark
    public EspOutcome open() {
        return opener.open(packet, 0, packetLength, 1, openBuffer, 0, result);
    }
}
