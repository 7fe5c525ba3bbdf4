package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.FailureReason;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one tunnel's {@link IkeSession}s (the pure engine): datagrams and timer ticks in, the sessions' outputs out
 * through the {@link IkeManager} (transport, dataplane, tunnel events). What to do when an IKE SA comes up, ends,
 * times out or is duplicated — which peer next, which duplicate survives, when to try the head again, how long to
 * wait, when our address moved — is decided by the tunnel's {@link TunnelPolicy}; this actor delivers the events to
 * it, keeps the engines and the timers, and carries out its decisions. A responder actor stops with its session.
 *
 * <p>Engines: the {@code session} (the tunnel's IKE SA: its events reach the tunnel), the one {@code beside} it (an
 * IKE SA the peer initiated while ours runs ({@link Answer}), or our own attempt while the peer's came up first: its
 * events are held until it comes up; then it takes the session's place, or one of the two duplicates is deleted and,
 * when the session loses, the tunnel journals its {@code phase1-down} before the survivor's phase1-up and Child SA),
 * and the {@code probe} (an IKE SA with the list's head while on another peer, its events kept from the tunnel; when
 * it comes up, the probe and the session are deleted and the tunnel switches back to the head).
 *
 * <p>Endpoints: each initiator IKE SA (first, retry, failover, probe) asks the {@link SessionDriver} for its endpoints at
 * the moment it starts: a peer given as a host name is resolved then (not once at config time), and our address is
 * the configured {@code local} or else the kernel's source address towards the peer. A name that does not resolve,
 * or a peer no local address reaches, is reported as {@code negotiation-failed} ({@link
 * FailureReason#ADDRESS_UNAVAILABLE}) and retried like any failed attempt (after the next peer, if there is one).
 * The first IKE SA initiated with a peer after the node starts carries N(INITIAL_CONTACT) ({@link
 * SessionDriver#initialContact}).
 *
 * <p>{@code dynamic} tunnels: our identity is this machine's host name ({@link SessionDriver#hostName}) unless {@code srcid}
 * is set; every {@link TunnelPolicy#ADDRESS_CHECK} the source address towards the peer is looked up again, and when
 * it moved, the IKE SA is deleted (best effort), the tunnel journals {@code phase1-down} saying so, and a new IKE SA
 * is negotiated from the new address at once.
 */
final class IkeSessionActor implements IkeSessionCommands {
    private static final Logger log = LoggerFactory.getLogger(IkeSessionActor.class);

    private final SessionDriver manager;
    private final IkeSettings settings;
    private final IkeTunnel tunnel;
    private final boolean initiator;
    private final Clock clock;
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private final TunnelPolicy policy;
    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private IkeSession session;
    /** When {@link #session} started. */
    private Instant sessionStarted;
    /**
     * An IKE SA negotiated beside {@link #session} whose events the tunnel does not see yet: one the peer initiated,
     * or our own initiator while the peer's came up first. When it comes up it takes over, or, if {@link #session}
     * is up too, one of the two is deleted ({@link TunnelPolicy#duplicate}).
     */
    private IkeSession beside;
    private InetSocketAddress besideLocal;
    private InetSocketAddress besideRemote;
    private Instant besideStarted;
    private final SpiRoutes routes;
    private final HeadProbe probe;
    private boolean resolving;
    private boolean checking;
    private final SiteIdentity identity;
    /** Spare responders, refusals beside a busy session, and responder engines. */
    private final AsideHandoff aside;

    IkeSessionActor(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel, boolean initiator,
            TunnelPolicy policy, Clock clock, InetSocketAddress local, InetSocketAddress remote, ActorContext<Command> ctx,
            TimerScheduler<Command> timers) {
        this.manager = new JournalFirst(manager);
        this.settings = settings;
        this.tunnel = tunnel;
        this.policy = policy;
        this.initiator = initiator;
        this.clock = clock;
        this.local = local;
        this.remote = remote;
        this.ctx = ctx;
        this.timers = timers;
        this.probe = new HeadProbe(manager, timers, clock, ctx.getSelf());
        this.routes = new SpiRoutes(manager, ctx.getSelf());
        this.identity = new SiteIdentity(tunnel, initiator);
        this.aside = new AsideHandoff(this.manager, settings, tunnel, clock, ctx.getSelf());
    }

    /** An initiator towards {@code tunnel}'s peers (in failover order), with {@code settings}. */
    static Behavior<Command> initiator(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel) {
        Clock clock = Clock.systemUTC();
        TunnelPolicy policy = TunnelPolicy.initiator(tunnel, settings, clock);
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            IkeSessionActor a = new IkeSessionActor(manager, settings, tunnel, true, policy, clock, null, null,
                    ctx, timers);
            policy.addressCheckEvery().ifPresent(every -> timers.startTimerWithFixedDelay(CheckAddress.INSTANCE,
                    every, every));
            a.startInitiator();
            return a.behavior();
        }));
    }

    /**
     * A responder to {@code first} that {@code candidates} (this tunnel first) all accept: its IKE_AUTH chooses
     * one, and an IKE SA that belongs to another is handed to that tunnel's actor ({@link Adopt}).
     */
    static Behavior<Command> responder(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel,
            InetSocketAddress local, Inbound first, java.util.List<IkeTunnel> candidates) {
        Clock clock = Clock.systemUTC();
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            IkeSessionActor a = new IkeSessionActor(manager, settings, tunnel, false, TunnelPolicy.responder(tunnel,
                    settings, clock), clock, local, first.from(), ctx, timers);
            a.session = a.aside.responder(local, first.from(), candidates);
            a.sessionStarted = clock.instant();
            try {
                a.inbound(first);
            } catch (RuntimeException e) {
                return a.crashed(first, e);
            }
            if (a.session.state() == IkeState.CLOSED || a.session.state() == IkeState.IDLE) {
                // no IKE SA (refused, or answered statelessly: a retry may follow). Not ended here, where the node may
                // not have made it the tunnel's session yet, but at its next step or after HALF_OPEN (a Tick)
                a.cancelTimer(a.session);
                a.session = null;
                a.register();
                timers.startSingleTimer("empty", Tick.INSTANCE, IkeSession.HALF_OPEN);
            }
            return a.behavior();
        }));
    }

    /** A responder actor for {@code tunnel}, which has none, going on with the IKE SA {@code first} hands it. */
    static Behavior<Command> adopted(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel, Adopt first) {
        Clock clock = Clock.systemUTC();
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            IkeSessionActor a = new IkeSessionActor(manager, settings, tunnel, false, TunnelPolicy.responder(tunnel,
                    settings, clock), clock, first.local(), first.remote(), ctx, timers);
            a.adopt(first);
            return a.session == null && a.beside == null ? a.end() : a.behavior();
        }));
    }

    /** Goes on with {@code resumed} (an IKE SA from the journal) as if it had just come up; syncs message IDs. */
    Behavior<Command> startResumed(IkeSession resumed) {
        session = identity.resumed(resumed);
        sessionStarted = clock.instant();
        policy.up();
        apply(session.handle(new IkeInput.Start()));
        return behavior();
    }

    /** {@link #handlers()}, guarded: what one throws ends the tunnel's IKE SAs as a failure ({@link #crashed}). */
    private Behavior<Command> behavior() {
        return Behaviors.intercept(() -> new CrashGuard<>(Command.class, this::crashed), handlers());
    }

    /**
     * The session failed while handling {@code during}: every IKE SA this actor holds is reported down with a
     * {@code negotiation-failed} (so the tunnel journals it and the SA owner removes its Child SAs), and an
     * initiator starts again after the policy's backoff; a responder ends. A failure while doing so is logged only.
     */
    private Behavior<Command> crashed(Command during, RuntimeException e) {
        log.error("tunnel {}: the IKE session failed handling {}; its SAs are removed{}", tunnel.label(),
                during.getClass().getSimpleName(), initiator ? " and it starts again" : "", e);
        String detail = "internal error handling " + during.getClass().getSimpleName() + ": "
                + e.getClass().getSimpleName();
        manager.crashed(tunnel.label(), detail, java.util.stream.Stream.of(session, beside)
                .filter(s -> s != null && s.state() != IkeState.CLOSED && s.state() != IkeState.IDLE)
                .map(IkeSession::id).toList());
        try {
            timers.cancelAll();
            session = null;
            dropBeside();
            probe.drop();
            resolving = false;
            probe.resolving(false);
            checking = false;
            unregister();
        } catch (RuntimeException again) {
            log.error("tunnel {}: cleaning up after the failure failed too", tunnel.label(), again);
        }
        if (!initiator) {
            manager.ended(tunnel.label(), ctx.getSelf());
            return Behaviors.stopped();
        }
        policy.addressCheckEvery().ifPresent(every -> timers.startTimerWithFixedDelay(CheckAddress.INSTANCE,
                every, every));
        timers.startSingleTimer(Restart.INSTANCE, policy.closed());
        return Behaviors.same();
    }

    private Behavior<Command> handlers() {
        return Behaviors.receive(Command.class)
                .onMessage(Inbound.class, in -> {
                    inbound(in);
                    return afterStep();
                })
                .onMessage(Answer.class, a -> {
                    answer(a);
                    return afterStep();
                })
                .onMessage(Adopt.class, a -> {
                    adopt(a);
                    return afterStep();
                })
                .onMessageEquals(Tick.INSTANCE, () -> {
                    if (beside != null) {
                        applyBeside(beside.handle(new IkeInput.Tick()));
                    }
                    if (session != null) {
                        apply(session.handle(new IkeInput.Tick()));
                    }
                    return afterStep();
                })
                .onMessage(SequenceSoftLimit.class, l -> {
                    // the SPI is of one IKE SA's Child SA; the other session ignores it
                    if (beside != null) {
                        applyBeside(beside.handle(new IkeInput.SequenceSoftLimit(l.outboundSpi())));
                    }
                    if (session != null) {
                        apply(session.handle(new IkeInput.SequenceSoftLimit(l.outboundSpi())));
                    }
                    return afterStep();
                })
                .onMessageEquals(ProbeTick.INSTANCE, () -> {
                    probeUp(probe.handle(new IkeInput.Tick()));
                    return Behaviors.same();
                })
                .onMessageEquals(TryHead.INSTANCE, () -> {
                    tryHead();
                    return afterStep();
                })
                .onMessageEquals(Restart.INSTANCE, () -> {
                    if ((session == null || session.state() == IkeState.CLOSED) && !resolving) {
                        startInitiator();
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(PingLost.INSTANCE, () -> {
                    if (established()) {
                        reestablish("ping lost", true);
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(CheckAddress.INSTANCE, () -> {
                    checkAddress();
                    return Behaviors.same();
                })
                .onMessage(Resolved.class, r -> switch (r.purpose()) {
                    case SESSION -> sessionResolved(r);
                    case PROBE -> {
                        probeResolved(r);
                        yield afterStep();
                    }
                    case CHECK -> {
                        addressChecked(r);
                        yield afterStep();
                    }
                })
                .onMessage(Stop.class, stop -> {
                    try {
                        if (session != null && session.state() != IkeState.CLOSED) {
                            apply(session.handle(new IkeInput.Close()));
                        }
                        dropBeside();
                        unregister();
                        probe.drop();
                    } finally {
                        stop.done().complete(null);
                    }
                    return Behaviors.stopped();
                })
                .build();
    }

    /** Looks up the endpoints towards the current peer; the session starts when they arrive. */
    private void startInitiator() {
        session = null;
        policy.starting();
        register();
        resolving = true;
        lookUp(Purpose.SESSION, policy.current());
    }

    private void lookUp(Purpose purpose, Host peer) {
        CompletionStage<Endpoints> e;
        try {
            e = manager.endpoints(tunnel, peer);
        } catch (RuntimeException ex) {
            e = java.util.concurrent.CompletableFuture.failedFuture(ex);
        }
        ctx.pipeToSelf(e, (ok, error) -> new Resolved(purpose, peer, ok, error));
    }

    /** The endpoints of a new session: start it, or report why there are none and retry later. */
    private Behavior<Command> sessionResolved(Resolved r) {
        resolving = false;
        if (session != null && session.state() != IkeState.CLOSED) {
            return Behaviors.same();
        }
        if (r.error() != null) {
            String detail = PeerResolver.unavailable(r.peer(), r.error());
            log.warn("tunnel {}: {}", tunnel.label(), detail);
            try {
                manager.event(tunnel.label(), new IkeOutput.NegotiationFailed(FailureReason.ADDRESS_UNAVAILABLE,
                        detail));
            } catch (RuntimeException ex) {
                log.error("tunnel {}: reporting a failed address lookup failed", tunnel.label(), ex);
            }
            policy.addressUnavailable().ifPresent(this::switchTo);
            timers.startSingleTimer(Restart.INSTANCE, policy.failedAttempt());
            return Behaviors.same();
        }
        local = r.endpoints().local();
        remote = r.endpoints().remote();
        session = IkeSession.initiator(policy.engineTunnelOrAddress(manager::hostName), local, remote,
                manager.environment(clock), settings);
        sessionStarted = clock.instant();
        policy.starting();
        if (manager.initialContact(remote.getAddress())) {
            session.sendInitialContact();
        }
        IkeSession.Step step = session.handle(new IkeInput.Start());
        register(); // before anything is sent: the answer may come at once
        apply(step);
        return afterStep();
    }

    /** A {@code dynamic} tunnel's periodic check: where would a new IKE SA come from now? */
    private void checkAddress() {
        if (checking || session == null || session.state() != IkeState.ESTABLISHED) {
            return;
        }
        checking = true;
        lookUp(Purpose.CHECK, policy.current());
    }

    /** Our address towards the peer changed under the established IKE SA: re-establish from the new one. */
    private void addressChecked(Resolved r) {
        checking = false;
        if (r.error() != null || session == null || session.state() != IkeState.ESTABLISHED) {
            return; // no route at the moment (DPD decides), or nothing to move
        }
        InetAddress now = r.endpoints().local().getAddress();
        InetAddress was = local.getAddress();
        Optional<String> moved = policy.addressChanged(r.peer(), now, was);
        if (moved.isEmpty()) {
            return;
        }
        log.info("tunnel {}: our address towards {} is now {}, not {}; re-establishing", tunnel.label(),
                Host.of(remote.getAddress()), Host.of(now), Host.of(was));
        reestablish(moved.get(), false);
    }

    /**
     * Ends the established IKE SA (its Delete retransmitted until answered or given up, {@link ClosingIkeSa}: the
     * old address or the path may be gone), has the tunnel journal {@code phase1-down} saying {@code why}, and
     * negotiates anew: at once from a moved address; after a lost ping ({@code peerDead}) like after DPD, with the
     * next peer at once if there is one.
     */
    private void reestablish(String why, boolean peerDead) {
        IkeSaId id = session.id();
        closeAndForget(session);
        session = null;
        register();
        probe.drop();
        manager.event(tunnel.label(), new IkeOutput.Phase1Down(id,
                peerDead ? Optional.of(FailureReason.TIMEOUT) : Optional.empty(), why));
        if (!peerDead) {
            startInitiator();
            return;
        }
        policy.peerDead().ifPresent(this::switchTo);
        timers.startSingleTimer(Restart.INSTANCE, policy.closed());
    }

    private void inbound(Inbound in) {
        long spi = in.datagram().length >= 8 ? java.nio.ByteBuffer.wrap(in.datagram()).getLong(0) : 0;
        if (probe.owns(spi)) {
            probeUp(probe.handle(new IkeInput.Received(in.datagram(), in.from(),
                    IkeSessionCommands.at(in.to(), local))));
            return;
        }
        if (beside != null && beside.initiatorSpis().contains(spi)) {
            IkeSession.Step step = beside.handle(new IkeInput.Received(in.datagram(), in.from(),
                    IkeSessionCommands.at(in.to(), besideLocal)));
            if (handedOver(beside, step, besideLocal, besideRemote, besideStarted)) {
                beside = null;
                dropBeside();
                return;
            }
            applyBeside(step);
            return;
        }
        if ((session == null || !session.initiatorSpis().contains(spi)) && routes.redirected(spi, in)) {
            return;
        }
        if (session == null) {
            return;
        }
        IkeSession.Step step = session.handle(new IkeInput.Received(in.datagram(), in.from(),
                IkeSessionCommands.at(in.to(), local)));
        if (handedOver(session, step, local, remote, sessionStarted)) {
            session = null;
            register();
            return;
        }
        register();
        apply(step);
    }

    /**
     * Whether {@code engine}'s IKE_AUTH chose another tunnel than ours, or (any-peer tunnel) authenticated another
     * peer than the one whose IKE SAs this actor holds ({@link SiteIdentity}): then the IKE SA and the outputs of
     * that {@code step} go to that tunnel's or identity's actor ({@link SessionDriver#adopt}), and the caller
     * forgets the engine.
     */
    private boolean handedOver(IkeSession engine, IkeSession.Step step, InetSocketAddress l, InetSocketAddress r,
            Instant started) {
        String chosen = engine.tunnel().label();
        if (engine.state() == IkeState.CLOSED || engine.state() == IkeState.IDLE) {
            return false;
        }
        Optional<String> other = chosen.equals(tunnel.label())
                ? identity.authenticated(engine, step, id -> manager.claim(chosen, id, ctx.getSelf()))
                        .map(id -> "the session of peer " + id + identity.held().map(h -> ", not " + h).orElse(""))
                : Optional.of("tunnel " + chosen + " (chosen by the peer's IKE_AUTH)");
        if (other.isEmpty()) {
            return false;
        }
        log.info("tunnel {}: IKE SA {} with {} belongs to {}; handing it over", tunnel.label(), engine.id(), r,
                other.get());
        cancelTimer(engine);
        manager.adopt(chosen, new Adopt(engine, l, r, started, step));
        return true;
    }

    /**
     * Takes {@code a}'s IKE SA as if negotiated beside ours ({@link #besideUp}); a half-open one of the peer's beside
     * goes on in an actor of its own ({@link SpareResponder}), our own attempt beside goes.
     */
    private void adopt(Adopt a) {
        if (beside != null && beside.state() == IkeState.SETUP_REMOTE_INIT && !beside.originalInitiator()) {
            cancelTimer(beside);
            aside.spare(beside, besideLocal, besideRemote, besideStarted);
            beside = null;
        } else if (beside != null && beside.state() != IkeState.CLOSED) {
            log.info("tunnel {}: IKE SA {} negotiating beside ours dropped for {}, handed over", tunnel.label(),
                    beside.id(), a.engine().id());
            closeAndForget(beside);
        }
        dropBeside();
        beside = a.engine();
        besideLocal = a.local();
        besideRemote = a.remote();
        besideStarted = a.started();
        identity.adopted(a.engine().peerId().map(SiteIdentity::key));
        manager.contacted(a.remote().getAddress());
        applyBeside(a.step());
        IkeSession adopted = a.engine();
        if (adopted.state() != IkeState.CLOSED && (adopted == session || adopted == beside)) {
            adopted.nextTimer().ifPresent(at -> setTimer(adopted, at));
        }
    }

    /**
     * The peer (or anyone with its address: nothing is authenticated yet) initiates an IKE SA: a responder engine
     * answers beside ours, which stays until the new one has authenticated ({@link #besideUp}). With a half-open
     * one of the peer's beside already (a gateway starting several connections at once), it is answered in an actor of
     * its own ({@link SpareResponder}), or, refused at once, only answered ({@link AsideHandoff#spare}); with our own
     * second attempt beside, it is dropped (the peer retransmits).
     */
    private void answer(Answer a) {
        long spi = java.nio.ByteBuffer.wrap(a.first().datagram()).getLong(0);
        if ((session != null && session.state() != IkeState.IDLE && session.initiatorSpis().contains(spi))
                || (beside != null && beside.initiatorSpis().contains(spi))) {
            inbound(a.first()); // a retransmission of a request already answered
            return;
        }
        if (beside != null && beside.state() != IkeState.CLOSED) {
            if (beside.originalInitiator() || beside.state() != IkeState.SETUP_REMOTE_INIT) {
                log.info("tunnel {}: IKE_SA_INIT from {} while another IKE SA is being negotiated beside ours; "
                        + "dropped", tunnel.label(), a.first().from());
                manager.unregister(spi, ctx.getSelf());
                return;
            }
            aside.spare(a, spi); // a SpareResponder, or (refused at once) only the refusal
            return;
        }
        log.info("tunnel {}: the peer {} initiates an IKE SA; answering beside ours", tunnel.label(),
                Host.of(a.first().from().getAddress()));
        besideLocal = a.local();
        besideRemote = a.first().from();
        besideStarted = clock.instant();
        beside = aside.responder(besideLocal, besideRemote, a.candidates());
        routes.route(spi);
        applyBeside(beside.handle(new IkeInput.Received(a.first().datagram(), a.first().from(),
                IkeSessionCommands.at(a.first().to(), besideLocal))));
    }

    /**
     * The outputs of the engine beside the session: sent and timed; its events are held from the tunnel until it
     * comes up, and then either it takes over, or the duplicate is resolved.
     */
    private void applyBeside(IkeSession.Step step) {
        IkeSession mine = beside;
        java.util.List<IkeOutput.Event> held = new java.util.ArrayList<>();
        boolean up = false;
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> setTimer(mine, t.at());
                case IkeOutput.Event e -> {
                    up |= e instanceof IkeOutput.Phase1Up;
                    held.add(e);
                }
            }
        }
        if (beside != mine) {
            return;
        }
        if (up && mine.state() != IkeState.CLOSED) {
            besideUp(held);
            return;
        }
        // IDLE: the request was dropped, or answered statelessly; nothing half-open to keep
        if (mine.state() == IkeState.CLOSED || mine.state() == IkeState.IDLE) {
            for (IkeOutput.Event e : held) {
                if (e instanceof IkeOutput.NegotiationFailed f) {
                    log.info("tunnel {}: IKE SA {} beside ours failed: {} {}", tunnel.label(), mine.id(), f.reason(),
                            f.detail());
                } else if (e instanceof IkeOutput.Phase1Down d) {
                    log.info("tunnel {}: IKE SA {} beside ours ended: {}", tunnel.label(), mine.id(), d.detail());
                }
            }
            dropBeside();
            return;
        }
        register();
    }

    /** The IKE SA beside came up with {@code held} events: it takes over, or one of the two duplicates goes. */
    private void besideUp(java.util.List<IkeOutput.Event> held) {
        manager.contacted(besideRemote.getAddress());
        if (session == null || session.state() != IkeState.ESTABLISHED) {
            // ours is not up (negotiating, or between attempts): the one beside is the tunnel's now, ours goes beside
            swap();
            policy.tookOver();
            if (beside != null && beside.state() == IkeState.CLOSED) {
                dropBeside();
            }
            register();
            report(held);
            return;
        }
        IkeSaId current = session.id();
        IkeSaId other = beside.id();
        TunnelPolicy.Verdict verdict = policy.duplicate(session.initialContact(), current, beside.initialContact(),
                other, beside.originalInitiator(), besideStarted);
        boolean besideWins = verdict.second();
        String why = verdict.why();
        if (besideWins) {
            log.info("tunnel {}: duplicate IKE SAs {} and {}: {} survives ({})", tunnel.label(), current, other,
                    other, why);
            closeAndForget(session);
            swap();
            policy.tookOver();
            dropBeside();
            register();
            manager.event(tunnel.label(), new IkeOutput.Phase1Down(current, Optional.empty(),
                    "duplicate IKE SA: " + other + " survives (" + why + ")"));
            report(held);
        } else {
            log.info("tunnel {}: duplicate IKE SAs {} and {}: {} survives ({}); deleting {}", tunnel.label(),
                    current, other, current, why, other);
            closeAndForget(beside);
            dropBeside();
            register();
        }
    }

    /** Closes {@code s} (the session or the one beside) and forgets it; its Delete awaits the peer's answer elsewhere. */
    private void closeAndForget(IkeSession s) {
        cancelTimer(s);
        ClosingIkeSa.close(manager, tunnel.label(), s, s == session ? local : besideLocal,
                s == session ? remote : besideRemote);
    }

    /** Exchanges the session and the one beside (with their endpoints and times). */
    private void swap() {
        IkeSession s = session;
        InetSocketAddress l = local;
        InetSocketAddress r = remote;
        Instant st = sessionStarted;
        session = beside;
        local = besideLocal;
        remote = besideRemote;
        sessionStarted = besideStarted;
        beside = s;
        besideLocal = l;
        besideRemote = r;
        besideStarted = st;
    }

    /** Forgets the engine beside (its routes with the next {@link #register}). */
    private void dropBeside() {
        if (beside != null) {
            cancelTimer(beside);
        }
        beside = null;
        besideLocal = null;
        besideRemote = null;
        besideStarted = null;
        register();
    }

    /** Reports events of the session held until now (as {@link #apply} would have). */
    private void report(java.util.List<IkeOutput.Event> held) {
        java.util.List<IkeOutput> outputs = new java.util.ArrayList<>(held);
        apply(new IkeSession.Step(session.state(), outputs));
    }

    private void setTimer(IkeSession owner, Instant at) {
        timers.startSingleTimer(owner, Tick.INSTANCE, IkeSessionCommands.max0(Duration.between(clock.instant(), at)));
    }

    private void cancelTimer(IkeSession owner) {
        if (owner != null) {
            timers.cancel(owner);
        }
    }

    /**
     * After a step: a closed initiator retries later, a responder stops once nothing negotiates. Our own attempt
     * beside takes a closed session's place; a (maybe spoofed) responder beside only once authenticated ({@link
     * #besideUp}).
     */
    private Behavior<Command> afterStep() {
        if (session != null && session.state() == IkeState.CLOSED) {
            cancelTimer(session);
            session = null;
            if (beside != null && beside.state() != IkeState.CLOSED && beside.originalInitiator()) {
                swap();
                policy.down();
                beside = null;
                dropBeside();
                return Behaviors.same();
            }
            register();
            if (initiator) {
                timers.startSingleTimer(Restart.INSTANCE, policy.closed());
            } else {
                policy.down();
            }
        }
        if (!initiator && session == null && (beside == null || beside.state() == IkeState.CLOSED)) {
            return end();
        }
        return Behaviors.same();
    }

    private Behavior<Command> end() {
        unregister();
        manager.ended(tunnel.label(), ctx.getSelf());
        return EndingSession.of(manager, tunnel.label(), ctx.getSelf());
    }

    /** Routes the session's initiator SPIs here (several while an IKE SA rekey completes), and no others. */
    private void register() {
        java.util.Set<Long> wanted = new java.util.HashSet<>();
        for (IkeSession s : java.util.Arrays.asList(session, beside)) {
            if (s != null) {
                wanted.addAll(s.initiatorSpis());
            }
        }
        routes.routeOnly(wanted);
    }

    private void unregister() {
        routes.routeOnly(java.util.Set.of());
    }

    private void apply(IkeSession.Step step) {
        manager.batch(() -> applyNow(step)); // the step's sends and reports reach the outcome lane at once
    }

    private void applyNow(IkeSession.Step step) {
        register();
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> setTimer(session, t.at());
                case IkeOutput.Event e -> {
                    if (e instanceof IkeOutput.Phase1Up) {
                        Optional<Duration> probeHead = policy.up();
                        if (remote != null) {
                            manager.contacted(remote.getAddress());
                        }
                        probeHead.ifPresent(every -> timers.startTimerWithFixedDelay(TryHead.INSTANCE, every, every));
                    }
                    try {
                        if (PeerFailover.peerDead(e)) {
                            manager.dpdLost(tunnel.label(), (IkeOutput.Phase1Down) e);
                            policy.peerDead().ifPresent(this::switchTo);
                        } else if (e instanceof IkeOutput.Phase1Down d && d.reason().isEmpty() && beside != null
                                && beside.originalInitiator() && beside.state() != IkeState.CLOSED
                                && session.state() == IkeState.CLOSED) {
                            // the peer resolved the duplicate first: the IKE SA negotiated beside takes over
                            manager.event(tunnel.label(), new IkeOutput.Phase1Down(d.id(), d.reason(), d.detail()
                                    + " (a duplicate IKE SA: " + beside.id() + " takes over)"));
                        } else {
                            manager.event(tunnel.label(), e);
                            if (PeerFailover.setupTimedOut(e) && session.state() == IkeState.CLOSED) {
                                policy.setupTimedOut().ifPresent(this::switchTo);
                            }
                        }
                    } catch (RuntimeException ex) {
                        log.error("tunnel {}: handling {} failed", tunnel.label(), e.getClass().getSimpleName(), ex);
                    }
                }
            }
        }
    }

    /** The next sessions go to {@code peer}; the tunnel journals peer-switched. */
    private void switchTo(Host peer) {
        timers.cancel(TryHead.INSTANCE);
        probe.drop();
        manager.peerSwitched(tunnel.label(), peer, net.palisade.model.event.Cause.TIMER);
    }

    /** Starts a probe IKE SA with the list's head, unless one is running or the current IKE SA is not up. */
    private void tryHead() {
        switch (policy.headProbeDue(established(), probe.busy())) {
            case STOP -> timers.cancel(TryHead.INSTANCE);
            case WAIT -> { }
            case PROBE -> {
                log.info("tunnel {}: trying the first peer {} again", tunnel.label(), policy.head());
                probe.resolving(true);
                lookUp(Purpose.PROBE, policy.head());
            }
        }
    }

    private boolean established() {
        return session != null && session.state() == IkeState.ESTABLISHED;
    }

    /** Starts the probe with the endpoints looked up for the head (if it is still wanted and they exist). */
    private void probeResolved(Resolved r) {
        probe.resolving(false);
        if (r.error() != null) {
            log.info("tunnel {}: not trying the first peer: {}", tunnel.label(), PeerResolver.unavailable(r.peer(), r.error()));
            return;
        }
        if (probe.running() || !policy.probeWanted(r.peer(), established())) {
            return;
        }
        probeUp(probe.start(HeadProbe.Engine.of(IkeSession.initiator(policy.engineTunnelOrAddress(manager::hostName),
                r.endpoints().local(), r.endpoints().remote(), manager.environment(clock), settings))));
    }

    /** The probe came up (it is closed already): the current IKE SA goes and the tunnel switches back to the head. */
    private void probeUp(boolean up) {
        if (!up) {
            return;
        }
        log.info("tunnel {}: the first peer {} answers again; switching back", tunnel.label(), policy.head());
        if (session != null && session.state() != IkeState.CLOSED) {
            IkeSaId id = session.id();
            closeAndForget(session);
            manager.event(tunnel.label(), new IkeOutput.Phase1Down(id, Optional.empty(),
                    "switching back to the first peer"));
        }
        cancelTimer(session);
        session = null;
        register();
        switchTo(policy.probeUp());
        startInitiator();
    }

}
