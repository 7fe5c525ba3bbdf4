package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
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
 * NAT traversal through a real NAT (RFC 7296 section 2.23, RFC 3948): the lab's {@code nat} option
 * ({@code ops/lab/netns.sh up iknt nat}) puts gw-a behind a masquerading nftables box; a node on gw-a initiates to
 * Debian's strongSwan on gw-b, neither side forcing encapsulation (strongSwan's {@code encap = yes} is taken out, the
 * node's tunnel has no {@code encap}). NAT detection alone must move IKE to port 4500, encapsulate ESP in UDP both
 * ways, and make the node send NAT-T keepalives. The judges: tshark on the NAT box's outside (what really crossed
 * the internet) and charon's log. Needs root, strongSwan and nftables; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class IkeNatStrongSwanTest {
    private static final String PSK = "nat-lab-psk-not-for-production";
    /** Short, so the test sees several keepalives quickly; the default is 20 s. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(2);

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeNatStrongSwanTest.class, "nat");
    private static final String PREFIX = LAB.prefix();

    @Test
    void behindARealNatIkeFloatsTo4500EspIsEncapsulatedAndKeepalivesKeepTheMapping(@TempDir Path dir)
            throws Exception {
        StrongSwan conf = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
        conf.withoutEncap();

        Path pcap = dir.resolve("nat-outside.pcap");
        try (Tshark.Capture _ = Tshark.capture(PREFIX + "-nat", "wan", pcap);
                StrongSwan ss = conf.start();
                LabNode node = LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX)
                        .withSettings(IkeSettings.DEFAULT.withNatKeepalive(KEEPALIVE)))) {
            // gw-a's own address is private (172.16.1.2): it names itself by the NAT's address, which gw-b expects
            node.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 srcid 192.0.2.1 psk \"" + PSK
                    + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");

            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters()).isZero();
            // keepalives every KEEPALIVE of IKE silence: wait until three crossed the NAT's outside
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(tshark(pcap, "udpencap.nat_keepalive && ip.src == 192.0.2.1 && ip.dst == 192.0.2.2"
                            + " && udp.dstport == 4500", "frame.number")).hasSizeGreaterThanOrEqualTo(3));
        }

        String log = conf.log();
        Files.writeString(Path.of("target", "iknt-charon.log"), log);
        Files.copy(pcap, Path.of("target", "iknt-nat-outside.pcap"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // strongSwan's NAT detection saw our translated address (and no NAT on its own side)
        assertThat(log).contains("remote host is behind NAT").doesNotContain("local host is behind NAT");
        // IKE_SA_INIT on port 500, IKE_AUTH on 4500 (behind the non-ESP marker), both from the NAT's address
        assertThat(tshark(pcap, "isakmp.exchangetype == 34 && ip.src == 192.0.2.1 && udp.dstport == 500",
                "frame.number")).isNotEmpty();
        assertThat(tshark(pcap, "isakmp.exchangetype == 34 && udp.port == 4500", "frame.number")).isEmpty();
        assertThat(tshark(pcap, "isakmp.exchangetype == 35 && ip.src == 192.0.2.1 && udp.dstport == 4500"
                + " && udpencap.non_esp_marker", "frame.number")).isNotEmpty();
        // ESP in UDP both ways (strongSwan answers the NAT's mapped port), no plain ESP (IP protocol 50)
        List<String> natPorts = tshark(pcap, "esp && udp && ip.src == 192.0.2.2", "udp.dstport");
        assertThat(natPorts).as("ESP-in-UDP from strongSwan to the NAT").isNotEmpty();
        assertThat(tshark(pcap, "esp && udp && ip.src == 192.0.2.1 && udp.dstport == 4500", "frame.number"))
                .as("ESP-in-UDP from the node through the NAT").isNotEmpty();
        assertThat(tshark(pcap, "ip.proto == 50", "frame.number")).as("plain ESP").isEmpty();
        // every keepalive is the one octet 0xFF, without a non-ESP marker, from the NAT's port for our 4500
        List<String> keepalives = tshark(pcap, "udpencap.nat_keepalive", "udp.srcport");
        assertThat(keepalives).hasSizeGreaterThanOrEqualTo(3);
        assertThat(tshark(pcap, "udpencap.nat_keepalive", "udp.payload")).containsOnly("ff");
        assertThat(tshark(pcap, "udpencap.nat_keepalive", "udp.length")).as("UDP header and one octet")
                .containsOnly("9");
        assertThat(keepalives.stream().distinct().toList()).containsExactlyElementsOf(
                tshark(pcap, "esp && udp && ip.src == 192.0.2.1", "udp.srcport").stream().distinct().toList());
    }

    private static List<String> tshark(Path pcap, String filter, String field) throws Exception {
        return Tshark.fields(pcap, filter, field);
    }
}
