package net.palisade.dataplane.packet;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MssClampTest {
    private static final InetAddress A4 = InetAddress.ofLiteral("10.1.0.10");
    private static final InetAddress B4 = InetAddress.ofLiteral("10.2.0.10");
    private static final InetAddress A6 = InetAddress.ofLiteral("fd00:1::10");
    private static final InetAddress B6 = InetAddress.ofLiteral("fd00:2::10");

    private final IpPacket p = new IpPacket();

    @Test
    void mssForMtu() {
        assertThat(MssClamp.mssFor(1438, false)).isEqualTo(1398);
        assertThat(MssClamp.mssFor(1438, true)).isEqualTo(1378);
    }

    @Test
    void clampsLinuxSynHandComputed() {
        byte[] syn = TestPackets.tcp(A4, B4, 0x02, TestPackets.linuxSynOptions(1460), new byte[0]);
        int before = TestPackets.u16(syn, 36);
        assertThat(p.parse(syn, 0, syn.length)).isTrue();

        assertThat(MssClamp.clamp(p, syn, 1358)).isTrue();

        assertThat(TestPackets.u16(syn, 42)).isEqualTo(1358); // MSS option value at TCP offset 22
        // One's complement: the checksum rises by the amount the word fell, 0x05b4 - 0x054e = 0x66.
        int expected = before + 0x66;
        expected = (expected & 0xffff) + (expected >>> 16);
        assertThat(TestPackets.u16(syn, 36)).isEqualTo(expected);
        assertThat(TestPackets.upperChecksumValid(syn, 6)).isTrue();
    }

    @Test
    void clampsSynAckAndIpv6() {
        byte[] synAck = TestPackets.tcp(A6, B6, 0x12, TestPackets.linuxSynOptions(1440), new byte[0]);
        assertThat(p.parse(synAck, 0, synAck.length)).isTrue();
        assertThat(MssClamp.clamp(p, synAck, 1378)).isTrue();
        assertThat(TestPackets.u16(synAck, 62)).isEqualTo(1378);
        assertThat(TestPackets.upperChecksumValid(synAck, 6)).isTrue();
    }

    @Test
    void leavesSmallerMssNonSynAndOptionlessSegmentsAlone() {
        byte[] small = TestPackets.tcp(A4, B4, 0x02, TestPackets.linuxSynOptions(1200), new byte[0]);
        byte[] copy = small.clone();
        assertThat(p.parse(small, 0, small.length)).isTrue();
        assertThat(MssClamp.clamp(p, small, 1358)).isFalse();
        assertThat(small).isEqualTo(copy);

        byte[] ack = TestPackets.tcp(A4, B4, 0x10, TestPackets.linuxSynOptions(1460), new byte[] {1, 2, 3});
        byte[] ackCopy = ack.clone();
        assertThat(p.parse(ack, 0, ack.length)).isTrue();
        assertThat(MssClamp.clamp(p, ack, 1358)).isFalse();
        assertThat(ack).isEqualTo(ackCopy);

        byte[] bare = TestPackets.tcp(A4, B4, 0x02, TestPackets.NO_OPTIONS, new byte[0]);
        assertThat(p.parse(bare, 0, bare.length)).isTrue();
        assertThat(MssClamp.clamp(p, bare, 1358)).isFalse();
    }

    @Test
    void mssAtAnOddOffsetUpdatesBothChecksumWords() {
        // NOP, MSS 1460, NOP, NOP, NOP: the MSS value straddles two 16-bit words of the checksum.
        byte[] options = {1, 2, 4, 0x05, (byte) 0xb4, 1, 1, 1};
        byte[] syn = TestPackets.tcp(A4, B4, 0x02, options, new byte[0]);
        assertThat(p.parse(syn, 0, syn.length)).isTrue();
        assertThat(MssClamp.clamp(p, syn, 1300)).isTrue();
        assertThat(TestPackets.u16(syn, 43)).isEqualTo(1300);
        assertThat(TestPackets.upperChecksumValid(syn, 6)).isTrue();
    }

    @Test
    void malformedOptionsAreLeftAlone() {
        byte[] zeroLength = {3, 0, 2, 4, 0x05, (byte) 0xb4, 0, 0}; // option kind 3 with length 0
        byte[] syn = TestPackets.tcp(A4, B4, 0x02, zeroLength, new byte[0]);
        byte[] copy = syn.clone();
        assertThat(p.parse(syn, 0, syn.length)).isTrue();
        assertThat(MssClamp.clamp(p, syn, 1300)).isFalse();
        assertThat(syn).isEqualTo(copy);

        byte[] overrun = {2, 4, 0x05, (byte) 0xb4, 8, 10, 0, 0}; // timestamps option running past the header
        byte[] syn2 = TestPackets.tcp(A4, B4, 0x02, overrun, new byte[0]);
        syn2[20 + 12] = (byte) (8 << 4); // data offset 32 octets in a 28-octet segment
        assertThat(p.parse(syn2, 0, syn2.length)).isTrue();
        assertThat(MssClamp.clamp(p, syn2, 1300)).as("data offset beyond the segment").isFalse();

        byte[] badMssLength = {2, 3, 0x05, 0, 0, 0, 0, 0};
        byte[] syn3 = TestPackets.tcp(A4, B4, 0x02, badMssLength, new byte[0]);
        assertThat(p.parse(syn3, 0, syn3.length)).isTrue();
        assertThat(MssClamp.clamp(p, syn3, 1300)).isFalse();
    }
}
