package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
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
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.sa.DataplaneSaPort;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.Host;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IKE engines of one node: one {@link IkeSessionActor} per running IKE SA, the UDP transport (port 500 here,
 * port 4500 through the dataplane, which owns it), and the outcome lane on which {@link IkeOutcomes} turns engine
 * outcomes into dataplane SAs and tunnel events. Keys go to the dataplane only; events carry SPIs.
 *
 * <p>Life cycle: construct, start the dataplane with {@link #sink()} as its IKE sink, {@link #open(Dataplane)},
 * start the control plane with ports that call {@link #start}/{@link #stop}, then {@link #attach(ControlPlane)}.
 * Tunnels started before {@code attach} wait for it.
 *
 * <p>Inbound messages go to the session whose initiator SPI they carry; an IKE_SA_INIT request with an unknown SPI
 * starts a responder session for a {@code passive} tunnel whose peer (or no peer) matches the sender, or is answered
 * by the actor of an {@code active}/{@code dynamic} tunnel whose peer it is ({@link IkeSessionActor.Answer}: a
 * responder IKE SA beside the tunnel's own; when both come up, one is deleted on both gateways alike). The first IKE
 * SA we initiate with a peer after the node starts carries N(INITIAL_CONTACT).
 *
 * <p>Addresses: port 500 is one dual-stack socket (IPv4 and IPv6; IPv4 only where the kernel has no IPv6), port 4500
 * is the dataplane's (its default bind addresses are the IPv4 and IPv6 wildcards). An initiator's endpoints are
 * looked up each time an IKE SA starts ({@link IkeSessionActor.Driver#endpoints}): a peer's host name through the
 * {@link Resolver} (by default the system's, asked from inside the namespace), our address from {@code local} or
 * else the kernel's route to the peer (a connected UDP socket's local address). A passive tunnel's peer names are
 * resolved when it starts and again (at most every {@link #NAME_REFRESH}) when an IKE_SA_INIT comes from an address
 * no tunnel accepts; that request is dropped, and the peer's retransmission is matched against the new answer.
 *
 * <p>Cookies (RFC 7296 section 2.6): the manager counts half-open responder IKE SAs (IKE_SA_INIT answered, IKE_AUTH
 * not done: from the session's creation until its Phase1Up, its end, or {@link IkeSession#HALF_OPEN}). While there
 * are at least {@link Cookies#threshold()} of them, an IKE_SA_INIT request without a valid COOKIE is answered
 * statelessly with N(COOKIE) and starts no session ({@link #cookieCounters()}).
 */
public final class IkeManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IkeManager.class);
    private static final int IKE_SA_INIT = 34;
    private static final int FLAG_INITIATOR = 0x08;
    private static final int FLAG_RESPONSE = 0x20;

    /** How often a passive tunnel's peer name is resolved again at most (for a request from an unknown address). */
    static final java.time.Duration NAME_REFRESH = java.time.Duration.ofSeconds(5);

    private final Optional<Path> netns;
    private final int port;
    private final IkeSettings settings;
    private final Cookies cookies;
    private final Map<Long, java.time.Instant> halfOpen = new ConcurrentHashMap<>();
    private final ExecutorService nsThread;
    private final ExecutorService resolveThread;
    private final Resolver resolver;
    private final java.util.function.Supplier<String> hostName;
    private volatile String cachedHostName;
    /** The addresses of tunnels' peer names as requests are matched, and when each was last looked up (nanoTime). */
    private final Map<String, List<InetAddress>> passiveNames = new ConcurrentHashMap<>();
    private final Map<String, Long> passiveNamesAsked = new ConcurrentHashMap<>();
    /** The outcome lane: see {@link #outcome(Runnable)}. */
    private final ExecutorService outcomes;
    private final Map<String, IkeTunnel> wanted = new ConcurrentHashMap<>();
    private final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
    private final Map<Long, ActorRef<IkeSessionActor.Command>> bySpi = new ConcurrentHashMap<>();
    /** The one owner of IKE SAs in the dataplane and of the tunnels' reports; called on the outcome lane only. */
    private final IkeOutcomes owner;
    /** Peers with which an IKE SA came up since this node started: later ones carry no INITIAL_CONTACT. */
    private final Set<InetAddress> contacted = ConcurrentHashMap.newKeySet();
    private final AtomicLong names = new AtomicLong();
    private volatile Dataplane dataplane;
    private volatile DatagramChannel c500;
    private volatile ControlPlane controlPlane;
    private volatile boolean closed;
    private final IkeSessionActor.Driver driver = new IkeSessionActor.Driver() {
        @Override
        public void send(IkeOutput.Send s) {
            outcome(() -> IkeManager.this.send(s));
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            outcome(() -> owner.event(label, e));
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            outcome(() -> owner.dpdLost(label, down));
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            outcome(() -> owner.peerSwitched(label, to, cause));
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
            IkeManager.this.register(initiatorSpi, actor);
        }

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
            IkeManager.this.unregister(initiatorSpi, actor);
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
        this.resolver = java.util.Objects.requireNonNull(resolver, "resolver");
        this.hostName = java.util.Objects.requireNonNull(hostName, "hostName");
        this.nsThread = Executors.newSingleThreadExecutor(r -> inNamespaceThread(netns, r, "palisade-ike-ns"));
        this.resolveThread = Executors.newSingleThreadExecutor(r -> inNamespaceThread(netns, r,
                "palisade-ike-resolve"));
        this.outcomes = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "palisade-ike-outcomes");
            t.setDaemon(true);
            return t;
        });
        this.owner = new IkeOutcomes(this::outcome, label -> Optional.ofNullable(wanted.get(label)),
                halfOpen::remove);
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

    private static Thread inNamespaceThread(Optional<Path> netns, Runnable r, String name) {
        Thread t = new Thread(() -> {
            try {
                if (netns.isPresent()) {
                    NetNamespace.enter(netns.get());
                }
            } catch (IOException e) {
                log.error("cannot enter network namespace {}: {}", netns.get(), e.getMessage());
                return;
            }
            r.run();
        }, name);
        t.setDaemon(true);
        return t;
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

    /** Where the dataplane hands IKE messages that arrive on port 4500. */
    public net.palisade.dataplane.worker.IkeSink sink() {
        return this::receive;
    }

    /**
     * Opens port 500 (in the namespace; IPv4 and IPv6 on one socket, IPv4 alone where IPv6 sockets cannot be made)
     * and starts receiving; port 4500 goes through {@code dp}.
     */
    public void open(Dataplane dp) throws IOException {
        this.dataplane = dp;
        owner.open(new DataplaneSaPort(dp));
        c500 = inNamespace(() -> {
            DatagramChannel c = null;
            try {
                c = DatagramChannel.open(StandardProtocolFamily.INET6);
                return c.bind(new InetSocketAddress(InetAddress.ofLiteral("::"), port));
            } catch (UnsupportedOperationException | IOException e) {
                if (c != null) {
                    c.close();
                }
                log.info("IKE: no IPv6 socket on port {} ({}); IPv4 only", port, e.toString());
                return DatagramChannel.open(StandardProtocolFamily.INET)
                        .bind(new InetSocketAddress(InetAddress.ofLiteral("0.0.0.0"), port));
            }
        });
        Thread t = new Thread(this::receiveLoop, "palisade-ike-" + port);
        t.setDaemon(true);
        t.start();
        log.info("IKE listening on UDP {} (and {} through the dataplane){}", port, dp.settings().udpPort(),
                netns.map(p -> " in " + p).orElse(""));
    }

    /** The control plane is up: engine outcomes can be reported; tunnels started before now begin. */
    public void attach(ControlPlane cp) {
        this.controlPlane = cp;
        owner.attach(IkeOutcomes.Reporter.of(cp));
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
            tunnel.peers().stream().flatMap(p -> p.dnsName().stream()).forEach(passiveNamesAsked::remove);
            refreshPassiveNames();
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

    /** Removes a Child SA of {@code label} that its tunnel's journal refused (see {@link IkeOutcomes}). */
    public void retire(String label, ChildSa sa) {
        outcome(() -> owner.retire(label, sa));
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
        outcome(() -> owner.removeSas(label));
        return done;
    }

    private InetAddress localFor(IkeTunnel tunnel, InetAddress peer) throws IOException {
        Optional<InetAddress> configured = tunnel.local().flatMap(Host::ip);
        if (configured.isPresent()) {
            return configured.get();
        }
        return inNamespace(() -> routeSource(peer));
    }

    /** The kernel's source address towards {@code peer} (a connected UDP socket's; nothing is sent). */
    private InetAddress routeSource(InetAddress peer) throws IOException {
        try (DatagramChannel c = DatagramChannel.open(peer instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)) {
            c.connect(new InetSocketAddress(peer, port));
            return ((InetSocketAddress) c.getLocalAddress()).getAddress();
        }
    }

    /**
     * The endpoints of a new initiator IKE SA with {@code peer}, looked up now on the resolver's thread (in the
     * namespace): the name resolved (an address of {@code local}'s family when {@code local} is an address), our
     * address {@code local} or the route's source.
     */
    CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
        CompletableFuture<IkeSessionActor.Endpoints> out = new CompletableFuture<>();
        try {
            resolveThread.execute(() -> {
                try {
                    InetAddress remote = peer.ip().isPresent() ? peer.ip().get() : pick(tunnel, peer,
                            resolver.resolve(peer.dnsName().orElseThrow()));
                    InetAddress local;
                    Optional<Host> configured = tunnel.local();
                    if (configured.isPresent() && configured.get().ip().isPresent()) {
                        local = configured.get().ip().get();
                    } else if (configured.isPresent()) {
                        local = resolver.resolve(configured.get().dnsName().orElseThrow()).stream()
                                .filter(a -> a.getClass() == remote.getClass()).findFirst()
                                .orElseThrow(() -> new java.net.UnknownHostException("local " + configured.get()
                                        + " has no address of the peer's family"));
                    } else {
                        local = routeSource(remote);
                    }
                    out.complete(new IkeSessionActor.Endpoints(new InetSocketAddress(local, port),
                            new InetSocketAddress(remote, port)));
                } catch (IOException | RuntimeException e) {
                    out.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            out.completeExceptionally(new IOException("IKE is shut down"));
        }
        return out;
    }

    /** The address of {@code peer} to use: the first of {@code local}'s family when that is fixed, else the first. */
    private static InetAddress pick(IkeTunnel tunnel, Host peer, List<InetAddress> addresses)
            throws java.net.UnknownHostException {
        Optional<Class<?>> family = tunnel.local().flatMap(Host::ip).map(Object::getClass);
        return addresses.stream().filter(a -> family.map(f -> f == a.getClass()).orElse(true)).findFirst()
                .orElseThrow(() -> new java.net.UnknownHostException(peer + (addresses.isEmpty() ? ""
                        : ": no address of the family of local " + tunnel.local().get())));
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private <T> T inNamespace(IoCall<T> call) throws IOException {
        try {
            return nsThread.submit(call::call).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    // ---------------------------------------------------------------------------------------------- transport

    private void receiveLoop() {
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (!closed) {
            try {
                b.clear();
                InetSocketAddress from = (InetSocketAddress) c500.receive(b);
                b.flip();
                byte[] d = new byte[b.remaining()];
                b.get(d);
                receive(from, new InetSocketAddress(InetAddress.ofLiteral("0.0.0.0"), port), d);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.warn("IKE receive on {}: {}", port, e.toString());
            }
        }
    }

    /** Routes one IKE message (without the non-ESP marker) to its session, or starts a responder. */
    void receive(InetSocketAddress from, InetSocketAddress local, byte[] message) {
        if (message.length < 28 || closed) {
            return;
        }
        ByteBuffer h = ByteBuffer.wrap(message);
        long spiI = h.getLong(0);
        long spiR = h.getLong(8);
        int exchange = message[18] & 0xff;
        int flags = message[19] & 0xff;
        IkeSessionActor.Inbound in = new IkeSessionActor.Inbound(message, from, local);
        ActorRef<IkeSessionActor.Command> a = bySpi.get(spiI);
        if (a != null) {
            a.tell(in);
            return;
        }
        if (spiR != 0 || exchange != IKE_SA_INIT || (flags & FLAG_INITIATOR) == 0 || (flags & FLAG_RESPONSE) != 0) {
            log.debug("IKE message from {} for no session (SPI {}), dropped", from, Long.toHexString(spiI));
            return;
        }
        ControlPlane cp = controlPlane;
        if (cp == null) {
            return;
        }
        // a passive tunnel first (as before); else an initiating tunnel whose configured peer sent it
        Optional<IkeTunnel> tunnel = wanted.values().stream()
                .filter(t -> t.mode() == IkeMode.PASSIVE)
                .filter(t -> t.peers().isEmpty() || t.peers().stream().anyMatch(p -> isPeer(p, from.getAddress())))
                .findFirst()
                .or(() -> wanted.values().stream()
                        .filter(t -> t.mode() != IkeMode.PASSIVE && !t.peers().isEmpty())
                        .filter(t -> t.peers().stream().anyMatch(p -> isPeer(p, from.getAddress())))
                        .findFirst());
        if (tunnel.isEmpty()) {
            if (refreshPassiveNames()) {
                log.info("IKE_SA_INIT from {}: no tunnel accepts this peer (yet); dropped, and the tunnels' peer "
                        + "names are resolved again for its retransmission", from);
            } else {
                log.info("IKE_SA_INIT from {}: no tunnel accepts this peer; dropped", from);
            }
            return;
        }
        String label = tunnel.get().label();
        Cookies.Verdict verdict = cookies.admit(net.palisade.model.wire.ikev2.Ikev2Codec.standard(), message,
                from.getAddress(), halfOpen());
        if (verdict instanceof Cookies.Verdict.Challenge challenge) {
            log.debug("IKE_SA_INIT from {}: {} half-open IKE SAs, answered with a cookie", from, halfOpen.size());
            send(new IkeOutput.Send(challenge.response(), local, from));
            return;
        }
        if (verdict instanceof Cookies.Verdict.Drop drop) {
            log.debug("IKE_SA_INIT from {} dropped: {}", from, drop.reason());
            return;
        }
        try {
            InetAddress me = local.getAddress().isAnyLocalAddress() ? localFor(tunnel.get(), from.getAddress())
                    : local.getAddress();
            if (tunnel.get().mode() != IkeMode.PASSIVE) {
                ActorRef<IkeSessionActor.Command> own = sessions.get(label);
                if (own == null) {
                    log.info("IKE_SA_INIT from {}: tunnel {} is not running; dropped", from, label);
                    return;
                }
                // retransmissions of the request reach the actor as Inbound, after the Answer
                ActorRef<IkeSessionActor.Command> already = bySpi.putIfAbsent(spiI, own);
                if (already == null) {
                    halfOpen.put(spiI, java.time.Instant.now());
                    own.tell(new IkeSessionActor.Answer(in, new InetSocketAddress(me, local.getPort())));
                } else {
                    already.tell(in);
                }
                return;
            }
            ActorRef<IkeSessionActor.Command> old = sessions.remove(label);
            if (old != null) {
                old.tell(new IkeSessionActor.Stop(new CompletableFuture<>()));
            }
            ActorRef<IkeSessionActor.Command> r = cp.system().systemActorOf(IkeSessionActor.responder(driver,
                    settings, tunnel.get(), new InetSocketAddress(me, local.getPort()), in),
                    "ike-" + names.incrementAndGet(), Props.empty());
            halfOpen.put(spiI, java.time.Instant.now());
            bySpi.putIfAbsent(spiI, r);
            sessions.put(label, r);
            log.debug("tunnel {}: responding to IKE_SA_INIT from {}", label, from);
        } catch (IOException | RuntimeException e) {
            log.error("tunnel {}: cannot answer {}: {}", label, from, e.toString());
        }
    }

    /** Whether {@code address} is {@code peer}: the address itself, or one its name resolved to lately. */
    private boolean isPeer(Host peer, InetAddress address) {
        return peer.ip().map(address::equals)
                .orElseGet(() -> passiveNames.getOrDefault(peer.dnsName().orElseThrow(), List.of()).contains(address));
    }

    /**
     * Resolves the peer names of the tunnels again (in the background, each at most every {@link
     * #NAME_REFRESH}), so that a request from an address a name has moved to is accepted when the peer retransmits.
     * Returns whether any was started.
     */
    private boolean refreshPassiveNames() {
        boolean started = false;
        long now = System.nanoTime();
        for (IkeTunnel t : wanted.values()) {
            for (Host p : t.peers()) {
                if (p.dnsName().isEmpty()) {
                    continue;
                }
                String name = p.dnsName().get();
                Long last = passiveNamesAsked.get(name);
                if (last != null && now - last < NAME_REFRESH.toNanos()) {
                    continue;
                }
                passiveNamesAsked.put(name, now);
                started = true;
                try {
                    resolveThread.execute(() -> {
                        try {
                            passiveNames.put(name, List.copyOf(resolver.resolve(name)));
                        } catch (IOException | RuntimeException e) {
                            passiveNames.remove(name);
                            log.warn("tunnel {}: peer {}: the name does not resolve ({})", t.label(), name,
                                    e.toString());
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return false;
                }
            }
        }
        return started;
    }

    void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        bySpi.put(initiatorSpi, actor);
    }

    void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        bySpi.remove(initiatorSpi, actor);
        halfOpen.remove(initiatorSpi);
    }

    /**
     * Half-open responder IKE SAs: created, neither up nor ended. One that outlived {@link IkeSession#HALF_OPEN}
     * (its session gave up on IKE_AUTH, or never answered) no longer counts.
     */
    int halfOpen() {
        java.time.Instant oldest = java.time.Instant.now().minus(IkeSession.HALF_OPEN);
        halfOpen.values().removeIf(created -> created.isBefore(oldest));
        return halfOpen.size();
    }

    /** The cookie counters: {@code ikev2.cookie.sent}, {@code .accepted}, {@code .rejected}. */
    public Map<String, Long> cookieCounters() {
        return cookies.counters();
    }

    /**
     * Sends a message: port 4500 through the dataplane (which adds the non-ESP marker), else from port 500. A NAT-T
     * keepalive goes out of port 4500 as its one octet, without the marker.
     */
    void send(IkeOutput.Send s) {
        try {
            if (s.isNatKeepalive()) {
                dataplane.sendNatKeepalive(s.to());
            } else if (s.from().getPort() == dataplane.settings().udpPort()) {
                dataplane.sendIke(s.to(), s.datagram());
            } else {
                c500.send(ByteBuffer.wrap(s.datagram()), s.to());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("IKE send to {}: {}", s.to(), e.toString());
        }
    }

    /**
     * Stops every session (with a Delete to its peer, waiting up to two seconds for them to be sent) and closes port
     * 500. Call before closing the control plane and the dataplane.
     */
    @Override
    public void close() {
        closed = true;
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
        DatagramChannel c = c500;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        nsThread.shutdownNow();
        resolveThread.shutdownNow();
    }
}
