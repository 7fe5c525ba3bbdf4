package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code encap} on an IKEv1 tunnel, without any NAT on the path, against Debian's strongSwan whose own
 * {@code encap = yes} is taken out: our deliberately wrong NAT-D hash must make strongSwan believe we are behind a
 * NAT, so IKE floats to port 4500 and ESP goes in UDP both ways. strongSwan's kernel-libipsec cannot do plain ESP,
 * so without the float no ping would cross. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class Ikev1EncapStrongSwanTest {
    private static final String PSK = "ikev1-float-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1EncapStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void encapFloatsAnIkev1TunnelTo4500WithoutANat(@TempDir Path dir) throws Exception {
        StrongSwan conf = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode());
        conf.withoutEncap();
        Path pcap = dir.resolve("inet.pcap");
        try (Tshark.Capture _ = Tshark.capture(PREFIX + "-inet", "br0", pcap);
                StrongSwan ss = conf.start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"" + PSK + "\" encap"
                    + " label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters().describe()).isZero();
            assertThat(ss.log()).contains("remote host is behind NAT").doesNotContain("local host is behind NAT");
            assertThat(ss.listSas()).contains("INSTALLED, TUNNEL-in-UDP");
        }
        assertThat(Tshark.fields(pcap, "isakmp.version == 0x10 && isakmp.exchangetype == 32 && udp.dstport == 4500"
                + " && udpencap.non_esp_marker", "frame.number")).as("quick mode on 4500").isNotEmpty();
        assertThat(Tshark.fields(pcap, "esp && udp.port == 4500 && ip.src == 192.0.2.1", "frame.number"))
                .isNotEmpty();
        assertThat(Tshark.fields(pcap, "ip.proto == 50", "frame.number")).as("plain ESP").isEmpty();
    }
}
