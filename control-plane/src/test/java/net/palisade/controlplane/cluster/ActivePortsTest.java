package net.palisade.controlplane.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.tunnel.Takeover;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SealedState;
import org.junit.jupiter.api.Test;

/**
 * The gate between a pair member's tunnel entities and its engines, for what recovery hands over: the journal's
 * sequence reservations always reach the node, a journaled IKE SA is resumed only on the active node (an entity that
 * moved there on takeover), and a resumed tunnel is stopped like any other when the role is lost.
 */
class ActivePortsTest {
    /** What the real ports were asked, in order. */
    static final class Recording implements TunnelPorts {
        final List<String> calls = new ArrayList<>();
        boolean resumable = true;

        @Override
        public void installManual(ManualTunnel tunnel) {
            calls.add("install " + tunnel.label());
        }

        @Override
        public void removeManual(String label) {
            calls.add("remove " + label);
        }

        @Override
        public void startIke(IkeTunnel tunnel) {
            calls.add("start " + tunnel.label());
        }

        @Override
        public void stopIke(String label) {
            calls.add("stop " + label);
        }

        @Override
        public void restartIke(IkeTunnel tunnel) {
            calls.add("restart " + tunnel.label() + " " + tunnel.to());
        }

        @Override
        public void retireSa(String label, ChildSa sa) {}

        @Override
        public void recovered(String label, Map<Long, Long> reserved) {
            calls.add("recovered " + label + " " + reserved);
        }

        /** Runs while the state is being opened (another thread changing the role meanwhile). */
        Runnable whileOpening = () -> {};

        @Override
        public boolean resumeIke(IkeTunnel tunnel, Takeover takeover) {
            calls.add("resume " + tunnel.label());
            whileOpening.run();
            return resumable;
        }

        @Override
        public void startResumed(IkeTunnel tunnel, Map<Long, Long> reserved) {
            calls.add("startResumed " + tunnel.label());
        }
    }

    static final IkeTunnel TUNNEL = (IkeTunnel) Fixtures.config().tunnel("site-b").orElseThrow();
    static final Takeover JOURNALED = new Takeover(Optional.of("ike-1"),
            Optional.of(new SealedState("kid", new byte[12], new byte[32])), Map.of(), Map.of(0x1234L, 1L << 20));

    @Test
    void aStandbyPassesTheReservationsOnButDoesNotResume() {
        Recording real = new Recording();
        ActivePorts ports = new ActivePorts(real);
        ports.recovered(TUNNEL.label(), JOURNALED.reserved());
        assertThat(ports.resumeIke(TUNNEL, JOURNALED)).isFalse();
        assertThat(real.calls).containsExactly("recovered site-b {4660=1048576}");
    }

    @Test
    void theActiveNodeResumesAndStopsTheResumedTunnelWhenItLosesTheRole() {
        Recording real = new Recording();
        ActivePorts ports = new ActivePorts(real);
        ports.becameActive(2);
        assertThat(ports.resumeIke(TUNNEL, JOURNALED)).isTrue();
        assertThat(ports.wanted()).isEqualTo(1);
        ports.becameStandby(Cause.NODE);
        assertThat(real.calls).containsExactly("resume site-b", "stop site-b");
    }

    @Test
    void aTunnelThatCannotBeResumedIsLeftToTheEntityToStart() {
        Recording real = new Recording();
        real.resumable = false;
        ActivePorts ports = new ActivePorts(real);
        ports.becameActive(2);
        assertThat(ports.resumeIke(TUNNEL, JOURNALED)).isFalse();
        assertThat(ports.wanted()).isZero();
    }

    /**
     * Opening the journaled state runs outside the gate's lock (hundreds of entities open theirs at once in a
     * takeover); a node that loses the role meanwhile must not keep a resumed tunnel, nor start its SAs later.
     */
    @Test
    void theRoleLostWhileTheStateIsOpenedStopsTheTunnelAndNothingStartsAfter() {
        Recording real = new Recording();
        ActivePorts ports = new ActivePorts(real);
        ports.becameActive(2);
        real.whileOpening = () -> ports.becameStandby(Cause.NODE);
        assertThat(ports.resumeIke(TUNNEL, JOURNALED)).isFalse();
        ports.startResumed(TUNNEL, Map.of(0x1234L, 2L << 20));
        assertThat(ports.wanted()).isZero();
        assertThat(real.calls).containsExactly("resume site-b", "stop site-b");
    }

    /**
     * A new spec of a running tunnel reaches the active node's ports as one restart (its routes held throughout, only
     * the networks that differ change), not as a stop that would release them and a start that adds them again; a
     * standby only remembers it and starts it on becoming active.
     */
    @Test
    void aNewSpecIsOneRestartOnTheActiveNodeAndRememberedOnAStandby() {
        IkeTunnel changed = (IkeTunnel) Fixtures.parse(Fixtures.CONFIG.replace("to 10.2.0.0/16", "to 10.7.0.0/16"))
                .tunnel("site-b").orElseThrow();
        Recording real = new Recording();
        ActivePorts ports = new ActivePorts(real);
        ports.becameActive(1);
        ports.startIke(TUNNEL);
        ports.restartIke(changed);
        assertThat(real.calls).containsExactly("start site-b", "restart site-b " + changed.to());

        Recording standbyReal = new Recording();
        ActivePorts standby = new ActivePorts(standbyReal);
        standby.startIke(TUNNEL);
        standby.restartIke(changed);
        assertThat(standbyReal.calls).isEmpty();
        standby.becameActive(2);
        assertThat(standbyReal.calls).containsExactly("start site-b");
        standbyReal.calls.clear();
        standby.becameStandby(Cause.NODE);
        standby.becameActive(3);
        assertThat(standbyReal.calls).containsExactly("stop site-b", "start site-b");
    }
}
