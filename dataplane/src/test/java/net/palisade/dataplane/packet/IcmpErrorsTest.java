package net.palisade.dataplane.packet;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class IcmpErrorsTest {
    private static final InetAddress A4 = InetAddress.ofLiteral("10.1.0.10");
    private static final InetAddress B4 = InetAddress.ofLiteral("10.2.0.10");
    private static final InetAddress A6 = InetAddress.ofLiteral("fd00:1::10");
    private static final InetAddress B6 = InetAddress.ofLiteral("fd00:2::10");

    private final IpPacket p = new IpPacket();
    private final byte[] out = new byte[IcmpErrors.MAX_LENGTH];

    @Test
    void fragmentationNeededHandComputed() {
        byte[] original = TestPackets.udp(A4, B4, 1472, true); // 1500 octets, DF
        assertThat(p.parse(original, 0, original.length)).isTrue();
        int n = IcmpErrors.tooBig(p, original, 1438, out, 0);

        // 20 (IP) + 8 (ICMP) + 548 quoted = 576 (RFC 1812 limit)
        assertThat(n).isEqualTo(576);
        // IP header by hand: 45 c0 0240 0000 0000 40 01 csum 0a02000a 0a01000a. The checksum: 45c0 + 0240 + 4001
        // + 0a02 + 000a + 0a01 + 000a = 9c18, complemented 63e7.
        assertThat(HexFormat.of().formatHex(out, 0, 20)).isEqualTo("45c0024000000000400163e70a02000a0a01000a");
        assertThat(TestPackets.ipv4HeaderValid(Arrays.copyOf(out, n))).isTrue();
        // ICMP: type 3, code 4, checksum, unused 0000, next-hop MTU 1438 = 0x059e
        assertThat(out[20]).isEqualTo((byte) 3);
        assertThat(out[21]).isEqualTo((byte) 4);
        assertThat(HexFormat.of().formatHex(out, 24, 28)).isEqualTo("0000059e");
        assertThat(Arrays.copyOfRange(out, 28, 576)).isEqualTo(Arrays.copyOfRange(original, 0, 548));
        assertThat(TestPackets.upperChecksumValid(Arrays.copyOf(out, n), 1)).isTrue();
    }

    @Test
    void shortOriginalIsQuotedWhole() {
        byte[] original = TestPackets.udp(A4, B4, 4, true);
        assertThat(p.parse(original, 0, original.length)).isTrue();
        int n = IcmpErrors.tooBig(p, original, 1400, out, 0);
        assertThat(n).isEqualTo(28 + original.length);
        assertThat(Arrays.copyOfRange(out, 28, n)).isEqualTo(original);
        assertThat(TestPackets.upperChecksumValid(Arrays.copyOf(out, n), 1)).isTrue();
    }

    @Test
    void packetTooBigHandComputed() {
        byte[] original = TestPackets.udp(A6, B6, 1452, true); // 1500 octets
        assertThat(p.parse(original, 0, original.length)).isTrue();
        int n = IcmpErrors.tooBig(p, original, 1418, out, 0);
        assertThat(n).isEqualTo(1280);
        // IPv6 header: version 6, payload 1240 = 0x04d8, next header 58, hop limit 64, src = original dst
        assertThat(HexFormat.of().formatHex(out, 0, 8)).isEqualTo("6000000004d83a40");
        assertThat(Arrays.copyOfRange(out, 8, 24)).isEqualTo(B6.getAddress());
        assertThat(Arrays.copyOfRange(out, 24, 40)).isEqualTo(A6.getAddress());
        // ICMPv6 type 2 code 0, MTU 1418 = 0x0000058a
        assertThat(out[40]).isEqualTo((byte) 2);
        assertThat(out[41]).isEqualTo((byte) 0);
        assertThat(HexFormat.of().formatHex(out, 44, 48)).isEqualTo("0000058a");
        assertThat(Arrays.copyOfRange(out, 48, 1280)).isEqualTo(Arrays.copyOfRange(original, 0, 1232));
        assertThat(TestPackets.upperChecksumValid(Arrays.copyOf(out, n), 58)).isTrue();
    }

    @Test
    void noErrorAboutAnError() {
        byte[] unreachable = TestPackets.icmp(A4, B4, 3);
        assertThat(p.parse(unreachable, 0, unreachable.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, unreachable, 1000, out, 0)).isZero();

        byte[] echo = TestPackets.icmp(A4, B4, 8);
        assertThat(p.parse(echo, 0, echo.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, echo, 1000, out, 0)).isPositive();

        byte[] unreachable6 = TestPackets.icmp(A6, B6, 1);
        assertThat(p.parse(unreachable6, 0, unreachable6.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, unreachable6, 1280, out, 0)).isZero();

        byte[] echo6 = TestPackets.icmp(A6, B6, 128);
        assertThat(p.parse(echo6, 0, echo6.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, echo6, 1280, out, 0)).isPositive();
    }

    @Test
    void noErrorForLaterFragmentsOrUnusableAddresses() {
        byte[] later = TestPackets.udp(A4, B4, 100, false);
        later[7] = 10;
        assertThat(p.parse(later, 0, later.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, later, 1000, out, 0)).isZero();

        byte[] fromUnspecified = TestPackets.udp(InetAddress.ofLiteral("0.0.0.0"), B4, 100, true);
        assertThat(p.parse(fromUnspecified, 0, fromUnspecified.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, fromUnspecified, 1000, out, 0)).isZero();

        byte[] toMulticast = TestPackets.udp(A4, InetAddress.ofLiteral("239.1.1.1"), 100, true);
        assertThat(p.parse(toMulticast, 0, toMulticast.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, toMulticast, 1000, out, 0)).isZero();

        byte[] toMulticast6 = TestPackets.udp(A6, InetAddress.ofLiteral("ff05::1"), 100, true);
        assertThat(p.parse(toMulticast6, 0, toMulticast6.length)).isTrue();
        assertThat(IcmpErrors.tooBig(p, toMulticast6, 1280, out, 0)).isZero();
    }
}
