package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TShark (an independent dissector) reads what two engines exchanged: the IKE_SA_INIT pair, the IKE_AUTH pair and
 * a liveness check, without any Malformed or error expert info. Skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeTsharkTest {

    @Test
    void tsharkDissectsTheHandshakeWithoutErrors(@TempDir Path dir) throws Exception {
        Path tshark = tshark();
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.ECP256);
        IkeLoop loop = IkeSessionTest.up(t, IkeLoop.mirror(t));
        loop.feed(true, new IkeInput.CheckLiveness());
        loop.run();
        String out = dissect(tshark, dir.resolve("ike.pcap"), loop.delivered);
        assertThat(out).contains("Exchange type: IKE_SA_INIT (34)").contains("Exchange type: IKE_AUTH (35)")
                .contains("Exchange type: INFORMATIONAL (37)")
                .contains("Payload: Security Association (33)").contains("Payload: Key Exchange (34)")
                .contains("Payload: Nonce (40)").contains("NAT_DETECTION_SOURCE_IP (16388)")
                .contains("IKEV2_FRAGMENTATION_SUPPORTED")
                .contains("Payload: Encrypted and Authenticated (46)");
    }

    /** tshark, or the test skipped with {@code -Dpalisade.skipExternal=true}. */
    static Path tshark() {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        Path tshark = Path.of("/usr/bin/tshark");
        assertThat(Files.isExecutable(tshark)).as("tshark (apt-get install tshark), or -Dpalisade.skipExternal=true")
                .isTrue();
        return tshark;
    }

    /**
     * Writes the datagrams {@code delivered} to {@code pcap} and has tshark dissect them in full ({@code -V}),
     * which must succeed without any Malformed or error expert info; returns the dissection.
     */
    static String dissect(Path tshark, Path pcap, List<IkeLoop.Flight> delivered) throws Exception {
        Files.write(pcap, pcap(delivered.stream().map(IkeLoop.Flight::datagram).toList()));
        Process p = new ProcessBuilder(tshark.toString(), "-n", "-r", pcap.toString(), "-V", "-o",
                "isakmp.udp.port:500").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).doesNotContain("Malformed").doesNotContain("[Severity level: Error]");
        return out;
    }

    /** LINKTYPE_RAW pcap of IPv4/UDP 500 -> 500 datagrams. */
    static byte[] pcap(List<byte[]> payloads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(24).putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0)
                .putInt(0).putInt(65535).putInt(101).array());
        int i = 0;
        for (byte[] payload : payloads) {
            boolean aToB = i % 2 == 0;
            int length = 20 + 8 + payload.length;
            ByteBuffer ip = ByteBuffer.allocate(length);
            ip.put((byte) 0x45).put((byte) 0).putShort((short) length).putShort((short) i).putShort((short) 0)
                    .put((byte) 64).put((byte) 17).putShort((short) 0)
                    .put(new byte[] {(byte) 192, 0, 2, (byte) (aToB ? 1 : 2)})
                    .put(new byte[] {(byte) 192, 0, 2, (byte) (aToB ? 2 : 1)});
            int sum = 0;
            for (int k = 0; k < 20; k += 2) {
                sum += ((ip.get(k) & 0xff) << 8) | (ip.get(k + 1) & 0xff);
            }
            sum = (sum & 0xffff) + (sum >>> 16);
            sum = (sum & 0xffff) + (sum >>> 16);
            ip.putShort(10, (short) ~sum);
            ip.putShort((short) 500).putShort((short) 500).putShort((short) (8 + payload.length)).putShort((short) 0)
                    .put(payload);
            out.writeBytes(ByteBuffer.allocate(16).putInt(1_700_000_000 + i).putInt(0).putInt(length).putInt(length)
                    .array());
            out.writeBytes(ip.array());
            i++;
        }
        return out.toByteArray();
    }
}
