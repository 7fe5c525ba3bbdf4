package net.palisade.dataplane.packet;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Cross-checks what {@link IcmpErrors} and {@link MssClamp} produce with scapy (Debian's {@code /usr/bin/python3},
 * package python3-scapy): scapy dissects each packet, recomputes every checksum from scratch, and must arrive at
 * the same octets; it also reports the fields it decoded. Without scapy this test fails with instructions, or is
 * skipped with {@code -Dpalisade.skipExternal=true}.
 */
class ScapyPacketCrossCheckTest {
    private static final Path PYTHON = Path.of(System.getProperty("palisade.python", "/usr/bin/python3"));
    private static final String SCRIPT = """
            import sys
            from scapy.all import IP, IPv6, TCP, ICMP, raw
            from scapy.layers.inet6 import ICMPv6PacketTooBig
            for line in sys.stdin:
                name, data = line.split()
                b = bytes.fromhex(data)
                if b[0] >> 4 == 4:
                    q = IP(b)
                    del q.chksum
                    if ICMP in q:
                        del q[ICMP].chksum
                        info = "icmp type=%d code=%d mtu=%d src=%s dst=%s" % (q[ICMP].type, q[ICMP].code,
                            q[ICMP].nexthopmtu, q.src, q.dst)
                    else:
                        del q[TCP].chksum
                        info = "tcp mss=%d" % dict(q[TCP].options)["MSS"]
                else:
                    q = IPv6(b)
                    if ICMPv6PacketTooBig in q:
                        del q[ICMPv6PacketTooBig].cksum
                        info = "ptb mtu=%d src=%s dst=%s" % (q[ICMPv6PacketTooBig].mtu, q.src, q.dst)
                    else:
                        del q[TCP].chksum
                        info = "tcp mss=%d" % dict(q[TCP].options)["MSS"]
                print(name, "same" if raw(q) == b else "different", info)
            """;

    @Test
    void scapyRecomputesTheSameChecksums() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        if (!Files.isExecutable(PYTHON)) {
            fail(PYTHON + " is missing: apt-get install -y python3-scapy, or -Dpalisade.skipExternal=true");
        }
        InetAddress a4 = InetAddress.ofLiteral("10.1.0.10");
        InetAddress b4 = InetAddress.ofLiteral("10.2.0.10");
        InetAddress a6 = InetAddress.ofLiteral("fd00:1::10");
        InetAddress b6 = InetAddress.ofLiteral("fd00:2::10");
        IpPacket p = new IpPacket();
        Map<String, byte[]> packets = new LinkedHashMap<>();

        byte[] big4 = TestPackets.udp(a4, b4, 1472, true);
        p.parse(big4, 0, big4.length);
        byte[] out = new byte[IcmpErrors.MAX_LENGTH];
        packets.put("frag-needed", Arrays.copyOf(out, IcmpErrors.tooBig(p, big4, 1438, out, 0)));

        byte[] big6 = TestPackets.udp(a6, b6, 1452, true);
        p.parse(big6, 0, big6.length);
        packets.put("too-big", Arrays.copyOf(out, IcmpErrors.tooBig(p, big6, 1418, out, 0)));

        byte[] syn4 = TestPackets.tcp(a4, b4, 0x02, TestPackets.linuxSynOptions(1460), new byte[0]);
        p.parse(syn4, 0, syn4.length);
        MssClamp.clamp(p, syn4, 1398);
        packets.put("syn4", syn4);

        byte[] odd = TestPackets.tcp(a6, b6, 0x12, new byte[] {1, 2, 4, 0x05, (byte) 0xa0, 1, 1, 1}, new byte[0]);
        p.parse(odd, 0, odd.length);
        MssClamp.clamp(p, odd, 1378);
        packets.put("synack6-odd", odd);

        StringBuilder input = new StringBuilder();
        packets.forEach((k, v) -> input.append(k).append(' ').append(HexFormat.of().formatHex(v)).append('\n'));
        String output = python(input.toString());

        assertThat(output).contains("frag-needed same icmp type=3 code=4 mtu=1438 src=10.2.0.10 dst=10.1.0.10");
        assertThat(output).contains("too-big same ptb mtu=1418 src=fd00:2::10 dst=fd00:1::10");
        assertThat(output).contains("syn4 same tcp mss=1398");
        assertThat(output).contains("synack6-odd same tcp mss=1378");
    }

    private static String python(String stdin) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder(PYTHON.toString(), "-c", SCRIPT).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        try (OutputStream os = proc.getOutputStream()) {
            os.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!proc.waitFor(120, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            fail("scapy did not answer within 120 s");
        }
        String text = out.join();
        if (proc.exitValue() != 0) {
            fail("scapy failed (apt-get install -y python3-scapy, or -Dpalisade.skipExternal=true): " + text);
        }
        return text;
    }
}
