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
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.tunnel.DataplanePorts;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
    private static final String PREFIX = "iknt";
    private static final String PSK = "nat-lab-psk-not-for-production";
    /** Short, so the test sees several keepalives quickly; the default is 20 s. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(2);

    @BeforeAll
    static void lab() throws Exception {
        StrongSwanLab.up(PREFIX, "nat");
    }

    @AfterAll
    static void down() throws Exception {
        StrongSwanLab.down(PREFIX);
    }

    @Test
    void behindARealNatIkeFloatsTo4500EspIsEncapsulatedAndKeepalivesKeepTheMapping(@TempDir Path dir)
            throws Exception {
        Path ss = dir.resolve("ss");
        String strongswan = StrongSwanLab.strongswanScript();
        assertThat(sh(strongswan, "conf", ss.toString(), "192.0.2.2", "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16",
                PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit()).isZero();
        Path swanctl = ss.resolve("swanctl.conf");
        String withoutEncap = Files.readString(swanctl).replace("    encap = yes\n", "");
        assertThat(withoutEncap).doesNotContain("encap");
        Files.writeString(swanctl, withoutEncap);
        Path conf = ss.resolve("strongswan.conf");
        Files.writeString(conf, Files.readString(conf).replace("      ike = 2\n", "      ike = 2\n      flush_line = yes\n"));

        Path pcap = dir.resolve("nat-outside.pcap");
        Process capture = new ProcessBuilder("ip", "netns", "exec", PREFIX + "-nat", "tcpdump", "-i", "wan", "-n",
                "-U", "-w", pcap.toString(), "udp or ip proto 50").redirectErrorStream(true)
                .redirectOutput(dir.resolve("tcpdump.log").toFile()).start();
        Optional<Path> netns = Optional.of(NetNamespace.named(PREFIX + "-gwa"));
        IkeManager ike = new IkeManager(netns, 500, IkeSettings.DEFAULT.withNatKeepalive(KEEPALIVE),
                Cookies.standard(Cookies.DEFAULT_THRESHOLD));
        Dataplane dp = null;
        ControlPlane cp = null;
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    Files.readString(dir.resolve("tcpdump.log"))).contains("listening on wan"));
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            dp = Dataplane.start(Dataplane.Settings.defaults().withTunName("iknt0").withWorkers(1)
                    .withCpus(List.of(0)).withNetns(netns.get()).withIkeSink(ike.sink()));
            ike.open(dp);
            cp = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()),
                    new DataplanePorts(dp, Optional.of(ike)));
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            ike.attach(cp);
            // gw-a's own address is private (172.16.1.2): it names itself by the NAT's address, which gw-b expects
            cp.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 srcid 192.0.2.1 psk \"" + PSK
                    + "\" label to-b\n", "test", "ike through a NAT", Optional.empty()).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            ControlPlane node = cp;
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(events(node)).as("journal of to-b; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));

            StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2",
                    "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss) + "\ncounters " + dp.counters())
                    .isZero();
            // keepalives every KEEPALIVE of IKE silence: wait until three crossed the NAT's outside
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(tshark(pcap, "udpencap.nat_keepalive && ip.src == 192.0.2.1 && ip.dst == 192.0.2.2"
                            + " && udp.dstport == 4500", "frame.number")).hasSizeGreaterThanOrEqualTo(3));
        } finally {
            ike.close();
            if (cp != null) {
                cp.close();
            }
            if (dp != null) {
                dp.close();
            }
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }

        String log = log(ss);
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

    /** One line per matching packet of {@code pcap}: the value of {@code field}. */
    private static List<String> tshark(Path pcap, String filter, String field) throws Exception {
        Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-Y", filter, "-T", "fields", "-e", field)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("tshark -Y " + filter).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    private static List<String> events(ControlPlane node) throws Exception {
        return node.events("to-b", Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS).stream().map(JournalEvent::event).map(TunnelEvent::type).toList();
    }

    private static String log(Path ss) {
        try {
            return Files.readString(ss.resolve("charon.log"));
        } catch (java.io.IOException e) {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }
}
