package net.palisade.controlplane.ike;

import java.io.IOException;
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
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.sa.DataplaneSaPort;
import net.palisade.dataplane.Dataplane;
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
 * The IKE layer of one node: one {@link IkeSessionActor} (IKEv2) or {@link Ikev1SessionActor} (IKEv1) per
 * tunnel, and the outcome lane on which {@link IkeOutcomes}, the one owner of IKE SAs in the dataplane, turns engine outcomes into dataplane SAs and tunnel
 * events. Keys go to the dataplane only; events carry SPIs. It assembles three parts:
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
    /** The one owner of IKE SAs in the dataplane and of the tunnels' reports; called on the outcome lane only. */
    private final IkeOutcomes owner;
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
            dispatcher.forget(actor);
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
            ActorRef<IkeSessionActor.Command> r = controlPlane.system().systemActorOf(tunnel.exchange().ikev1()
                    ? Ikev1SessionActor.responder(driver, settings, tunnel, local, first)
                    : IkeSessionActor.responder(driver, settings, tunnel, local, first),
                    "ike-" + names.incrementAndGet(), Props.empty());
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
        owner.open(new DataplaneSaPort(dp));
        transport = UdpIkeTransport.open(peers, port, dp, dispatcher.sink());
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
            peers.forget(tunnel);
            peers.refreshNames(wanted.values());
            return;
        }
        try {
            ActorRef<IkeSessionActor.Command> a = cp.system().systemActorOf(tunnel.exchange().ikev1()
                    ? Ikev1SessionActor.initiator(driver, settings, tunnel)
                    : IkeSessionActor.initiator(driver, settings, tunnel), "ike-" + names.incrementAndGet(),
                    Props.empty());
            sessions.put(label, a);
            log.info("tunnel {}: initiating {} to {}", label, tunnel.exchange().ikev1() ? "IKEv1 "
                    + (tunnel.exchange() == net.palisade.model.IkeExchange.IKEV1_AGGRESSIVE ? "aggressive" : "main")
                    + " mode" : "IKE", tunnel.peers().getFirst());
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

    /** Every node-level IKE counter: {@link #dispatchCounters()} and {@link #cookieCounters()} together. */
    public Map<String, Long> counters() {
        Map<String, Long> all = new java.util.HashMap<>(dispatchCounters());
        all.putAll(cookieCounters());
        return all;
    }

    /** Sends a message through the transport (runs on the outcome lane, in the session's order). */
    void send(IkeOutput.Send s) {
        transport.send(s);
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
