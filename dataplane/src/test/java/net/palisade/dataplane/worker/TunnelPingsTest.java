package net.palisade.dataplane.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import net.palisade.dataplane.packet.Checksum;
import net.palisade.dataplane.packet.IpPacket;
import org.junit.jupiter.api.Test;

/**
 * The echoes of a tunnel's ping: well-formed requests (RFC 792 / RFC 4443 checksums verify to zero over the packet,
 * and for ICMPv6 the pseudo-header) and only our own replies kept from the TUN device. The lab test proves a real
 * kernel behind strongSwan answers them.
 */
class TunnelPingsTest {
    private final TunnelPings pings = new TunnelPings();
    private final List<String> heard = new ArrayList<>();

    {
        pings.listener((label, seq) -> heard.add(label + "#" + seq));
    }

    @Test
    void anIpv4EchoRequestWithValidChecksums() throws Exception {
        byte[] b = TunnelPings.echoRequest(InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.1"), 0x1234, 7);
        IpPacket p = new IpPacket();
        assertThat(p.parse(b, 0, b.length)).isTrue();
        assertThat(p.protocol()).isEqualTo(IpPacket.PROTO_ICMP);
        assertThat(Checksum.compute(b, 0, 20)).isZero();
        assertThat(Checksum.compute(b, 20, b.length - 20)).isZero();
        assertThat(b[20]).isEqualTo((byte) 8); // echo request
        assertThat(b[8]).isEqualTo((byte) 64); // TTL
    }

    @Test
    void anIpv6EchoRequestWithAValidPseudoHeaderChecksum() throws Exception {
        byte[] b = TunnelPings.echoRequest(InetAddress.getByName("2001:db8:1::1"), InetAddress.getByName("2001:db8:2::1"),
                0x1234, 7);
        IpPacket p = new IpPacket();
        assertThat(p.parse(b, 0, b.length)).isTrue();
        assertThat(p.protocol()).isEqualTo(IpPacket.PROTO_ICMPV6);
        int len = b.length - 40;
        assertThat(Checksum.finish(Checksum.sum(b, 40, len, Checksum.pseudoHeader6(b, 0, 58, len)))).isZero();
        assertThat(b[40] & 0xff).isEqualTo(128);
    }

    @Test
    void ourRepliesAreRecognisedAndOthersPass() throws Exception {
        InetAddress us = InetAddress.getByName("10.1.0.1");
        InetAddress them = InetAddress.getByName("10.2.0.1");
        int id = pings.identifier("hq");
        assertThat(pings.identifier("branch")).isNotEqualTo(id);
        assertThat(pings.identifier("hq")).isEqualTo(id);

        byte[] reply = asReply(TunnelPings.echoRequest(them, us, id, 42));
        IpPacket p = new IpPacket();
        p.parse(reply, 0, reply.length);
        assertThat(pings.reply(p, reply)).isTrue();
        assertThat(heard).containsExactly("hq#42");

        byte[] request = TunnelPings.echoRequest(them, us, id, 43); // a request, not a reply: the host's business
        p.parse(request, 0, request.length);
        assertThat(pings.reply(p, request)).isFalse();

        byte[] stranger = asReply(TunnelPings.echoRequest(them, us, (id + 7) & 0xffff, 44)); // a LAN host's ping
        p.parse(stranger, 0, stranger.length);
        assertThat(pings.reply(p, stranger)).isFalse();

        byte[] otherPayload = asReply(TunnelPings.echoRequest(them, us, id, 45));
        otherPayload[otherPayload.length - 1] ^= 1;
        p.parse(otherPayload, 0, otherPayload.length);
        assertThat(pings.reply(p, otherPayload)).isFalse();
        assertThat(heard).containsExactly("hq#42");
    }

    @Test
    void echoesQueueForAWorker() throws Exception {
        pings.echo("hq", InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.1"), 1);
        assertThat(pings.poll()).isNotNull();
        assertThat(pings.poll()).isNull();
    }

    private static byte[] asReply(byte[] request) {
        request[20] = 0; // type 0: echo reply (checksums are not what the recogniser looks at)
        return request;
    }
}
