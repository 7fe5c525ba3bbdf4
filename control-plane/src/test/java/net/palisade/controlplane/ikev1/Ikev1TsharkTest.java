package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TShark (an independent dissector) reads what two IKEv1 engines exchanged: main mode, aggressive mode, quick mode
 * and an informational (DPD), every message dissected without Malformed or error expert info. Skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class Ikev1TsharkTest {

    @Test
    void mainModeQuickModeAndDpdDissect(@TempDir Path dir) throws Exception {
        IkeTunnel base = Ikev1Loop.tunnel(IkeExchange.IKEV1_MAIN, "badpassword", List.of(DhGroup.ECP256));
        IkeTunnel t = Ikev1Loop.with(base, base.ikeSa(), base.childSa(), java.util.Optional.of(
                java.time.Duration.ofSeconds(10)));
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        String out = dissect(dir.resolve("main.pcap"), loop.delivered);
        assertThat(out).contains("Exchange type: Identity Protection (Main Mode) (2)")
                .contains("Exchange type: Quick Mode (32)").contains("Exchange type: Informational (5)")
                .contains("Payload: Security Association (1)").contains("Payload: Key Exchange (4)")
                .contains("Payload: Nonce (10)").contains("Payload: Vendor ID (13)")
                .contains("RFC 3947 Negotiation of NAT-Traversal in the IKE").contains("Dead Peer Detection")
                .contains("Payload: NAT-D (RFC 3947) (20)");
        // our phase-1 transform attributes, as an independent dissector names them
        assertThat(out).contains("Encryption-Algorithm: AES-CBC").contains("Encryption-Algorithm: 3DES-CBC")
                .contains("Key-Length: 256").contains("Hash-Algorithm: SHA2-256").contains("Hash-Algorithm: SHA")
                .contains("Authentication-Method: Pre-shared key").contains("Group-Description: 2048 bit MODP group")
                .contains("Life-Type: Seconds").contains("Life-Duration: 28800");
    }

    @Test
    void aggressiveModeDissects(@TempDir Path dir) throws Exception {
        IkeTunnel t = Ikev1Loop.tunnel(IkeExchange.IKEV1_AGGRESSIVE, "badpassword", List.of(DhGroup.NONE));
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        String out = dissect(dir.resolve("aggressive.pcap"), loop.delivered);
        assertThat(out).contains("Exchange type: Aggressive (4)").contains("Payload: Identification (5)")
                .contains("Payload: Hash (8)").contains("Exchange type: Quick Mode (32)");
    }

    private static String dissect(Path pcap, List<Ikev1Loop.Flight> delivered) throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        Path tshark = Path.of("/usr/bin/tshark");
        assertThat(Files.isExecutable(tshark)).as("tshark (apt-get install tshark), or -Dpalisade.skipExternal=true")
                .isTrue();
        Files.write(pcap, pcap(delivered));
        Process p = new ProcessBuilder(tshark.toString(), "-n", "-r", pcap.toString(), "-V")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).doesNotContain("Malformed").doesNotContain("[Severity level: Error]");
        assertThat(out.split("Internet Security Association and Key Management Protocol", -1))
                .hasSize(delivered.size() + 1);
        return out;
    }

    /** LINKTYPE_RAW pcap of IPv4/UDP datagrams between the addresses and ports each flight had. */
    private static byte[] pcap(List<Ikev1Loop.Flight> flights) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(24).putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0)
                .putInt(0).putInt(65535).putInt(101).array());
        int i = 0;
        for (Ikev1Loop.Flight f : flights) {
            // port 4500 carries the non-ESP marker before the ISAKMP header (RFC 3948)
            byte[] payload = f.to().getPort() == 4500 ? ByteBuffer.allocate(f.datagram().length + 4).putInt(0)
                    .put(f.datagram()).array() : f.datagram();
            int length = 20 + 8 + payload.length;
            ByteBuffer ip = ByteBuffer.allocate(length);
            ip.put((byte) 0x45).put((byte) 0).putShort((short) length).putShort((short) i).putShort((short) 0)
                    .put((byte) 64).put((byte) 17).putShort((short) 0).put(f.from().getAddress().getAddress())
                    .put(f.to().getAddress().getAddress());
            int sum = 0;
            for (int k = 0; k < 20; k += 2) {
                sum += ((ip.get(k) & 0xff) << 8) | (ip.get(k + 1) & 0xff);
            }
            sum = (sum & 0xffff) + (sum >>> 16);
            sum = (sum & 0xffff) + (sum >>> 16);
            ip.putShort(10, (short) ~sum);
            ip.putShort((short) f.from().getPort()).putShort((short) f.to().getPort())
                    .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
            out.writeBytes(ByteBuffer.allocate(16).putInt(1_700_000_000 + i).putInt(0).putInt(length).putInt(length)
                    .array());
            out.writeBytes(ip.array());
            i++;
        }
        return out.toByteArray();
    }
}
