package net.palisade.controlplane.ike;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.sa.ManualKeying;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Host;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.wire.ikev2.TrafficSelector;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IKE layer of one node: one {@link IkeSessionActor} per running IKE SA, and the translation of engine outcomes
 * into tunnel events ({@link ControlPlane#report}) and dataplane SAs. Keys go to the dataplane only; events carry
 * SPIs. It assembles three parts:
 * <ul>
 *   <li>the {@link IkeTransport} ({@link UdpIkeTransport}: port 500 here, port 4500 through the dataplane, which owns
 *       it);</li>
 *   <li>the {@link IkeDispatcher}: inbound messages to the session of their initiator SPI, new IKE_SA_INIT requests
 *       to a responder of a {@code passive} tunnel or to the actor of an {@code active}/{@code dynamic} tunnel whose
 *       peer sent it ({@link IkeSessionActor.Answer}), cookies while many IKE SAs are half-open; it takes messages
 *       from the dataplane's workers without ever blocking them;</li>
 *   <li>the {@link PeerResolver}: peers' host names (by default the system's resolver, asked from inside the
 *       namespace) and our route's source address towards a peer, looked up each time an initiator IKE SA starts
 *       ({@link IkeSessionActor.Driver#endpoints}).</li>
 * </ul>
 * The first IKE SA we initiate with a peer after the node starts carries N(INITIAL_CONTACT).
 *
 * <p>Life cycle: construct, start the dataplane with {@link #sink()} as its IKE sink, {@link #open(Dataplane)},
 * start the control plane with ports that call {@link #start}/{@link #stop}, then {@link #attach(ControlPlane)}.
 * Tunnels started before {@code attach} wait for it.
 */
public final class IkeManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IkeManager.class);

    private final Optional<Path> netns;
    private final int port;
    private final IkeSettings settings;
    private final Cookies cookies;
    private final PeerResolver peers;
    private final IkeDispatcher dispatcher;
    /** The dispatcher's half-open IKE SAs: a Phase1Up ends one. */
    private final IkeDispatcher.HalfOpen halfOpen;
    private final java.util.function.Supplier<String> hostName;
    private volatile String cachedHostName;
    /** The outcome lane: see {@link #outcome(Runnable)}. */
    private final ExecutorService outcomes;
    private final Map<String, IkeTunnel> wanted = new ConcurrentHashMap<>();
    private final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
    private final Map<String, Reports> reports = new ConcurrentHashMap<>();
    private final Set<String> replacedChildren = ConcurrentHashMap.newKeySet();
    /** What NAT detection found for a tunnel's IKE SA being set up, for its up line. Outcome lane only. */
    private final Map<String, String> nat = new java.util.HashMap<>();
    /** Peers with which an IKE SA came up since this node started: later ones carry no INITIAL_CONTACT. */
    private final Set<InetAddress> contacted = ConcurrentHashMap.newKeySet();
    private final AtomicLong names = new AtomicLong();
    private volatile Dataplane dataplane;
    private volatile IkeTransport transport = IkeTransport.NONE;
    private volatile ControlPlane controlPlane;
    private volatile boolean closed;
    private final IkeSessionActor.Driver driver = new IkeSessionActor.Driver() {
        @Override
        public void send(IkeOutput.Send s) {
            outcome(() -> IkeManager.this.send(s));
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            outcome(() -> IkeManager.this.event(label, e));
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            outcome(() -> IkeManager.this.dpdLost(label, down));
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            outcome(() -> IkeManager.this.peerSwitched(label, to, cause));
        }

        @Override
        public CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
            return IkeManager.this.endpoints(tunnel, peer);
        }

        @Override
        public String hostName() {
            return IkeManager.this.hostName();
        }

        @Override
        public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
            dispatcher.register(initiatorSpi, actor);
        }

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
            dispatcher.unregister(initiatorSpi, actor);
        }

        @Override
        public void ended(String label, ActorRef<IkeSessionActor.Command> actor) {
            // a stopped responder must not be asked to stop again at close (it would never answer)
            sessions.remove(label, actor);
        }

        @Override
        public boolean initialContact(InetAddress peer) {
            return !contacted.contains(peer);
        }

        @Override
        public void contacted(InetAddress peer) {
            contacted.add(peer);
        }
    };

    /** What the dispatcher sees of this node's tunnels and sessions. */
    private final IkeDispatcher.Tunnels tunnels = new IkeDispatcher.Tunnels() {
        @Override
        public Collection<IkeTunnel> tunnels() {
            return wanted.values();
        }

        @Override
        public boolean ready() {
            return controlPlane != null && !closed;
        }

        @Override
        public Optional<ActorRef<IkeSessionActor.Command>> session(String label) {
            return Optional.ofNullable(sessions.get(label));
        }

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first) {
            String label = tunnel.label();
            ActorRef<IkeSessionActor.Command> old = sessions.remove(label);
            if (old != null) {
                old.tell(new IkeSessionActor.Stop(new CompletableFuture<>()));
            }
            ActorRef<IkeSessionActor.Command> r = controlPlane.system().systemActorOf(IkeSessionActor.responder(
                    driver, settings, tunnel, local, first), "ike-" + names.incrementAndGet(), Props.empty());
            sessions.put(label, r);
            return r;
        }
    };

    /**
     * @param netns the network namespace of the dataplane (port 500 is opened there too); empty: the caller's
     * @param port  the IKE port (500)
     */
    public IkeManager(Optional<Path> netns, int port) {
        this(netns, port, IkeSettings.DEFAULT, Cookies.standard(Cookies.DEFAULT_THRESHOLD));
    }

    /**
     * @param netns    the network namespace of the dataplane (port 500 is opened there too); empty: the caller's
     * @param port     the IKE port (500)
     * @param settings engine policy of every session (fragment size, retransmissions)
     * @param cookies  when and how IKE_SA_INIT requests must carry a cookie
     */
    public IkeManager(Optional<Path> netns, int port, IkeSettings settings, Cookies cookies) {
        this(netns, port, settings, cookies, Resolver.SYSTEM, IkeManager::systemHostName);
    }

    /**
     * @param netns    the network namespace of the dataplane (port 500 is opened there too); empty: the caller's
     * @param port     the IKE port (500)
     * @param settings engine policy of every session (fragment size, retransmissions)
     * @param cookies  when and how IKE_SA_INIT requests must carry a cookie
     * @param resolver how peers' host names become addresses (called in the namespace, off the actors' threads)
     * @param hostName this machine's host name: the identity of {@code dynamic} tunnels without srcid (asked once)
     */
    public IkeManager(Optional<Path> netns, int port, IkeSettings settings, Cookies cookies, Resolver resolver,
            java.util.function.Supplier<String> hostName) {
        this.netns = netns;
        this.port = port;
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
        this.cookies = java.util.Objects.requireNonNull(cookies, "cookies");
        this.hostName = java.util.Objects.requireNonNull(hostName, "hostName");
        this.peers = new PeerResolver(netns, port, java.util.Objects.requireNonNull(resolver, "resolver"),
                System::nanoTime);
        this.dispatcher = new IkeDispatcher(tunnels, peers, cookies, s -> transport.send(s),
                java.time.Clock.systemUTC());
        this.halfOpen = dispatcher.halfOpen();
        this.outcomes = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "palisade-ike-outcomes");
            t.setDaemon(true);
            return t;
        });
    }

    /** How a peer's host name becomes addresses. */
    @FunctionalInterface
    public interface Resolver {
        /** The system's resolver ({@link InetAddress#getAllByName}: /etc/hosts, DNS, with the JVM's cache). */
        Resolver SYSTEM = name -> List.of(InetAddress.getAllByName(name));

        /**
         * The addresses of {@code name}, in the order to prefer them.
         *
         * @throws java.net.UnknownHostException if it has none
         */
        List<InetAddress> resolve(String name) throws IOException;
    }

    /**
     * This machine's host name: the kernel's, or its canonical name when that is a longer FQDN of it (the
     * resolver's answer for the name, as {@code hostname -f} gives it).
     */
    public static String systemHostName() {
        try {
            InetAddress me = InetAddress.getLocalHost();
            String name = me.getHostName();
            if (name.indexOf('.') < 0) {
                String canonical = me.getCanonicalHostName();
                if (canonical.startsWith(name + ".") && Host.isHostName(canonical)) {
                    return canonical;
                }
            }
            return name;
        } catch (java.net.UnknownHostException e) {
            String name = e.getMessage() == null ? "" : e.getMessage().split(":")[0].trim();
            return Host.isHostName(name) ? name : "localhost";
        }
    }

    private String hostName() {
        String h = cachedHostName;
        if (h == null) {
            h = hostName.get();
            cachedHostName = h;
        }
        return h;
    }

    /**
     * Runs {@code task} on the outcome lane: one thread that applies, in the order the sessions produced them, what
     * the sessions send and what they report — datagrams out, SAs into and out of the dataplane, tunnel events.
     * <ul>
     *   <li>The session actors never wait: {@link Dataplane#install} and {@link Dataplane#remove} hold the
     *       dataplane's lock while its control thread changes routes, and with several handshakes at once the actors
     *       (on Pekko's default dispatcher) queued on that lock and spun.</li>
     *   <li>A session's order stays: a responder's Child SA is installed before its IKE_AUTH response leaves (the
     *       engine emits the install first), so the initiator's first ESP packet finds it; a tunnel's reports reach
     *       its entity in the order they happened; a stop's removal of the SAs comes after any install queued
     *       before it.</li>
     * </ul>
     */
    private void outcome(Runnable task) {
        try {
            outcomes.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("IKE outcome failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("IKE outcome after close, dropped");
        }
    }

    /**
     * Where the dataplane hands IKE messages that arrive on port 4500: queued for the dispatcher's thread, so the
     * worker never waits.
     */
    public net.palisade.dataplane.worker.IkeSink sink() {
        return dispatcher.sink();
    }

    /**
     * Opens port 500 (in the namespace; IPv4 and IPv6 on one socket, IPv4 alone where IPv6 sockets cannot be made)
     * and starts receiving; port 4500 goes through {@code dp}.
     */
    public void open(Dataplane dp) throws IOException {
        this.dataplane = dp;
        transport = UdpIkeTransport.open(peers, port, dp, dispatcher.sink());
        log.info("IKE listening on UDP {} (and {} through the dataplane){}", port, dp.settings().udpPort(),
                netns.map(p -> " in " + p).orElse(""));
    }

    /** The control plane is up: engine outcomes can be reported; tunnels started before now begin. */
    public void attach(ControlPlane cp) {
        this.controlPlane = cp;
        for (IkeTunnel t : List.copyOf(wanted.values())) {
            start(t);
        }
    }

    /** Starts (or restarts) a tunnel: an initiator session for active/dynamic, a listener for passive. */
    public void start(IkeTunnel tunnel) {
        String label = tunnel.label();
        stopSession(label);
        wanted.put(label, tunnel);
        ControlPlane cp = controlPlane;
        if (cp == null || closed) {
            return;
        }
        if (tunnel.mode() == IkeMode.PASSIVE || tunnel.peers().isEmpty()) {
            log.info("tunnel {}: waiting for the peer to initiate", label);
            peers.forget(tunnel);
            peers.refreshNames(wanted.values());
            return;
        }
        try {
            ActorRef<IkeSessionActor.Command> a = cp.system().systemActorOf(
                    IkeSessionActor.initiator(driver, settings, tunnel), "ike-" + names.incrementAndGet(),
                    Props.empty());
            sessions.put(label, a);
            log.info("tunnel {}: initiating IKE to {}", label, tunnel.peers().getFirst());
        } catch (RuntimeException e) {
            log.error("tunnel {}: cannot start IKE: {}", label, e.toString());
        }
    }

    /** Stops a tunnel's session (a Delete to the peer) and removes its SAs. */
    public void stop(String label) {
        wanted.remove(label);
        stopSession(label);
    }

    private CompletableFuture<Void> stopSession(String label) {
        ActorRef<IkeSessionActor.Command> a = sessions.remove(label);
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (a != null) {
            a.tell(new IkeSessionActor.Stop(done));
        } else {
            done.complete(null);
        }
        outcome(() -> removeSas(label));
        return done;
    }

    /** The endpoints of a new initiator IKE SA with {@code peer}, looked up now ({@link PeerResolver#endpoints}). */
    CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
        return peers.endpoints(tunnel, peer);
    }

    /** The cookie counters: {@code ikev2.cookie.sent}, {@code .accepted}, {@code .rejected}. */
    public Map<String, Long> cookieCounters() {
        return cookies.counters();
    }

    /** The dispatcher's drop counters ({@link IkeDispatcher#counters()}). */
    public Map<String, Long> dispatchCounters() {
        return dispatcher.counters();
    }

    /** Sends a message through the transport (runs on the outcome lane, in the session's order). */
    void send(IkeOutput.Send s) {
        transport.send(s);
    }

    // ---------------------------------------------------------------------------------------------- outcomes

    /** Turns an engine outcome into dataplane changes and a tunnel event. Runs on the outcome lane. */
    void event(String label, IkeOutput.Event e) {
        switch (e) {
            case IkeOutput.Phase1Up p -> {
                halfOpen.remove(p.id().initiatorSpi());
                log.info("tunnel {}: IKE SA {} up with {}{}", label, p.id(), p.peer(),
                        Optional.ofNullable(nat.remove(label)).orElse(""));
                report(label, r -> new TunnelCommand.Phase1Up(Host.of(p.peer().getAddress()).toString(),
                        p.id().toString(), Cause.PEER, r));
            }
            case IkeOutput.ChildSaInstalled c -> {
                if (install(label, c, Install.REPLACE)) {
                    report(label, r -> new TunnelCommand.ChildSaInstalled(new ChildSa(childId(c.inboundSpi()),
                            spis(c), c.pfs()), Cause.PEER, r));
                }
            }
            case IkeOutput.ChildSaRekeyed k -> {
                IkeOutput.ChildSaInstalled c = k.replacement();
                // make-before-break: the old pair keeps receiving until its delete; the rekey's initiator sends on
                // the new pair at once, its responder once the old pair is deleted
                if (install(label, c, k.switchOutbound() ? Install.REKEY_SWITCH : Install.REKEY_KEEP)) {
                    replacedChildren.add(label + "/" + childId(k.oldInboundSpi()));
                    report(label, r -> new TunnelCommand.Rekeyed(childId(k.oldInboundSpi()),
                            childId(c.inboundSpi()), Optional.of(spis(c)), c.pfs(), k.switchOutbound() ? Cause.TIMER
                            : Cause.PEER, r));
                }
            }
            case IkeOutput.IkeSaRekeyed k -> {
                log.info("tunnel {}: IKE SA {} rekeyed to {}{}", label, k.replaced(), k.replacement(),
                        k.byUs() ? "" : " by the peer");
                report(label, r -> new TunnelCommand.Rekeyed(k.replaced().toString(), k.replacement().toString(),
                        Optional.empty(), k.byUs() ? Cause.TIMER : Cause.PEER, r));
            }
            case IkeOutput.ChildSaDeleted d -> {
                Dataplane dp = dataplane;
                if (dp != null) {
                    try {
                        // the newest remaining pair takes over sending; the last pair takes the routes with it
                        dp.removePair(label, (int) d.inboundSpi());
                    } catch (IOException | RuntimeException ex) {
                        log.warn("tunnel {}: cannot remove Child SA {}: {}", label, Long.toHexString(d.inboundSpi()),
                                ex.getMessage());
                    }
                }
                if (!replacedChildren.remove(label + "/" + childId(d.inboundSpi()))) {
                    report(label, r -> new TunnelCommand.ChildSaDeleted(childId(d.inboundSpi()), Cause.PEER, r));
                }
            }
            case IkeOutput.Phase1Down p -> {
                log.info("tunnel {}: IKE SA {} down{}", label, p.id(), p.detail().isEmpty() ? "" : ": " + p.detail());
                removeSas(label);
                String reason = p.reason().map(Enum::name).map(n -> n.toLowerCase(java.util.Locale.ROOT))
                        .orElse("deleted") + (p.detail().isEmpty() ? "" : ": " + p.detail());
                report(label, r -> new TunnelCommand.Phase1Down(reason, p.reason().isPresent() ? Cause.TIMER
                        : Cause.PEER, r));
            }
            case IkeOutput.NegotiationFailed f -> {
                log.warn("tunnel {}: negotiation failed: {} {}", label, f.reason(), f.detail());
                report(label, r -> new TunnelCommand.NegotiationFailed(reason(f.reason()), f.detail(),
                        f.reason() == FailureReason.TIMEOUT || f.reason() == FailureReason.ADDRESS_UNAVAILABLE
                                ? Cause.TIMER : Cause.PEER, r));
            }
            case IkeOutput.NatDetected n -> {
                // said on the IKE SA's up line: one line per setup fewer
                log.debug("tunnel {}: NAT detected: local {}, remote {}", label, n.localBehindNat(),
                        n.remoteBehindNat());
                nat.put(label, n.localBehindNat() && n.remoteBehindNat() ? " (NAT on both sides)"
                        : n.localBehindNat() ? " (this node behind NAT)"
                        : n.remoteBehindNat() ? " (peer behind NAT)" : "");
            }
            case IkeOutput.PeerAlive a -> log.debug("tunnel {}: peer alive", label);
        }
    }

    /**
     * The peer of {@code label}'s established IKE SA stopped answering ({@code down} has reason TIMEOUT): its SAs go,
     * and the tunnel journals {@code dpd-lost} (which, like phase1-down, ends phase 1). Runs on the outcome lane.
     */
    void dpdLost(String label, IkeOutput.Phase1Down down) {
        log.warn("tunnel {}: dead peer detected, IKE SA {} down: {}", label, down.id(), down.detail());
        removeSas(label);
        report(label, r -> new TunnelCommand.DpdLost(Cause.TIMER, r));
    }

    /** {@code label}'s initiator now negotiates with {@code to}: the tunnel journals {@code peer-switched}. */
    void peerSwitched(String label, Host to, Cause cause) {
        log.info("tunnel {}: switching to peer {}", label, to);
        report(label, r -> new TunnelCommand.PeerSwitched(to.toString(), cause, r));
    }

    /** How a Child SA enters the dataplane. */
    private enum Install { REPLACE, REKEY_SWITCH, REKEY_KEEP }

    private boolean install(String label, IkeOutput.ChildSaInstalled c, Install how) {
        Dataplane dp = dataplane;
        IkeTunnel t = wanted.get(label);
        if (dp == null || t == null) {
            return false;
        }
        // the negotiated selectors (the peer may have narrowed ours); the configured networks if they say nothing
        List<Prefix> localPrefixes = prefixes(c.localSelectors());
        List<Prefix> remotePrefixes = prefixes(c.remoteSelectors());
        if (localPrefixes.isEmpty() || remotePrefixes.isEmpty()) {
            localPrefixes = new ArrayList<>();
            remotePrefixes = new ArrayList<>();
            for (var n : t.from()) {
                localPrefixes.addAll(Prefix.of(n));
            }
            for (var n : t.to()) {
                remotePrefixes.addAll(Prefix.of(n));
            }
        }
        Optional<DirectionalKeys> auth = c.inbound().integrity().isPresent() && c.outbound().integrity().isPresent()
                ? Optional.of(new DirectionalKeys(c.inbound().integrity().get(), c.outbound().integrity().get()))
                : Optional.empty();
        InetSocketAddress peer = c.udpEncapsulation() ? c.remote() : new InetSocketAddress(c.remote().getAddress(), 0);
        try {
            ManualKeying.Keys keys = new ManualKeying.Keys(label, c.local().getAddress(), peer,
                    c.encryption().keyword(), c.integrity().map(AuthAlgorithm::keyword), (int) c.inboundSpi(),
                    (int) c.outboundSpi(), new DirectionalKeys(c.inbound().encryption(), c.outbound().encryption()),
                    auth, localPrefixes, remotePrefixes);
            switch (how) {
                case REPLACE -> dp.install(keys);
                case REKEY_SWITCH -> dp.rekey(keys, true);
                case REKEY_KEEP -> dp.rekey(keys, false);
            }
            log.info("tunnel {}: Child SA installed (in spi {}, out spi {}, {}{})", label,
                    Long.toHexString(c.inboundSpi()), Long.toHexString(c.outboundSpi()), c.encryption().keyword(),
                    how == Install.REKEY_KEEP ? ", sending on the old SA until it is deleted" : "");
            return true;
        } catch (IOException | RuntimeException ex) {
            log.error("tunnel {}: cannot install the Child SA in the dataplane: {}", label, ex.getMessage());
            return false;
        }
    }

    /** The address ranges of {@code selectors} as prefixes (protocols and ports are not matched by the dataplane). */
    static List<Prefix> prefixes(List<TrafficSelector> selectors) {
        List<Prefix> out = new ArrayList<>();
        for (TrafficSelector ts : selectors) {
            if (ts instanceof TrafficSelector.AddressRange r) {
                out.addAll(prefixes(r.startAddress(), r.endAddress()));
            }
        }
        return out;
    }

    /** The fewest prefixes that cover exactly {@code from}..{@code to} (at most 256: a wider spread is cut short). */
    static List<Prefix> prefixes(InetAddress from, InetAddress to) {
        int bits = from.getAddress().length * 8;
        BigInteger start = new BigInteger(1, from.getAddress());
        BigInteger end = new BigInteger(1, to.getAddress());
        List<Prefix> out = new ArrayList<>();
        while (start.compareTo(end) <= 0 && out.size() < 256) {
            int k = start.signum() == 0 ? bits : Math.min(bits, start.getLowestSetBit());
            while (start.add(BigInteger.ONE.shiftLeft(k)).subtract(BigInteger.ONE).compareTo(end) > 0) {
                k--;
            }
            out.add(Prefix.of(address(start, bits), bits - k));
            start = start.add(BigInteger.ONE.shiftLeft(k));
        }
        return out;
    }

    private static InetAddress address(BigInteger value, int bits) {
        byte[] raw = value.toByteArray();
        byte[] a = new byte[bits / 8];
        int n = Math.min(raw.length, a.length);
        System.arraycopy(raw, raw.length - n, a, a.length - n, n);
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private void removeSas(String label) {
        Dataplane dp = dataplane;
        if (dp == null) {
            return;
        }
        try {
            dp.remove(label);
        } catch (IOException | RuntimeException e) {
            log.warn("tunnel {}: cannot remove its SAs: {}", label, e.getMessage());
        }
    }

    /**
     * Reports in order, one delivery per tunnel at a time: the reports that arrive while one is being persisted go
     * together in the next ({@link ControlPlane#reportAll}), so a tunnel whose entity is busy catches up in one
     * journal write rather than one write per report. A delivery starts from the back of the outcome lane, so the
     * reports of one engine step (an IKE_AUTH's phase1-up and child-sa-installed) usually go together too. A
     * rejected report does not hold up the next. Runs on the outcome lane.
     */
    private void report(String label, Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
        ControlPlane cp = controlPlane;
        if (cp == null) {
            return;
        }
        Reports r = reports.computeIfAbsent(label, k -> new Reports());
        boolean deliver;
        synchronized (r) {
            r.queued.add(input);
            deliver = !r.inFlight;
            r.inFlight = true;
        }
        if (deliver) {
            outcome(() -> deliver(cp, label, r));
        }
    }

    private void deliver(ControlPlane cp, String label, Reports r) {
        List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> batch;
        synchronized (r) {
            if (r.queued.isEmpty()) {
                r.inFlight = false;
                return;
            }
            batch = List.copyOf(r.queued);
            r.queued.clear();
        }
        CompletionStage<?> s;
        try {
            s = batch.size() == 1 ? cp.report(label, batch.getFirst()) : cp.reportAll(label, batch);
        } catch (RuntimeException e) {
            s = CompletableFuture.failedFuture(e);
        }
        s.whenComplete((v, ex) -> {
            if (ex != null) {
                log.warn("tunnel {}: report not accepted: {}", label, ex.getMessage());
            }
            deliver(cp, label, r);
        });
    }

    /** A tunnel's reports not yet delivered, and whether a delivery is in flight. Guarded by itself. */
    private static final class Reports {
        final List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> queued = new ArrayList<>();
        boolean inFlight;
    }

    private static String childId(long inboundSpi) {
        return "child-" + Long.toHexString(inboundSpi);
    }

    private static SpiPair spis(IkeOutput.ChildSaInstalled c) {
        return new SpiPair(Spi.of(c.inboundSpi()), Spi.of(c.outboundSpi()));
    }

    private static net.palisade.model.event.FailureReason reason(FailureReason r) {
        return switch (r) {
            case NO_PROPOSAL_CHOSEN -> net.palisade.model.event.FailureReason.NO_PROPOSAL_CHOSEN;
            case AUTHENTICATION_FAILED -> net.palisade.model.event.FailureReason.AUTHENTICATION_FAILED;
            case TS_UNACCEPTABLE -> net.palisade.model.event.FailureReason.TS_UNACCEPTABLE;
            case TIMEOUT -> net.palisade.model.event.FailureReason.TIMEOUT;
            case INVALID_KE -> net.palisade.model.event.FailureReason.INVALID_KE_PAYLOAD;
            case PROTOCOL_ERROR -> net.palisade.model.event.FailureReason.PROTOCOL_ERROR;
            case KEY_EXCHANGE_FAILED, ADDRESS_UNAVAILABLE -> net.palisade.model.event.FailureReason.OTHER;
        };
    }

    /**
     * Stops every session (with a Delete to its peer, waiting up to two seconds for them to be sent) and closes port
     * 500. Call before closing the control plane and the dataplane.
     */
    @Override
    public void close() {
        closed = true;
        // nothing more reaches the sessions, which are stopping (their Deletes still leave through the transport)
        dispatcher.close();
        List<CompletableFuture<Void>> stopped = new ArrayList<>();
        for (String label : List.copyOf(sessions.keySet())) {
            stopped.add(stopSession(label));
        }
        try {
            CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new))
                    .get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("IKE sessions did not all stop in time: {}", e.toString());
        }
        // their Deletes and SA removals are on the outcome lane: let it finish them before port 500 closes
        outcomes.shutdown();
        try {
            if (!outcomes.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("IKE outcomes not all applied in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transport.close();
        peers.close();
    }
}
