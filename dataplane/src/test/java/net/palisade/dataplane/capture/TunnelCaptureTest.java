package net.palisade.dataplane.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.List;
import net.palisade.dataplane.sa.Prefix;
import org.junit.jupiter.api.Test;

/**
 * Which packets of the TUN device belong to a tunnel's capture: on the way in (outgoing from the kernel to the
 * device) from a local network to a remote one, on the way out the reverse; IPv4 and IPv6; nothing else (another
 * tunnel's networks, the wrong direction, a truncated header). The real device and tcpdump's reading of the file
 * are {@code CaptureStrongSwanTest}'s.
 */
class TunnelCaptureTest {
    private static final List<Prefix> LOCAL = List.of(prefix("10.1.0.0", 24), prefix("fd00:1::", 64));
    private static final List<Prefix> REMOTE = List.of(prefix("10.2.0.0", 24), prefix("fd00:2::", 64));

    @Test
    void keepsTheTunnelsTrafficInBothDirectionsOnly() throws Exception {
        assertThat(ours(v4("10.1.0.10", "10.2.0.10"), true)).isTrue();
        assertThat(ours(v4("10.2.0.10", "10.1.0.10"), false)).isTrue();
        // the right networks in the wrong direction: not this tunnel's packet
        assertThat(ours(v4("10.2.0.10", "10.1.0.10"), true)).isFalse();
        assertThat(ours(v4("10.1.0.10", "10.2.0.10"), false)).isFalse();
        // another tunnel's networks
        assertThat(ours(v4("10.1.0.10", "10.3.0.10"), true)).isFalse();
        assertThat(ours(v4("10.1.1.10", "10.2.0.10"), true)).isFalse();
        assertThat(ours(v6("fd00:1::10", "fd00:2::10"), true)).isTrue();
        assertThat(ours(v6("fd00:2::10", "fd00:1::10"), false)).isTrue();
        assertThat(ours(v6("fd00:1::10", "fd00:3::10"), true)).isFalse();
        // a header cut short, or not IP
        byte[] cut = v4("10.1.0.10", "10.2.0.10");
        assertThat(TunnelCapture.ours(MemorySegment.ofArray(cut), 19, true, LOCAL, REMOTE)).isFalse();
        assertThat(TunnelCapture.ours(MemorySegment.ofArray(new byte[40]), 40, true, LOCAL, REMOTE)).isFalse();
    }

    private static boolean ours(byte[] packet, boolean outgoing) {
        return TunnelCapture.ours(MemorySegment.ofArray(packet), packet.length, outgoing, LOCAL, REMOTE);
    }

    private static byte[] v4(String src, String dst) throws Exception {
        byte[] p = new byte[28];
        p[0] = 0x45;
        System.arraycopy(InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        return p;
    }

    private static byte[] v6(String src, String dst) throws Exception {
        byte[] p = new byte[48];
        p[0] = 0x60;
        System.arraycopy(InetAddress.getByName(src).getAddress(), 0, p, 8, 16);
        System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, p, 24, 16);
        return p;
    }

    private static Prefix prefix(String address, int length) {
        try {
            return Prefix.of(InetAddress.getByName(address), length);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
