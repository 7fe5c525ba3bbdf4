package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.ike.lab.StrongSwanLab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.tunnel.DataplanePorts;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Palisade nodes (gw-a and gw-b of the lab, prefix "iknt", no NAT) with {@code ike} tunnels and no {@code encap}:
 * NAT detection finds no NAT, so IKE stays on port 500 and the Child SA is plain ESP (IP protocol 50). tshark on the
 * internet bridge is the judge. Then the same with {@code encap} on one side: IKE on 4500 and ESP in UDP. Needs
 * root; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkePlainEspLabTest {
    private static final String PREFIX = "iknt";
    private static final String PSK = "plain-esp-lab-psk-not-for-production";

    @BeforeAll
    static void lab() throws Exception {
        StrongSwanLab.up(PREFIX);
    }

    @AfterAll
    static void down() throws Exception {
        StrongSwanLab.down(PREFIX);
    }

    /** A node (dataplane, IKE, control plane) in a gateway's namespace. */
    private record Node(IkeManager ike, Dataplane dp, ControlPlane cp) implements AutoCloseable {
        static Node start(Path dir, String gw, String config) throws Exception {
            Optional<Path> netns = Optional.of(NetNamespace.named(PREFIX + "-" + gw));
            IkeManager ike = new IkeManager(netns, 500);
            Dataplane dp = Dataplane.start(Dataplane.Settings.defaults().withTunName("iknt" + gw).withWorkers(1)
                    .withCpus(List.of(0)).withNetns(netns.get()).withIkeSink(ike.sink()));
            ike.open(dp);
            ControlPlane cp = ControlPlane.start(Settings.defaults(dir.resolve(gw)).withCluster("127.0.0.1", 0,
                    List.of()), new DataplanePorts(dp, Optional.of(ike)));
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            ike.attach(cp);
            cp.commit(config, "test", "plain ESP lab", Optional.empty()).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            return new Node(ike, dp, cp);
        }

        List<String> events() throws Exception {
            return cp.events("t", Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).stream().map(JournalEvent::event).map(TunnelEvent::type).toList();
        }

        @Override
        public void close() {
            ike.close();
            cp.close();
            dp.close();
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
        Process capture = new ProcessBuilder("ip", "netns", "exec", PREFIX + "-inet", "tcpdump", "-i", "br0", "-n",
                "-U", "-w", pcap.toString(), "udp or ip proto 50").redirectErrorStream(true)
                .redirectOutput(dir.resolve("tcpdump.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    Files.readString(dir.resolve("tcpdump.log"))).contains("listening on br0"));
            try (Node b = Node.start(dir, "gwb", "ike passive from 10.2.0.0/24 to 10.1.0.0/24 peer 192.0.2.1 psk \""
                    + PSK + "\" label t\n");
                    Node a = Node.start(dir, "gwa", "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \""
                            + PSK + "\"" + aOptions + " label t\n")) {
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    assertThat(a.events()).contains("phase1-up", "child-sa-installed");
                    assertThat(b.events()).contains("phase1-up", "child-sa-installed");
                });
                StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2",
                        "10.2.0.10");
                assertThat(ping.exit()).as(ping.output() + "\ncounters a " + a.dp().counters() + "\ncounters b "
                        + b.dp().counters()).isZero();
            }
        } finally {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }
        return pcap;
    }

    /** One line per matching packet of {@code pcap}: the value of {@code field}. */
    private static List<String> tshark(Path pcap, String filter, String field) throws Exception {
        Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-Y", filter, "-T", "fields", "-e", field)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("tshark -Y " + filter).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
