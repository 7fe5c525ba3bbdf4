package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.TrafficSelector;
import org.junit.jupiter.api.Test;

/**
 * {@code sa-per-flow}: an initiating tunnel makes one Child SA per from/to pair of networks, the first in IKE_AUTH
 * and the others by CREATE_CHILD_SA at once, and makes again the one a peer deleted; the peer installs each with its
 * own selectors. Without the keyword, all flows travel in one Child SA.
 */
class SaPerFlowSessionTest {
    private static final List<Network> FROM = List.of(Network.parse("10.1.0.0/24"), Network.parse("10.1.1.0/24"));
    private static final List<Network> TO = List.of(Network.parse("10.2.0.0/24"), Network.parse("10.2.1.0/24"));

    private static IkeTunnel tunnel(IkeMode mode, boolean perFlow, List<Network> from, List<Network> to) {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        ChildSaSpec c = t.childSa();
        return new IkeTunnel(t.label(), mode, t.exchange(), from, to, t.local(), t.peers(), t.ikeSa(),
                new ChildSaSpec(c.enc(), c.auth(), t.ikeSa().groups(), c.lifetime()), t.srcId(), t.dstId(),
                t.authentication(), t.dpd(), t.ping(), false, perFlow);
    }

    /** The (ours, theirs) selector pairs of the Child SAs {@code a} (or B) has now, as text. */
    private static Set<String> pairs(IkeLoop loop, boolean ofA) {
        Map<Long, Long> live = IkeRekeyTest.live(loop, ofA);
        return loop.events(ofA, IkeOutput.ChildSaInstalled.class).stream()
                .filter(c -> live.containsKey(c.inboundSpi()))
                .map(c -> text(c.localSelectors()) + " === " + text(c.remoteSelectors()))
                .collect(Collectors.toSet());
    }

    private static String text(List<TrafficSelector> ts) {
        return ts.stream().map(Object::toString).collect(Collectors.joining(","));
    }

    private static final Set<String> FOUR_FROM_A = Set.of(
            "10.1.0.0/24 === 10.2.0.0/24", "10.1.0.0/24 === 10.2.1.0/24",
            "10.1.1.0/24 === 10.2.0.0/24", "10.1.1.0/24 === 10.2.1.0/24");

    private static Set<String> mirrored(Set<String> pairs) {
        return pairs.stream().map(p -> {
            String[] s = p.split(" === ");
            return s[1] + " === " + s[0];
        }).collect(Collectors.toSet());
    }

