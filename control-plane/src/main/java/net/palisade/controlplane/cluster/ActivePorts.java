package net.palisade.controlplane.cluster;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.palisade.model.event.ChildSa;
import net.palisade.controlplane.tunnel.Takeover;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.event.Cause;

/**
 * The tunnel entities' ports on a pair member, gated on the {@link ActiveRole}: while standby, nothing reaches the
 * dataplane or IKE, but what the entities asked for is remembered; on becoming active it is all started, and on
 * losing the role it is all stopped (SAs removed, so no ESP leaves; IKE sessions stopped, their Deletes dropped by
 * the fenced transport). Entities call from their own threads and the role from its thread: the maps are concurrent
 * and the gate is read under the lock that the role's transitions take, so a start never slips past a stop.
 */
public final class ActivePorts implements TunnelPorts, ActiveRole.Listener {
    private final TunnelPorts delegate;
    private final Map<String, ManualTunnel> manual = new ConcurrentHashMap<>();
    private final Map<String, IkeTunnel> ike = new ConcurrentHashMap<>();
    private boolean open; // guarded by this

    /** @param delegate the node's real ports; closed (standby) until {@link #becameActive} */
    public ActivePorts(TunnelPorts delegate) {
        this.delegate = delegate;
    }

    @Override
    public synchronized void installManual(ManualTunnel tunnel) {
        manual.put(tunnel.label(), tunnel);
        if (open) {
            delegate.installManual(tunnel);
        }
    }

    @Override
    public synchronized void removeManual(String label) {
        manual.remove(label);
        if (open) {
            delegate.removeManual(label);
        }
    }

    @Override
    public synchronized void startIke(IkeTunnel tunnel) {
        ike.put(tunnel.label(), tunnel);
        if (open) {
            delegate.startIke(tunnel);
        }
    }

    @Override
    public synchronized void stopIke(String label) {
        ike.remove(label);
        if (open) {
            delegate.stopIke(label);
        }
    }

    @Override
    public synchronized void restartIke(IkeTunnel tunnel) {
        ike.put(tunnel.label(), tunnel);
        if (open) {
            delegate.restartIke(tunnel);
        }
    }

    /**
     * Passed on whatever the role: the reservations are a floor for SAs installed later, and a node that becomes
     * active must know them before it sends (without them a moved tunnel's SAs could start below them).
     */
    @Override
    public void recovered(String label, Map<Long, Long> reserved) {
        delegate.recovered(label, reserved);
    }

    /** Passed on whatever the role, like the reservations: the entities run on the active node only anyway. */
    @Override
    public void replayMarks(String label) {
        delegate.replayMarks(label);
    }

    /**
     * Resumes only while active: an entity moved to this node after a takeover goes on with the journaled SAs. On a
     * standby the state may be stale by the time it becomes active (the active node goes on rekeying), so the
     * entity starts the tunnel instead, which is remembered and started on becoming active.
     */
    @Override
    public boolean resumeIke(IkeTunnel tunnel, Takeover takeover) {
        synchronized (this) {
            if (!open) {
                return false;
            }
        }
        // opening the sealed state runs outside the lock: a takeover recovers hundreds of entities at once, and with
        // the lock held they waited here for each other's decryption (2.4 s of dispatcher threads blocked in the
        // first 1.4 s of a 200-tunnel takeover, JFR)
        if (!delegate.resumeIke(tunnel, takeover)) {
            return false;
        }
        synchronized (this) {
            if (!open) {
                delegate.stopIke(tunnel.label()); // the role was lost meanwhile: what was opened goes
                return false;
            }
            ike.put(tunnel.label(), tunnel); // stopped like any other if this node loses the role
            return true;
        }
    }

    /** Only while active: a node that lost the role since {@link #resumeIke} stopped the tunnel meanwhile. */
    @Override
    public synchronized void startResumed(IkeTunnel tunnel, Map<Long, Long> reserved) {
        if (open) {
            delegate.startResumed(tunnel, reserved);
        }
    }

    @Override
    public synchronized void retireSa(String label, ChildSa sa) {
        if (open) {
            delegate.retireSa(label, sa);
        }
    }

    @Override
    public synchronized void becameActive(long epoch) {
        open = true;
        manual.values().forEach(delegate::installManual);
        ike.values().forEach(delegate::startIke);
    }

    @Override
    public synchronized void becameStandby(Cause cause) {
        if (!open) {
            return;
        }
        open = false;
        manual.keySet().forEach(delegate::removeManual);
        ike.keySet().forEach(delegate::stopIke);
    }

    /** @return how many tunnels the entities on this node want running (started only while active) */
    public synchronized int wanted() {
        return manual.size() + ike.size();
    }
}
