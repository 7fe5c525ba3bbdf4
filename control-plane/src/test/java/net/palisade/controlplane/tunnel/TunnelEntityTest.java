package net.palisade.controlplane.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TunnelEntityTest {
    private static final Instant T0 = Instant.parse("2026-11-27T03:12:00Z");
    private static final SpiPair SPI_1 = new SpiPair(Spi.of(0xc001), Spi.of(0xc002));
    private static final SpiPair SPI_2 = new SpiPair(Spi.of(0xc003), Spi.of(0xc004));
    private static ActorSystem<Void> system;

    private RecordingPorts ports;

    @BeforeAll
    static void start() {
        system = Fixtures.eventSourcedSystem("tunnel-entity");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @BeforeEach
    void fresh() {
        ports = new RecordingPorts();
    }

    private EventSourcedBehaviorTestKit<TunnelCommand, TunnelEvent, TunnelState> kit(String label) {
        TunnelEntity.Deps deps = new TunnelEntity.Deps(ports, "node-1", Clock.fixed(T0, ZoneOffset.UTC), 5);
        var kit = EventSourcedBehaviorTestKit.<TunnelCommand, TunnelEvent, TunnelState>create(system,
                TunnelEntity.create(label, deps));
        kit.clear();
        return kit;
    }

    private static IkeTunnel ike() {
        return (IkeTunnel) Fixtures.config().tunnel("site-b").orElseThrow();
    }

    private static ManualTunnel manual() {
        return (ManualTunnel) Fixtures.config().tunnel("static-d").orElseThrow();
    }

    private static TunnelView ok(CommandResultWithReply<TunnelCommand, TunnelEvent, TunnelState, TunnelReply> r) {
        assertThat(r.reply()).isInstanceOf(TunnelReply.Ok.class);
        return ((TunnelReply.Ok) r.reply()).tunnel();
    }

    private static String rejected(CommandResultWithReply<TunnelCommand, TunnelEvent, TunnelState, TunnelReply> r) {
        assertThat(r.hasNoEvents()).as("a refused command persists nothing").isTrue();
        assertThat(r.reply()).isInstanceOf(TunnelReply.Rejected.class);
        return ((TunnelReply.Rejected) r.reply()).error();
    }

    private static final Cause API = Cause.api("alice");

    @Test
    void manualTunnelIsInstalledAndUpOnConfigure() {
        var kit = kit("static-d");
        var r = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), Cause.commit("c-1"), to));
        TunnelEvent.Configured e = r.eventOfType(TunnelEvent.Configured.class);
        assertThat(e.cause()).isEqualTo(Cause.commit("c-1"));
        assertThat(e.node()).isEqualTo("node-1");
        assertThat(e.time()).isEqualTo(T0);
        TunnelView v = ok(r);
        assertThat(v.status()).isEqualTo(TunnelStatus.UP);
        assertThat(v.kind()).contains("manual");
        assertThat(v.sas()).containsExactly(new ChildSa(SaId.of("manual"), manual().spi()));
        assertThat(v.spec().orElseThrow()).contains("[redacted]").doesNotContain(Fixtures.CANARY_KEY_HEX);
        assertThat(v.specJson().orElseThrow()).contains("[redacted]").doesNotContain(Fixtures.CANARY_KEY_HEX);
        assertThat(ports.calls()).containsExactly("installManual static-d");

        var same = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), Cause.commit("c-2"), to));
        assertThat(same.hasNoEvents()).isTrue();
        assertThat(ok(same).status()).isEqualTo(TunnelStatus.UP);
        assertThat(ports.calls()).hasSize(1);
    }

    @Test
    void notConfiguredRefusesAllButConfigureAndGet() {
        var kit = kit("nobody");
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminUp(API, to)))).contains("not configured");
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminDown(API, to)));
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Remove(API, to)));
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Reset(API, to)));
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to)));
        TunnelView v = ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new));
        assertThat(v.configured()).isFalse();
        assertThat(v.status()).isEqualTo(TunnelStatus.DOWN);
        assertThat(ports.calls()).isEmpty();
    }

    @Test
    void pingVerdictsAreJournaledOnChangeOnlyAndGoWithPhaseOne() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to)));
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.PingOk("10.1.0.1", "10.2.0.1",
                Cause.PEER, to)))).contains("no Child SA");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_1),
                Cause.PEER, to)));

        var reachable = kit.<TunnelReply>runCommand(to -> new TunnelCommand.PingOk("10.1.0.1", "10.2.0.1", Cause.PEER,
                to));
        assertThat(reachable.eventOfType(TunnelEvent.PingOk.class).to()).isEqualTo("10.2.0.1");
        assertThat(ok(reachable).reachability()).contains("reachable");
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.PingOk("10.1.0.1", "10.2.0.1",
                Cause.PEER, to)))).contains("already reachable");

        var lost = kit.<TunnelReply>runCommand(to -> new TunnelCommand.PingLost("10.1.0.1", "10.2.0.1", 3,
                Cause.TIMER, to));
        assertThat(lost.eventOfType(TunnelEvent.PingLost.class).lost()).isEqualTo(3);
        assertThat(ok(lost).reachability()).contains("unreachable");
        assertThat(ok(lost).lastFailure()).contains("ping-lost: 3 echoes to 10.2.0.1 unanswered");
        assertThat(ok(lost).status()).isEqualTo(TunnelStatus.UP); // the SAs are still there
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.PingLost("10.1.0.1", "10.2.0.1", 4, Cause.TIMER,
                to)));

        // the journal replayed (by hand: a restarted entity may already have journaled more, e.g. that its IKE SA
        // is gone, by the time its state is read)
        TunnelState replayed = TunnelState.empty("site-b");
        for (Object e : kit.persistenceTestKit().persistedInStorage(TunnelEntity.persistenceId("site-b").id())) {
            replayed = replayed.apply((TunnelEvent) e);
        }
        assertThat(replayed.reachability()).contains("unreachable");
        // the verdict goes with phase 1: the next Child SA's ping starts without one
        assertThat(replayed.apply(new TunnelEvent.Phase1Down("site-b", java.time.Instant.now(), "n1", Cause.TIMER,
                "timeout: ping lost")).reachability()).isEmpty();
    }

    @Test
    void aSpecForAnotherLabelIsRefused() {
        var kit = kit("other");
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), API, to))))
                .contains("is for tunnel site-b");
    }

    @Test
    void ikeTunnelLivesThroughItsEngineReports() {
        var kit = kit("site-b");
        assertThat(ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to))).status())
                .isEqualTo(TunnelStatus.CONNECTING);
        assertThat(ports.calls()).containsExactly("startIke site-b");

        var p1 = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to));
        assertThat(p1.eventOfType(TunnelEvent.Phase1Up.class).peer()).isEqualTo("198.51.100.7");
        assertThat(ok(p1).ikeSa()).contains("ike-1");
        assertThat(ok(p1).status()).as("IKE SA up, no Child SA yet").isEqualTo(TunnelStatus.NO_CHILD_SA);

        var child = kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_1),
                Cause.PEER, to));
        assertThat(ok(child).status()).isEqualTo(TunnelStatus.UP);
        assertThat(ok(child).sas()).containsExactly(new ChildSa(SaId.of("child-1"), SPI_1));
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_2),
                Cause.PEER, to)))).contains("already installed");

        var rekey = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.of("child-1"), SaId.of("child-2"),
                Optional.of(SPI_2), Cause.TIMER, to));
        assertThat(rekey.eventOfType(TunnelEvent.Rekeyed.class).replacement()).isEqualTo(SaId.of("child-2"));
        assertThat(ok(rekey).sas()).containsExactly(new ChildSa(SaId.of("child-2"), SPI_2));
        assertThat(ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.of("ike-1"), SaId.of("ike-2"), Optional.empty(), Cause.TIMER,
                to))).ikeSa()).contains("ike-2");
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.of("ike-1"), SaId.of("ike-3"), Optional.empty(), Cause.TIMER, to)));
        var unknownRekey = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.of("child-9"), SaId.of("child-3"),
                Optional.of(SPI_1), Cause.TIMER, to));
        assertThat(unknownRekey.reply()).isInstanceOf(TunnelReply.Rejected.class);
        assertThat(unknownRekey.eventOfType(TunnelEvent.NegotiationFailed.class).reason())
                .isEqualTo(FailureReason.INSTALL_FAILED);
        assertThat(ports.calls()).containsExactly("startIke site-b", "retireSa site-b child-00000003");

        var failed = kit.<TunnelReply>runCommand(to -> new TunnelCommand.NegotiationFailed(
                FailureReason.NO_PROPOSAL_CHOSEN, "child-3 rekey", Cause.PEER, to));
        assertThat(failed.eventOfType(TunnelEvent.NegotiationFailed.class).reason())
                .isEqualTo(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(ok(failed).lastFailure()).contains("NO_PROPOSAL_CHOSEN: child-3 rekey");

        assertThat(ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SaExpired(SaId.of("child-2"), Cause.TIMER, to))).status())
                .as("the IKE SA is up, its only Child SA expired: no packet crosses").isEqualTo(TunnelStatus.NO_CHILD_SA);
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SaExpired(SaId.of("child-2"), Cause.TIMER, to)));
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(SaId.of("child-2"), Cause.PEER, to)));

        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-3"), SPI_1), Cause.PEER, to)));
        assertThat(ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(SaId.of("child-3"), Cause.PEER, to))).sas()).isEmpty();

        var dpd = kit.<TunnelReply>runCommand(to -> new TunnelCommand.DpdLost(Cause.TIMER, to));
        assertThat(dpd.eventOfType(TunnelEvent.DpdLost.class).peer()).isEqualTo("198.51.100.7");
        assertThat(ok(dpd).ikeSa()).isEmpty();
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.DpdLost(Cause.TIMER, to)))).contains("not up");
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("gone", Cause.PEER, to)));
        var early = kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("c"), SPI_1),
                Cause.PEER, to));
        assertThat(((TunnelReply.Rejected) early.reply()).error()).contains("needs phase 1");
        assertThat(early.eventOfType(TunnelEvent.NegotiationFailed.class).detail()).contains("Child SA c removed");

        var sw = kit.<TunnelReply>runCommand(to -> new TunnelCommand.PeerSwitched("198.51.100.8", Cause.TIMER, to));
        assertThat(sw.eventOfType(TunnelEvent.PeerSwitched.class).from()).contains("198.51.100.7");
        assertThat(ok(sw).peer()).contains("198.51.100.8");
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.PeerSwitched("198.51.100.8", Cause.TIMER, to)));

        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.8", "ike-9", Cause.PEER, to)));
        var down = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("delete from peer", Cause.PEER, to));
        assertThat(ok(down).ikeSa()).isEmpty();
        assertThat(ports.calls()).containsExactly("startIke site-b", "retireSa site-b child-00000003", "retireSa site-b c");
    }

    @Test
    void reportsThatQueuedUpArePersistedTogetherEachCheckedAgainstTheOnesBefore() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to)));

        // one setup and its end as the IKE manager batches them while the entity is busy: the Child SA is accepted
        // because the Phase1Up before it in the same batch is; the unknown Child SA's delete is refused and left out
        var batch = kit.<TunnelReply>runCommand(to -> new TunnelCommand.EngineReports(List.of(
                new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to),
                new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_1), Cause.PEER, to),
                new TunnelCommand.ChildSaDeleted(SaId.of("child-9"), Cause.PEER, to),
                new TunnelCommand.Phase1Down("delete from peer", Cause.PEER, to),
                new TunnelCommand.Phase1Up("198.51.100.7", "ike-2", Cause.PEER, to)), to));
        assertThat(batch.events()).extracting(TunnelEvent::type)
                .containsExactly("phase1-up", "child-sa-installed", "phase1-down", "phase1-up");
        assertThat(ok(batch).ikeSa()).contains("ike-2");
        assertThat(ok(batch).sas()).isEmpty();
        assertThat(batch.state().ikeSa()).contains("ike-2");

        // a Child SA before its phase 1 is refused, as it would be alone; a batch with nothing accepted is rejected
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.EngineReports(List.of(
                new TunnelCommand.ChildSaDeleted(SaId.of("child-1"), Cause.PEER, to)), to))))
                .contains("none of 1 reports");
        var out = kit.<TunnelReply>runCommand(to -> new TunnelCommand.EngineReports(List.of(
                new TunnelCommand.Phase1Down("delete from peer", Cause.PEER, to),
                new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-2"), SPI_2), Cause.PEER, to)), to));
        assertThat(out.events()).extracting(TunnelEvent::type).containsExactly("phase1-down", "negotiation-failed");
        assertThat(ok(out).sas()).isEmpty();
        assertThat(ports.calls()).containsExactly("startIke site-b", "retireSa site-b child-00000002");

        // the same events as one report each: a restart replays the batch's events to the same state
        kit.restart();
        assertThat(kit.getState().ikeSa()).isEmpty();
        assertThat(kit.getState().peer()).contains("198.51.100.7");
    }

    @Test
    void adminDownStopsAndRefusesEngineReportsUntilAdminUp() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), API, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to)));
        var down = kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminDown(API, to));
        assertThat(down.eventOfType(TunnelEvent.AdminDown.class).cause()).isEqualTo(API);
        assertThat(ok(down).admin()).isEqualTo(AdminState.DOWN);
        assertThat(ok(down).status()).isEqualTo(TunnelStatus.DOWN);
        assertThat(ok(down).ikeSa()).isEmpty();
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminDown(API, to)))).contains("admin down");
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Reset(API, to)));
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("c"), SPI_1), Cause.PEER, to)));
        assertThat(ports.calls()).as("an SA reported after admin-down is removed; admin-down says so already")
                .containsExactly("startIke site-b", "stopIke site-b", "retireSa site-b c");

        IkeTunnel changed = (IkeTunnel) Fixtures.parse(Fixtures.CONFIG.replace(Fixtures.CANARY_PSK, "another-psk"))
                .tunnel("site-b").orElseThrow();
        var reconf = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(changed, Cause.commit("c-2"), to));
        assertThat(reconf.events()).hasSize(1);
        assertThat(ok(reconf).admin()).as("a new spec keeps admin down").isEqualTo(AdminState.DOWN);

        var up = kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminUp(API, to));
        assertThat(ok(up).status()).isEqualTo(TunnelStatus.CONNECTING);
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminUp(API, to)))).contains("already admin up");
        assertThat(ports.calls()).containsExactly("startIke site-b", "stopIke site-b", "retireSa site-b c",
                "startIke site-b");
        assertThat(kit.getState().spec()).contains(changed);
    }

    @Test
    void changedSpecRestartsAndRemoveStops() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), API, to)));
        TunnelSpec changed = Fixtures.parse(Fixtures.CONFIG.replace(Fixtures.CANARY_PSK, "another-psk"))
                .tunnel("site-b").orElseThrow();
        assertThat(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(changed, API, to)).events()).hasSize(1);
        var removed = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Remove(Cause.commit("c-3"), to));
        removed.eventOfType(TunnelEvent.Removed.class);
        assertThat(ok(removed).configured()).isFalse();
        assertThat(ports.calls()).containsExactly("startIke site-b", "stopIke site-b", "startIke site-b",
                "stopIke site-b");
        rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Remove(API, to)));
    }

    @Test
    void resetRestartsIkeAndIsRefusedForManual() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), API, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_1), Cause.PEER, to)));
        var reset = kit.<TunnelReply>runCommand(to -> new TunnelCommand.Reset(API, to));
        assertThat(reset.eventOfType(TunnelEvent.Phase1Down.class).reason()).isEqualTo("reset");
        assertThat(ok(reset).status()).isEqualTo(TunnelStatus.CONNECTING);
        assertThat(ports.calls()).containsExactly("startIke site-b", "stopIke site-b", "startIke site-b");

        var m = kit("static-d");
        ok(m.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), API, to)));
        assertThat(rejected(m.<TunnelReply>runCommand(to -> new TunnelCommand.Reset(API, to)))).contains("manually keyed");
        assertThat(rejected(m.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("192.0.2.44", "x", Cause.PEER, to))))
                .contains("manually keyed");
    }

    @Test
    void exhaustedManualSaIsRecordedAsExpiredAndTheTunnelGoesDown() {
        var m = kit("static-d");
        ok(m.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), API, to)));
        var expired = m.<TunnelReply>runCommand(to -> new TunnelCommand.SaExpired(TunnelState.MANUAL_SA, Cause.of("dataplane"), to));
        assertThat(expired.eventOfType(TunnelEvent.SaExpired.class).saId()).isEqualTo(SaId.MANUAL);
        assertThat(expired.eventOfType(TunnelEvent.SaExpired.class).cause().value()).isEqualTo("dataplane");
        TunnelView v = ok(expired);
        assertThat(v.sas()).isEmpty();
        assertThat(v.status()).isEqualTo(TunnelStatus.DOWN);
        assertThat(rejected(m.<TunnelReply>runCommand(to -> new TunnelCommand.SaExpired(SaId.of("manual"), Cause.of("dataplane"), to))))
                .contains("no SA manual");
    }

    @Test
    void recoveryRestoresStateAndReinstallsAdminUpManualTunnel() {
        var kit = kit("static-d");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), API, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminDown(API, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminUp(API, to)));
        TunnelState before = kit.getState();
        ports.clear();
        var restarted = kit.restart();
        assertThat(restarted.state()).isEqualTo(before);
        assertThat(restarted.state().spec().orElseThrow()).isEqualTo(manual()); // secrets unsealed intact
        assertThat(ports.calls()).containsExactly("installManual static-d");

        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.AdminDown(API, to)));
        ports.clear();
        kit.restart();
        assertThat(ports.calls()).as("admin-down tunnels stay down after recovery").isEmpty();
    }

    @Test
    void recoveryEndsIkeSasThatARestartedNodeNoLongerHas() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), API, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_1), Cause.PEER, to)));
        for (int i = 0; i < 4; i++) { // past the snapshot interval of 5
            int n = i;
            ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.NegotiationFailed(FailureReason.TIMEOUT, "try " + n, Cause.TIMER,
                    to)));
        }
        TunnelState before = kit.getState();
        ports.clear();
        var restarted = kit.restart();
        // the recovered state is the one before (its end of the IKE SA may already have been applied: it is a
        // command the entity sends itself once recovered, and may run before restart() returns)
        assertThat(restarted.state().spec()).isEqualTo(before.spec());
        assertThat(ports.calls()).containsExactly("startIke site-b");
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(kit.getState().sas()).isEmpty());
        TunnelState after = kit.getState();
        assertThat(after.ikeSa()).isEmpty();
        assertThat(after.status()).isEqualTo(TunnelStatus.CONNECTING);
        assertThat(after.spec()).isEqualTo(before.spec());
    }

    @Test
    void pureEventHandlerReplaysToTheSameState() {
        var kit = kit("site-b");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), API, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to)));
        var last = kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(SaId.of("child-1"), SPI_1),
                Cause.PEER, to));
        TunnelState s = TunnelState.empty("site-b");
        List<TunnelEvent> events = List.of(
                new TunnelEvent.Configured("site-b", T0, "node-1", API, ike()),
                new TunnelEvent.Phase1Up("site-b", T0, "node-1", Cause.PEER, "198.51.100.7", "ike-1"),
                last.eventOfType(TunnelEvent.ChildSaInstalled.class));
        for (TunnelEvent e : events) {
            s = s.apply(e);
        }
        assertThat(s).isEqualTo(kit.getState());
    }

    private static final net.palisade.model.event.SealedState SEALED = new net.palisade.model.event.SealedState(
            "00112233aabbccdd", new byte[12], new byte[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7});

    @Test
    void takeoverStateIsKeptForTheCurrentSasOnlyAndTheReservationsReachThePortsOnRecovery() {
        var kit = kit("site-b");
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to));
        SaId child = SaId.child(0xc001);
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(child, SPI_1), Cause.PEER,
                to));
        var ikeState = kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa", SaId.of("ike-1"),
                SEALED, Cause.NODE, to));
        assertThat(ikeState.eventOfType(TunnelEvent.TakeoverState.class).state()).isEqualTo(SEALED);
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa",
                SaId.of("ike-0"), SEALED, Cause.NODE, to)))).contains("not its IKE SA");
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa",
                SaId.child(0xc003), SEALED, Cause.NODE, to)))).contains("not its Child SA");
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", child, SEALED, Cause.NODE,
                to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(0xc002, 1L << 20, Cause.NODE, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(0xc002, 3L << 19, Cause.NODE, to)));
        Takeover t = kit.getState().takeover();
        assertThat(t.ikeSa()).contains("ike-1");
        assertThat(t.ikeState()).contains(SEALED);
        assertThat(t.children()).containsOnlyKeys(child.value());
        assertThat(t.reserved()).containsEntry(0xc002L, 3L << 19);
        // the read side never carries it
        assertThat(ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new)).toString()).doesNotContain("sealed");

        ports.clear();
        kit.restart();
        assertThat(ports.calls()).first().isEqualTo("recovered site-b {49154=" + (3L << 19) + "}");
        // not resumed here (the ports cannot): the recorded IKE SA is ended, and its takeover records with it
        assertThat(ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new)).ikeSa()).isEmpty();
        assertThat(kit.getState().takeover()).isEqualTo(Takeover.NONE);

        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(child, SPI_1), Cause.PEER,
                to));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", child, SEALED, Cause.NODE,
                to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(0xc002, 1L << 20, Cause.NODE, to)));
        assertThat(kit.getState().takeover().children()).containsOnlyKeys(child.value());
        // our rekey replaces the Child SA: its state and its reservations stay until our Delete of it is answered
        // (the peer sends on it until then), and go with it
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(child, SaId.child(0xc003), Optional.of(SPI_2),
                Cause.TIMER, to));
        assertThat(kit.getState().takeover().children()).isEmpty();
        assertThat(kit.getState().takeover().replaced()).containsOnlyKeys(child.value());
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(child, Cause.PEER, to)));
        assertThat(kit.getState().takeover().replaced()).isEmpty();
        assertThat(kit.getState().takeover().reserved()).doesNotContainKey(0xc002L);
        // phase 1 gone: nothing of the IKE SA is left to resume
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("delete", Cause.PEER, to));
        assertThat(kit.getState().takeover()).isEqualTo(Takeover.NONE);
    }

    /**
     * The peer's rekey of a Child SA: until the peer deletes the old one, nothing journaled says it received our
     * answer, so the old one's state and reservations stay for a node that takes over (issue 13's rekey takeover).
     */
    @Test
    void aChildSaThePeerRekeyedStaysResumableUntilItsDeleteIsJournaled() {
        var kit = kit("site-b");
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to));
        SaId old = SaId.child(0xc001);
        SaId fresh = SaId.child(0xc003);
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(old, SPI_1), Cause.PEER, to));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa", SaId.of("ike-1"), SEALED,
                Cause.NODE, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", old, SEALED, Cause.NODE,
                to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(0xc002, 1L << 21, Cause.NODE, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(old, fresh, Optional.of(SPI_2), Cause.PEER,
                to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", fresh, SEALED, Cause.NODE,
                to)));
        // the old one still sends until the peer's Delete: its next reservation is kept too
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(0xc002, 3L << 20, Cause.NODE, to)));
        Takeover t = kit.getState().takeover();
        assertThat(kit.getState().sas()).extracting(ChildSa::id).containsExactly(fresh);
        assertThat(t.children()).containsOnlyKeys(fresh.value());
        assertThat(t.replaced()).containsOnlyKeys(old.value());
        assertThat(t.replaced().get(old.value())).isEqualTo(new Takeover.Replaced(SEALED, fresh.value(), 0xc002L));
        assertThat(t.reserved()).containsEntry(0xc002L, 3L << 20);
        assertThat(t.toString()).doesNotContain("0011223");

        // a takeover, and the peer rekeys the old one again (it never had our answer): accepted, still replaced
        SaId again = SaId.child(0xc005);
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(fresh, Cause.PEER, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(old, again,
                Optional.of(new SpiPair(Spi.of(0xc005), Spi.of(0xc006))), Cause.PEER, to)));
        assertThat(kit.getState().takeover().replaced().get(old.value()).by()).isEqualTo(again.value());
        // the peer deletes it: now nothing of it is left to resume
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(old, Cause.PEER, to)));
        assertThat(kit.getState().takeover().replaced()).isEmpty();
        assertThat(kit.getState().takeover().reserved()).doesNotContainKey(0xc002L);
        assertThat(rejected(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(old, Cause.PEER, to))))
                .contains("no Child SA");

        // our own rekey: we send on the new one at once, but the peer sends on the old one until our Delete of it
        // reaches it, so the old one is kept (to receive on) until that Delete is answered
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", again, SEALED, Cause.NODE,
                to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(again, SaId.child(0xc007),
                Optional.of(new SpiPair(Spi.of(0xc007), Spi.of(0xc008))), Cause.TIMER, to)));
        assertThat(kit.getState().takeover().replaced()).containsOnlyKeys(again.value());
        assertThat(kit.getState().takeover().replaced().get(again.value()).ours()).isTrue();
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaDeleted(again, Cause.PEER, to)));
        assertThat(kit.getState().takeover().replaced()).isEmpty();
        // a replaced one ends with phase 1 as well
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", SaId.child(0xc007), SEALED,
                Cause.NODE, to)));
        ok(kit.<TunnelReply>runCommand(to -> new TunnelCommand.Rekeyed(SaId.child(0xc007), SaId.child(0xc009),
                Optional.of(new SpiPair(Spi.of(0xc009), Spi.of(0xc00a))), Cause.PEER, to)));
        assertThat(kit.getState().takeover().replaced()).containsOnlyKeys(SaId.child(0xc007).value());
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Down("delete", Cause.PEER, to));
        assertThat(kit.getState().takeover()).isEqualTo(Takeover.NONE);
        // what the entity holds is what its events make (recovery, offline replay)
        kit.restart();
        assertThat(kit.getState().takeover()).isEqualTo(Takeover.NONE);
    }

    @Test
    void aManualSasReservationsOutliveItsRemovalSoTheSameKeyGoesOnAboveThem() {
        var kit = kit("static-d");
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), Cause.commit("c-1"), to));
        long out = manual().spi().outbound().value();
        var r = kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(out, 1L << 20, Cause.NODE, to));
        assertThat(r.eventOfType(TunnelEvent.SequenceReserved.class).upTo()).isEqualTo(1L << 20);
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Remove(API, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(manual(), Cause.commit("c-2"), to));
        assertThat(kit.getState().takeover().reserved()).containsEntry(out, 1L << 20);
        ports.clear();
        kit.restart();
        assertThat(ports.calls()).first().isEqualTo("recovered static-d {" + out + "=" + (1L << 20) + "}");
        assertThat(ports.calls()).contains("installManual static-d");
    }

    @Test
    void aRecoveredIkeSaWithItsSealedStateIsResumedInsteadOfEnded() {
        var kit = kit("site-b");
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to));
        SaId child = SaId.child(0xc001);
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(child, SPI_1), Cause.PEER,
                to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa", SaId.of("ike-1"), SEALED,
                Cause.NODE, to));

        // the Child SA's state is missing: nothing to resume, the IKE SA is ended as before
        ports.resumable = true;
        ports.clear();
        kit.restart();
        assertThat(ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new)).ikeSa()).isEmpty();
        assertThat(ports.calls()).contains("startIke site-b").noneMatch(c -> c.startsWith("resumeIke"));

        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-2", Cause.PEER, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(new ChildSa(child, SPI_1), Cause.PEER,
                to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa", SaId.of("ike-2"), SEALED,
                Cause.NODE, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", child, SEALED, Cause.NODE,
                to));
        ports.clear();
        kit.restart();
        TunnelView v = ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new));
        assertThat(ports.calls()).contains("resumeIke site-b ike-2").doesNotContain("startIke site-b");
        assertThat(v.ikeSa()).contains("ike-2");
        assertThat(v.sas()).extracting(ChildSa::id).containsExactly(child);
        assertThat(v.status()).isEqualTo(TunnelStatus.UP);

        // the ports cannot open it (another pair key, say): started afresh, and the recorded IKE SA ended
        ports.resumable = false;
        ports.clear();
        kit.restart();
        assertThat(ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new)).ikeSa()).isEmpty();
        assertThat(ports.calls()).contains("resumeIke site-b ike-2", "startIke site-b");
    }

    /**
     * A resumed Child SA must not send a number above the journal's last reservation before a reservation covering it
     * is durable; the worker must not wait for that write. So its first window is journaled with the {@code resumed},
     * one block above the last reservation (above the first block when there is none: a freshly negotiated SA used it
     * unreserved), and the SAs go on only once that write is done, holding the window.
     */
    @Test
    void aResumedChildSaGoesOnOnlyOnceItsFirstWindowIsJournaledWithTheResumed() {
        long block = net.palisade.dataplane.sa.SequenceReservations.BLOCK;
        var kit = kit("site-b");
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(ike(), Cause.FILE, to));
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.Phase1Up("198.51.100.7", "ike-1", Cause.PEER, to));
        SaId one = SaId.child(0xc001);
        SaId two = SaId.child(0xc003);
        for (var c : List.of(new ChildSa(one, SPI_1), new ChildSa(two, SPI_2))) {
            kit.<TunnelReply>runCommand(to -> new TunnelCommand.ChildSaInstalled(c, Cause.PEER, to));
            kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("child-sa", c.id(), SEALED,
                    Cause.NODE, to));
        }
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.TakeoverState("ike-sa", SaId.of("ike-1"), SEALED,
                Cause.NODE, to));
        // the first Child SA had sent into its third block; the second never reserved (its first block unreserved)
        long sent = 3 * block + 17;
        kit.<TunnelReply>runCommand(to -> new TunnelCommand.SequenceReserved(0xc002, sent, Cause.NODE, to));

        ports.resumable = true;
        ports.clear();
        String id = TunnelEntity.persistenceId("site-b").id();
        List<List<Object>> journalAtStart = new java.util.concurrent.CopyOnWriteArrayList<>();
        ports.onStartResumed = () -> journalAtStart.add(List.copyOf(kit.persistenceTestKit().persistedInStorage(id)));
        kit.restart();
        ok(kit.<TunnelReply>runCommand(TunnelCommand.Get::new));

        long w1 = sent + block;
        long w2 = 2 * block;
        assertThat(ports.calls()).containsSubsequence("resumeIke site-b ike-1",
                "startResumed site-b {" + 0xc002 + "=" + w1 + ", " + 0xc004 + "=" + w2 + "}");
        assertThat(journalAtStart).hasSize(1);
        List<Object> journal = journalAtStart.getFirst();
        // the windows are durable, with the resumed, before anything of the SAs is installed
        assertThat(journal).filteredOn(TunnelEvent.Resumed.class::isInstance).hasSize(1);
        assertThat(journal).filteredOn(TunnelEvent.SequenceReserved.class::isInstance)
                .map(e -> ((TunnelEvent.SequenceReserved) e).spi() + "=" + ((TunnelEvent.SequenceReserved) e).upTo())
                .endsWith(0xc002 + "=" + w1, 0xc004 + "=" + w2);
        // whoever resumes after this node starts above both windows, whatever this node sent in them
        assertThat(kit.getState().takeover().reserved()).containsEntry(0xc002L, w1).containsEntry(0xc004L, w2);
    }
}
