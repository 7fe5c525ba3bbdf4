package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * IKEv1 NAT traversal through a real NAT (RFC 3947, RFC 3948): the lab's {@code nat} option puts gw-a behind a
 * masquerading nftables box; a node on gw-a initiates main mode to Debian's strongSwan on gw-b, neither side forcing
 * encapsulation (strongSwan's {@code encap = yes} is taken out, the tunnel has no {@code encap}). NAT-D alone must
 * float IKE to port 4500 from main mode's fifth message on, encapsulate ESP in UDP both ways and make the node send
 * NAT-T keepalives. The judges: tshark on the NAT box's outside and charon's log. Needs root, strongSwan and
 * nftables; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class Ikev1NatStrongSwanTest {
    private static final String PSK = "ikev1-nat-lab-psk-not-for-production";
    /** Short, so the test sees several keepalives quickly; the default is 20 s. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(2);

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1NatStrongSwanTest.class, "nat");
    private static final String PREFIX = LAB.prefix();

    @Test
    void mainModeFromBehindARealNatFloatsTo4500AndEncapsulatesEsp(@TempDir Path dir) throws Exception {
        StrongSwan conf = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode());
        conf.withoutEncap();

        Path pcap = dir.resolve("nat-outside.pcap");
        try (Tshark.Capture _ = Tshark.capture(PREFIX + "-nat", "wan", pcap);
                StrongSwan ss = conf.start();
                LabNode node = LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX)
                        .withSettings(IkeSettings.DEFAULT.withNatKeepalive(KEEPALIVE)))) {
            // gw-a's own address is private (172.16.1.2): it names itself by the NAT's address, which gw-b expects
            node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 srcid 192.0.2.1 psk \"" + PSK
                    + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters().describe()).isZero();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(tshark(pcap, "udpencap.nat_keepalive && ip.src == 192.0.2.1 && ip.dst == 192.0.2.2"
                            + " && udp.dstport == 4500", "frame.number")).hasSizeGreaterThanOrEqualTo(3));
        }
        String log = conf.log();
        // strongSwan's NAT-D saw our translated address, and no NAT on its own side
        assertThat(log).contains("remote host is behind NAT").doesNotContain("local host is behind NAT");
        // main mode starts on port 500 and floats to 4500 (behind the non-ESP marker); quick mode only on 4500
        String v1 = "isakmp.version == 0x10 && ";
        assertThat(tshark(pcap, v1 + "isakmp.exchangetype == 2 && ip.src == 192.0.2.1 && udp.dstport == 500",
                "frame.number")).as("main mode messages 1 and 3 on 500").hasSizeGreaterThanOrEqualTo(2);
        assertThat(tshark(pcap, v1 + "isakmp.exchangetype == 2 && ip.src == 192.0.2.1 && udp.dstport == 4500"
                + " && udpencap.non_esp_marker", "frame.number")).as("main mode message 5 on 4500").isNotEmpty();
        assertThat(tshark(pcap, v1 + "isakmp.exchangetype == 32 && udp.port == 500", "frame.number")).isEmpty();
        assertThat(tshark(pcap, v1 + "isakmp.exchangetype == 32 && udp.dstport == 4500", "frame.number"))
                .hasSizeGreaterThanOrEqualTo(2);
        // ESP in UDP both ways, no plain ESP; keepalives are the one octet 0xFF
        assertThat(tshark(pcap, "esp && udp && ip.src == 192.0.2.2", "udp.dstport")).isNotEmpty();
        assertThat(tshark(pcap, "esp && udp && ip.src == 192.0.2.1 && udp.dstport == 4500", "frame.number"))
                .isNotEmpty();
        assertThat(tshark(pcap, "ip.proto == 50", "frame.number")).as("plain ESP").isEmpty();
        assertThat(tshark(pcap, "udpencap.nat_keepalive", "udp.payload")).containsOnly("ff");
        assertThat(tshark(pcap, "_ws.malformed || _ws.expert.severity == error", "frame.number")).isEmpty();
    }

    private static List<String> tshark(Path pcap, String filter, String field) throws Exception {
        return Tshark.fields(pcap, filter, field);
    }
}
