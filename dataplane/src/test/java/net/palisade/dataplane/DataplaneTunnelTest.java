package net.palisade.dataplane;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.FlowPair;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.SaTraffic;
import net.palisade.dataplane.sa.Selectors;
import net.palisade.dataplane.sa.TunnelSas;
import net.palisade.model.Network;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dataplane's record of one tunnel's SA pairs: which pair sends, and counters that survive a rekey. */
class DataplaneTunnelTest {

    private static Prefix p(String net) {
        return Prefix.of(Network.parse(net)).getFirst();
    }

    /** A pair of tunnel "t" receiving on {@code inSpi}, sending on {@code inSpi + 1}; two worker stripes. */
    private static TunnelSas pair(int inSpi, String... remotes) {
        OutboundSa out = new OutboundSa("t", inSpi + 1, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1438, 2, null);
        List<Prefix> remote = java.util.Arrays.stream(remotes).map(DataplaneTunnelTest::p).toList();
        InboundSa in = new InboundSa("t", inSpi, "aes-128-gcm", new ReplayWindow(64, false),
                new Selectors(List.of(p("10.1.0.0/16")), remote), 1395, 1375, 2);
        return new TunnelSas("t", out, in, remote.stream().map(r -> new FlowPair(p("10.1.0.0/16"), r)).toList());
    }

    /** {@code packets} packets of 100 octets each way on {@code sas}, spread over both workers. */
    private static void traffic(TunnelSas sas, int packets) {
        for (int i = 0; i < packets; i++) {
            sas.outbound().nextSequence();
            sas.outbound().countSealed(i % 2, 100);
            sas.inbound().countAccepted(i % 2, 100);
        }
    }

    @Test
    void oneTunnelWithOnePairReportsThatPair() {
        TunnelSas first = pair(0x100, "10.2.0.0/16");
        traffic(first, 3);
        TunnelCounters c = DataplaneTunnel.of(first).counters();
        assertThat(c.outboundSpi()).isEqualTo(0x101);
        assertThat(c.inboundSpi()).isEqualTo(0x100);
        assertThat(c.out()).isEqualTo(new SaTraffic(3, 300));
        assertThat(c.in()).isEqualTo(new SaTraffic(3, 300));
        assertThat(c.lastSequenceOut()).isEqualTo(3);
        assertThat(c.pairs()).hasSize(1);
        assertThat(c.pairs().getFirst().sending()).isTrue();
    }

    @Test
    void aRekeyKeepsTheTunnelsTotalsAndSplitsThemByPair() {
        TunnelSas old = pair(0x100, "10.2.0.0/16");
        TunnelSas fresh = pair(0xffff_ff00, "10.2.0.0/16"); // an SPI above 2^31: counters show it unsigned
        traffic(old, 10);
        DataplaneTunnel t = DataplaneTunnel.of(old).adding(fresh, false);
        assertThat(t.counters().outboundSpi()).as("the responder still sends on the old pair").isEqualTo(0x101);
        t = t.sendingOn(0xffff_ff00).orElseThrow();
        traffic(fresh, 4);
        TunnelCounters both = t.counters();
        assertThat(both.outboundSpi()).isEqualTo(0xffff_ff01L);
        assertThat(both.inboundSpi()).isEqualTo(0xffff_ff00L);
        assertThat(both.lastSequenceOut()).as("of the sending pair").isEqualTo(4);
        assertThat(both.out()).isEqualTo(new SaTraffic(14, 1400));
        assertThat(both.pair(0x100).orElseThrow().out()).isEqualTo(new SaTraffic(10, 1000));
        assertThat(both.pair(0x100).orElseThrow().sending()).isFalse();
        assertThat(both.pair(0xffff_ff00).orElseThrow().in()).isEqualTo(new SaTraffic(4, 400));

        DataplaneTunnel removed = t.removing(0x100);
        traffic(old, 1); // a worker that still held the old table counts one last packet on the old pair
        traffic(fresh, 5);
        TunnelCounters after = removed.counters();
        assertThat(after.pairs()).hasSize(1);
        assertThat(after.pair(0x100)).isEmpty();
        assertThat(after.out()).as("the removed pair's traffic, its last packet included, stays in the total")
                .isEqualTo(new SaTraffic(20, 2000));
        assertThat(after.in()).isEqualTo(new SaTraffic(20, 2000));

        // two more rekeys: the totals keep growing by exactly what each pair carried
        TunnelSas third = pair(0x300, "10.2.0.0/16");
        DataplaneTunnel next = removed.adding(third, true).removing(0xffff_ff00);
        traffic(third, 7);
        TunnelSas fourth = pair(0x400, "10.2.0.0/16");
        next = next.adding(fourth, false).sendingOn(0x400).orElseThrow().removing(0x300);
        traffic(fourth, 2);
        TunnelCounters last = next.counters();
        assertThat(last.out()).isEqualTo(new SaTraffic(29, 2900));
        assertThat(last.in()).isEqualTo(new SaTraffic(29, 2900));
        assertThat(last.inboundSpi()).isEqualTo(0x400);
        assertThat(last.pair(0x400).orElseThrow().out()).isEqualTo(new SaTraffic(2, 200));
    }

    @Test
    void removingTheSendingPairHandsOverToTheNewestAndTheLastPairCannotGo() {
        DataplaneTunnel t = DataplaneTunnel.of(pair(0x100, "10.2.0.0/16"))
                .adding(pair(0x200, "10.2.0.0/16"), false)
                .adding(pair(0x300, "10.2.0.0/16"), false);
        assertThat(t.inboundSpis()).containsExactly(0x100, 0x200, 0x300);
        assertThat(t.sending().inbound().spi()).isEqualTo(0x100);
        DataplaneTunnel removed = t.removing(0x100);
        assertThat(removed.sending().inbound().spi()).isEqualTo(0x300);
        assertThat(removed.inboundSpis()).containsExactly(0x200, 0x300);
        assertThat(removed.sendingOn(0x100)).isEmpty();
        assertThatThrownBy(() -> removed.removing(0x999)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> removed.removing(0x200).removing(0x300)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theTunnelNeedsTheRoutesOfEveryPair() {
        DataplaneTunnel t = DataplaneTunnel.of(pair(0x100, "10.2.0.0/16", "10.3.0.0/16"))
                .adding(pair(0x200, "10.2.0.0/16", "10.4.0.0/16"), true);
        assertThat(t.remotePrefixes()).containsExactly(p("10.2.0.0/16"), p("10.3.0.0/16"), p("10.4.0.0/16"));
        assertThat(t.removing(0x100).remotePrefixes()).containsExactly(p("10.2.0.0/16"), p("10.4.0.0/16"));
    }
}
