package net.palisade.dataplane;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.esp.EspTransforms;
import net.palisade.dataplane.io.CpuAffinity;
import net.palisade.dataplane.io.IpPrefix;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.dataplane.io.RawEspSocket;
import net.palisade.dataplane.io.TunDevice;
import net.palisade.dataplane.io.UdpEndpoint;
import net.palisade.dataplane.sa.EspOverhead;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.ReplayMarks;
import net.palisade.dataplane.sa.ManualKeying;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.dataplane.sa.SequenceReservations;
import net.palisade.dataplane.sa.TunnelSas;
import net.palisade.dataplane.worker.TunnelPings;
import net.palisade.dataplane.worker.Worker;
import net.palisade.dataplane.worker.WorkerCounters;
import net.palisade.dataplane.worker.WorkerHandle;
import net.palisade.model.ManualTunnel;

/**
 * The user-space ESP dataplane of one gateway: a TUN device, one worker per core, and the tunnels installed in them.
 *
 * <pre>{@code
 * Dataplane dp = Dataplane.start(DataplaneSettings.defaults()
 *         .withTunMtu(Dataplane.tunMtuFor(1500, manualTunnels)));
 * for (ManualTunnel t : manualTunnels) dp.install(t);   // SAs in every worker, routes through the TUN
 * ... dp.counters() ...
 * dp.close();
 * }</pre>
 *
 * <p>Installing a tunnel adds a route to each of its remote networks through the TUN device, with a preferred
 * source when this box has an address inside the tunnel's local networks (so that the gateway's own traffic to
 * the remote site is tunnelled too); removing it removes them. A route that already exists (another tunnel to the
 * same network, or one the operator made) is left alone. {@code any} as a remote network gets no route: a default
 * route through the tunnel would also capture the ESP packets to the peer; route it yourself if you mean it. An IKE
 * tunnel's routes to its configured remote networks are held from its start to its stop ({@link #holdRoutes(List)}),
 * so that between its SAs traffic for them is dropped by the workers instead of leaving by the host's other routes.
 *
 * <p>A tunnel holds one SA pair, or several while IKE rekeys it (RFC 7296 Section 2.8): {@link #rekey} adds a pair
 * next to the old one, whose inbound SA keeps receiving until {@link #removePair} removes it, so that packets the
 * peer still sends on the old SA are not lost; only one pair sends ({@link #activateOutbound} chooses which), and
 * the SPD uses that pair's policies. {@link #install(SaKeys)} replaces every pair at once. Inbound SPIs
 * are unique across every pair of every tunnel. A tunnel's counters sum all its pairs, removed ones included
 * ({@link TunnelCounters}). The workers see each change as one new immutable table, published with one volatile
 * write: the packet path takes no lock and allocates nothing; a removed pair's cipher objects (and the OpenSSL
 * contexts of {@code OpenSslAeadTransform}) go with the table that held them.
 *
 * <p>Fast paths, all on by default and each with a switch in {@link DataplaneSettings}: the TUN device is opened with the
 * virtio-net header and TCP offloads, so one read brings a TCP super-packet of up to 64 KB (cut into segments by the
 * worker) and one write hands back a coalesced one; ESP packets to one peer leave as UDP GSO datagrams and arrive
 * through UDP GRO. Every ESP packet on the wire still carries one ordinary inner packet, so peers (strongSwan, routers)
 * see nothing unusual.
 *
 * <p>Every kernel object lives in the network namespace of {@link DataplaneSettings#netns()} if one is given (worker
 * threads and the dataplane's control thread enter it themselves), else in the namespace of the calling thread.
 * Methods are thread-safe; changes to the tunnels (install, rekey, activate, remove) are serialized.
 */
