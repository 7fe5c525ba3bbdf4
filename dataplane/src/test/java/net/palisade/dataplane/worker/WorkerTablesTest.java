package net.palisade.dataplane.worker;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.FlowPair;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.Selectors;
import net.palisade.dataplane.sa.TunnelSas;
import net.palisade.model.Network;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerTablesTest {

    private static Prefix p(String net) {
        return Prefix.of(Network.parse(net)).getFirst();
    }

    private static WorkerTables.Entry entry(String label, int inSpi, String local, String remote) {
        OutboundSa out = new OutboundSa(label, inSpi + 1, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1438, 1, null);
        InboundSa in = new InboundSa(label, inSpi, "aes-128-gcm", new ReplayWindow(64, false),
                new Selectors(List.of(p(local)), List.of(p(remote))), 1395, 1375, 1);
        TunnelSas sas = new TunnelSas(label, out, in, List.of(new FlowPair(p(local), p(remote))));
        return new WorkerTables.Entry(sas, new OutboundBinding(out, null, 0, null), new InboundBinding(in, null));
    }

    private static int v4(String a) {
        byte[] b = InetAddress.ofLiteral(a).getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    @Test
    void installOrderDecidesAndReplacingKeepsThePlace() {
        WorkerTables t = WorkerTables.EMPTY
                .with(entry("wide", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .with(entry("narrow", 0x200, "10.1.1.0/24", "10.2.2.0/24"));
        assertThat(t.spd.lookup4(v4("10.1.1.5"), v4("10.2.2.5")).sa().label()).isEqualTo("wide");
        assertThat(t.inbound.get(0x200).sa().label()).isEqualTo("narrow");

        WorkerTables replaced = t.with(entry("wide", 0x100, "10.1.0.0/16", "10.2.0.0/16"));
        assertThat(replaced.tunnels.keySet()).containsExactly("wide", "narrow");
        assertThat(replaced.spd.lookup4(v4("10.1.1.5"), v4("10.2.2.5")).sa())
                .isNotSameAs(t.spd.lookup4(v4("10.1.1.5"), v4("10.2.2.5")).sa());

        WorkerTables removed = replaced.without("wide");
        assertThat(removed.spd.lookup4(v4("10.1.1.5"), v4("10.2.2.5")).sa().label()).isEqualTo("narrow");
        assertThat(removed.inbound.get(0x100)).isNull();
        assertThat(removed.without("nothing")).isSameAs(removed);
        assertThat(t.tunnels).hasSize(2); // the old snapshot is untouched
    }

    @Test
    void inboundSpiIsUniqueAcrossTunnels() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"));
        assertThatThrownBy(() -> t.with(entry("b", 0x100, "10.3.0.0/16", "10.4.0.0/16")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already used by tunnel a");
    }
}
