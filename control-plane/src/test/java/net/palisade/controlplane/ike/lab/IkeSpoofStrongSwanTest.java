package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.Transform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spoofed IKE_SA_INIT requests against a live tunnel with Debian's strongSwan (lab prefix "iksp"): while host-a pings
 * host-b every 50 ms through the tunnel, gw-c (another namespace on the same internet bridge) sends, with scapy,
 * IKE_SA_INIT requests forged with gw-b's address (and, for a passive tunnel without {@code peer}, with its own):
 * header only, complete (a valid X25519 key: the node does a Diffie-Hellman unless it demands a cookie), with a KE
 * payload of a group the SA payload does not offer, and with an X25519 value of the wrong length, each with fresh
 * SPIs to ports 500 and 4500. No ping may be lost, the tunnel may journal nothing, and strongSwan's IKE SA must keep
 * its SPIs: a spoofed packet may cost a counter, never a tunnel. For {@code active}, {@code passive} and any-peer
 * {@code passive} tunnels; the {@code active} one then still negotiates a new IKE SA by itself when strongSwan
 * deletes its own. What was counted goes to {@code target/iksp-<mode>.txt}. Needs root, strongSwan and
 * python3-scapy; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeSpoofStrongSwanTest {
    private static final String PSK = "spoof-lab-psk-not-for-production";
    private static final String GW_B = "192.0.2.2";
    private static final String GW_C = "192.0.2.3";
    /** Spoofed requests per kind, port and source address. */
    private static final int PER_KIND = 10;
    private static final int PINGS = 200;
    private static final Pattern IKE_SPIS = Pattern.compile("([0-9a-f]{16})_i\\*? ([0-9a-f]{16})_r\\*?");

    /** Sends each template with fresh initiator SPIs, from each source address, to ports 500 and 4500. */
    private static final String SPOOFER = """
            import os, sys
            from scapy.all import IP, UDP, Raw, send, conf
            conf.verb = 0
            dst, count, sources, files = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(','), sys.argv[4:]
            templates = [open(f, 'rb').read() for f in files]
            packets = []
            for src in sources:
                for t in templates:
                    for port in (500, 4500):
                        for _ in range(count):
                            m = os.urandom(8) + t[8:]
                            data = m if port == 500 else bytes(4) + m
                            packets.append(IP(src=src, dst=dst) / UDP(sport=port, dport=port) / Raw(data))
            send(packets, inter=0.01)
            print(len(packets))
            """;

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeSpoofStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void spoofedIkeSaInitsLeaveAnActiveTunnelAsItIs(@TempDir Path dir) throws Exception {
        run(dir, "active", "ike from 10.1.0.0/24 to 10.2.0.0/24 peer " + GW_B + " psk \"" + PSK + "\" label to-b\n",
                false, List.of(GW_B));
    }

    @Test
    void spoofedIkeSaInitsLeaveAPassiveTunnelAsItIs(@TempDir Path dir) throws Exception {
        run(dir, "passive", "ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer " + GW_B + " psk \"" + PSK
                + "\" label to-b\n", true, List.of(GW_B));
    }

    @Test
    void spoofedIkeSaInitsFromAnyoneLeaveAnAnyPeerPassiveTunnelAsItIs(@TempDir Path dir) throws Exception {
        run(dir, "any-peer-passive", "ike passive from 10.1.0.0/24 to 10.2.0.0/24 psk \"" + PSK + "\" label to-b\n",
                true, List.of(GW_B, GW_C));
    }

    private static void run(Path dir, String mode, String config, boolean strongSwanInitiates, List<String> sources)
            throws Exception {
        try (StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), GW_B, "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(config);
            if (strongSwanInitiates) {
                ss.initiateOnceConfigured(node, "to-b");
            }
            node.awaitEvents("to-b", java.time.Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(),
                    "phase1-up", "child-sa-installed");
            Lab.Result warm = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(warm.exit()).as(warm.output() + "\ncharon log:\n" + ss.log()).isZero();
            Set<String> spis = ikeSpis(ss.listSas());
            assertThat(spis).as("strongSwan's IKE SA:\n" + ss.listSas()).hasSize(1);
            List<String> events = node.eventTypes("to-b");

            Process ping = new ProcessBuilder("ip", "netns", "exec", PREFIX + "-ha", "ping", "-i", "0.05", "-W", "1",
                    "-c", String.valueOf(PINGS), "10.2.0.10").redirectErrorStream(true).start();
            Lab.Result spoofed = Lab.in(PREFIX + "-gwc", spoofCommand(dir, sources));
            assertThat(spoofed.exit()).as(spoofed.output()).isZero();
            String pinged = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ping.waitFor(60, TimeUnit.SECONDS)).isTrue();

            String figures = mode + ": " + spoofed.output().strip() + " spoofed IKE_SA_INITs from " + sources
                    + "\ndispatch " + node.ike().dispatchCounters() + "\ncookies " + node.ike().cookieCounters()
                    + "\nping " + pinged.lines().filter(l -> l.contains("packet loss")).findFirst().orElse(pinged)
                    + "\n";
            Files.writeString(Path.of("target", PREFIX + "-" + mode + ".txt"), figures);
            assertThat(ping.exitValue()).as(pinged).isZero();
            assertThat(pinged).as("no ping lost; " + figures).contains(PINGS + " received", " 0% packet loss");
            assertThat(ikeSpis(ss.listSas())).as("strongSwan's IKE SA unchanged; charon log:\n" + ss.log())
                    .isEqualTo(spis);
            assertThat(node.eventTypes("to-b")).as("nothing journaled; " + figures).isEqualTo(events);
            assertThat(node.ike().dispatchCounters()).as("header-only requests counted")
                    .containsKey("ikev2.dispatch.malformed-init");
            assertThat(node.ike().cookieCounters().getOrDefault("ikev2.cookie.sent", 0L))
                    .as("cookies demanded from the spoofed source").isPositive();

            if (!strongSwanInitiates) {
                // no half-open IKE SA a spoof left beside ours takes its place: when strongSwan deletes our IKE SA,
                // the node negotiates a new one itself
                Lab.Result terminated = ss.swanctl("--terminate", "--ike", "lab");
                assertThat(terminated.exit()).as(terminated.output()).isZero();
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(40)).untilAsserted(() ->
                        assertThat(node.eventTypes("to-b").stream().filter("phase1-up"::equals).count())
                                .as("a new IKE SA; charon log:\n" + ss.log()).isEqualTo(2));
                Lab.Result again = Lab.ping(PREFIX + "-ha", "10.2.0.10");
                assertThat(again.exit()).as(again.output()).isZero();
            }
        }
    }

    /** The initiator and responder SPIs of each IKE SA {@code swanctl --list-sas} shows. */
    private static Set<String> ikeSpis(String listSas) {
        Set<String> out = new TreeSet<>();
        Matcher m = IKE_SPIS.matcher(listSas);
        while (m.find()) {
            out.add(m.group(1) + "_" + m.group(2));
        }
        return out;
    }

    /** Writes the four kinds of request and returns the scapy command that sends them. */
    private static String[] spoofCommand(Path dir, List<String> sources) throws Exception {
        Randomness random = Randomness.secure();
        byte[] x25519 = KeyExchanges.standard().generate(DhGroup.CURVE25519, random).publicValue();
        SaPayload sa = SaPayload.of(Proposal.ike(1, Transform.encryption(EncryptionAlgorithm.AES_128_GCM),
                Transform.prf(AuthAlgorithm.HMAC_SHA2_256), Transform.keyExchange(DhGroup.CURVE25519)));
        NoncePayload nonce = new NoncePayload(Octets.of(random.bytes(32)));
        List<List<Payload>> kinds = List.of(
                List.of(),
                List.of(sa, KePayload.of(DhGroup.CURVE25519, Octets.of(x25519)), nonce),
                List.of(sa, KePayload.of(DhGroup.ECP256, Octets.of(random.bytes(64))), nonce),
                List.of(sa, KePayload.of(DhGroup.CURVE25519, Octets.of(random.bytes(7))), nonce));
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-c", SPOOFER, "192.0.2.1",
                String.valueOf(PER_KIND), String.join(",", sources)));
        for (int i = 0; i < kinds.size(); i++) {
            IkeMessage m = new IkeMessage(IkeHeader.request(random.nextLong() | 1, 0,
                    ExchangeType.Known.IKE_SA_INIT, 0, true), kinds.get(i));
            Path file = dir.resolve("spoof-" + i + ".bin");
            Files.write(file, Ikev2Codec.standard().encode(m));
            command.add(file.toString());
        }
        return command.toArray(String[]::new);
    }
}