public final class Dataplane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Dataplane.class.getName());

    /**
     * The TUN MTU that lets the largest inner packet of every tunnel here fit the underlay without fragmentation:
     * {@code underlayMtu} minus the largest worst-case overhead among them ({@link EspOverhead}); e.g. 1435 for
     * AES-GCM in UDP over IPv4 on a 1500 underlay. With no tunnel, the worst case of all transforms.
     */
    public static int tunMtuFor(int underlayMtu, Collection<ManualTunnel> tunnels) {
        if (tunnels.isEmpty()) {
            return underlayMtu - EspOverhead.WORST_CASE;
        }
        int worst = 0;
        for (ManualTunnel t : tunnels) {
            boolean v6 = t.peer().ip().map(a -> a instanceof Inet6Address).orElse(true);
            worst = Math.max(worst, EspOverhead.worstCase(t.enc(), t.auth(), v6, t.udpEncapPort().isPresent()));
        }
        return underlayMtu - worst;
    }

    private final DataplaneSettings settings;
    /** Where IKE pairs reserve outbound sequence numbers ({@link #reserveIkeSequences}). Guarded by this. */
    private SequenceReservations ikeSequences = SequenceReservations.NONE;
    private final int workerCount;
    private final int tunMtu;
    private final ExecutorService control;
    private final TunDevice tun;
    /** Every worker's raw ESP sockets (worker i's are filtered to the SPIs of worker i). */
    private final List<RawEspSocket> rawSockets;
    private final List<Worker> workers;
    private final Map<String, DataplaneTunnel> tunnels = new LinkedHashMap<>();
    private final ReplayMarks replayMarks = new ReplayMarks();
    /** The routes through the TUN device this dataplane added, shared between tunnels. */
    private final TunnelRoutes routes;
    private final TunnelPings pings;
    private boolean closed;

    private Dataplane(DataplaneSettings settings, int workerCount, int tunMtu, ExecutorService control, TunDevice tun,
            List<RawEspSocket> rawSockets, List<Worker> workers, TunnelPings pings) {
        this.pings = pings;
        this.settings = settings;
        this.workerCount = workerCount;
        this.tunMtu = tunMtu;
        this.control = control;
        this.tun = tun;
        this.rawSockets = rawSockets;
        this.workers = workers;
        this.routes = new TunnelRoutes(tun, control);
    }

    /**
     * Creates the TUN device (MTU set, link up), the raw ESP sockets, and the workers with their sockets; returns
     * once every worker is ready.
     *
     * @throws IOException if a kernel object cannot be created (not root, port 4500 taken by another program, ...)
     */
    public static Dataplane start(DataplaneSettings settings) throws IOException {
        // The ESP crypto is chosen, loaded and checked against its known answers here, at start, not when the first
        // SA is installed: on a pair's standby that would be at the takeover, inside the gap (~0.14 s, IPsec-MB's)
        EspTransforms.defaultImplementation();
        int n = settings.effectiveWorkers();
        int mtu = settings.effectiveTunMtu();
        ExecutorService control = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "palisade-dp-" + settings.tunName() + "-control");
            t.setDaemon(true);
            return t;
        });
        TunDevice tun = null;
        List<RawEspSocket> raw = new ArrayList<>();
        List<Worker> started = new ArrayList<>();
        TunnelPings pings = new TunnelPings();
        try {
            tun = ControlThread.call(control, () -> {
                if (settings.netns().isPresent()) {
                    NetNamespace.enter(settings.netns().get());
                }
                TunDevice t = TunDevice.open(settings.tunName(), n, settings.tunOffloads());
                try {
                    if (settings.tunOffloads()) {
                        t.setOffloads(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6
                                | TunDevice.TUN_F_TSO_ECN);
                    }
                    t.setMtu(mtu);
                    t.setUp(true);
                } catch (IOException | RuntimeException e) {
                    t.close();
                    throw e;
                }
                return t;
            });
            List<List<RawEspSocket>> rawPerWorker = new ArrayList<>();
            if (settings.rawEsp()) {
                // Each worker gets its own raw sockets, filtered to the SPIs that hash to it, so that plain ESP is
                // received by as many workers as there are SAs, each SA on one worker (in order).
                for (int i = 0; i < n; i++) {
                    int worker = i;
                    List<RawEspSocket> own = ControlThread.call(control, () -> {
                        List<RawEspSocket> list = new ArrayList<>();
                        try {
                            for (InetAddress a : settings.bindAddresses()) {
                                RawEspSocket r = RawEspSocket.open(a, worker, n);
                                list.add(r);
                                r.setBufferSizes(UdpEndpoint.Options.DEFAULT.receiveBufferBytes(),
                                        UdpEndpoint.Options.DEFAULT.sendBufferBytes());
                            }
                        } catch (IOException | RuntimeException e) {
                            list.forEach(RawEspSocket::close);
                            throw e;
                        }
                        return list;
                    });
                    raw.addAll(own);
                    rawPerWorker.add(own);
                }
            }
            List<InetSocketAddress> binds = settings.bindAddresses().stream()
                    .map(a -> new InetSocketAddress(a, settings.udpPort())).toList();
            int online = Math.max(1, CpuAffinity.onlineCpus());
            for (int i = 0; i < n; i++) {
                int cpu = !settings.pinWorkers() ? -1
                        : settings.cpus().isEmpty() ? i % online : settings.cpus().get(i % settings.cpus().size());
                started.add(Worker.start(new Worker.Config(i, settings.netns(), cpu, tun.queue(i), binds,
                        UdpEndpoint.Options.DEFAULT.withGro(settings.udpGro()),
                        rawPerWorker.isEmpty() ? List.of() : rawPerWorker.get(i), mtu, settings.batch(),
                        settings.udpGso(), tun.virtioNetHeader(), settings.ikeSink(), pings)));
            }
            for (Worker w : started) {
                try {
                    w.started().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io
                            : new IOException("worker " + w.index() + " failed to start", e.getCause());
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IOException("worker " + w.index() + " did not start within 30 s");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while starting workers");
                }
            }
            LOG.log(System.Logger.Level.INFO, "dataplane " + tun.name() + " up: " + n + " worker(s), TUN MTU " + mtu
                    + (settings.tunOffloads() ? " (TSO/GRO)" : "") + ", UDP " + binds
                    + (settings.udpGso() ? " (GSO" + (settings.udpGro() ? "/GRO)" : ")") : "")
                    + (raw.isEmpty() ? "" : n > 1 ? ", raw ESP (SAs spread over the workers by SPI)" : ", raw ESP")
                    + settings.netns().map(p -> ", netns " + p).orElse(""));
            return new Dataplane(settings, n, mtu, control, tun, List.copyOf(raw), List.copyOf(started), pings);
        } catch (IOException | RuntimeException e) {
            for (Worker w : started) {
                try {
                    w.stop();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            raw.forEach(RawEspSocket::close);
            if (tun != null) {
                TunDevice t = tun;
                try {
                    ControlThread.call(control, () -> {
                        t.close();
                        return null;
                    });
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            control.shutdownNow();
            throw e;
        }
    }

    /**
     * Installs a manually keyed tunnel (or replaces the one with its label): SAs in every worker, then routes to
     * its remote networks through the TUN device.
     *
     * @throws IllegalArgumentException if the tunnel cannot be used here (unknown algorithm, wrong key length,
     *     host names instead of addresses, an inbound SPI already used by another tunnel, no socket for its family)
     * @throws IOException if a route cannot be added (the tunnel is then not installed)
     */
    public synchronized void install(ManualTunnel tunnel) throws IOException {
        checkOpen();
        install(fromMark(ManualKeying.prepare(tunnel, new ManualKeying.Params(workerCount,
                settings.replayWindow(), settings.underlayMtu(), tunMtu, settings.events(), settings.sequences()))));
    }

    /**
     * Installs an SA pair negotiated by IKE (or replaces every pair of its label): SAs in every worker, then routes
     * to its remote networks. Its sequence numbers are reserved where {@link #reserveIkeSequences} says (by default
     * nowhere: the keys die with the process). For a rekey, where the old pair must keep working for a while, see
     * {@link #rekey}.
     *
     * @throws IllegalArgumentException as {@link #install(ManualTunnel)}
     * @throws IOException if a route cannot be added (the pair is then not installed)
     */
    public synchronized void install(SaKeys keys) throws IOException {
        checkOpen();
        install(prepare(keys));
    }

    /**
     * Installs an SA pair negotiated by IKE for its own selectors: the tunnel's pairs whose policies overlap the new
     * pair's go (an IKE SA set up again, or the peer creating a new Child SA for the same flow), the others stay
     * (a tunnel whose flows are negotiated as pairs of their own: IKEv1's quick mode per from/to pair, several IKEv2
     * Child SAs with narrower selectors). The new pair sends at once. When every pair overlaps, or none is
     * installed, this is {@link #install(SaKeys)}.
     *
     * @throws IllegalArgumentException as {@link #install(ManualTunnel)}
     * @throws IOException if a route cannot be added (the new pair is then not installed; the others stay)
     */
    public synchronized void installFlow(SaKeys keys) throws IOException {
        checkOpen();
        installFlowLocked(keys);
    }

    /**
     * One install of {@link #installAll}: {@code keys}, and whether it replaces the pairs of its flow
     * ({@link #installFlow}) or is added beside the tunnel's others, sending ({@link #rekey} with
     * {@code switchOutbound}).
     */
    public record Install(SaKeys keys, boolean replace) {}

    /**
     * Many installs in one round of the control thread, in order: as {@link #installFlow} or {@link #rekey} each,
     * but with one hand-off to the control thread for all their routes instead of one per route, and this host's
     * interface addresses read once (a takeover installs the SAs of hundreds of tunnels at once). Each is applied
     * whole or not at all, as alone; one that fails does not stop the others.
     *
     * @return for each install, in order, why it failed ({@link IOException} or {@link RuntimeException}), or null
     */
    public synchronized List<Exception> installAll(List<Install> installs) throws IOException {
        checkOpen();
        return inOneRound(installs, i -> {
            if (i.replace()) {
                installFlowLocked(i.keys());
            } else {
                rekeyLocked(i.keys(), true);
            }
        });
    }

    private interface Step<T> {
        void apply(T item) throws IOException;
    }

    /**
     * {@code step} for each item, in order, in one round of the control thread, this host's addresses read once;
     * for each, why it failed or null. This thread keeps the lock and waits while the control thread works for it
     * ({@link ControlThread#call} runs the routes' kernel calls there directly): nobody else changes the tables meanwhile, and the
     * future's completion publishes what the control thread wrote.
     */
    private <T> List<Exception> inOneRound(List<T> items, Step<T> step) throws IOException {
        return ControlThread.call(control, () -> {
            List<Exception> out = new ArrayList<>(items.size());
            routes.cacheAddresses(true);
            try {
                for (T i : items) {
                    try {
                        step.apply(i);
                        out.add(null);
                    } catch (IOException | RuntimeException e) {
                        out.add(e);
                    }
                }
            } finally {
                routes.cacheAddresses(false);
            }
            return out;
        });
    }

    private void installFlowLocked(SaKeys keys) throws IOException {
        ManualKeying.Prepared prepared = prepare(keys);
        DataplaneTunnel current = tunnels.get(keys.label());
        List<Integer> overlapping = new ArrayList<>();
        if (current != null) {
            for (TunnelSas p : current.pairs().pairs()) {
                if (DataplaneTunnel.overlaps(p.policies(), prepared.sas().policies())) {
                    overlapping.add(p.inbound().spi());
                }
            }
        }
        if (current == null || overlapping.size() == current.pairs().size()) {
            install(prepared);
            return;
        }
        addPair(prepared, current, true);
        for (int spi : overlapping) {
            removePairLocked(keys.label(), spi);
        }
    }

    /**
     * Adds an SA pair to the tunnel of its label, for an IKE rekey (RFC 7296 Section 2.8): every earlier inbound SA
     * of the label keeps receiving. With {@code switchOutbound} (the rekey initiator) the tunnel's traffic leaves on
     * the new pair at once; without (the responder) the pair that sent so far keeps sending until
     * {@link #activateOutbound} — the peer may not have installed its new inbound SA yet. The SPD follows the
     * policies of the pair that sends; routes to the new pair's remote networks are added, and those of every pair
     * are kept until {@link #removePair} leaves none that needs them. With nothing installed under the label it
     * behaves as {@link #install(SaKeys)}.
     *
     * <pre>{@code
     * // initiator                                   // responder
     *                                                dp.rekey(newKeys, false);      // CREATE_CHILD_SA request
     * dp.rekey(newKeys, true);  // response
     * // DELETE(old) request ->                      dp.activateOutbound(label, newInSpi);
     *                                                dp.removePair(label, oldInSpi);
     * dp.removePair(label, oldInSpi); // DELETE response
     * }</pre>
     *
     * @throws IllegalArgumentException as {@link #install(ManualTunnel)}; the inbound SPI must differ from that of
     *     every pair of every tunnel, this one's included
     * @throws IOException if a route cannot be added (the new pair is then not installed; the earlier ones stay)
     */
    public synchronized void rekey(SaKeys keys, boolean switchOutbound) throws IOException {
        checkOpen();
        rekeyLocked(keys, switchOutbound);
    }

    private void rekeyLocked(SaKeys keys, boolean switchOutbound) throws IOException {
        ManualKeying.Prepared prepared = prepare(keys);
        DataplaneTunnel current = tunnels.get(keys.label());
        if (current == null) {
            install(prepared);
            return;
        }
        addPair(prepared, current, switchOutbound);
    }

    private void addPair(ManualKeying.Prepared prepared, DataplaneTunnel current, boolean switchOutbound)
            throws IOException {
        TunnelSas sas = prepared.sas();
        String label = sas.label();
        DataplaneTunnel.checkInboundSpi(tunnels.values(), sas, true);
        List<WorkerHandle> done = new ArrayList<>();
        try {
            for (Worker w : workers) {
                w.handle().rekey(sas, prepared.outboundTransforms().get(w.index()),
                        prepared.inboundTransforms().get(w.index()), switchOutbound);
                done.add(w.handle());
            }
        } catch (RuntimeException e) {
            done.forEach(h -> h.removePair(label, sas.inbound().spi()));
            throw e;
        }
        tunnels.put(label, current.adding(sas, switchOutbound));
        List<IpPrefix> claimed = new ArrayList<>();
        try {
            routes.claim(label, sas, claimed);
        } catch (IOException | RuntimeException e) {
            for (Worker w : workers) {
                w.handle().removePair(label, sas.inbound().spi());
            }
            tunnels.put(label, current);
            try {
                routes.release(label, claimed);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, label + ": added " + sas.outbound() + " / " + sas.inbound()
                + (switchOutbound ? ", sending on it" : ", still sending on " + current.sending().outbound()));
    }

    /**
     * The pair of tunnel {@code label} receiving on {@code inboundSpi} asks for its replacement once its outbound SA
     * has sent {@code bytes} ({@link OutboundSa#limitBytes}: a lifetime in kilobytes). False if there is no such pair.
     */
    public synchronized boolean limitOutboundBytes(String label, int inboundSpi, long bytes) {
        checkOpen();
        DataplaneTunnel t = tunnels.get(label);
        int i = t == null ? -1 : t.indexOf(inboundSpi);
        if (i < 0) {
            return false;
        }
        t.pairs().pairs().get(i).outbound().limitBytes(bytes);
        return true;
    }

    /**
     * Sends the traffic of tunnel {@code label} on its pair whose inbound SPI is {@code inboundSpi} (the rekey
     * responder, once the peer deleted the old pair). False if the tunnel has no such pair.
     */
    public synchronized boolean activateOutbound(String label, int inboundSpi) {
        checkOpen();
        DataplaneTunnel current = tunnels.get(label);
        Optional<DataplaneTunnel> after = current == null ? Optional.empty() : current.sendingOn(inboundSpi);
        if (after.isEmpty()) {
            return false;
        }
        for (Worker w : workers) {
            w.handle().activateOutbound(label, inboundSpi);
        }
        tunnels.put(label, after.get());
        LOG.log(System.Logger.Level.INFO, label + ": sending on " + after.get().sending().outbound());
        return true;
    }

    /**
     * Removes one SA pair (inbound and outbound SA) of tunnel {@code label} from every worker; its traffic stays in
     * the tunnel's totals ({@link TunnelCounters}). If it was the pair in use for outbound, the newest remaining pair
     * takes over. Routes that no remaining pair needs are removed; removing the last pair removes the tunnel and its
     * routes, as {@link #remove(String)}.
     *
     * @return false if the tunnel has no pair with that inbound SPI
     * @throws IOException if a route cannot be removed (the pair is removed all the same)
     */
    public synchronized boolean removePair(String label, int inboundSpi) throws IOException {
        checkOpen();
        return removePairLocked(label, inboundSpi);
    }

    private boolean removePairLocked(String label, int inboundSpi) throws IOException {
        DataplaneTunnel current = tunnels.get(label);
        if (current == null || !current.hasInboundSpi(inboundSpi)) {
            return false;
        }
        if (current.pairs().size() == 1) {
            return removeLocked(label);
        }
        DataplaneTunnel after = current.removing(inboundSpi);
        for (Worker w : workers) {
            w.handle().removePair(label, inboundSpi);
        }
        tunnels.put(label, after);
        LOG.log(System.Logger.Level.INFO, label + ": removed the SA pair with inbound SPI 0x"
                + Integer.toHexString(inboundSpi) + "; sending on " + after.sending().outbound());
        routes.prune(label, after.remotePrefixes());
        return true;
    }

    /** The inbound SPI of the pair of {@code label} in use for outbound, if the tunnel is installed. */
    public synchronized Optional<Integer> inboundSpi(String label) {
        DataplaneTunnel t = tunnels.get(label);
        return t == null ? Optional.empty() : Optional.of(t.sending().inbound().spi());
    }

    /** Inbound SPIs of the pairs of {@code label}, oldest first; empty if there is no such tunnel. */
    public synchronized List<Integer> inboundSpis(String label) {
        DataplaneTunnel t = tunnels.get(label);
        return t == null ? List.of() : t.inboundSpis();
    }

    private ManualKeying.Prepared prepare(SaKeys keys) {
        return fromMark(ManualKeying.prepare(keys, new ManualKeying.Params(workerCount, settings.replayWindow(),
                settings.underlayMtu(), tunMtu, settings.events(), ikeSequences)));
    }

    /** Starts the new inbound SA's replay window at its recovered high-water mark, if there is one. */
    private ManualKeying.Prepared fromMark(ManualKeying.Prepared prepared) {
        InboundSa in = prepared.sas().inbound();
        long mark = replayMarks.markFor(in.label(), in.spi());
        in.startAt(in.extendedSequenceNumbers() ? mark : Math.min(mark, 0xFFFF_FFFFL));
        return prepared;
    }

    /**
     * The recovered replay high-water marks that inbound SAs created from now on start at (empty unless the node
     * put marks there: see {@link ReplayMarks}).
     */
    public ReplayMarks replayMarks() {
        return replayMarks;
    }

    /**
     * True if an installed SA pair receives on {@code spi}: the IKE engines draw their inbound Child SA SPIs around
     * these (an install of an SPI in use is refused). Reads the workers' published tables, without the lock.
     */
    public boolean inboundSpiInUse(int spi) {
        for (Worker w : workers) {
            if (w.receivesOn(spi)) {
                return true;
            }
        }
        return false;
    }

    /** Every installed inbound SA of every tunnel, all pairs (for sampling their replay marks). */
    public synchronized List<InboundSa> inboundSas() {
        List<InboundSa> all = new ArrayList<>();
        for (DataplaneTunnel t : tunnels.values()) {
            for (TunnelSas p : t.pairs().pairs()) {
                all.add(p.inbound());
            }
        }
        return all;
    }

    /**
     * Where SA pairs negotiated by IKE reserve their outbound sequence numbers from now on. By default nowhere
     * ({@link SequenceReservations#NONE}): their keys die with the process. A node that journals its SAs' keys to
     * resume them (a gateway pair's key) must make them durable too, or a resumed SA would send numbers again.
     */
    public synchronized void reserveIkeSequences(SequenceReservations store) {
        this.ikeSequences = java.util.Objects.requireNonNull(store, "store");
    }

    private void install(ManualKeying.Prepared prepared) throws IOException {
        TunnelSas sas = prepared.sas();
        String label = sas.label();
        DataplaneTunnel.checkInboundSpi(tunnels.values(), sas, false);
        boolean replacing = tunnels.containsKey(label);
        List<WorkerHandle> done = new ArrayList<>();
        try {
            for (Worker w : workers) {
                w.handle().install(sas, prepared.outboundTransforms().get(w.index()),
                        prepared.inboundTransforms().get(w.index()));
                done.add(w.handle());
            }
        } catch (RuntimeException e) {
            if (!replacing) {
                done.forEach(h -> h.remove(label));
            }
            throw e;
        }
        DataplaneTunnel installed = DataplaneTunnel.of(sas);
        tunnels.put(label, installed);
        try {
            // New routes first, then those only the replaced pairs needed: a route that stays is never missing.
            routes.claim(label, sas, new ArrayList<>());
            routes.prune(label, installed.remotePrefixes());
        } catch (IOException | RuntimeException e) {
            removeQuietly(label);
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "installed " + sas.outbound() + " / " + sas.inbound());
    }

    /** Removes a tunnel: its routes, then its SAs (every pair) from every worker. False if there was none. */
    public synchronized boolean remove(String label) throws IOException {
        checkOpen();
        return removeLocked(label);
    }

    private boolean removeLocked(String label) throws IOException {
        if (!tunnels.containsKey(label)) {
            return false;
        }
        try {
            routes.remove(label);
        } finally {
            for (Worker w : workers) {
                w.handle().remove(label);
            }
            tunnels.remove(label);
        }
        LOG.log(System.Logger.Level.INFO, "removed tunnel " + label);
        return true;
    }

    private void removeQuietly(String label) {
        try {
            routes.remove(label);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cleaning up routes of " + label + ": " + e.getMessage());
        }
        for (Worker w : workers) {
            w.handle().remove(label);
        }
        tunnels.remove(label);
    }

    /**
     * What an IKE tunnel's routes hold from its start to its stop ({@link #holdRoutes(List)}): {@code remote} its
     * configured remote networks (none: the hold is released), {@code local} for the routes' preferred source.
     */
    public record RouteHold(String label, List<Prefix> local, List<Prefix> remote) {
        public RouteHold {
            local = List.copyOf(local);
            remote = List.copyOf(remote);
        }
    }

    /**
     * Holds routes through the TUN device to each tunnel's {@code remote} networks whether or not it has an SA, or
     * releases the hold (empty {@code remote}); only the difference to the tunnel's last hold changes. An SA's
     * route to a held prefix is the same route: removing the SA leaves it, and traffic for that network, matching no
     * SA, is dropped by the workers (counted as {@code no_sa}) instead of following the host's other routes. A
     * released route that an SA still claims stays until the SA goes. Many holds in one round of the control thread,
     * as {@link #installAll}; one that fails does not stop the others.
     *
     * @return for each hold, in order, why it failed, or null
     */
    public synchronized List<Exception> holdRoutes(List<RouteHold> holds) throws IOException {
        checkOpen();
        return inOneRound(holds, h -> routes.hold(h.label(), h.local(), h.remote()));
    }

    /**
     * A snapshot of every tunnel's and every worker's counters. A tunnel's traffic counts every SA pair it has had
     * since it was installed, removed pairs included; {@link TunnelCounters#pairs()} splits it by the pairs
     * installed now.
     */
    public DataplaneCounters counters() {
        List<TunnelCounters> t = new ArrayList<>();
        synchronized (this) {
            for (DataplaneTunnel tunnel : tunnels.values()) {
                t.add(tunnel.counters());
            }
        }
        List<WorkerCounters> w = workers.stream().map(x -> x.handle().counters()).toList();
        return new DataplaneCounters(t, w);
    }

    /** The control handles of the workers, by index. */
    public List<WorkerHandle> workers() {
        return workers.stream().map(Worker::handle).toList();
    }

    /** Labels of the installed tunnels, in policy order. */
    public synchronized List<String> tunnels() {
        return List.copyOf(tunnels.keySet());
    }

    /** Sends an IKE message (non-ESP marker added) from UDP port 4500 to {@code to}. */
    public boolean sendIke(InetSocketAddress to, byte[] message) throws IOException {
        return workers.getFirst().handle().sendIke(to, message);
    }

    /**
     * Sends a NAT-T keepalive (the one octet 0xFF, no non-ESP marker; RFC 3948 section 2.3) from UDP port 4500 to
     * {@code to}, so a NAT in front of us keeps its mapping. The receiving side ignores it (counter
     * {@code keepalive}).
     */
    public boolean sendNatKeepalive(InetSocketAddress to) throws IOException {
        return workers.getFirst().handle().sendNatKeepalive(to);
    }

    /**
     * Sends an ICMP echo request from {@code from} to {@code to} (inner addresses, one family) through whichever SA
     * the SPD picks for them, as if a host behind this gateway had sent it: the tunnel's {@code ping}. The reply is
     * kept from the TUN device and goes to the listener of {@link #pings()} with {@code label} and {@code sequence}.
     */
    public void ping(String label, InetAddress from, InetAddress to, int sequence) {
        checkOpen();
        pings.echo(label, from, to, sequence);
        workers.getFirst().wake();
    }

    /** The tunnels' echoes: set the listener for replies here. */
    public TunnelPings pings() {
        return pings;
    }

    public String tunName() {
        return tun.name();
    }

    public int tunMtu() {
        return tunMtu;
    }

    public DataplaneSettings settings() {
        return settings;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("dataplane " + tun.name() + " is closed");
        }
    }

    /** Stops the workers, removes the routes, closes the sockets and the TUN device. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Worker w : workers) {
            try {
                w.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        rawSockets.forEach(RawEspSocket::close);
        try {
            ControlThread.call(control, () -> {
                routes.closeWatch();
                tun.close();
                return null;
            });
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing " + tun.name() + ": " + e.getMessage());
        }
        control.shutdown();
        tunnels.clear();
        routes.clear();
        LOG.log(System.Logger.Level.INFO, "dataplane " + tun.name() + " closed");
    }
}
