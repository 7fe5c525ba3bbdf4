package net.palisade.controlplane.tunnel;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.sa.JournalSequences;
import net.palisade.controlplane.sa.DataplaneSaPort;
import net.palisade.controlplane.sa.SaPort;
import net.palisade.dataplane.Dataplane;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.event.ChildSa;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnel entities' hands on this node's dataplane: manual tunnels become SAs in the workers through the
 * {@link SaPort}. Idempotent, as {@link TunnelPorts} requires: installing a tunnel that is already installed
 * replaces it. IKE tunnels go to the node's {@link IkeManager} when there is one, which owns their SAs; without it,
 * starting one is logged. An IKE tunnel's routes to its configured remote networks are held from its start to its
 * stop ({@link RouteHolds}), so that between its SAs that traffic is dropped, not sent in clear.
 */
public final class DataplanePorts implements TunnelPorts {
    private static final Logger log = LoggerFactory.getLogger(DataplanePorts.class);

    private final SaPort sas;
    private final Optional<IkeManager> ike;
    private final JournalSequences sequences;
    private final RouteHolds holds;
    /** Reads a recovered tunnel's inbound replay marks into the dataplane (none: windows start empty). */
    private volatile java.util.function.Consumer<String> replayMarks = label -> {};

    public DataplanePorts(Dataplane dataplane) {
        this(dataplane, Optional.empty());
    }

    public DataplanePorts(Dataplane dataplane, Optional<IkeManager> ike) {
        this(dataplane, ike, null);
    }

    /** @param sequences where the journal's sequence reservations go on recovery (null: nowhere) */
    public DataplanePorts(Dataplane dataplane, Optional<IkeManager> ike, JournalSequences sequences) {
        this.sas = new DataplaneSaPort(dataplane);
        this.ike = ike;
        this.sequences = sequences;
        this.holds = new RouteHolds(dataplane);
    }

    @Override
    public boolean resumeIke(IkeTunnel tunnel, Takeover takeover) {
        List<Takeover.Resume> sas = takeover.resumable();
        return ike.isPresent() && !sas.isEmpty() && ike.get().resume(tunnel, sas);
    }

    /**
     * @param recover reads a recovered tunnel's inbound replay high-water marks into the dataplane, before its SAs
     *     are installed again ({@code ReplayMarkWriter::recover})
     */
    public void recoverReplayMarks(java.util.function.Consumer<String> recover) {
        this.replayMarks = java.util.Objects.requireNonNull(recover, "recover");
    }

    @Override
    public void startResumed(IkeTunnel tunnel, java.util.Map<Long, Long> reserved) {
        holds.hold(tunnel);
        ike.ifPresent(m -> m.resumeReserved(tunnel, reserved));
    }

    @Override
    public void recovered(String label, java.util.Map<Long, Long> reserved) {
        if (sequences != null) {
            sequences.recovered(label, reserved);
        }
    }

    @Override
    public void replayMarks(String label) {
        replayMarks.accept(label);
    }

    @Override
    public void installManual(ManualTunnel tunnel) {
        try {
            sas.installManual(tunnel); // replaces an installed tunnel of that label in place
            log.info("tunnel {}: manual SAs installed (in spi {}, out spi {})", tunnel.label(),
                    tunnel.spi().inbound().describe(), tunnel.spi().outbound().describe());
        } catch (IOException | RuntimeException e) {
            log.error("tunnel {}: cannot install its SAs in the dataplane: {}", tunnel.label(), e.getMessage());
        }
    }

    @Override
    public void removeManual(String label) {
        try {
            if (sas.remove(label)) {
                log.info("tunnel {}: manual SAs removed", label);
            }
        } catch (IOException | RuntimeException e) {
            log.error("tunnel {}: cannot remove its SAs from the dataplane: {}", label, e.getMessage());
        }
    }

    @Override
    public void startIke(IkeTunnel tunnel) {
        holds.hold(tunnel);
        if (ike.isPresent()) {
            ike.get().start(tunnel);
        } else {
            log.warn("tunnel {}: no IKE engine on this node; the tunnel stays down", tunnel.label());
        }
    }

    @Override
    public void stopIke(String label) {
        ike.ifPresent(m -> m.stop(label));
        holds.release(label);
    }

    /** Stops and starts the IKE session; the routes held change only where the new spec's networks differ. */
    @Override
    public void restartIke(IkeTunnel tunnel) {
        ike.ifPresent(m -> m.stop(tunnel.label()));
        startIke(tunnel);
    }

    @Override
    public void retireSa(String label, ChildSa sa) {
        // through the IKE manager's outcome lane: after the install it undoes, never beside it
        ike.ifPresent(m -> m.retire(label, sa));
    }
}
