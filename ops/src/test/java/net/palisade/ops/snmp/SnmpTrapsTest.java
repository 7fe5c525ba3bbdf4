package net.palisade.ops.snmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.dataplane.testkit.TestPrograms;
import net.palisade.model.event.Cause;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traps as net-snmp's snmptrapd receives them (SNMPv2c, its community from a file): a node's tunnel comes up, loses
 * its peer to DPD, switches to the next peer, loses its ping; each change arrives as the notification of
 * {@code docs/mib/PALISADE-MIB.txt} with sysUpTime.0 first, snmpTrapOID.0 second, then label, peer, cause and detail.
 * The OIDs expected are read from the MIB file; snmptrapd decodes the PDUs.
 */
class SnmpTrapsTest {
    private static final String COMMUNITY = "palisade-test-community";

    @Test
    void tunnelChangesArriveAtSnmptrapdWithTheMibsVarbinds(@TempDir Path dir) throws Exception {
        TestPrograms.require("snmptrapd");
        Map<String, String> mib = oids(Path.of(System.getProperty("user.dir")).resolveSibling("docs")
                .resolve("mib/PALISADE-MIB.txt"));
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path conf = Files.writeString(dir.resolve("snmptrapd.conf"), "authCommunity log " + COMMUNITY + "\n");
        Path out = dir.resolve("snmptrapd.out");
        Process trapd = new ProcessBuilder("snmptrapd", "-f", "-Lo", "-C", "-c", conf.toString(), "-On", "-n",
                "udp:127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        Path communityFile = Files.writeString(dir.resolve("community"), COMMUNITY + "\n");
        try (ControlPlane node = ControlPlane.start(Settings.defaults(dir.resolve("data"))
                .withCluster("127.0.0.1", 0, List.of()))) {
            node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("NET-SNMP version"));
            try (SnmpTraps traps = new SnmpTraps(List.of(new InetSocketAddress("127.0.0.1", port)),
                    SnmpTraps.community(communityFile), () -> 123_450).follow(node)) {
                node.commit("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 peer 192.0.2.3 psk"
                        + " \"snmp-test-psk-0123456789\" ping label to-b\n", "alice", "snmp", Optional.empty())
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                // the commit is acknowledged once journaled; its tunnel entity is configured just after
                await().atMost(Duration.ofSeconds(20)).until(() -> node.tunnel("to-b").toCompletableFuture()
                        .get(10, TimeUnit.SECONDS).configured());
                report(node, r -> new TunnelCommand.Phase1Up("192.0.2.2", "0x1/0x2", Cause.PEER, r));
                report(node, r -> new TunnelCommand.DpdLost(Cause.TIMER, r));
                report(node, r -> new TunnelCommand.PeerSwitched("192.0.2.3", Cause.TIMER, r));
                report(node, r -> new TunnelCommand.Phase1Up("192.0.2.3", "0x3/0x4", Cause.PEER, r));
                report(node, r -> new TunnelCommand.ChildSaInstalled(new net.palisade.model.event.ChildSa(
                        net.palisade.model.event.SaId.of("child-1"), new net.palisade.model.SpiPair(
                        net.palisade.model.Spi.of(0x1000), net.palisade.model.Spi.of(0x1001))), Cause.PEER, r));
                report(node, r -> new TunnelCommand.PingLost("10.1.0.1", "10.2.0.1", 3, Cause.TIMER, r));

                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(traps(out, mib)).containsExactly(
                                "palisadeTunnelUp to-b 192.0.2.2 peer 0x1/0x2",
                                "palisadeTunnelDpdLost to-b 192.0.2.2 timer ",
                                "palisadeTunnelPeerSwitched to-b 192.0.2.3 timer from 192.0.2.2",
                                "palisadeTunnelUp to-b 192.0.2.3 peer 0x3/0x4",
                                "palisadeTunnelPingLost to-b 10.2.0.1 timer 3 echoes from 10.1.0.1 unanswered"));
                assertThat(traps.failed()).isZero();
                String text = Files.readString(out);
                assertThat(text).doesNotContain("snmp-test-psk");
                // sysUpTime.0 first (our 123.45 s as TimeTicks), snmpTrapOID.0 second, in every trap
                assertThat(text).contains(".1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45\t"
                        + ".1.3.6.1.6.3.1.1.4.1.0 = OID: ." + mib.get("palisadeTunnelUp") + "\t");
            }
        } finally {
            trapd.destroy();
            trapd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void snmpV3TrapsAuthenticatedAndEncryptedReachAReceiverThatKnowsTheUserAndNoOther(@TempDir Path dir)
            throws Exception {
        TestPrograms.require("snmptrapd");
        Map<String, String> mib = oids(Path.of(System.getProperty("user.dir")).resolveSibling("docs")
                .resolve("mib/PALISADE-MIB.txt"));
        byte[] engineId = SnmpTraps.engineId("gw-a.example");
        String engineHex = java.util.HexFormat.of().formatHex(engineId);
        assertThat(engineHex).isEqualTo("80007ed904" + java.util.HexFormat.of().formatHex(
                "gw-a.example".getBytes(java.nio.charset.StandardCharsets.US_ASCII))); // RFC 3411 text format, PEN 32473
        Path secrets = Files.writeString(dir.resolve("v3"), "auth-passphrase-1\npriv-passphrase-2\n");
        SnmpTraps.Security.V3 v3 = SnmpTraps.v3("palisade", secrets, engineId);
        assertThat(v3.toString()).doesNotContain("passphrase");

        int good = freePort();
        int wrong = freePort();
        Process right = trapd(dir, "right", good, "createUser -e 0x" + engineHex
                + " palisade SHA-256 auth-passphrase-1 AES priv-passphrase-2\nauthUser log palisade\n");
        Process other = trapd(dir, "wrong", wrong, "createUser -e 0x" + engineHex
                + " palisade SHA-256 auth-passphrase-1 AES another-privacy-3\nauthUser log palisade\n",
                "-Dusm"); // its USM debug output says what it made of the message
        try (SnmpTraps traps = new SnmpTraps(List.of(new InetSocketAddress("127.0.0.1", good),
                new InetSocketAddress("127.0.0.1", wrong)), v3, () -> 5_000)) {
            traps.send(new TunnelNotifications.Notification(TunnelNotifications.Kind.DPD_LOST, "to-b", "192.0.2.2",
                    "timer", ""));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(traps(dir.resolve("right.out"), mib))
                    .containsExactly("palisadeTunnelDpdLost to-b 192.0.2.2 timer "));
            assertThat(traps.sent()).isEqualTo(2);
            // the other receiver has the user with another privacy passphrase: it cannot read the trap
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(
                    dir.resolve("wrong.out")).toLowerCase(java.util.Locale.ROOT)).contains("usm: verification succeeded")
                    .contains("error parsing scopedpdu")); // authenticated, but not readable without the privacy key
            assertThat(traps(dir.resolve("wrong.out"), mib)).isEmpty();
        } finally {
            for (Process p : List.of(right, other)) {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** snmptrapd on 127.0.0.1:{@code port} with {@code config}, logging to {@code NAME.out}, ready. */
    private static Process trapd(Path dir, String name, int port, String config, String... options) throws Exception {
        Path conf = Files.writeString(dir.resolve(name + ".conf"), config);
        Path out = dir.resolve(name + ".out");
        // -p: its own pid file; persistent v3 state (boots, users) in DIR, not in /var/lib/snmp
        Path state = Files.createDirectories(dir.resolve(name + ".state"));
        List<String> command = new java.util.ArrayList<>(List.of("snmptrapd", "-f", "-Lo", "-C", "-c",
                conf.toString(), "-On", "-n"));
        command.addAll(List.of(options));
        command.add("udp:127.0.0.1:" + port);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("SNMP_PERSISTENT_DIR", state.toString());
        Process p = pb.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("NET-SNMP version"));
        return p;
    }

    @Test
    void aCommunityFileMustHoldOneWord(@TempDir Path dir) throws Exception {
        assertThat(SnmpTraps.community(Files.writeString(dir.resolve("c"), "  s3cret\n"))).isEqualTo("s3cret");
        assertThatThrownBy(() -> SnmpTraps.community(Files.writeString(dir.resolve("e"), "\n")))
                .hasMessageContaining("must hold the community");
        assertThatThrownBy(() -> SnmpTraps.community(Files.writeString(dir.resolve("two"), "one two")))
                .hasMessageContaining("one word").message().doesNotContain("one two");
    }

    private static void report(ControlPlane node, java.util.function.Function<
            org.apache.pekko.actor.typed.ActorRef<net.palisade.controlplane.tunnel.TunnelReply>,
            TunnelCommand.EngineInput> input) throws Exception {
        node.report("to-b", input).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /**
     * The traps snmptrapd logged, as {@code NAME LABEL PEER CAUSE DETAIL}: NAME is the MIB's name of the
     * snmpTrapOID.0 value, the rest the values of the MIB's four objects.
     */
    private static List<String> traps(Path out, Map<String, String> mib) throws Exception {
        Map<String, String> byOid = new HashMap<>();
        mib.forEach((name, oid) -> byOid.put(oid, name));
        Pattern binding = Pattern.compile("\\.([0-9.]+) = (?:OID: \\.([0-9.]+)|STRING: \"([^\"]*)\"|\"\"|[^\\t]*)");
        List<String> traps = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            if (!line.contains(".1.3.6.1.6.3.1.1.4.1.0 = OID")) {
                continue;
            }
            Map<String, String> values = new HashMap<>();
            Matcher m = binding.matcher(line);
            String trap = null;
            while (m.find()) {
                if (m.group(2) != null) {
                    trap = byOid.get(m.group(2));
                } else {
                    values.put(byOid.getOrDefault(m.group(1), m.group(1)), m.group(3) == null ? "" : m.group(3));
                }
            }
            traps.add(trap + " " + values.get("palisadeTunnelLabel") + " " + values.get("palisadeTunnelPeer") + " "
                    + values.get("palisadeTunnelCause") + " " + values.get("palisadeTunnelDetail"));
        }
        return traps;
    }

    /** Every {@code NAME ... ::= { PARENT N }} of a MIB file, resolved from {@code enterprises}. */
    static Map<String, String> oids(Path mibFile) throws Exception {
        String text = Files.readString(mibFile).replaceAll("--[^\n]*", "");
        Map<String, String> oids = new HashMap<>(Map.of("enterprises", "1.3.6.1.4.1"));
        Matcher m = Pattern.compile("(?m)^(\\w+)[ \\t]+(?:OBJECT IDENTIFIER|OBJECT-TYPE|NOTIFICATION-TYPE|MODULE-IDENTITY"
                + "|MODULE-COMPLIANCE|OBJECT-GROUP|NOTIFICATION-GROUP).*?::=\\s*\\{\\s*(\\w+)\\s+([\\d\\s]+)\\}",
                Pattern.DOTALL).matcher(text);
        Map<String, String[]> parents = new HashMap<>();
        while (m.find()) {
            parents.put(m.group(1), new String[] {m.group(2), m.group(3).trim().replaceAll("\\s+", ".")});
        }
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Map.Entry<String, String[]> e : parents.entrySet()) {
                String parent = oids.get(e.getValue()[0]);
                if (parent != null && !oids.containsKey(e.getKey())) {
                    oids.put(e.getKey(), parent + "." + e.getValue()[1]);
                    progress = true;
                }
            }
        }
        assertThat(oids).containsKeys("palisadeTunnelUp", "palisadeTunnelLabel", "palisadeTunnelPingLost");
        return oids;
    }
}
