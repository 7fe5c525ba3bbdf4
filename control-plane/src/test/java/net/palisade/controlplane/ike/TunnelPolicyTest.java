package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.MutableClock;
import net.palisade.model.Host;
import net.palisade.model.IdType;
import net.palisade.model.Identity;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;

/**
 * The tunnel policy alone, on a fake clock, without actors or engines: the events an actor would deliver, and what
 * the policy decides (which peer, which duplicate, when to probe the head, how long to wait, when to move).
 */
class TunnelPolicyTest {
    private static final Host P1 = Host.of(IkeLoop.ip("192.0.2.2"));
    private static final Host P2 = Host.of(IkeLoop.ip("192.0.2.3"));
    private static final Host P3 = Host.of(IkeLoop.ip("192.0.2.4"));
    /** Retransmissions after 1 s, 2 s and 4 s: a request begun 14 s after an IKE SA came up is surely newer. */
    private static final IkeSettings SETTINGS = new IkeSettings(true, List.of(Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(4)));
    private static final IkeSaId LOW = new IkeSaId(0x1000L, 7);
    private static final IkeSaId HIGH = new IkeSaId(0xf000_0000_0000_0000L, 7); // negative as a long

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T01:00:00Z"));

    private static IkeTunnel tunnel(IkeMode mode, Optional<Duration> dpd, Optional<Identity> srcId, Host... peers) {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        return new IkeTunnel("t", mode, t.exchange(), t.from(), t.to(), t.local(), List.of(peers), t.ikeSa(),
                t.childSa(), srcId, t.dstId(), t.authentication(), dpd, t.ping());
    }

    private TunnelPolicy initiator(Host... peers) {
        return TunnelPolicy.initiator(tunnel(IkeMode.ACTIVE, Optional.of(Duration.ofSeconds(20)), Optional.empty(),
                peers), SETTINGS, clock);
    }

    @Test
    void aDeadPeerMovesToTheNextPeerAtOnceAndAfterTheLastBackToTheFirst() {
        TunnelPolicy p = initiator(P1, P2, P3);
        assertThat(p.current()).isEqualTo(P1);
        p.up();
        assertThat(p.peerDead()).contains(P2);
        assertThat(p.closed()).as("the next peer is tried without a pause").isZero();
        assertThat(p.current()).isEqualTo(P2);
        p.up();
        assertThat(p.peerDead()).contains(P3);
        assertThat(p.closed()).isZero();
        p.up();
        assertThat(p.peerDead()).contains(P1);
        assertThat(p.current()).isEqualTo(P1);
    }

    @Test
    void aSinglePeerIsRetriedAfterThePauseWhenDead() {
        TunnelPolicy p = initiator(P1);
        p.up();
        assertThat(p.peerDead()).isEmpty();
        assertThat(p.closed()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.current()).isEqualTo(P1);
    }

    @Test
    void aSetupThatTimesOutOrAPeerWithoutAddressMovesOnAfterThePause() {
        TunnelPolicy p = initiator(P1, P2);
        assertThat(p.setupTimedOut()).contains(P2);
        assertThat(p.closed()).as("a failed attempt, not a dead peer").isEqualTo(Duration.ofSeconds(5));
        assertThat(p.addressUnavailable()).contains(P1);
        assertThat(p.failedAttempt()).isEqualTo(Duration.ofSeconds(10));
        assertThat(initiator(P1).setupTimedOut()).isEmpty();
    }

