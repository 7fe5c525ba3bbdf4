package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Framing rules of RFC 4303 that hold for every transform, plus the call contract of {@link EspTransform}. */
class EspTransformBehaviourTest {

    static Stream<org.junit.jupiter.params.provider.Arguments> suites() {
        return Transforms.allWithEsn();
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suites")
    @DisplayName("RFC 4303 Sec. 2.4: round trip of payloads 0..300 and MTU sizes, minimal aligned padding")
    void roundTripAndPadding(Transforms.Suite suite, boolean esn) {
        EspTransform sender = suite.create(1, esn);
        EspTransform receiver = suite.create(1, esn);
        Random random = new Random(2);
        EspOpenResult r = new EspOpenResult();
        long seq = esn ? 0xFFFF_FF00L : 1;
        int[] extra = {1024, 1399, 1400, 1438, 1500, 9000};
        for (int size = 0; size <= 300 + extra.length; size++) {
            int len = size <= 300 ? size : extra[size - 301];
            byte[] payload = new byte[len];
            random.nextBytes(payload);
            byte[] packet = new byte[sender.sealedLength(len) + 7];
            int n = sender.seal(0xC0FFEE, seq, EspConstants.NEXT_HEADER_IPV4, payload, 0, len, packet, 7);
            assertThat(n).isEqualTo(sender.sealedLength(len));

            int ciphertext = n - 8 - sender.ivLength() - sender.icvLength();
            assertThat(ciphertext % sender.alignment()).isZero();
            assertThat(ciphertext % EspConstants.MIN_ALIGNMENT).isZero();
            assertThat(ciphertext - len - 2).isBetween(0, sender.alignment() - 1);

            byte[] out = new byte[receiver.openedLength(n) + 3];
            assertThat(receiver.open(packet, 7, n, seq, out, 3, r)).isEqualTo(EspOutcome.OK);
            assertThat(r.payloadOffset()).isEqualTo(3);
            assertThat(hex(out, 3, r.payloadLength())).isEqualTo(hex(payload));
            assertThat(r.padLength()).isEqualTo(ciphertext - len - 2);
            for (int i = 1; i <= r.padLength(); i++) {
                assertThat(out[3 + len + i - 1]).isEqualTo((byte) i);
            }
            seq++;
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suites")
    @DisplayName("RFC 4303 Sec. 3.4.4: any flipped bit, SPI to ICV, fails the ICV and leaves no plaintext behind")
    void everyBitFlipFailsTheIcv(Transforms.Suite suite, boolean esn) {
        EspTransform t = suite.create(3, esn);
        byte[] payload = Bytes.ipv4Icmp(60, 0x0a000001, 0x0a000002, 1, 1);
        byte[] packet = new byte[t.sealedLength(payload.length)];
        long seq = esn ? 0x0000_0002_0000_0005L : 5;
        t.sealTunnel(42, seq, payload, 0, payload.length, packet, 0);
        EspTransform receiver = suite.create(3, esn);
        EspOpenResult r = new EspOpenResult();
        byte[] out = new byte[receiver.openedLength(packet.length)];
        for (int i = 0; i < packet.length; i++) {
            byte[] bad = packet.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            Arrays.fill(out, (byte) 0x5a);
            assertThat(receiver.open(bad, 0, bad.length, seq, out, 0, r)).as("flip in octet %d", i)
                    .isEqualTo(EspOutcome.ICV_FAILED);
            // CBC never decrypts before the HMAC holds; SunJCE and OpenSslAeadTransform decrypt, then zero their
            // output on a bad tag.
            for (byte b : out) {
                assertThat(b).as("no plaintext left for octet %d", i).isIn((byte) 0x5a, (byte) 0);
            }
        }
        assertThat(receiver.open(packet, 0, packet.length, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    @DisplayName("RFC 4303 Sec. 2.2.1: with ESN the high 32 bits are authenticated but not sent")
    void esnHighBitsAreAuthenticatedNotSent(Transforms.Suite suite, boolean esn) {
        if (!esn) {
            return;
        }
        EspTransform t = suite.create(4, true);
        byte[] payload = Bytes.ipv4Icmp(100, 1, 2, 3, 4);
        long seq = 0x0000_0005_0000_0009L;
        byte[] packet = new byte[t.sealedLength(payload.length)];
        t.sealTunnel(7, seq, payload, 0, payload.length, packet, 0);

        assertThat(Bytes.int32(packet, 4)).isEqualTo(9);
        assertThat(t.sealedLength(payload.length)).isEqualTo(suite.create(4, false).sealedLength(payload.length));
        EspOpenResult r = new EspOpenResult();
        byte[] out = new byte[t.openedLength(packet.length)];
        EspTransform receiver = suite.create(4, true);
        assertThat(receiver.open(packet, 0, packet.length, 0x0000_0004_0000_0009L, out, 0, r))
                .isEqualTo(EspOutcome.ICV_FAILED);
        assertThat(receiver.open(packet, 0, packet.length, seq, out, 0, r)).isEqualTo(EspOutcome.OK);
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suites")
    @DisplayName("Tunnel mode (RFC 4303 Sec. 3.1.2): next header 4 for IPv4, 41 for IPv6; sealing in place")
    void tunnelNextHeaderAndInPlace(Transforms.Suite suite, boolean esn) {
        EspTransform t = suite.create(5, esn);
        EspTransform receiver = suite.create(5, esn);
        EspOpenResult r = new EspOpenResult();

        byte[] v6 = new byte[80];
        v6[0] = 0x60;
        byte[] packet = new byte[t.sealedLength(v6.length)];
        t.sealTunnel(1, 1, v6, 0, v6.length, packet, 0);
        byte[] out = new byte[receiver.openedLength(packet.length)];
        assertThat(receiver.open(packet, 0, packet.length, 1, out, 0, r)).isEqualTo(EspOutcome.OK);
        assertThat(r.nextHeader()).isEqualTo(EspConstants.NEXT_HEADER_IPV6);

        // In place: the inner packet already sits where the ciphertext goes.
        byte[] v4 = Bytes.ipv4Icmp(64, 5, 6, 7, 8);
        byte[] buffer = new byte[t.sealedLength(v4.length)];
        int at = 8 + t.ivLength();
        System.arraycopy(v4, 0, buffer, at, v4.length);
        t.sealTunnel(1, 2, buffer, at, v4.length, buffer, 0);
        out = new byte[receiver.openedLength(buffer.length)];
        assertThat(receiver.open(buffer, 0, buffer.length, 2, out, 0, r)).isEqualTo(EspOutcome.OK);
        assertThat(r.nextHeader()).isEqualTo(EspConstants.NEXT_HEADER_IPV4);
        assertThat(hex(out, 0, r.payloadLength())).isEqualTo(hex(v4));

        // A dummy packet (RFC 4303 Sec. 2.6) opens fine; dropping it is the caller's job.
        byte[] dummy = new byte[t.sealedLength(0)];
        t.seal(1, 3, EspConstants.NEXT_HEADER_NO_NEXT, new byte[0], 0, 0, dummy, 0);
        assertThat(receiver.open(dummy, 0, dummy.length, 3, new byte[64], 0, r)).isEqualTo(EspOutcome.OK);
        assertThat(r.nextHeader()).isEqualTo(EspConstants.NEXT_HEADER_NO_NEXT);
        assertThat(r.payloadLength()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    @DisplayName("CBC IVs are unpredictable and distinct from packet to packet (RFC 3602 Sec. 2.3)")
    void cbcIvsDiffer(Transforms.Suite suite, boolean esn) {
        EspTransform t = suite.create(6, esn);
        if (suite.encryption().aead()) {
            return;
        }
        java.util.Set<String> ivs = new java.util.HashSet<>();
        byte[] payload = new byte[32];
        byte[] packet = new byte[t.sealedLength(payload.length)];
        for (int i = 1; i <= 2000; i++) {
            t.seal(1, i, 4, payload, 0, payload.length, packet, 0);
            ivs.add(hex(packet, 8, t.ivLength()));
        }
        assertThat(ivs).hasSize(2000);
        // Two SAs with identical keys still draw different IV streams.
        EspTransform twin = suite.create(6, esn);
        byte[] other = new byte[packet.length];
        twin.seal(1, 1, 4, payload, 0, payload.length, other, 0);
        assertThat(ivs).doesNotContain(hex(other, 8, t.ivLength()));
    }

    @Test
    @DisplayName("Caller errors throw IllegalArgumentException: no ESN but a 64-bit number, small or overlapping buffers")
    void contractViolationsThrow() {
        EspTransform t = EspTransforms.create("aes-128-gcm", "none", new byte[20], false);
        byte[] payload = new byte[10];
        byte[] packet = new byte[t.sealedLength(10)];
        assertThatThrownBy(() -> t.seal(1, 1L << 32, 4, payload, 0, 10, packet, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ESN");
        assertThatThrownBy(() -> t.seal(1, 1, 4, payload, 0, 10, new byte[packet.length - 1], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.seal(1, 1, 256, payload, 0, 10, packet, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.sealTunnel(1, 1, new byte[] {0x20, 0}, 0, 2, packet, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("neither IPv4 nor IPv6");

        t.seal(1, 1, 4, payload, 0, 10, packet, 0);
        EspOpenResult r = new EspOpenResult();
        assertThatThrownBy(() -> t.open(packet, 0, packet.length, 1, new byte[3], 0, r))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.open(packet, 0, packet.length, 1, packet, 4, r))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> t.open(packet, 5, packet.length, 1, new byte[64], 0, r))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(CryptoImplementation.class)
    @DisplayName("A GCM nonce is not reused (SunJCE's rule, copied by the OpenSSL transform): sealing one sequence "
            + "number twice is a caller bug")
    void gcmSequenceReuseIsRefused(CryptoImplementation impl) {
        Transforms.assumeInstalled(impl);
        EspTransform t = EspTransforms.create(EncryptionAlgorithm.AES_128_GCM, Optional.empty(), new byte[20], null,
                false, impl);
        byte[] payload = new byte[10];
        byte[] packet = new byte[t.sealedLength(10)];
        t.seal(1, 9, 4, payload, 0, 10, packet, 0);
        assertThatThrownBy(() -> t.seal(1, 9, 4, payload, 0, 10, packet, 0)).isInstanceOf(IllegalStateException.class);
    }
}
