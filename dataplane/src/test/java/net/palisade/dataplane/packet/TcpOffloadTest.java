package net.palisade.dataplane.packet;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TcpSegmenter} and {@link TcpCoalescer} against each other and against independently built segments: a
 * stream cut by the segmenter must equal what a sender would have sent, and coalescing those segments must give
 * back the super-packet with a virtio-net header the kernel accepts.
 */
class TcpOffloadTest {
    private static final InetAddress A4 = InetAddress.ofLiteral("10.1.0.10");
    private static final InetAddress B4 = InetAddress.ofLiteral("10.2.0.10");
    private static final InetAddress A6 = InetAddress.ofLiteral("fd00:1::10");
    private static final InetAddress B6 = InetAddress.ofLiteral("fd00:2::10");
    /** NOP, NOP, timestamps: what Linux puts in every data segment. */
    private static final byte[] TIMESTAMPS = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9};

    /**
     * One TCP segment built from scratch: seq, flags, IPv4 ID as given, valid checksums (computed by
     * {@link TestPackets}, not by the code under test).
     */
    static byte[] segment(InetAddress src, InetAddress dst, long seq, int flags, int ipId, byte[] payload) {
        byte[] p = TestPackets.tcp(src, dst, flags, TIMESTAMPS, payload);
        boolean v4 = (p[0] >> 4) == 4;
        int t = v4 ? 20 : 40;
        ByteBuffer.wrap(p).putInt(t + 4, (int) seq);
        if (v4) {
            ByteBuffer.wrap(p).putShort(4, (short) ipId);
            p[10] = 0;
            p[11] = 0;
            byte[] h = Arrays.copyOf(p, 20);
            int c = TestPackets.checksum(new byte[0], h);
            p[10] = (byte) (c >>> 8);
            p[11] = (byte) c;
        }
        p[t + 16] = 0;
        p[t + 17] = 0;
        byte[] upper = Arrays.copyOfRange(p, t, p.length);
        int c = TestPackets.checksum(TestPackets.pseudo(src, dst, 6, upper.length), upper);
        p[t + 16] = (byte) (c >>> 8);
        p[t + 17] = (byte) c;
        return p;
    }

    private static byte[] payload(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void segmenterCutsLikeTheSender() {
        for (InetAddress[] pair : new InetAddress[][] {{A4, B4}, {A6, B6}}) {
            int mss = 1000;
            byte[] data = payload(4 * mss + 123, 7);
            // The super-packet as the kernel hands it over: one header, all the data, PSH|FIN at the end, CWR.
            byte[] superPacket = segment(pair[0], pair[1], 0xfffff000L, 0x10 | 0x08 | 0x01 | 0x80, 0xfffe, data);
            TcpSegmenter s = new TcpSegmenter();
            assertThat(s.start(superPacket, 0, superPacket.length, mss)).isTrue();
            assertThat(s.segments()).isEqualTo(5);
            byte[] dst = new byte[4096];
            for (int i = 0; i < 5; i++) {
                int n = s.next(dst, 10);
                int chunk = Math.min(mss, data.length - i * mss);
                int flags = 0x10 | (i == 0 ? 0x80 : 0) | (i == 4 ? 0x09 : 0);
                byte[] expected = segment(pair[0], pair[1], 0xfffff000L + (long) i * mss, flags, (0xfffe + i) & 0xffff,
                        Arrays.copyOfRange(data, i * mss, i * mss + chunk));
                assertThat(Arrays.copyOfRange(dst, 10, 10 + n)).as("segment %d of %s", i, pair[0])
                        .isEqualTo(expected);
            }
            assertThat(s.next(dst, 10)).isZero();
        }
    }

    @Test
    void segmenterRefusesWhatItCannotCut() {
        TcpSegmenter s = new TcpSegmenter();
        byte[] udp = TestPackets.udp(A4, B4, 3000, true);
        assertThat(s.start(udp, 0, udp.length, 1000)).isFalse();
        byte[] empty = segment(A4, B4, 1, 0x10, 1, new byte[0]);
        assertThat(s.start(empty, 0, empty.length, 1000)).isFalse();
        byte[] tcp = segment(A4, B4, 1, 0x10, 1, payload(100, 1));
        assertThat(s.start(tcp, 0, tcp.length, 0)).isFalse();
        assertThat(s.start(tcp, 0, 30, 1000)).isFalse();
    }

    @Test
    void coalescesASegmentRunAndTheKernelCouldCutItBack() {
        for (InetAddress[] pair : new InetAddress[][] {{A4, B4}, {A6, B6}}) {
            int mss = 1200;
            byte[] data = payload(5 * mss + 500, 11);
            List<byte[]> run = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int chunk = Math.min(mss, data.length - i * mss);
                run.add(segment(pair[0], pair[1], 5000L + (long) i * mss, i == 5 ? 0x18 : 0x10, 100 + i,
                        Arrays.copyOfRange(data, i * mss, i * mss + chunk)));
            }
            TcpCoalescer c = new TcpCoalescer();
            IpPacket p = new IpPacket();
            for (int i = 0; i < run.size(); i++) {
                byte[] seg = run.get(i);
                assertThat(p.parse(seg, 0, seg.length)).isTrue();
                if (i == 0) {
                    assertThat(TcpCoalescer.eligible(p, seg)).isTrue();
                    c.begin(p, seg);
                } else {
                    assertThat(c.append(p, seg)).as("segment %d", i).isTrue();
                }
            }
            assertThat(c.segments()).isEqualTo(6);
            int n = c.finish();
            byte[] b = c.buffer();
            boolean v4 = pair[0] == A4;
            int ip = v4 ? 20 : 40;
            int headers = ip + 32;
            // virtio-net header: NEEDS_CSUM, GSO TCPv4/v6, hdr_len, gso_size = first payload, csum start/offset
            assertThat(VirtioNetHeader.flags(b, 0)).isEqualTo(VirtioNetHeader.F_NEEDS_CSUM);
            assertThat(VirtioNetHeader.gsoType(b, 0))
                    .isEqualTo(v4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6);
            assertThat(VirtioNetHeader.headerLength(b, 0)).isEqualTo(headers);
            assertThat(VirtioNetHeader.gsoSize(b, 0)).isEqualTo(mss);
            assertThat(VirtioNetHeader.csumStart(b, 0)).isEqualTo(ip);
            assertThat(VirtioNetHeader.csumOffset(b, 0)).isEqualTo(16);
            byte[] superPacket = Arrays.copyOfRange(b, 10, n);
            assertThat(superPacket.length).isEqualTo(headers + data.length);
            assertThat(Arrays.copyOfRange(superPacket, headers, superPacket.length)).isEqualTo(data);
            assertThat(superPacket[ip + 13] & 0x08).as("PSH of the last segment").isEqualTo(0x08);
            if (v4) {
                assertThat(TestPackets.u16(superPacket, 2)).isEqualTo(superPacket.length);
                assertThat(TestPackets.ipv4HeaderValid(superPacket)).isTrue();
            } else {
                assertThat(TestPackets.u16(superPacket, 4)).isEqualTo(superPacket.length - 40);
            }
            // The checksum field holds the pseudo-header sum (not complemented): completing it over the whole
            // segment gives a valid checksum, as the kernel does per segment.
            int tcpLength = superPacket.length - ip;
            byte[] pseudo = TestPackets.pseudo(pair[0], pair[1], 6, tcpLength);
            int pseudoSum = 0xffff - TestPackets.checksum(pseudo, new byte[0]);
            assertThat(TestPackets.u16(superPacket, ip + 16)).isEqualTo(pseudoSum);
            assertThat(VirtioNetHeader.completeChecksum(superPacket, 0, superPacket.length, ip, 16)).isTrue();
            assertThat(TestPackets.upperChecksumValid(superPacket, 6)).isTrue();

            // ...and cutting it again yields the original segments.
            TcpSegmenter s = new TcpSegmenter();
            assertThat(s.start(superPacket, 0, superPacket.length, mss)).isTrue();
            byte[] dst = new byte[2048];
            for (byte[] expected : run) {
                int len = s.next(dst, 0);
                assertThat(Arrays.copyOf(dst, len)).isEqualTo(expected);
            }
        }
    }

    @Test
    void onlyExactContinuationsJoin() {
        IpPacket p = new IpPacket();
        TcpCoalescer c = new TcpCoalescer();
        byte[] first = segment(A4, B4, 1000, 0x10, 1, payload(500, 1));
        p.parse(first, 0, first.length);

        List<byte[]> refused = List.of(
                segment(A4, B4, 1501, 0x10, 2, payload(500, 2)), // gap in the sequence
                segment(A4, B4, 1500, 0x10, 3, payload(500, 2)), // IPv4 ID not consecutive
                segment(A4, B4, 1500, 0x10, 2, payload(501, 2)), // longer than the first
                segment(A4, InetAddress.ofLiteral("10.2.0.11"), 1500, 0x10, 2, payload(500, 2)), // other flow
                segment(A4, B4, 1500, 0x11, 2, payload(500, 2)), // FIN
                segment(A4, B4, 1500, 0x12, 2, payload(500, 2))); // SYN-ACK
        for (byte[] r : refused) {
            c.begin(p, first);
            IpPacket q = new IpPacket();
            q.parse(r, 0, r.length);
            assertThat(c.append(q, r)).isFalse();
            c.finish();
        }
        byte[] otherAck = segment(A4, B4, 1500, 0x10, 2, payload(500, 2));
        ByteBuffer.wrap(otherAck).putInt(28, 12345); // acknowledgement number differs
        c.begin(p, first);
        IpPacket q = new IpPacket();
        q.parse(otherAck, 0, otherAck.length);
        assertThat(c.append(q, otherAck)).isFalse();

        // A shorter segment joins but closes; nothing joins after it. A lone segment goes out untouched.
        c.finish();
        c.begin(p, first);
        byte[] shorter = segment(A4, B4, 1500, 0x10, 2, payload(100, 3));
        q.parse(shorter, 0, shorter.length);
        assertThat(c.append(q, shorter)).isTrue();
        byte[] after = segment(A4, B4, 1600, 0x10, 3, payload(100, 4));
        q.parse(after, 0, after.length);
        assertThat(c.append(q, after)).isFalse();
        c.finish();
        c.begin(p, first);
        int n = c.finish();
        assertThat(Arrays.copyOfRange(c.buffer(), 0, 10)).isEqualTo(new byte[10]);
        assertThat(Arrays.copyOfRange(c.buffer(), 10, n)).isEqualTo(first);

        byte[] syn = TestPackets.tcp(A4, B4, 0x02, TestPackets.linuxSynOptions(1460), new byte[0]);
        p.parse(syn, 0, syn.length);
        assertThat(TcpCoalescer.eligible(p, syn)).isFalse();
        byte[] pureAck = segment(A4, B4, 1, 0x10, 9, new byte[0]);
        p.parse(pureAck, 0, pureAck.length);
        assertThat(TcpCoalescer.eligible(p, pureAck)).as("no payload").isFalse();
    }

    @Test
    void completesPartialChecksums() {
        byte[] udp = TestPackets.udp(A4, B4, 77, true);
        byte[] partial = udp.clone();
        // replace the UDP checksum with the pseudo-header sum, as the kernel does for CHECKSUM_PARTIAL
        int pseudoSum = 0xffff - TestPackets.checksum(TestPackets.pseudo(A4, B4, 17, 85), new byte[0]);
        partial[26] = (byte) (pseudoSum >>> 8);
        partial[27] = (byte) pseudoSum;
        assertThat(VirtioNetHeader.completeChecksum(partial, 0, partial.length, 20, 6)).isTrue();
        assertThat(partial).isEqualTo(udp);
        assertThat(VirtioNetHeader.completeChecksum(partial, 0, partial.length, 20, 90)).isFalse();
        assertThat(VirtioNetHeader.completeChecksum(partial, 0, partial.length, 4, 6)).isFalse();
    }

    @Test
    void wideChecksumLoopMatchesTheReference() {
        Random random = new Random(1071);
        for (int i = 0; i < 5000; i++) {
            byte[] data = new byte[random.nextInt(3000)];
            random.nextBytes(data);
            int off = data.length == 0 ? 0 : random.nextInt(Math.min(16, data.length + 1));
            int len = data.length - off;
            assertThat(Checksum.compute(data, off, len))
                    .isEqualTo(TestPackets.checksum(new byte[0], Arrays.copyOfRange(data, off, off + len)));
        }
        ByteArrayOutputStream ones = new ByteArrayOutputStream();
        for (int i = 0; i < 65535; i++) {
            ones.write(0xff);
        }
        byte[] allOnes = ones.toByteArray();
        assertThat(Checksum.compute(allOnes, 0, allOnes.length))
                .isEqualTo(TestPackets.checksum(new byte[0], allOnes));
    }
}
