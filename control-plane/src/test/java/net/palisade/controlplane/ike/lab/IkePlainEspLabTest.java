package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.Tshark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Palisade nodes (gw-a and gw-b of the lab, its own prefix, no NAT) with {@code ike} tunnels and no {@code encap}:
 * NAT detection finds no NAT, so IKE stays on port 500 and the Child SA is plain ESP (IP protocol 50). tshark on the
 * internet bridge is the judge. Then the same with {@code encap} on one side: IKE on 4500 and ESP in UDP. Needs
 * root; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkePlainEspLabTest {
    private static final String PSK = "plain-esp-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkePlainEspLabTest.class);
    private static final String PREFIX = LAB.prefix();

    /** A node (dataplane, IKE, control plane) in gateway namespace {@code gw}, its data in {@code dir/gw}. */
    private static LabNode node(Path dir, String gw, String config) throws Exception {
        LabNode node = LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX).withGateway(gw)
                .withTunName(PREFIX + gw).withDataDir(gw));
        try {
            node.commit(config);
            return node;
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
    }

    @Test
    void withoutNatAndWithoutEncapTheWireCarriesPlainEsp(@TempDir Path dir) throws Exception {
        Path pcap = run(dir, "");
        assertThat(tshark(pcap, "esp && ip.proto == 50 && ip.src == 192.0.2.1", "esp.spi")).as("plain ESP a->b")
                .isNotEmpty();
        assertThat(tshark(pcap, "esp && ip.proto == 50 && ip.src == 192.0.2.2", "esp.spi")).as("plain ESP b->a")
                .isNotEmpty();
        assertThat(tshark(pcap, "udp.port == 4500", "frame.number")).as("nothing on port 4500").isEmpty();
        assertThat(tshark(pcap, "isakmp.exchangetype == 35 && udp.srcport == 500 && udp.dstport == 500",
                "frame.number")).as("IKE_AUTH on port 500").isNotEmpty();
    }

    @Test
    void encapOnOneSideMovesIkeTo4500AndEspIntoUdp(@TempDir Path dir) throws Exception {
        Path pcap = run(dir, " encap");
        assertThat(tshark(pcap, "ip.proto == 50", "frame.number")).as("plain ESP").isEmpty();
        assertThat(tshark(pcap, "esp && udp.srcport == 4500 && udp.dstport == 4500 && ip.src == 192.0.2.1",
                "esp.spi")).isNotEmpty();
        assertThat(tshark(pcap, "esp && udp.srcport == 4500 && udp.dstport == 4500 && ip.src == 192.0.2.2",
                "esp.spi")).isNotEmpty();
        assertThat(tshark(pcap, "isakmp.exchangetype == 35 && udp.port == 4500 && udpencap.non_esp_marker",
                "frame.number")).as("IKE_AUTH on port 4500").isNotEmpty();
        assertThat(tshark(pcap, "udpencap.nat_keepalive", "frame.number")).as("no NAT, no keepalives").isEmpty();
    }

    /**
     * Node b (passive) and node a (initiating; {@code aOptions} appended to its statement), a ping from host-a to
     * host-b, all captured on the internet bridge; returns the capture.
     */
    private static Path run(Path dir, String aOptions) throws Exception {
        Path pcap = dir.resolve("inet.pcap");
        try (Tshark.Capture _ = Tshark.capture(PREFIX + "-inet", "br0", pcap);
                LabNode b = node(dir, "gwb", "ike passive from 10.2.0.0/24 to 10.1.0.0/24 peer 192.0.2.1 psk \""
                        + PSK + "\" label t\n");
                LabNode a = node(dir, "gwa", "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \""
                        + PSK + "\"" + aOptions + " label t\n")) {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(a.eventTypes("t")).contains("phase1-up", "child-sa-installed");
                assertThat(b.eventTypes("t")).contains("phase1-up", "child-sa-installed");
            });
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncounters a " + a.dataplane().counters() + "\ncounters b "
                    + b.dataplane().counters()).isZero();
        }
        return pcap;
    }

    private static List<String> tshark(Path pcap, String filter, String field) throws Exception {
        return Tshark.fields(pcap, filter, field);
    }
}
