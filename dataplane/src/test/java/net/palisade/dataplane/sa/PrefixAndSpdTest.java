package net.palisade.dataplane.sa;

import java.net.InetAddress;
import java.util.List;
import net.palisade.dataplane.packet.IpPacket;
import net.palisade.model.Network;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrefixAndSpdTest {

    private static int v4(String a) {
        return Prefix.toInt(InetAddress.ofLiteral(a).getAddress(), 0);
    }

    private static long hi(String a) {
        return Prefix.toLong(InetAddress.ofLiteral(a).getAddress(), 0);
    }

    private static long lo(String a) {
        return Prefix.toLong(InetAddress.ofLiteral(a).getAddress(), 8);
    }

    @Test
    void prefixMatching() {
        Prefix p = Prefix.of(Network.parse("10.1.0.0/16")).getFirst();
        assertThat(p.contains4(v4("10.1.255.7"))).isTrue();
        assertThat(p.contains4(v4("10.2.0.1"))).isFalse();
        assertThat(p.contains6(0, 0)).isFalse();
        assertThat(p).hasToString("10.1.0.0/16");

        Prefix high = Prefix.of(Network.parse("192.168.128.0/17")).getFirst();
        assertThat(high.contains4(v4("192.168.200.1"))).isTrue();
        assertThat(high.contains4(v4("192.168.127.1"))).isFalse();

        Prefix host = Prefix.of(Network.parse("10.9.1.1")).getFirst();
        assertThat(host.length()).isEqualTo(32);
        assertThat(host.contains4(v4("10.9.1.1"))).isTrue();
        assertThat(host.contains4(v4("10.9.1.2"))).isFalse();

        Prefix v6 = Prefix.of(Network.parse("2001:db8:1::/48")).getFirst();
        assertThat(v6.contains6(hi("2001:db8:1:ffff::1"), lo("2001:db8:1:ffff::1"))).isTrue();
        assertThat(v6.contains6(hi("2001:db8:2::1"), lo("2001:db8:2::1"))).isFalse();
        assertThat(v6.contains4(v4("10.1.0.1"))).isFalse();

        Prefix v6long = Prefix.of(Network.parse("2001:db8::1:0/112")).getFirst();
        assertThat(v6long.contains6(hi("2001:db8::1:abcd"), lo("2001:db8::1:abcd"))).isTrue();
        assertThat(v6long.contains6(hi("2001:db8::2:abcd"), lo("2001:db8::2:abcd"))).isFalse();
        assertThat(v6long.contains(InetAddress.ofLiteral("2001:db8::1:1"))).isTrue();

        assertThat(Prefix.of(Network.any())).hasSize(2);
        assertThat(Prefix.of(Network.any()).get(0).contains4(v4("203.0.113.9"))).isTrue();
        assertThat(Prefix.of(Network.any()).get(1).contains6(-1L, -1L)).isTrue();
    }

    @Test
    void firstMatchInOrderPerFamily() {
        Prefix l16 = Prefix.of(Network.parse("10.1.0.0/16")).getFirst();
        Prefix l24 = Prefix.of(Network.parse("10.1.5.0/24")).getFirst();
        Prefix r = Prefix.of(Network.parse("10.2.0.0/16")).getFirst();
        Prefix l6 = Prefix.of(Network.parse("fd00:1::/64")).getFirst();
        Prefix r6 = Prefix.of(Network.parse("fd00:2::/64")).getFirst();
        Spd<String> spd = Spd.of(List.of(new Spd.Policy<>(l16, r, "broad"), new Spd.Policy<>(l24, r, "narrow"),
                new Spd.Policy<>(l6, r6, "six")));
        assertThat(spd.lookup4(v4("10.1.5.9"), v4("10.2.3.4"))).as("config order, not longest match")
                .isEqualTo("broad");
        assertThat(spd.lookup4(v4("10.2.3.4"), v4("10.1.5.9"))).as("reverse direction").isNull();
        assertThat(spd.lookup4(v4("10.1.5.9"), v4("10.3.0.1"))).isNull();
        assertThat(spd.lookup6(hi("fd00:1::10"), lo("fd00:1::10"), hi("fd00:2::10"), lo("fd00:2::10")))
                .isEqualTo("six");
        assertThat(spd.lookup6(hi("fd00:1::10"), lo("fd00:1::10"), hi("fd00:3::10"), lo("fd00:3::10"))).isNull();
        assertThat(Spd.<String>empty().lookup4(1, 2)).isNull();
        assertThatThrownBy(() -> new Spd.Policy<>(l16, r6, "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void selectorsAdmitInboundOnlyFromRemoteToLocal() {
        Selectors s = new Selectors(List.of(Prefix.of(Network.parse("10.2.0.0/24")).getFirst()),
                List.of(Prefix.of(Network.parse("10.1.0.0/24")).getFirst()));
        IpPacket p = new IpPacket();
        byte[] good = ipv4("10.1.0.10", "10.2.0.10");
        assertThat(p.parse(good, 0, good.length)).isTrue();
        assertThat(s.admitsInbound(p)).isTrue();
        byte[] spoofed = ipv4("10.9.0.10", "10.2.0.10");
        p.parse(spoofed, 0, spoofed.length);
        assertThat(s.admitsInbound(p)).isFalse();
        byte[] elsewhere = ipv4("10.1.0.10", "10.3.0.10");
        p.parse(elsewhere, 0, elsewhere.length);
        assertThat(s.admitsInbound(p)).isFalse();
    }

    static byte[] ipv4(String src, String dst) {
        byte[] b = new byte[20];
        b[0] = 0x45;
        b[3] = 20;
        System.arraycopy(InetAddress.ofLiteral(src).getAddress(), 0, b, 12, 4);
        System.arraycopy(InetAddress.ofLiteral(dst).getAddress(), 0, b, 16, 4);
        return b;
    }
}