    @Test
    void failedAttemptsWaitFiveSecondsDoublingUpToFiveMinutesUntilAnIkeSaComesUp() {
        TunnelPolicy p = initiator(P1);
        List<Duration> pauses = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            pauses.add(p.closed());
        }
        assertThat(pauses).containsExactly(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(40), Duration.ofSeconds(80), Duration.ofSeconds(160), Duration.ofMinutes(5),
                Duration.ofMinutes(5), Duration.ofMinutes(5));
        p.up();
        assertThat(p.closed()).as("an IKE SA came up: counting starts again").isEqualTo(Duration.ofSeconds(5));
        assertThat(TunnelPolicy.retryDelay(1000)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void offTheHeadTheHeadIsProbedEveryDpdAndAProbeThatComesUpSwitchesBack() {
        TunnelPolicy p = initiator(P1, P2);
        assertThat(p.up()).as("on the head: nothing to probe").isEmpty();
        assertThat(p.headProbeDue(true, false)).isEqualTo(TunnelPolicy.HeadProbe.STOP);
        p.peerDead();
        p.closed();
        assertThat(p.up()).contains(Duration.ofSeconds(20));
        assertThat(p.headProbeDue(false, false)).as("the current IKE SA is not up").isEqualTo(
                TunnelPolicy.HeadProbe.WAIT);
        assertThat(p.headProbeDue(true, true)).as("a probe runs").isEqualTo(TunnelPolicy.HeadProbe.WAIT);
        assertThat(p.headProbeDue(true, false)).isEqualTo(TunnelPolicy.HeadProbe.PROBE);
        assertThat(p.head()).isEqualTo(P1);
        assertThat(p.probeWanted(P1, true)).isTrue();
        assertThat(p.probeWanted(P1, false)).as("the current IKE SA went down meanwhile").isFalse();
        assertThat(p.probeWanted(P2, true)).as("endpoints of another peer").isFalse();

        assertThat(p.probeUp()).isEqualTo(P1);
        assertThat(p.current()).isEqualTo(P1);
        assertThat(p.up()).isEmpty();
        assertThat(p.headProbeDue(true, false)).isEqualTo(TunnelPolicy.HeadProbe.STOP);
        assertThat(p.probeWanted(P1, true)).as("back on the head: a late probe is not wanted").isFalse();
    }

    @Test
    void withoutDpdTheHeadIsProbedEveryThirtySeconds() {
        TunnelPolicy p = TunnelPolicy.initiator(tunnel(IkeMode.ACTIVE, Optional.empty(), Optional.empty(), P1, P2),
                SETTINGS, clock);
        p.setupTimedOut();
        assertThat(p.up()).contains(Duration.ofSeconds(30));
    }

    @Test
    void duplicatesNegotiatedAtOnceKeepTheOneWithInitialContactElseTheLargerInitiatorSpi() {
        TunnelPolicy p = initiator(P1);
        p.up();
        Instant started = clock.instant();
        assertThat(p.duplicate(false, LOW, false, HIGH, false, started).second()).isTrue();
        assertThat(p.duplicate(false, HIGH, false, LOW, false, started).second()).isFalse();
        assertThat(p.duplicate(true, LOW, false, HIGH, false, started).second()).isFalse();
        assertThat(p.duplicate(false, HIGH, true, LOW, false, started).why()).contains("INITIAL_CONTACT");
        assertThat(p.duplicate(false, HIGH, true, LOW, false, started).second()).isTrue();
    }

    @Test
    void onAnAnyPeerTunnelThePeersIkeSaWithInitialContactReplacesTheOneOfTheSameIdentityWhenEverItBegan() {
        TunnelPolicy any = TunnelPolicy.responder(tunnel(IkeMode.PASSIVE, Optional.empty(), Optional.empty()),
                SETTINGS, clock);
        any.up();
        Instant started = clock.instant();
        // a site back through a new NAT mapping (RFC 7296 2.4): smaller SPI, both with INITIAL_CONTACT, begun at once
        assertThat(any.duplicate(true, HIGH, true, LOW, false, started).second()).isTrue();
        assertThat(any.duplicate(true, HIGH, true, LOW, false, started).why()).contains("INITIAL_CONTACT");
        // without it the usual rules
        assertThat(any.duplicate(false, HIGH, false, LOW, false, started).second()).isFalse();
        // a passive tunnel naming its peer, and an initiator, keep the symmetric rules
        TunnelPolicy named = TunnelPolicy.responder(tunnel(IkeMode.PASSIVE, Optional.empty(), Optional.empty(), P1),
                SETTINGS, clock);
        named.up();
        assertThat(named.duplicate(true, HIGH, true, LOW, false, started).second()).isFalse();
        assertThat(initiator(P1).duplicate(true, HIGH, true, LOW, false, started).second()).isFalse();
    }

    @Test
    void aDuplicateThePeerBeganWellAfterOursWasUpReplacesOurs() {
        TunnelPolicy p = initiator(P1);
        p.up();
        Instant upAt = clock.instant();
        clock.advance(Duration.ofSeconds(30));
        // the peer lost our IKE SA: its new one survives even with the smaller SPI and no INITIAL_CONTACT
        assertThat(p.duplicate(false, HIGH, false, LOW, false, upAt.plusSeconds(15)).second()).isTrue();
        assertThat(p.duplicate(false, HIGH, false, LOW, false, upAt.plusSeconds(15)).why()).contains("began after");
        // within twice the retransmission schedule (14 s) it may be a late retransmission of a simultaneous start
        assertThat(p.duplicate(false, HIGH, false, LOW, false, upAt.plusSeconds(13)).second()).isFalse();
        // one we initiated ourselves is never "newer"
        assertThat(p.duplicate(false, HIGH, false, LOW, true, upAt.plusSeconds(15)).second()).isFalse();
    }

    @Test
    void theIkeSaThatTookOverCountsFromWhenItDid() {
        TunnelPolicy p = initiator(P1);
        p.up();
        clock.advance(Duration.ofSeconds(60));
        p.tookOver();
        Instant tookOver = clock.instant();
        p.up(); // its Phase1Up, reported after it took over, does not move the time
        assertThat(p.duplicate(false, HIGH, false, LOW, false, tookOver.plusSeconds(10)).second()).isFalse();
        assertThat(p.duplicate(false, HIGH, false, LOW, false, tookOver.plusSeconds(15)).second()).isTrue();
        p.down();
        p.up();
        Instant upAgain = clock.instant();
        assertThat(p.duplicate(false, HIGH, false, LOW, false, upAgain.plusSeconds(10)).second()).isFalse();
    }

    @Test
    void aDynamicTunnelChecksItsAddressAndReestablishesWhenItMoved() {
        TunnelPolicy dynamic = TunnelPolicy.initiator(tunnel(IkeMode.DYNAMIC, Optional.of(Duration.ofSeconds(20)),
                Optional.empty(), P1, P2), SETTINGS, clock);
        assertThat(dynamic.addressCheckEvery()).contains(Duration.ofSeconds(2));
        assertThat(initiator(P1).addressCheckEvery()).as("active").isEmpty();
        assertThat(TunnelPolicy.responder(tunnel(IkeMode.DYNAMIC, Optional.empty(), Optional.empty(), P1), SETTINGS,
                clock).addressCheckEvery()).as("a responder follows its peer").isEmpty();

        InetAddress was = IkeLoop.ip("192.0.2.1");
        InetAddress now = IkeLoop.ip("192.0.2.11");
        assertThat(dynamic.addressChanged(P1, was, was)).isEmpty();
        assertThat(dynamic.addressChanged(P2, now, was)).as("an answer for a peer no longer in use").isEmpty();
        assertThat(dynamic.addressChanged(P1, now, was)).hasValueSatisfying(why -> assertThat(why)
                .contains("192.0.2.1").contains("192.0.2.11").contains("re-establishing"));
    }

    @Test
    void aDynamicTunnelWithoutSrcidNamesItselfByHostName() {
        TunnelPolicy dynamic = TunnelPolicy.initiator(tunnel(IkeMode.DYNAMIC, Optional.empty(), Optional.empty(),
                P1), SETTINGS, clock);
        assertThat(dynamic.engineTunnel(() -> "gw-a.example").srcId())
                .contains(new Identity(IdType.FQDN, "gw-a.example"));
        Identity configured = new Identity(IdType.FQDN, "site-a.example");
        assertThat(TunnelPolicy.initiator(tunnel(IkeMode.DYNAMIC, Optional.empty(), Optional.of(configured), P1),
                SETTINGS, clock).engineTunnel(() -> "gw-a.example").srcId()).contains(configured);
        assertThat(initiator(P1).engineTunnel(() -> {
            throw new AssertionError("an active tunnel never asks");
        }).srcId()).isEmpty();
        assertThatThrownBy(() -> dynamic.engineTunnel(() -> "not a host name!"))
                .isInstanceOf(IllegalArgumentException.class);
        // everything else of the tunnel stays: `encap` on a dynamic tunnel was once dropped here
        IkeTunnel encap = tunnel(IkeMode.DYNAMIC, Optional.empty(), Optional.empty(), P1).withEncap(true);
        assertThat(TunnelPolicy.initiator(encap, SETTINGS, clock).engineTunnel(() -> "gw-a.example"))
                .isEqualTo(encap.withSrcId(new Identity(IdType.FQDN, "gw-a.example")));
    }

    @Test
    void aResponderNeitherSwitchesNorProbes() {
        TunnelPolicy r = TunnelPolicy.responder(tunnel(IkeMode.PASSIVE, Optional.empty(), Optional.empty()),
                SETTINGS, clock);
        assertThat(r.up()).isEmpty();
        assertThat(r.peerDead()).isEmpty();
        assertThat(r.setupTimedOut()).isEmpty();
        assertThat(r.headProbeDue(true, false)).isEqualTo(TunnelPolicy.HeadProbe.STOP);
    }
}
