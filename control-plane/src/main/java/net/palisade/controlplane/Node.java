package net.palisade.controlplane;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import net.palisade.controlplane.cluster.ActiveRole;
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.KeyLog;
import net.palisade.controlplane.ike.SystemHostName;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.PairKey;
import net.palisade.controlplane.journal.ReplayMarkWriter;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.sa.JournalSequences;
import net.palisade.controlplane.tunnel.DataplanePorts;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.DataplaneSettings;
import net.palisade.dataplane.sa.SaEvents;
import net.palisade.model.event.Cause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway node without its HTTP API: the dataplane (TUN device, ESP workers, port 4500), IKE (port 500, and
 * 4500 through the dataplane) and the control plane (cluster node, journal, tunnel entities). {@code palisade run}
 * starts this and adds the API; the lab tests start this too, so what they test is the wiring users run.
 *
 * <p>Started in that order and stopped in reverse (IKE first, so that it can still delete its SAs at the peers).
 * The parts need each other both ways — the control plane installs through the dataplane and IKE, the dataplane
 * and IKE report to the control plane — so the reporting direction is bound once the control plane is up:
 * {@link IkeManager#attach} for IKE, a reference read by the dataplane's {@link SaEvents} for sequence limits.
 */
public final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    /** How long the control plane may take to join its cluster and open its journal. */
    private static final long UP_TIMEOUT_SECONDS = 60;

    /** The part of a node that did not start. */
    public enum Part {
        /** TUN device, ESP sockets, workers: needs CAP_NET_ADMIN. */
        DATAPLANE,
        /** Cluster node, journal, entities. */
        CONTROL_PLANE
    }

    /** A part of the node did not start; whatever had started is stopped again. */
    public static final class StartException extends Exception {
        private static final long serialVersionUID = 1L;
        private final Part part;

        StartException(Part part, Throwable cause) {
            super(cause.getMessage(), cause);
            this.part = part;
        }

        /** @return which part failed */
        public Part part() {
            return part;
        }
    }

    private final Optional<Dataplane> dataplane;
    private final Optional<IkeManager> ike;
    private final Optional<String> ikeOff;
    private final ControlPlane controlPlane;
    private final Runnable stopReplayMarks;

    private Node(Optional<Dataplane> dataplane, Optional<IkeManager> ike, Optional<String> ikeOff,
            ControlPlane controlPlane, Runnable stopReplayMarks) {
        this.stopReplayMarks = stopReplayMarks;
        this.dataplane = dataplane;
        this.ike = ike;
        this.ikeOff = ikeOff;
        this.controlPlane = controlPlane;
    }

    /**
     * @param dataDir the node's data directory (journal, node key, sequence reservations)
     * @return a builder with the defaults of {@code palisade run}
     */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** The settings of a node; each has the default of {@code palisade run}. */
    public static final class Builder {
        private final Path dataDir;
        private Settings controlPlane;
        private boolean withDataplane = true;
        private Optional<Path> netns = Optional.empty();
        private String tunName = "pal0";
        private int workers;
        private List<Integer> cpus = List.of();
        private int ikePort = 500;
        private IkeSettings ikeSettings = IkeSettings.DEFAULT;
        private Cookies cookies = Cookies.standard(Cookies.DEFAULT_THRESHOLD);
        private IkeManager.Resolver resolver = IkeManager.Resolver.SYSTEM;
        private KeyLog keyLog = KeyLog.NONE;

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            this.controlPlane = Settings.defaults(dataDir);
        }

        /**
         * @param on whether to run the dataplane and IKE; off, tunnels are configured and journaled but carry no
         *     traffic (default on)
         * @return this builder
         */
        public Builder dataplane(boolean on) {
            this.withDataplane = on;
            return this;
        }

        /** @param path the network namespace of the dataplane and IKE (default: the caller's) @return this builder */
        public Builder netns(Path path) {
            this.netns = Optional.of(path);
            return this;
        }

        /** @param name the TUN device (default {@code pal0}) @return this builder */
        public Builder tunName(String name) {
            this.tunName = Objects.requireNonNull(name, "tunName");
            return this;
        }

        /** @param n ESP workers; 0 = one per CPU (default) @return this builder */
        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        /** @param list the CPUs the workers are pinned to, in worker order (default: one each, in order) @return this builder */
        public Builder cpus(List<Integer> list) {
            this.cpus = List.copyOf(list);
            return this;
        }

        /** @param port the IKE port opened besides 4500 (default 500) @return this builder */
        public Builder ikePort(int port) {
            this.ikePort = port;
            return this;
        }

        /** @param settings the engine policy of every IKE session @return this builder */
        public Builder ike(IkeSettings settings) {
            this.ikeSettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** @param policy when IKE_SA_INIT requests must carry a cookie @return this builder */
        public Builder cookies(Cookies policy) {
            this.cookies = Objects.requireNonNull(policy, "cookies");
            return this;
        }

        /** @param r how peers' host names resolve (default: the system's resolver) @return this builder */
        public Builder resolver(IkeManager.Resolver r) {
            this.resolver = Objects.requireNonNull(r, "resolver");
            return this;
        }

        /**
         * @param keys where every negotiated SA's keys go (an operator's explicit debugging opt-in; default none)
         * @return this builder
         */
        public Builder keyLog(KeyLog keys) {
            this.keyLog = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /**
         * @param host this node's cluster address
         * @param port its port (0: any free one)
         * @param seeds seed nodes to join; none: the node forms its own cluster
         * @return this builder
         */
        public Builder cluster(String host, int port, List<String> seeds) {
            this.controlPlane = controlPlane.withCluster(host, port, seeds);
            return this;
        }

        /** @param journal where the journal is (default: embedded H2 in the data directory) @return this builder */
        public Builder journal(JournalSettings journal) {
            this.controlPlane = controlPlane.withJournal(journal);
            return this;
        }

        /**
         * Starts the node and waits until its control plane is up. When port 500 cannot be opened, the node runs
         * without IKE ({@link #ikeOff()} says why), as a gateway of manual tunnels still works then.
         *
         * @return the running node, running the journal's last configuration
         * @throws StartException when the dataplane or the control plane does not start
         */
        public Node start() throws StartException {
            return Node.start(this);
        }
    }

    private static Node start(Builder b) throws StartException {
        AtomicReference<ControlPlane> reports = new AtomicReference<>();
        Optional<Dataplane> dataplane = Optional.empty();
        Optional<IkeManager> ike = Optional.empty();
        Optional<String> ikeOff = Optional.of("no dataplane");
        Optional<PairKey> pairKey;
        try {
            pairKey = PairKey.loadIfPresent(b.dataDir);
        } catch (IOException | RuntimeException e) {
            throw new StartException(Part.CONTROL_PLANE, e);
        }
        pairKey.ifPresent(k -> log.info("pair key {} present: IKE SA and Child SA state is journaled sealed with it",
                k.keyId()));
        // manual keys outlive the process, and with a pair key IKE keys do too: never reuse a sequence number (an
        // AES-GCM IV) after a restart; the reservations live in the journal, where a resuming node finds them
        JournalSequences sequences = new JournalSequences(b.dataDir.resolve("sequences"));
        if (b.withDataplane) {
            // a key log needs the IKE SAs' keys, which the sessions report only with takeover state on
            IkeManager manager = new IkeManager(b.netns, b.ikePort, b.ikeSettings.withTakeoverState(
                    pairKey.isPresent() || b.keyLog != KeyLog.NONE), b.cookies, b.resolver, SystemHostName::get);
            manager.keyLog(b.keyLog);
            pairKey.ifPresent(k -> manager.takeover(new TakeoverSealer(k)));
            if (!b.controlPlane.journalOrDefault().h2()) {
                manager.fence(true); // a pair member says nothing over IKE until it holds the active lease
            }
            DataplaneSettings dps = DataplaneSettings.defaults().withTunName(b.tunName).withWorkers(b.workers)
                    .withCpus(b.cpus).withEvents(saEvents(reports, manager)).withIkeSink(manager.sink())
                    .withSequenceReservations(sequences);
            if (b.netns.isPresent()) {
                dps = dps.withNetns(b.netns.get());
            }
            Dataplane dp;
            try {
                dp = Dataplane.start(dps);
            } catch (IOException | RuntimeException e) {
                manager.close();
                throw new StartException(Part.DATAPLANE, e);
            }
            dataplane = Optional.of(dp);
            if (pairKey.isPresent()) {
                dp.reserveIkeSequences(sequences);
            }
            try {
                manager.open(dp);
                ike = Optional.of(manager);
                ikeOff = Optional.empty();
            } catch (IOException e) {
                manager.close();
                ikeOff = Optional.of("cannot open UDP port " + b.ikePort + ": " + e.getMessage());
                log.error("IKE is off: {}", ikeOff.get());
            }
        }
        Optional<IkeManager> ikeForPorts = ike;
        // inbound replay windows start at their SAs' last sampled high-water marks after a restart or a takeover
        Optional<ReplayMarkWriter> replayMarks = dataplane.map(d -> new ReplayMarkWriter(
                b.controlPlane.journalOrDefault(), d::inboundSas, d.replayMarks(), () -> {
                    ControlPlane c = reports.get();
                    return c != null && c.role().mayAct();
                }));
        TunnelPorts ports = dataplane.<TunnelPorts>map(d -> {
            DataplanePorts p = new DataplanePorts(d, ikeForPorts, sequences);
            replayMarks.ifPresent(w -> p.recoverReplayMarks(w::recover));
            return p;
        }).orElse(TunnelPorts.NONE);
        ControlPlane cp = null;
        try {
            cp = ControlPlane.start(b.controlPlane, ports, fence(ike));
            reports.set(cp);
            cp.whenUp().toCompletableFuture().get(UP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            ike.ifPresent(IkeManager::close);
            if (cp != null) {
                cp.close();
            }
            replayMarks.ifPresent(ReplayMarkWriter::closeLoader);
            dataplane.ifPresent(Dataplane::close);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new StartException(Part.CONTROL_PLANE, unwrap(e));
        }
        ControlPlane up = cp;
        sequences.attach(up::report);
        ike.ifPresent(m -> m.attach(up));
        Runnable stopMarks = replayMarks.map(w -> w.start("palisade-replay-marks")).orElse(() -> {});
        return new Node(dataplane, ike, ikeOff, cp, stopMarks);
    }

    /**
     * The first thing done on a role change: IKE opens when this node becomes active, and is fenced (nothing leaves
     * port 500/4500 from IKE) the moment it is not, before the tunnels' sessions and SAs are stopped.
     */
    private static ActiveRole.Listener fence(Optional<IkeManager> ike) {
        return new ActiveRole.Listener() {
            @Override
            public void becameActive(long epoch) {
                ike.ifPresent(m -> m.fence(false));
            }

            @Override
            public void becameStandby(Cause cause) {
                ike.ifPresent(m -> m.fence(true));
            }
        };
    }

    /**
     * Dataplane reports: an IKE Child SA near the end of its sequence numbers is rekeyed by its IKE session (journaled
     * as {@code rekeyed} with cause {@code dataplane:...}); a manual SA's only remedy is new keys from the operator,
     * and its exhaustion is journaled as {@code sa-expired}.
     */
    private static SaEvents saEvents(AtomicReference<ControlPlane> node, IkeManager ike) {
        return new SaEvents() {
            @Override
            public void outboundByteLimit(String label, long spi) {
                if (ike.sequenceSoftLimit(label, spi)) {
                    log.info("tunnel {}: outbound Child SA 0x{} carried most of its negotiated kilobytes; replacing it",
                            label, Long.toHexString(spi));
                }
            }

            @Override
            public void outboundSoftLimit(String label, long spi) {
                if (ike.sequenceSoftLimit(label, spi)) {
                    log.info("tunnel {}: outbound Child SA 0x{} is near the end of its sequence numbers; rekeying it",
                            label, Long.toHexString(spi));
                    return;
                }
                log.warn("tunnel {}: outbound SA 0x{} is near the end of its sequence numbers; commit new keys and SPIs",
                        label, Long.toHexString(spi));
            }

            @Override
            public void outboundExhausted(String label, long spi) {
                if (ike.sequenceSoftLimit(label, spi)) {
                    // the soft limit's rekey did not replace it in time (refused, or the peer is slow): try again
                    log.error("tunnel {}: outbound Child SA 0x{} used up its sequence numbers and sends nothing more "
                            + "until its rekey completes", label, Long.toHexString(spi));
                    return;
                }
                log.error("tunnel {}: outbound SA 0x{} used up its sequence numbers and sends nothing more", label,
                        Long.toHexString(spi));
                ControlPlane cp = node.get();
                if (cp != null) {
                    cp.report(label, r -> new TunnelCommand.SaExpired(TunnelState.MANUAL_SA, Cause.of("dataplane"), r));
                }
            }
        };
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.util.concurrent.CompletionException)) {
            t = t.getCause();
        }
        return t;
    }

    /** @return the control plane */
    public ControlPlane controlPlane() {
        return controlPlane;
    }

    /** @return the dataplane; empty when the node runs without one */
    public Optional<Dataplane> dataplane() {
        return dataplane;
    }

    /** @return IKE; empty without a dataplane or when port 500 could not be opened */
    public Optional<IkeManager> ike() {
        return ike;
    }

    /** @return why the node runs without IKE; empty when IKE is on */
    public Optional<String> ikeOff() {
        return ikeOff;
    }

    /** Stops IKE (deleting its SAs at the peers), then the control plane, then the dataplane. */
    @Override
    public void close() {
        stopReplayMarks.run(); // its connection closed before the journal's database
        ike.ifPresent(IkeManager::close);
        controlPlane.close();
        dataplane.ifPresent(Dataplane::close);
    }
}
