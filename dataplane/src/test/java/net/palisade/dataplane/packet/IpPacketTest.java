package net.palisade.dataplane.packet;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class IpPacketTest {
    private static final InetAddress A4 = InetAddress.ofLiteral("10.1.0.10");
    private static final InetAddress B4 = InetAddress.ofLiteral("10.2.0.10");
    private static final InetAddress A6 = InetAddress.ofLiteral("fd00:1::10");
    private static final InetAddress B6 = InetAddress.ofLiteral("fd00:2::10");

    private final IpPacket p = new IpPacket();

    @Test
    void ipv4AtAnOffset() {
        byte[] raw = TestPackets.udp(A4, B4, 100, true);
        byte[] buf = new byte[raw.length + 70];
        System.arraycopy(raw, 0, buf, 64, raw.length);
        assertThat(p.parse(buf, 64, raw.length + 6)).isTrue(); // trailing octets (TFC padding) are fine
        assertThat(p.version()).isEqualTo(4);
        assertThat(p.offset()).isEqualTo(64);
        assertThat(p.headerLength()).isEqualTo(20);
        assertThat(p.totalLength()).isEqualTo(128);
        assertThat(p.protocol()).isEqualTo(IpPacket.PROTO_UDP);
        assertThat(p.transportOffset()).isEqualTo(84);
        assertThat(p.src4()).isEqualTo(0x0a01000a);
        assertThat(p.dst4()).isEqualTo(0x0a02000a);
        assertThat(p.dontFragment()).isTrue();
        assertThat(p.fragment()).isFalse();
        assertThat(p.ipv6LinkScope()).isFalse();
    }

    @Test
    void ipv4Fragments() {
        byte[] raw = TestPackets.udp(A4, B4, 100, false);
        raw[6] = 0x20; // MF, offset 0: the first fragment still has its transport header
        assertThat(p.parse(raw, 0, raw.length)).isTrue();
        assertThat(p.fragment()).isTrue();
        assertThat(p.laterFragment()).isFalse();
        assertThat(p.transportOffset()).isEqualTo(20);
        raw[6] = 0;
        raw[7] = 10; // offset 80: a later fragment
        assertThat(p.parse(raw, 0, raw.length)).isTrue();
        assertThat(p.laterFragment()).isTrue();
        assertThat(p.transportOffset()).isEqualTo(-1);
        assertThat(p.dontFragment()).isFalse();
    }

    @Test
    void malformedIpv4() {
        byte[] good = TestPackets.udp(A4, B4, 20, true);
        assertThat(p.parse(good, 0, 19)).as("shorter than a header").isFalse();
        assertThat(p.parse(good, 0, 0)).as("empty").isFalse();

        byte[] badIhl = good.clone();
        badIhl[0] = 0x44; // IHL 16 octets
        assertThat(p.parse(badIhl, 0, badIhl.length)).isFalse();

        byte[] ihlBeyond = good.clone();
        ihlBeyond[0] = 0x4f; // 60-octet header in a 48-octet packet
        assertThat(p.parse(ihlBeyond, 0, ihlBeyond.length)).isFalse();

        byte[] totalBeyond = good.clone();
        totalBeyond[3] = (byte) (good.length + 1);
        assertThat(p.parse(totalBeyond, 0, totalBeyond.length)).isFalse();

        byte[] totalBelowHeader = good.clone();
        totalBelowHeader[2] = 0;
        totalBelowHeader[3] = 19;
        assertThat(p.parse(totalBelowHeader, 0, totalBelowHeader.length)).isFalse();

        byte[] version5 = good.clone();
        version5[0] = 0x55;
        assertThat(p.parse(version5, 0, version5.length)).isFalse();

        assertThat(p.parse(good, 40, 20)).as("beyond the array").isFalse();
    }

    @Test
    void ipv6WithExtensionHeadersFindsTcp() {
        byte[] tcp = TestPackets.tcp(A6, B6, 0x02, TestPackets.NO_OPTIONS, new byte[0]);
        // Insert a hop-by-hop header (8 octets: next header TCP, length 0, PadN) and a destination options header.
        byte[] upper = new byte[tcp.length - 40];
        System.arraycopy(tcp, 40, upper, 0, upper.length);
        byte[] ext = new byte[16 + upper.length];
        ext[0] = 60; // next: destination options
        ext[1] = 0;
        ext[2] = 1; // PadN
        ext[3] = 4;
        ext[8] = 6; // next: TCP
        ext[9] = 0;
        ext[10] = 1;
        ext[11] = 4;
        System.arraycopy(upper, 0, ext, 16, upper.length);
        byte[] pkt = TestPackets.ip(A6, B6, 0, ext, true);
        assertThat(p.parse(pkt, 0, pkt.length)).isTrue();
        assertThat(p.version()).isEqualTo(6);
        assertThat(p.protocol()).isEqualTo(IpPacket.PROTO_TCP);
        assertThat(p.transportOffset()).isEqualTo(56);
        assertThat(p.totalLength()).isEqualTo(pkt.length);
        assertThat(p.srcHi()).isEqualTo(0xfd00_0001_0000_0000L);
        assertThat(p.srcLo()).isEqualTo(0x10L);
        assertThat(p.dstHi()).isEqualTo(0xfd00_0002_0000_0000L);
        assertThat(p.dontFragment()).isTrue();
    }

    @Test
    void ipv6LaterFragmentHasNoTransport() {
        byte[] frag = new byte[8 + 16];
        frag[0] = 17; // next: UDP
        frag[2] = 0;
        frag[3] = (byte) (1 << 3); // offset 1 (8 octets), later fragment
        byte[] pkt = TestPackets.ip(A6, B6, 44, frag, true);
        assertThat(p.parse(pkt, 0, pkt.length)).isTrue();
        assertThat(p.fragment()).isTrue();
        assertThat(p.laterFragment()).isTrue();
        assertThat(p.transportOffset()).isEqualTo(-1);
    }

    @Test
    void truncatedExtensionChainIsNotMalformedButHasNoTransport() {
        byte[] ext = new byte[8];
        ext[0] = 6;
        ext[1] = 5; // claims 48 octets
        byte[] pkt = TestPackets.ip(A6, B6, 0, ext, true);
        assertThat(p.parse(pkt, 0, pkt.length)).isTrue();
        assertThat(p.transportOffset()).isEqualTo(-1);
    }

    @Test
    void malformedIpv6() {
        byte[] good = TestPackets.udp(A6, B6, 10, true);
        assertThat(p.parse(good, 0, 39)).isFalse();
        assertThat(p.parse(good, 0, good.length - 1)).as("payload length beyond the octets").isFalse();
        byte[] jumbo = good.clone();
        jumbo[4] = 0;
        jumbo[5] = 0;
        assertThat(p.parse(jumbo, 0, jumbo.length)).as("payload length 0 (jumbogram)").isFalse();
    }

    @Test
    void ipv6LinkScopeNoise() {
        InetAddress linkLocal = InetAddress.ofLiteral("fe80::1");
        byte[] routerSolicitation = TestPackets.icmp(linkLocal, InetAddress.ofLiteral("ff02::2"), 133);
        assertThat(p.parse(routerSolicitation, 0, routerSolicitation.length)).isTrue();
        assertThat(p.ipv6LinkScope()).isTrue();

        byte[] mldFromUnspecified = TestPackets.icmp(InetAddress.ofLiteral("::"), InetAddress.ofLiteral("ff02::16"),
                143);
        assertThat(p.parse(mldFromUnspecified, 0, mldFromUnspecified.length)).isTrue();
        assertThat(p.ipv6LinkScope()).isTrue();

        byte[] siteMulticast = TestPackets.udp(A6, InetAddress.ofLiteral("ff05::1:3"), 10, true);
        assertThat(p.parse(siteMulticast, 0, siteMulticast.length)).isTrue();
        assertThat(p.ipv6LinkScope()).as("site scope may be tunnelled").isFalse();

        byte[] global = TestPackets.udp(A6, B6, 10, true);
        assertThat(p.parse(global, 0, global.length)).isTrue();
        assertThat(p.ipv6LinkScope()).isFalse();
    }
}
