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
import java.util.concurrent.atomic.AtomicLong;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.ping.PingTarget;
import net.palisade.controlplane.ping.Pinger;
import net.palisade.controlplane.sa.DataplaneSaPort;
import net.palisade.dataplane.Dataplane;
import net.palisade.model.Host;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
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
 *       ({@link SessionDriver#endpoints}).</li>
 * </ul>
 * The first IKE SA we initiate with a peer after the node starts carries N(INITIAL_CONTACT).
 *
 * <p>Life cycle: construct, start the dataplane with {@link #sink()} as its IKE sink, {@link #open(Dataplane)},
 * start the control plane with ports that call {@link #start}/{@link #stop}, then {@link #attach(ControlPlane)}.
 * Tunnels started before {@code attach} wait for it.
 */
public final class IkeManager implements AutoCloseable {
    /**
     * Where IKE session actors run: their own bounded dispatcher ({@code palisade.ike-session-dispatcher} in the
     * control plane's reference.conf), so an engine's work for an unauthenticated peer (Diffie-Hellman, certificate
     * path building) never holds a thread of the default dispatcher, which serves the API, the tunnel entities and
     * the journal.
     */
    public static final Props SESSIONS = DispatcherSelector.fromConfig("palisade.ike-session-dispatcher");

    private static final Logger log = LoggerFactory.getLogger(IkeManager.class);

    private final Optional<Path> netns;
    private final int port;
    private final IkeSettings settings;
    private final Cookies cookies;
    private final PeerResolver peers;
    private final IkeDispatcher dispatcher;
    /** The SPIs routed to actors from here ({@link #aside}, {@link #adopt}): under this lock, like {@link #ended}. */
    private final StarterRoutes starterRoutes;
    /** The dispatcher's half-open IKE SAs: a Phase1Up ends one. */
    private final IkeDispatcher.HalfOpen halfOpen;
    private final java.util.function.Supplier<String> hostName;
    private volatile String cachedHostName;
    /** The outcome lane: see {@link #outcome(Runnable)}. */
    private final OutcomeLane outcomes = new OutcomeLane();
    private final Map<String, IkeTunnel> wanted = new ConcurrentHashMap<>();
    private final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
    /** Tunnels whose journaled IKE SAs are to be resumed when they start ({@link #resume}). */
    private final ResumedTunnels resumable = new ResumedTunnels();
    /** The pair key, when the node has one ({@link #takeover}). */
    private volatile Optional<net.palisade.controlplane.journal.TakeoverSealer> sealer = Optional.empty();
    /** The one owner of IKE SAs in the dataplane and of the tunnels' reports; called on the outcome lane only. */
    private final IkeOutcomes owner;
    /** Peers with which an IKE SA came up since this node started: later ones carry no INITIAL_CONTACT. */
    private final Set<InetAddress> contacted = ConcurrentHashMap.newKeySet();
    private final AtomicLong names = new AtomicLong();
    private volatile Dataplane dataplane;
    /** The tunnels' ping, once the dataplane is open. */
    private volatile Pinger pinger;
    private volatile IkeTransport transport = IkeTransport.NONE;
    private volatile ControlPlane controlPlane;
    private volatile boolean closed;
    /** Set when this node lost the active role: nothing more leaves through the transport (see {@link #fence}). */
    private volatile boolean fenced;
    private final java.util.concurrent.atomic.LongAdder fencedDrops = new java.util.concurrent.atomic.LongAdder();
    /** The operator's key log ({@code --wireshark-keys}); {@link KeyLog#NONE} unless asked for. */
    private volatile KeyLog keyLog = KeyLog.NONE;
    /** What the sessions achieved, for {@code /metrics}. */
    private final IkeOutcomeCounters outcomeCounters = new IkeOutcomeCounters();
    /** The sessions' engine counters summed. */
    private final IkeOutcomeCounters.Sums engineCounts = new IkeOutcomeCounters.Sums();
    private final SessionDriver driver = new SessionDriver() {
        @Override
        public IkeEnvironment environment(java.time.InstantSource clock) {
            return IkeEnvironment.standard(clock, spi -> {
                Dataplane dp = dataplane;
                return dp != null && dp.inboundSpiInUse((int) spi);
            });
        }

        @Override
        public void send(IkeOutput.Send s) {
            outcome(() -> IkeManager.this.send(s));
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            journalFirst(label, e);
        }

        @Override
        public CompletionStage<?> journalFirst(String label, IkeOutput.Event e) {
            CompletableFuture<Void> journaled = new CompletableFuture<>();
            outcomes.submit(() -> {
                recordKeys(label, e);
                outcomeCounters.count(e);
                owner.event(label, e, journaled);
            }, () -> journaled.complete(null)); // closed: nothing will be journaled, nothing waits
            return journaled;
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {
            outcome(() -> {
                outcomeCounters.dpdLost();
                owner.dpdLost(label, down);
            });
        }

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {
            outcome(() -> owner.peerSwitched(label, to, cause));
        }

        @Override
        public void batch(Runnable step) {
            outcomes.batch(step);
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
            IkeManager.this.ended(actor);
        }

        @Override
        public void adoptV1(String label, String identity, Ikev1SessionActor.Adopt adopt) {
            IkeManager.this.adoptV1(label, identity, adopt);
        }

        @Override
        public boolean claim(String label, String identity, ActorRef<IkeSessionActor.Command> actor) {
            ActorRef<IkeSessionActor.Command> holder = sessions.putIfAbsent(SessionKeys.identity(label, identity), actor);
            return holder == null || holder.equals(actor);
        }

        @Override
        public void adopt(String label, IkeSessionActor.Adopt adopt) {
            IkeManager.this.adopt(label, adopt);
        }

        @Override
        public void spare(String label, IkeSessionActor.Adopt negotiation) {
            aside(label, "spare-responder", negotiation.engine(), SpareResponder.of(this, label, negotiation));
        }

        @Override
        public void refused(String label, IkeSession.Step refusal) {
            dispatcher.count("ikev2.dispatch.spare-responder"); // as when a spare responder sent it
            SessionDriver.super.refused(label, refusal);
        }

        @Override
        public void closing(String label, IkeSessionActor.Adopt closing) {
            aside(label, "closing", closing.engine(), ClosingIkeSa.of(this, label, closing));
        }

        @Override
        public void redispatch(IkeSessionActor.Inbound in) {
            dispatcher.sink().ike(in.from(), in.to(), in.datagram());
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
        public Optional<ActorRef<IkeSessionActor.Command>> session(String label, IkeSessionActor.Inbound first) {
            IkeTunnel t = wanted.get(label);
            return Optional.ofNullable(sessions.get(t == null ? label : SessionKeys.of(t, first)));
        }

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, InetSocketAddress local,
                IkeSessionActor.Inbound first) {
            return respond(tunnel, List.of(), local, first);
        }

        @Override
        public ActorRef<IkeSessionActor.Command> respond(IkeTunnel tunnel, List<IkeTunnel> candidates,
                InetSocketAddress local, IkeSessionActor.Inbound first) {
            return startResponder(tunnel, SessionKeys.of(tunnel, first), tunnel.exchange().ikev1()
                    ? Ikev1SessionActor.responder(driver, settings, tunnel, local, first)
                    : IkeSessionActor.responder(driver, settings, tunnel, local, first, candidates));
        }
    };

    /**
     * Makes {@code behavior} the session actor {@code key} of passive {@code tunnel} (replacing one that may be
     * ending), under one lock with {@link #adopt}: the dispatch thread and a session handing over an IKE SA may both
     * start one.
     */
    private synchronized ActorRef<IkeSessionActor.Command> startResponder(IkeTunnel tunnel, String key,
            org.apache.pekko.actor.typed.Behavior<IkeSessionActor.Command> behavior) {
        ActorRef<IkeSessionActor.Command> old = sessions.remove(key);
        if (old != null) {
            old.tell(new IkeSessionActor.Stop(new CompletableFuture<>()));
            starterRoutes.unroute(old);
        }
        ActorRef<IkeSessionActor.Command> r = controlPlane.system().systemActorOf(behavior,
                "ike-" + names.incrementAndGet(), SESSIONS);
        sessions.put(key, r);
        return r;
    }

    /**
     * {@code actor} ends: no longer a session of any tunnel (under its address and, on an any-peer tunnel, its peer's
     * identity too; a stopped responder must not be asked to stop again at close, it would never answer), and the
     * SPIs routed to it from here go. Under the lock of {@link #adopt}: a hand-over either reaches the actor before
     * its end ({@link EndingSession}) or finds another; its routing from here always comes before.
     */
    private synchronized void ended(ActorRef<IkeSessionActor.Command> actor) {
        sessions.values().removeIf(actor::equals);
        starterRoutes.unroute(actor);
        dispatcher.forget(actor);
    }

    /** Whether {@code a} was a session (now not), its routes from here gone: it is to be stopped. */
    private synchronized boolean stopping(ActorRef<IkeSessionActor.Command> a) {
        starterRoutes.unroute(a);
        return sessions.values().removeIf(a::equals);
    }

    /**
     * Runs {@code engine}, an IKE SA of {@code label} that its actor let go, in an actor of its own ({@code behavior};
     * stopped with the tunnel's sessions) routed its initiator SPIs until it ends (even at its first step, maybe
     * before they were routed), counted as {@code ikev2.dispatch.KIND}; dropped if the tunnel is not running ({@link
     * SessionDriver#spare}, {@link SessionDriver#closing}).
     */
    private synchronized void aside(String label, String kind, IkeSession engine,
            org.apache.pekko.actor.typed.Behavior<IkeSessionActor.Command> behavior) {
        ControlPlane cp = controlPlane;
        if (cp == null || closed || !wanted.containsKey(label)) {
            return;
        }
        dispatcher.count("ikev2.dispatch." + kind);
        List<Long> spis = List.copyOf(engine.initiatorSpis()); // read before its actor runs it; its own SPI first
        ActorRef<IkeSessionActor.Command> a = cp.system().systemActorOf(behavior, "ike-" + names.incrementAndGet(),
                SESSIONS);
        sessions.put(label + "@" + kind + ":" + Long.toHexString(spis.getFirst()), a);
        starterRoutes.route(a, spis);
    }

    /**
     * The IKE SA of {@code adopt} chose tunnel {@code label} at IKE_AUTH while another tunnel's actor answered it, or
     * (any-peer tunnel) authenticated a peer whose IKE SAs another actor holds: to {@code label}'s actor (that
     * identity's), or to a new one if it is a passive tunnel without; deleted if the tunnel is gone.
     */
    private synchronized void adopt(String label, IkeSessionActor.Adopt adopt) {
        IkeTunnel t = wanted.get(label);
        Optional<String> identity = t != null && SessionKeys.anyPeer(t)
                ? adopt.engine().peerId().map(SiteIdentity::key) : Optional.empty();
        String key = t == null ? label : identity.map(id -> SessionKeys.identity(label, id))
                .orElseGet(() -> SessionKeys.of(t, adopt.remote()));
        ActorRef<IkeSessionActor.Command> a = sessions.get(key);
        ControlPlane cp = controlPlane;
        if (a != null) {
            starterRoutes.handOver(a, adopt.engine().initiatorSpis(), () -> a.tell(adopt)); // routed, then told
        } else if (t != null && cp != null && !closed && !t.exchange().ikev1()) {
            starterRoutes.route(startResponder(t, key, IkeSessionActor.adopted(driver, settings, t, adopt)),
                    adopt.engine().initiatorSpis());
        } else {
            log.info("tunnel {}: IKE SA {} chose it, and it is not running; deleting the IKE SA", label,
                    adopt.engine().id());
            driver.sendAll(adopt.engine().handle(new IkeInput.Close()).outputs());
        }
    }

    /**
     * The ISAKMP SA of {@code adopt} authenticated {@code identity} in another session of any-peer IKEv1 tunnel
     * {@code label}: to the session holding that identity's SAs, or to a new one; deleted if the tunnel is gone.
     * Its cookies are routed there at once, so that the peer's quick mode right after reaches it.
     */
    private synchronized void adoptV1(String label, String identity, Ikev1SessionActor.Adopt adopt) {
        IkeTunnel t = wanted.get(label);
        ControlPlane cp = controlPlane;
        if (t == null || cp == null || closed) {
            log.info("tunnel {}: ISAKMP SA {} authenticated, and the tunnel is not running; deleting it", label,
                    adopt.engine().id());
            driver.sendAll(adopt.engine().handle(new IkeInput.Close()).outputs());
            return;
        }
        String key = SessionKeys.identity(label, identity);
        ActorRef<IkeSessionActor.Command> a = sessions.get(key);
        if (a == null) {
            starterRoutes.route(startResponder(t, key, Ikev1SessionActor.adopted(driver, settings, t, adopt)),
                    adopt.engine().initiatorCookies());
        } else {
            starterRoutes.handOver(a, adopt.engine().initiatorCookies(), () -> a.tell(adopt));
        }
    }

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
        this(netns, port, settings, cookies, Resolver.SYSTEM, SystemHostName::get);
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
        // the sessions' engine counters (retransmissions, drops inside an IKE SA) summed for /metrics
        this.settings = java.util.Objects.requireNonNull(settings, "settings").withCounted(engineCounts::count);
        this.cookies = java.util.Objects.requireNonNull(cookies, "cookies");
        this.hostName = java.util.Objects.requireNonNull(hostName, "hostName");
        this.peers = new PeerResolver(netns, port, java.util.Objects.requireNonNull(resolver, "resolver"),
                System::nanoTime);
        this.dispatcher = new IkeDispatcher(tunnels, peers, cookies, this::sendUnlessFenced,
                java.time.Clock.systemUTC());
        this.halfOpen = dispatcher.halfOpen();
        this.starterRoutes = new StarterRoutes(dispatcher);
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
     *   <li>At most one session actor at a time runs outcomes itself, and only when the lane is idle
     *       ({@link OutcomeLane}); the others hand theirs over and go on: {@link Dataplane#install} and
     *       {@link Dataplane#remove} hold the dataplane's lock while routes change, and when every actor did that
     *       itself, with several handshakes at once the actors queued on that lock and spun.</li>
     *   <li>A session's order stays: a responder's Child SA is installed before its IKE_AUTH response leaves (the
     *       engine emits the install first), so the initiator's first ESP packet finds it; a tunnel's reports reach
     *       its entity in the order they happened; a stop's removal of the SAs comes after any install queued
     *       before it.</li>
     * </ul>
     * A session actor's step hands its tasks over together ({@link OutcomeLane#batch}).
     */
    private boolean outcome(Runnable task) {
        return outcomes.submit(task, null);
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
        openPinger(dp);
        transport = UdpIkeTransport.open(peers, port, dp, dispatcher.sink());
        log.info("IKE listening on UDP {} (and {} through the dataplane){}", port, dp.settings().udpPort(),
                netns.map(p -> " in " + p).orElse(""));
    }

    /**
     * The tunnels' ping sends through {@code dp}; its verdicts are journaled on the outcome lane, after what the
     * tunnel's session reported before, and a lost ping restarts an {@code active}/{@code dynamic} tunnel's IKE SA
     * like a dead peer ({@link IkeSessionActor.PingLost}), after its {@code ping-lost} is queued.
     */
    private void openPinger(Dataplane dp) {
        Pinger p = new Pinger(new Pinger.Echoes() {
            @Override
            public void send(String label, InetAddress from, InetAddress to, int sequence) {
                dp.ping(label, from, to, sequence);
            }

            @Override
            public boolean childSaUp(String label) {
                return dp.inboundSpi(label).isPresent();
            }
        }, new Pinger.Verdicts() {
            @Override
            public void lost(IkeTunnel t, PingTarget target, int lost) {
                outcome(() -> {
                    owner.pingLost(t.label(), Host.of(target.from()).toString(), Host.of(target.to()).toString(),
                            lost);
                    ActorRef<IkeSessionActor.Command> a = sessions.get(t.label());
                    if (t.mode() != IkeMode.PASSIVE && a != null) {
                        a.tell(IkeSessionActor.PingLost.INSTANCE);
                    }
                });
            }

            @Override
            public void ok(IkeTunnel t, PingTarget target) {
                outcome(() -> owner.pingOk(t.label(), Host.of(target.from()).toString(),
                        Host.of(target.to()).toString()));
            }
        }, java.time.Clock.systemUTC());
        dp.pings().listener(p::reply);
        wanted.values().forEach(p::watch);
        pinger = p;
    }

    /**
     * Hands every negotiated SA's keys to {@code log} from now on (the settings must have {@code takeoverState} on
     * for the IKE SAs' keys to be reported). Call before {@link #attach}.
     */
    public void keyLog(KeyLog keys) {
        this.keyLog = java.util.Objects.requireNonNull(keys, "keys");
    }

    /** A failing key log must not keep an SA out of the dataplane: it is a debugging aid. */
    private void recordKeys(String label, IkeOutput.Event e) {
        KeyLog k = keyLog;
        if (k != KeyLog.NONE) {
            try {
                k.record(label, e);
            } catch (RuntimeException ex) {
                log.warn("tunnel {}: key log failed: {}", label, ex.getMessage());
            }
        }
    }

    /**
     * Journal the IKE SAs' and Child SAs' state sealed with the gateway pair's key (the sessions report it when the
     * settings' {@code takeoverState} is on). Call before {@link #attach}.
     */
    public void takeover(net.palisade.controlplane.journal.TakeoverSealer sealer) {
        owner.takeover(sealer);
        this.sealer = Optional.of(sealer);
    }

    /**
     * Opens {@code tunnel}'s journaled IKE SAs (each with its Child SAs, and the Child SAs the peer rekeyed whose
     * Delete was not journaled) to go on with them instead of negotiating anew; false, with the reason logged, when
     * none can be opened here (no pair key, another one, unreadable state): the caller then starts the tunnel afresh.
     * Each one that cannot be opened is journaled {@code phase1-down} with the reason (no session holds it). They go
     * on at {@link #resumeReserved}, once the tunnel has journaled their Child SAs' first sequence windows.
     */
    public boolean resume(IkeTunnel tunnel, List<net.palisade.controlplane.tunnel.Takeover.Resume> sas) {
        return resumable.open(IkeResumption.openAll(sealer, tunnel.label(), sas, log,
                (name, why) -> outcome(() -> owner.notResumed(tunnel.label(), name, why))), tunnel.label());
    }

    /**
     * The tunnel journaled the first window of each resumed Child SA's outbound sequence numbers ({@code reserved},
     * by outbound SPI): they are installed holding it (their first packet waits for nothing) and the sessions go on.
     * Nothing if {@link #resume} opened nothing for it or it was stopped since.
     */
    public void resumeReserved(IkeTunnel tunnel, Map<Long, Long> reserved) {
        if (resumable.reserved(tunnel.label(), reserved)) {
            start(tunnel);
        }
    }

    /** The control plane is up: engine outcomes can be reported; tunnels started before now begin. */
    public void attach(ControlPlane cp) {
        this.controlPlane = cp;
        owner.attach(IkeOutcomes.Reporter.of(cp));
        for (IkeTunnel t : List.copyOf(wanted.values())) {
            start(t);
        }
    }

    /** The sessions of {@code tunnel}'s resumed IKE SAs, on the outcome lane; none if stopped or started since. */
    private void resumeSessions(ControlPlane cp, IkeTunnel tunnel, List<IkeResumption.Prepared> resumed, long gen) {
        for (IkeResumption.Prepared p : resumed) {
            if (!resumable.current(tunnel.label(), gen) || closed) {
                return;
            }
            try {
                ActorRef<IkeSessionActor.Command> a = cp.system().systemActorOf(p.v1().isPresent()
                        ? Ikev1SessionActor.resumed(driver, settings, tunnel, p)
                        : IkeResumption.actor(driver, settings, tunnel, p), "ike-" + names.incrementAndGet(), SESSIONS);
                IkeResumption.keys(tunnel, p).forEach(k -> sessions.put(k, a));
                log.info("tunnel {}: resuming {} SA {} with {}{}", tunnel.label(), p.v1().isPresent() ? "ISAKMP"
                        : "IKE", p.id(), p.remote(), p.identity().map(id -> " (" + id + ")").orElse(""));
            } catch (RuntimeException e) {
                log.error("tunnel {}: cannot resume IKE: {}", tunnel.label(), e.toString());
            }
        }
    }

    /** Starts (or restarts) a tunnel: an initiator session for active/dynamic, a listener for passive. */
    public void start(IkeTunnel tunnel) {
        String label = tunnel.label();
        long gen = resumable.started(label);
        stopSession(label);
        wanted.put(label, tunnel);
        Optional.ofNullable(pinger).ifPresent(p -> p.watch(tunnel));
        ControlPlane cp = controlPlane;
        if (cp == null || closed) {
            return;
        }
        Optional<ResumedTunnels.Pending> resumed = resumable.take(label);
        if (resumed.isPresent()) {
            // after the removal stopSession queued: installed with the tunnels resumed meanwhile in one round, and
            // the sessions start once their Child SAs are in (their outcomes come after the install, as before)
            List<IkeResumption.Prepared> sas = resumed.get().sas();
            outcome(() -> owner.resumeLater(label, sas, resumed.get().reserved(), () -> resumable.current(label, gen),
                    () -> resumeSessions(cp, tunnel, sas, gen)));
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
                    SESSIONS);
            sessions.put(label, a);
            log.info("tunnel {}: initiating {} to {}", label, tunnel.exchange().ikev1() ? "IKEv1 "
                    + (tunnel.exchange() == net.palisade.model.IkeExchange.IKEV1_AGGRESSIVE ? "aggressive" : "main")
                    + " mode" : "IKE", tunnel.peers().getFirst());
        } catch (RuntimeException e) {
            log.error("tunnel {}: cannot start IKE: {}", label, e.toString());
        }
    }

    /**
     * The dataplane reports that {@code label}'s outbound SA with {@code outboundSpi} nears the end of its sequence
     * numbers: its IKE session rekeys that Child SA. False if {@code label} is not an IKE tunnel of this node (a
     * manual tunnel's SA, whose keys only an operator can change).
     */
    public boolean sequenceSoftLimit(String label, long outboundSpi) {
        if (!wanted.containsKey(label)) {
            return false;
        }
        // the SPI is of one IKE SA's Child SA: each session of the tunnel (one per peer) ignores another's
        for (ActorRef<IkeSessionActor.Command> a : SessionKeys.actorsOf(sessions, label)) {
            a.tell(new IkeSessionActor.SequenceSoftLimit(outboundSpi));
        }
        return true;
    }

    /** Removes a Child SA of {@code label} that its tunnel's journal refused (see {@link IkeOutcomes}). */
    public void retire(String label, ChildSa sa) {
        outcome(() -> owner.retire(label, sa));
    }

    /** Stops a tunnel's session (a Delete to the peer) and removes its SAs. */
    public void stop(String label) {
        wanted.remove(label);
        resumable.forget(label);
        Optional.ofNullable(pinger).ifPresent(p -> p.unwatch(label));
        stopSession(label);
    }

    private CompletableFuture<Void> stopSession(String label) {
        List<CompletableFuture<Void>> stopped = new ArrayList<>();
        for (ActorRef<IkeSessionActor.Command> a : SessionKeys.actorsOf(sessions, label)) {
            if (stopping(a)) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                stopped.add(done);
                a.tell(new IkeSessionActor.Stop(done));
            }
        }
        outcome(() -> owner.removeSas(label));
        return CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new));
    }

    /** Sends through {@code t}, not the ports of {@link #open} (tests); {@link #routes()}: the SPIs routed. */
    void transport(IkeTransport t) {
        transport = t;
    }

    int routes() {
        return dispatcher.routes();
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

    /**
     * Every node-level IKE counter: {@link #dispatchCounters()}, {@link #cookieCounters()} and the sessions' outcomes
     * ({@code ike.sa-up}, {@code ike.negotiation-failed.REASON}, ...) and the sessions' engine counters summed
     * ({@code ikev2.engine.retransmitted}, {@code ikev2.engine.integrity_failed}, ...).
     */
    public Map<String, Long> counters() {
        Map<String, Long> all = new java.util.HashMap<>(dispatchCounters());
        all.putAll(cookieCounters());
        all.putAll(transport.counters());
        all.putAll(outcomeCounters.snapshot());
        all.putAll(engineCounts.snapshot());
        return all;
    }

    /** @return IKE SAs started by peers and not yet authenticated, now (what the cookie threshold is held against) */
    public int halfOpen() {
        return halfOpen.count();
    }

    /** Sends a message through the transport (runs on the outcome lane, in the session's order). */
    void send(IkeOutput.Send s) {
        sendUnlessFenced(s);
    }

    private void sendUnlessFenced(IkeOutput.Send s) {
        if (fenced) {
            fencedDrops.increment();
            return;
        }
        transport.send(s);
    }

    /**
     * Fences IKE (a node that lost the active role): from now on no IKE message leaves this node, not even the
     * Deletes of the sessions stopped next, since the peer's SAs now belong to the other node. {@code false} lifts it
     * (this node became active).
     */
    public void fence(boolean on) {
        fenced = on;
    }

    /** @return IKE messages dropped because the node was fenced ({@code ike.fenced.dropped}) */
    public long fencedDrops() {
        return fencedDrops.sum();
    }

    /**
     * Stops every session (with a Delete to its peer, waiting up to two seconds for them to be sent) and closes port
     * 500. Call before closing the control plane and the dataplane.
     */
    @Override
    public void close() {
        closed = true;
        Optional.ofNullable(pinger).ifPresent(Pinger::close);
        // nothing more reaches the sessions, which are stopping (their Deletes still leave through the transport)
        dispatcher.close();
        List<CompletableFuture<Void>> stopped = new ArrayList<>();
        for (String label : sessions.keySet().stream().map(k -> k.split("@", 2)[0]).distinct().toList()) {
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
        try {
            if (!outcomes.close(2)) {
                log.warn("IKE outcomes not all applied in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transport.close();
        peers.close();
    }
}
