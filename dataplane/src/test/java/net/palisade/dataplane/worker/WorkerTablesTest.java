package net.palisade.dataplane.worker;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.esp.EspTransforms;
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

    private static WorkerTables.Entry entry(String label, int inSpi, String local, String remote, EspTransform out,
            EspTransform in) {
        WorkerTables.Entry e = entry(label, inSpi, local, remote);
        return new WorkerTables.Entry(e.sas(), new OutboundBinding(e.outbound().sa(), out, 0, null),
                new InboundBinding(e.inbound().sa(), in));
    }

    private static WorkerTables.Entry entry(String label, int inSpi, EspTransform out, EspTransform in) {
        return entry(label, inSpi, "10.1.0.0/16", "10.2.0.0/16", out, in);
    }

    private static EspTransform gcm() {
        return EspTransforms.create("aes-128-gcm", EspTransforms.NONE, new byte[20], false);
    }

    /**
     * What a change took out, for the worker to wipe (Worker.retire): a rekey's added pair takes nothing, removing
     * a pair takes exactly its two transforms, replacing a tunnel takes all of its old ones, and another tunnel's
     * are never named.
     */
    @Test
    void aChangeNamesExactlyTheTransformsItTookOut() {
        EspTransform o1 = gcm(), i1 = gcm(), o2 = gcm(), i2 = gcm(), o3 = gcm(), i3 = gcm(), o4 = gcm(), i4 = gcm();
        WorkerTables a = WorkerTables.EMPTY.with(entry("t", 0x100, o1, i1))
                .with(entry("u", 0x300, "10.5.0.0/16", "10.6.0.0/16", o3, i3));
        WorkerTables b = a.withPair(entry("t", 0x200, o2, i2), true);
        assertThat(a.transformsNotIn(b, "t")).isEmpty();
        WorkerTables c = b.withoutPair("t", 0x100);
        assertThat(b.transformsNotIn(c, "t")).containsExactly(o1, i1);
        WorkerTables d = c.with(entry("t", 0x400, o4, i4));
        assertThat(c.transformsNotIn(d, "t")).containsExactly(o2, i2);
        assertThat(d.transformsNotIn(d.sendingOn("t", 0x400), "t")).isEmpty();
        WorkerTables e = d.without("t");
        assertThat(d.transformsNotIn(e, "t")).containsExactly(o4, i4);
        assertThat(d.transformsNotIn(e, "u")).isEmpty();
        assertThat(e.transforms()).containsExactly(o3, i3);
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

    /** The outbound SPI the SPD sends a packet from {@code src} to {@code dst} with, or -1 if no policy matches. */
    private static int sendsWith(WorkerTables t, String src, String dst) {
        OutboundBinding b = t.spd.lookup4(v4(src), v4(dst));
        return b == null ? -1 : b.sa().spi();
    }

    @Test
    void everyPairReceivesButOnlyTheSendingPairSends() {
        WorkerTables one = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"));
        // responder: the new pair receives at once, the old one keeps sending
        WorkerTables two = one.withPair(entry("a", 0x110, "10.1.0.0/16", "10.2.0.0/16"), false);
        assertThat(two.inbound.get(0x100).sa().spi()).isEqualTo(0x100);
        assertThat(two.inbound.get(0x110).sa().spi()).isEqualTo(0x110);
        assertThat(sendsWith(two, "10.1.1.5", "10.2.2.5")).isEqualTo(0x101);
        // initiator: the new pair sends at once; both earlier inbound SAs still receive
        WorkerTables three = two.withPair(entry("a", 0x120, "10.1.0.0/16", "10.2.0.0/16"), true);
        assertThat(sendsWith(three, "10.1.1.5", "10.2.2.5")).isEqualTo(0x121);
        assertThat(three.inbound.size()).isEqualTo(3);
        assertThat(three.tunnels.get("a").pairs()).extracting(WorkerTables.Entry::inboundSpi)
                .containsExactly(0x100, 0x110, 0x120);
        assertThat(three.spd.policies()).as("one policy per tunnel, not per pair").hasSize(1);
        // the snapshots the worker may still hold are untouched
        assertThat(sendsWith(two, "10.1.1.5", "10.2.2.5")).isEqualTo(0x101);
        assertThat(one.inbound.get(0x110)).isNull();
    }

    @Test
    void aPairAddedToNoTunnelInstallsIt() {
        WorkerTables t = WorkerTables.EMPTY.withPair(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"), false);
        assertThat(sendsWith(t, "10.1.1.5", "10.2.2.5")).isEqualTo(0x101);
        assertThat(t.tunnels.get("a").size()).isEqualTo(1);
    }

    @Test
    void activatingChoosesTheSendingPair() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .withPair(entry("a", 0x110, "10.1.0.0/16", "10.2.0.0/16"), false);
        WorkerTables switched = t.sendingOn("a", 0x110);
        assertThat(sendsWith(switched, "10.1.1.5", "10.2.2.5")).isEqualTo(0x111);
        assertThat(switched.inbound.get(0x100)).as("the old inbound SA still receives").isNotNull();
        assertThat(switched.sendingOn("a", 0x110)).as("already sending: nothing to publish").isSameAs(switched);
        assertThat(sendsWith(switched.sendingOn("a", 0x100), "10.1.1.5", "10.2.2.5")).isEqualTo(0x101);
        assertThat(t.sendingOn("a", 0x999)).isNull();
        assertThat(t.sendingOn("b", 0x100)).isNull();
    }

    @Test
    void removingANonSendingPairLeavesSendingAlone() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .withPair(entry("a", 0x110, "10.1.0.0/16", "10.2.0.0/16"), true);
        WorkerTables removed = t.withoutPair("a", 0x100);
        assertThat(removed.inbound.get(0x100)).isNull();
        assertThat(removed.inbound.get(0x110)).isNotNull();
        assertThat(sendsWith(removed, "10.1.1.5", "10.2.2.5")).isEqualTo(0x111);
        assertThat(removed.withoutPair("a", 0x100)).as("no such pair any more").isSameAs(removed);
        assertThat(removed.withoutPair("b", 0x110)).isSameAs(removed);
    }

    @Test
    void removingTheSendingPairHandsOverToTheNewest() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .withPair(entry("a", 0x110, "10.1.0.0/16", "10.2.0.0/16"), false)
                .withPair(entry("a", 0x120, "10.1.0.0/16", "10.2.0.0/16"), false);
        assertThat(sendsWith(t, "10.1.1.5", "10.2.2.5")).isEqualTo(0x101);
        WorkerTables removed = t.withoutPair("a", 0x100);
        assertThat(sendsWith(removed, "10.1.1.5", "10.2.2.5")).as("newest remaining pair").isEqualTo(0x121);
        assertThat(removed.tunnels.get("a").pairs()).extracting(WorkerTables.Entry::inboundSpi)
                .containsExactly(0x110, 0x120);
        // removing an older pair in front of the sending one keeps the same pair sending
        WorkerTables older = t.sendingOn("a", 0x110).withoutPair("a", 0x100);
        assertThat(sendsWith(older, "10.1.1.5", "10.2.2.5")).isEqualTo(0x111);
        assertThat(sendsWith(older.withoutPair("a", 0x120), "10.1.1.5", "10.2.2.5")).isEqualTo(0x111);
    }

    @Test
    void removingTheLastPairRemovesTheTunnel() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .with(entry("b", 0x200, "10.3.0.0/16", "10.4.0.0/16"));
        WorkerTables removed = t.withoutPair("a", 0x100);
        assertThat(removed.tunnels.keySet()).containsExactly("b");
        assertThat(removed.inbound.get(0x100)).isNull();
        assertThat(sendsWith(removed, "10.1.1.5", "10.2.2.5")).isEqualTo(-1);
        assertThat(sendsWith(removed, "10.3.1.5", "10.4.2.5")).isEqualTo(0x201);
    }

    @Test
    void theSpdFollowsTheSendingPairsOwnSelectors() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .withPair(entry("a", 0x110, "10.1.1.0/24", "10.2.0.0/16"), false);
        assertThat(sendsWith(t, "10.1.9.5", "10.2.2.5")).as("old pair, old selectors").isEqualTo(0x101);
        WorkerTables switched = t.sendingOn("a", 0x110);
        assertThat(sendsWith(switched, "10.1.1.5", "10.2.2.5")).isEqualTo(0x111);
        assertThat(sendsWith(switched, "10.1.9.5", "10.2.2.5"))
                .as("outside the new pair's selectors: the old pair, while it is installed").isEqualTo(0x101);
        assertThat(sendsWith(switched.withoutPair("a", 0x100), "10.1.9.5", "10.2.2.5"))
                .as("outside the new pair's selectors, the old pair gone").isEqualTo(-1);
    }

    @Test
    void eachFlowLeavesOnItsOwnPair() {
        // IKEv1: one quick mode per from/to pair, so `from 10.1.0.0/24 to 10.2.0.0/24 10.9.0.0/24` holds two pairs
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/24", "10.2.0.0/24"))
                .withPair(entry("a", 0x200, "10.1.0.0/24", "10.9.0.0/24"), true);
        assertThat(sendsWith(t, "10.1.0.5", "10.2.0.5")).as("first flow").isEqualTo(0x101);
        assertThat(sendsWith(t, "10.1.0.5", "10.9.0.5")).as("second flow").isEqualTo(0x201);
        assertThat(sendsWith(t, "10.1.0.5", "10.7.0.5")).as("no flow").isEqualTo(-1);
        // the first flow's pair rekeyed by the peer (we respond: the new pair is held until the old one is deleted)
        WorkerTables rekeying = t.withPair(entry("a", 0x110, "10.1.0.0/24", "10.2.0.0/24"), false);
        assertThat(sendsWith(rekeying, "10.1.0.5", "10.2.0.5")).as("held: the old pair still sends").isEqualTo(0x101);
        assertThat(sendsWith(rekeying, "10.1.0.5", "10.9.0.5")).isEqualTo(0x201);
        WorkerTables rekeyed = rekeying.withoutPair("a", 0x100);
        assertThat(sendsWith(rekeyed, "10.1.0.5", "10.2.0.5")).as("old pair deleted: the new one").isEqualTo(0x111);
        assertThat(sendsWith(rekeyed, "10.1.0.5", "10.9.0.5")).as("the other flow untouched").isEqualTo(0x201);
        assertThat(sendsWith(rekeyed.sendingOn("a", 0x110), "10.1.0.5", "10.9.0.5")).isEqualTo(0x201);
        // the second flow's pair rekeyed by us: the new pair sends its flow at once, the first flow stays
        WorkerTables ours = rekeyed.withPair(entry("a", 0x210, "10.1.0.0/24", "10.9.0.0/24"), true);
        assertThat(sendsWith(ours, "10.1.0.5", "10.9.0.5")).isEqualTo(0x211);
        assertThat(sendsWith(ours, "10.1.0.5", "10.2.0.5")).isEqualTo(0x111);
    }

    @Test
    void rekeyingKeepsTheTunnelsPlaceInThePolicyOrder() {
        WorkerTables t = WorkerTables.EMPTY
                .with(entry("wide", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .with(entry("narrow", 0x200, "10.1.1.0/24", "10.2.2.0/24"))
                .withPair(entry("wide", 0x110, "10.1.0.0/16", "10.2.0.0/16"), true);
        assertThat(t.tunnels.keySet()).containsExactly("wide", "narrow");
        assertThat(sendsWith(t, "10.1.1.5", "10.2.2.5")).isEqualTo(0x111);
    }

    @Test
    void inboundSpiIsUniqueAcrossEveryPairOfEveryTunnel() {
        WorkerTables t = WorkerTables.EMPTY.with(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"))
                .withPair(entry("a", 0x110, "10.1.0.0/16", "10.2.0.0/16"), true)
                .with(entry("b", 0x200, "10.3.0.0/16", "10.4.0.0/16"));
        assertThatThrownBy(() -> t.withPair(entry("b", 0x110, "10.3.0.0/16", "10.4.0.0/16"), true))
                .as("the second pair of another tunnel")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already used by tunnel a");
        assertThatThrownBy(() -> t.with(entry("b", 0x100, "10.3.0.0/16", "10.4.0.0/16")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already used by tunnel a");
        assertThatThrownBy(() -> t.withPair(entry("a", 0x100, "10.1.0.0/16", "10.2.0.0/16"), true))
                .as("another pair of the same tunnel")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already used by another SA pair of tunnel a");
        assertThatThrownBy(() -> t.withPair(entry("c", 0x200, "10.5.0.0/16", "10.6.0.0/16"), false))
                .as("a new tunnel through withPair").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already used by tunnel b");
        // replacing every pair of a tunnel may reuse one of its own SPIs
        WorkerTables replaced = t.with(entry("a", 0x110, "10.1.0.0/16", "10.2.0.0/16"));
        assertThat(replaced.tunnels.get("a").size()).isEqualTo(1);
        assertThat(replaced.inbound.get(0x100)).isNull();
        // once a pair is gone its SPI is free again
        assertThat(t.withoutPair("a", 0x100).withPair(entry("b", 0x100, "10.3.0.0/16", "10.4.0.0/16"), true)
                .inbound.get(0x100).sa().label()).isEqualTo("b");
    }
}