    @Test
    void anActiveTunnelMakesOneChildSaPerFlowPairAndThePassivePeerInstallsEach() {
        IkeLoop loop = IkeSessionTest.up(tunnel(IkeMode.ACTIVE, true, FROM, TO),
                IkeLoop.mirror(tunnel(IkeMode.PASSIVE, false, FROM, TO)));
        assertThat(pairs(loop, true)).isEqualTo(FOUR_FROM_A);
        assertThat(pairs(loop, false)).isEqualTo(mirrored(FOUR_FROM_A));
        assertThat(loop.a.counters().get("ikev2.engine.child_created")).isEqualTo(3);
        IkeRekeyTest.assertInAgreement(loop, 4);
        // and no more: ticks later nothing new is sent
        for (int s = 0; s < 10; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        assertThat(loop.a.counters().get("ikev2.engine.child_create_sent")).isEqualTo(3);
    }

    @Test
    void oneFromNetworkAndTwoToNetworks() {
        List<Network> from = List.of(Network.parse("10.1.0.0/16"));
        List<Network> to = List.of(Network.parse("10.2.0.0/24"), Network.parse("10.2.9.0/24"));
        IkeLoop loop = IkeSessionTest.up(tunnel(IkeMode.ACTIVE, true, from, to),
                IkeLoop.mirror(tunnel(IkeMode.PASSIVE, false, from, to)));
        assertThat(pairs(loop, true)).containsExactlyInAnyOrder("10.1.0.0/16 === 10.2.0.0/24",
                "10.1.0.0/16 === 10.2.9.0/24");
    }

    @Test
    void withoutTheKeywordAllFlowsTravelInOneChildSa() {
        IkeLoop loop = IkeSessionTest.up(tunnel(IkeMode.ACTIVE, false, FROM, TO),
                IkeLoop.mirror(tunnel(IkeMode.PASSIVE, false, FROM, TO)));
        assertThat(pairs(loop, true)).containsExactly("10.1.0.0/24,10.1.1.0/24 === 10.2.0.0/24,10.2.1.0/24");
        assertThat(loop.a.counters().get("ikev2.engine.child_create_sent")).isZero();
    }

    @Test
    void onAPassiveTunnelTheKeywordChangesNothingTheInitiatorDecides() {
        IkeLoop loop = IkeSessionTest.up(tunnel(IkeMode.ACTIVE, false, FROM, TO),
                IkeLoop.mirror(tunnel(IkeMode.PASSIVE, true, FROM, TO)));
        assertThat(pairs(loop, false)).hasSize(1);
        assertThat(loop.b.counters().get("ikev2.engine.child_create_sent")).isZero();
    }

    @Test
    void aFlowPairsChildSaThePeerDeletedIsMadeAgain() {
        IkeLoop loop = IkeSessionTest.up(tunnel(IkeMode.ACTIVE, true, FROM, TO),
                IkeLoop.mirror(tunnel(IkeMode.PASSIVE, false, FROM, TO)));
        Set<Long> before = IkeRekeyTest.live(loop, true).keySet();
        // B deletes its newest Child SA: one flow pair is left without an SA, and A makes it again at once
        loop.feed(false, new IkeInput.DeleteChild());
        loop.run();
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class)).hasSize(1);
        assertThat(loop.a.counters().get("ikev2.engine.child_create_sent")).isEqualTo(4);
        assertThat(pairs(loop, true)).isEqualTo(FOUR_FROM_A);
        Set<Long> after = IkeRekeyTest.live(loop, true).keySet();
        assertThat(after.stream().filter(spi -> !before.contains(spi))).hasSize(1);
        IkeRekeyTest.assertInAgreement(loop, 4);
    }

    @Test
    void eachFlowPairsChildSaRekeysWithItsOwnSelectors() {
        IkeTunnel a = IkeRekeyTest.lifetimes(tunnel(IkeMode.ACTIVE, true, FROM, TO), Duration.ofSeconds(600),
                Duration.ofSeconds(60));
        IkeTunnel b = IkeRekeyTest.lifetimes(IkeLoop.mirror(tunnel(IkeMode.PASSIVE, false, FROM, TO)),
                Duration.ofSeconds(600), Duration.ofSeconds(60));
        IkeLoop loop = IkeSessionTest.up(a, b);
        for (int s = 0; s < 200; s++) {
            loop.advance(Duration.ofSeconds(1));
        }
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class).size()
                + loop.events(false, IkeOutput.ChildSaRekeyed.class).size()).isGreaterThanOrEqualTo(8);
        assertThat(loop.a.counters().get("ikev2.engine.child_create_sent")).isEqualTo(3);
        IkeRekeyTest.assertInAgreement(loop, 4);
    }

    @Test
    void aLossyNetworkStillEndsWithOneChildSaPerPair() {
        for (long seed = 300; seed < 312; seed++) {
            IkeLoop loop = new IkeLoop(tunnel(IkeMode.ACTIVE, true, FROM, TO),
                    IkeLoop.mirror(tunnel(IkeMode.PASSIVE, false, FROM, TO)), IkeSettings.DEFAULT, seed);
            java.util.Random chance = new java.util.Random(seed * 7);
            loop.network = (f, l) -> {
                int r = chance.nextInt(100);
                return r < 15 ? 0 : r < 25 ? 2 : 1;
            };
            loop.start();
            for (int s = 0; s < 120; s++) {
                loop.advance(Duration.ofSeconds(1));
            }
            loop.network = (f, l) -> 1;
            for (int s = 0; s < 60; s++) {
                loop.advance(Duration.ofSeconds(1));
            }
            assertThat(pairs(loop, true)).as("seed %d", seed).isEqualTo(FOUR_FROM_A);
            assertThat(pairs(loop, false)).as("seed %d", seed).isEqualTo(mirrored(FOUR_FROM_A));
        }
    }
}
