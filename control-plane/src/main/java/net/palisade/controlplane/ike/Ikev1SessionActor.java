package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.controlplane.ikev1.Ikev1Session;
import net.palisade.controlplane.ikev1.Ikev1Snapshot;
import net.palisade.controlplane.ikev1.Ikev1State;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.Cause;
import net.palisade.model.event.FailureReason;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one IKEv1 tunnel's {@link Ikev1Engine} (the pure engine) as {@link IkeSessionActor} drives IKEv2 sessions,
 * with the same commands, the same {@link SessionDriver} (transport, initiator-cookie routing, the outcome
 * lane to {@link IkeOutcomes}) and the same {@link TunnelPolicy} decisions: backoff between attempts, {@code
 * dpd-lost} and the switch to the next peer, the next peer after a phase 1 that got no answer, and a {@code dynamic}
 * tunnel's address check. The engine replaces its own ISAKMP SA (re-authentication) and ESP SAs, so the actor holds
 * one engine. A passive tunnel without a peer has one such actor per peer (IkeManager keys them by the ID of an
 * aggressive-mode message 1, else by the peer's address and NAT port), so one site's phase 1 does not replace
 * another's.
 *
 * <p>A phase 1 the peer starts while ours runs (its re-authentication, which IKEv1 does instead of a rekey, or a
 * peer that restarted) is answered beside ours; unauthenticated, it changes nothing until it comes up, and then it
 * takes over: the tunnel journals {@code rekeyed} for the ISAKMP SA, and the replaced one is kept {@link
 * #REPLACED_GRACE} for the peer's Deletes of its ESP SAs (its own end is not reported as {@code phase1-down}, which
 * would remove the tunnel's SAs), then closed.
 *
 * <p>On another peer than the list's head, it tries the head again as the IKEv2 actor does ({@link HeadProbe}): a
 * phase 1 with the head beside the running ISAKMP SA, its events kept from the tunnel; once it comes up it is
 * deleted, the running ISAKMP SA goes ({@code phase1-down}) and the tunnel switches back and negotiates with the head.
 */
final class Ikev1SessionActor {
    private static final Logger log = LoggerFactory.getLogger(Ikev1SessionActor.class);

    /** How long an ISAKMP SA the peer replaced is kept for its Deletes. */
    static final Duration REPLACED_GRACE = Duration.ofSeconds(30);

    /** The grace of the replaced ISAKMP SA is over. */
    private enum RetireReplaced implements IkeSessionActor.Command { INSTANCE }

    /** A timer of the engine beside or of the replaced one. */
    private enum OtherTick implements IkeSessionActor.Command { INSTANCE }

    private final SessionDriver manager;
    private final IkeSettings settings;
    private final IkeTunnel tunnel;
    private final boolean initiator;
    private final Clock clock;
    private final TunnelPolicy policy;
    private final ActorContext<IkeSessionActor.Command> ctx;
    private final TimerScheduler<IkeSessionActor.Command> timers;
    private final Set<Long> registered = new HashSet<>();
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private Ikev1Engine engine;
    /**
     * A phase 1 the peer started while ours is up or being set up (its re-authentication, or a restart): its events
     * are held until it authenticates, and then it takes {@link #engine}'s place ({@link #besideUp}).
     */
    private Ikev1Engine beside;
    private InetSocketAddress besideLocal;
    /** An ISAKMP SA replaced by the peer's: kept for the peer's Deletes of its ESP SAs, then closed quietly. */
    private Ikev1Engine replaced;
    private boolean resolving;
    private boolean checking;
    private final HeadProbe probe;
    private final SiteIdentity identity;

    private Ikev1SessionActor(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel, boolean initiator,
            TunnelPolicy policy, Clock clock, ActorContext<IkeSessionActor.Command> ctx,
            TimerScheduler<IkeSessionActor.Command> timers) {
        this.manager = new JournalFirst(manager); // an ISAKMP SA's state goes out before the datagram after it
        this.settings = settings;
        this.tunnel = tunnel;
        this.initiator = initiator;
        this.policy = policy;
        this.clock = clock;
        this.ctx = ctx;
        this.timers = timers;
        this.probe = new HeadProbe(manager, timers, clock, ctx.getSelf());
        this.identity = new SiteIdentity(tunnel, initiator);
    }

    /**
     * An ISAKMP SA whose phase 1 authenticated a peer whose SAs another actor of this any-peer tunnel holds ({@link
     * SiteIdentity}): it goes on there, beside that actor's (it replaces it: the same peer authenticated again), or
     * as a new actor's.
     *
     * ({@code remote}: where it came up; {@code held}: its step's events, not yet reported; {@code timer}: when its
     * engine wants a tick)
     */
    record Adopt(Ikev1Engine engine, InetSocketAddress local, InetSocketAddress remote, List<IkeOutput.Event> held,
            Optional<java.time.Instant> timer) implements IkeSessionActor.Command {}

    /** A responder actor for {@code tunnel} going on with the ISAKMP SA {@code first} hands it. */
    static Behavior<IkeSessionActor.Command> adopted(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel,
            Adopt first) {
        Clock clock = Clock.systemUTC();
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Ikev1SessionActor a = new Ikev1SessionActor(manager, settings, tunnel, false,
                    TunnelPolicy.responder(tunnel, settings, clock), clock, ctx, timers);
            a.adopt(first);
            return a.guarded();
        }));
    }

    /** Goes on with the journaled ISAKMP SA {@code p} and its ESP SA pairs (docs/ha.md, "IKEv1"). */
    static Behavior<IkeSessionActor.Command> resumed(SessionDriver manager, IkeSettings settings, IkeTunnel tunnel,
            IkeResumption.Prepared p) {
        Clock clock = Clock.systemUTC();
        boolean initiator = tunnel.mode() != net.palisade.model.IkeMode.PASSIVE && !tunnel.peers().isEmpty();
        TunnelPolicy policy = initiator ? TunnelPolicy.initiator(tunnel, settings, clock)
                : TunnelPolicy.responder(tunnel, settings, clock);
        Set<Long> withKeys = new HashSet<>(p.children().stream().map(IkeOutput.ChildSaInstalled::inboundSpi).toList());
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Ikev1SessionActor a = new Ikev1SessionActor(manager, settings, tunnel, initiator, policy, clock, ctx, timers);
            Ikev1Snapshot st = p.v1().orElseThrow();
            a.local = st.local();
            a.remote = st.remote();
            a.engine = Ikev1Engine.resumed(initiator ? a.engineTunnel() : tunnel, st, withKeys,
                    manager.environment(clock), settings);
            st.wipe();
            a.identity.adopted(p.identity());
            policy.addressCheckEvery().ifPresent(every -> timers.startTimerWithFixedDelay(
                    IkeSessionActor.CheckAddress.INSTANCE, every, every));
            policy.up().ifPresent(every -> timers.startTimerWithFixedDelay(IkeSessionActor.TryHead.INSTANCE, every,
                    every));
            manager.contacted(a.remote.getAddress());
            a.apply(a.engine.handle(new IkeInput.Tick()));
            // phase 1 may have expired while no process held it (a restart that took longer than its lifetime): the
            // first tick closed it, and as after any step an initiator starts again after its pause, a responder ends
            Behavior<IkeSessionActor.Command> next = a.afterStep();
            return Behavior.isAlive(next) ? a.guarded() : next;
        }));
    }

    /** An initiator (main or aggressive mode, as the tunnel says) towards {@code tunnel}'s peers. */
    static Behavior<IkeSessionActor.Command> initiator(SessionDriver manager, IkeSettings settings,
            IkeTunnel tunnel) {
        Clock clock = Clock.systemUTC();
        TunnelPolicy policy = TunnelPolicy.initiator(tunnel, settings, clock);
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Ikev1SessionActor a = new Ikev1SessionActor(manager, settings, tunnel, true, policy, clock, ctx, timers);
            policy.addressCheckEvery().ifPresent(every -> timers.startTimerWithFixedDelay(
                    IkeSessionActor.CheckAddress.INSTANCE, every, every));
            a.startInitiator();
            return a.guarded();
        }));
    }

    /** A responder to {@code first}, a phase-1 message 1. */
    static Behavior<IkeSessionActor.Command> responder(SessionDriver manager, IkeSettings settings,
            IkeTunnel tunnel, InetSocketAddress local, IkeSessionActor.Inbound first) {
        Clock clock = Clock.systemUTC();
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Ikev1SessionActor a = new Ikev1SessionActor(manager, settings, tunnel, false,
                    TunnelPolicy.responder(tunnel, settings, clock), clock, ctx, timers);
            a.respond(local, first);
            if (a.engine.state() == Ikev1State.CLOSED || a.engine.state() == Ikev1State.IDLE) {
                // refused at once: no ISAKMP SA. Not ended here, where the node may not have made it the tunnel's
                // session yet, but after HALF_OPEN (a Tick with no engine), unless the peer's retry comes first
                a.timers.cancel(IkeSessionActor.Tick.INSTANCE);
                a.engine = null;
                a.register();
                timers.startSingleTimer(IkeSessionActor.Tick.INSTANCE, IkeSession.HALF_OPEN);
            }
            return a.guarded();
        }));
    }

    /** The handlers, guarded: an exception ends the ISAKMP SA as a failure instead of stopping silently. */
    private Behavior<IkeSessionActor.Command> guarded() {
        return Behaviors.intercept(() -> new org.apache.pekko.actor.typed.BehaviorInterceptor<
                IkeSessionActor.Command, IkeSessionActor.Command>(IkeSessionActor.Command.class) {
            @Override
            public Behavior<IkeSessionActor.Command> aroundReceive(
                    org.apache.pekko.actor.typed.TypedActorContext<IkeSessionActor.Command> c,
                    IkeSessionActor.Command message, ReceiveTarget<IkeSessionActor.Command> target) {
                try {
                    return target.apply(c, message);
                } catch (RuntimeException e) {
                    return crashed(message, e);
                }
            }
        }, handlers());
    }

    private Behavior<IkeSessionActor.Command> handlers() {
        return Behaviors.receive(IkeSessionActor.Command.class)
                .onMessage(IkeSessionActor.Inbound.class, in -> {
                    inbound(in);
                    return afterStep();
                })
                .onMessage(IkeSessionActor.Answer.class, a -> {
                    answer(a);
                    return afterStep();
                })
                .onMessage(Adopt.class, a -> {
                    adopt(a);
                    return afterStep();
                })
                .onMessageEquals(IkeSessionActor.Tick.INSTANCE, this::tickAll)
                .onMessageEquals(OtherTick.INSTANCE, this::tickAll)
                .onMessageEquals(RetireReplaced.INSTANCE, () -> {
                    if (replaced != null) {
                        applyReplaced(replaced.handle(new IkeInput.Close()));
                        replaced = null;
                        register();
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(IkeSessionActor.Restart.INSTANCE, () -> {
                    if (initiator && !resolving && (engine == null || engine.state() == Ikev1State.CLOSED)
                            && beside == null) {
                        startInitiator();
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(IkeSessionActor.CheckAddress.INSTANCE, () -> {
                    if (!checking && established()) {
                        checking = true;
                        lookUp(IkeSessionActor.Purpose.CHECK, policy.current());
                    }
                    return Behaviors.same();
                })
                .onMessage(IkeSessionActor.Resolved.class, r -> {
                    switch (r.purpose()) {
                        case CHECK -> addressChecked(r);
                        case SESSION -> sessionResolved(r);
                        case PROBE -> probeResolved(r);
                    }
                    return afterStep();
                })
                .onMessage(IkeSessionActor.Stop.class, stop -> {
                    try {
                        if (engine != null && engine.state() != Ikev1State.CLOSED) {
                            apply(engine.handle(new IkeInput.Close()));
                        }
                        for (Ikev1Engine other : java.util.Arrays.asList(beside, replaced)) {
                            if (other != null && other.state() != Ikev1State.CLOSED) {
                                sendOnly(other.handle(new IkeInput.Close()));
                            }
                        }
                        probe.drop();
                        unregister();
                    } finally {
                        stop.done().complete(null);
                    }
                    return Behaviors.stopped();
                })
                // the tunnel's ping went unanswered: like a dead peer, for a tunnel that initiates (as IKEv2)
                .onMessageEquals(IkeSessionActor.PingLost.INSTANCE, () -> {
                    if (initiator && established()) {
                        pingLost();
                    }
                    return afterStep();
                })
                // the dataplane says an SA's outbound sequence numbers run out: a new quick mode replaces it
                .onMessage(IkeSessionActor.SequenceSoftLimit.class, l -> {
                    if (engine != null) {
                        apply(engine.handle(new IkeInput.SequenceSoftLimit(l.outboundSpi())));
                    }
                    return afterStep();
                })
                .onMessageEquals(IkeSessionActor.TryHead.INSTANCE, () -> {
                    tryHead();
                    return Behaviors.same();
                })
                .onMessageEquals(IkeSessionActor.ProbeTick.INSTANCE, () -> {
                    probeUp(probe.handle(new IkeInput.Tick()));
                    return afterStep();
                })
                .build();
    }

    /** Looks up the endpoints towards the current peer; the engine starts when they arrive. */
    private void startInitiator() {
        engine = null;
        policy.starting();
        register();
        resolving = true;
        lookUp(IkeSessionActor.Purpose.SESSION, policy.current());
    }

    private void lookUp(IkeSessionActor.Purpose purpose, Host peer) {
        CompletionStage<IkeSessionActor.Endpoints> e;
        try {
            e = manager.endpoints(tunnel, peer);
        } catch (RuntimeException ex) {
            e = CompletableFuture.failedFuture(ex);
        }
        ctx.pipeToSelf(e, (ok, error) -> new IkeSessionActor.Resolved(purpose, peer, ok, error));
    }

    private void sessionResolved(IkeSessionActor.Resolved r) {
        resolving = false;
        if (engine != null && engine.state() != Ikev1State.CLOSED) {
            return;
        }
        if (r.error() != null) {
            String detail = PeerResolver.unavailable(r.peer(), r.error());
            log.warn("tunnel {}: {}", tunnel.label(), detail);
            manager.event(tunnel.label(), new IkeOutput.NegotiationFailed(FailureReason.ADDRESS_UNAVAILABLE, detail));
            policy.addressUnavailable().ifPresent(this::switchTo);
            timers.startSingleTimer(IkeSessionActor.Restart.INSTANCE, policy.failedAttempt());
            return;
        }
        local = r.endpoints().local();
        remote = r.endpoints().remote();
        engine = Ikev1Engine.initiator(engineTunnel(), local, remote, manager.environment(clock), settings);
        policy.starting();
        if (manager.initialContact(remote.getAddress())) {
            engine.sendInitialContact();
        }
        Ikev1Session.Step step = engine.handle(new IkeInput.Start());
        register(); // before anything is sent: the answer may come at once
        apply(step);
    }

    /** The tunnel as the engine sees it: a {@code dynamic} tunnel's identity is the host name, as for IKEv2. */
    private IkeTunnel engineTunnel() {
        return policy.engineTunnelOrAddress(manager::hostName);
    }

    private void respond(InetSocketAddress ours, IkeSessionActor.Inbound first) {
        local = ours;
        remote = first.from();
        engine = Ikev1Engine.responder(tunnel, local, remote, manager.environment(clock), settings);
        register();
        apply(engine.handle(new IkeInput.Received(first.datagram(), first.from(), at(first.to()))));
    }

    /**
     * A phase-1 message 1 from the peer of a running tunnel. Taken only when we have no ISAKMP SA in progress (an
     * initiator between attempts, or a responder whose SA ended); otherwise dropped: it is unauthenticated and must
     * not disturb ours.
     */
    private void answer(IkeSessionActor.Answer a) {
        long cookie = java.nio.ByteBuffer.wrap(a.first().datagram()).getLong(0);
        if (engine != null && engine.initiatorCookies().contains(cookie)) {
            apply(engine.handle(new IkeInput.Received(a.first().datagram(), a.first().from(), at(a.first().to()))));
            return;
        }
        if (beside != null && beside.initiatorCookies().contains(cookie)) {
            applyBeside(beside.handle(new IkeInput.Received(a.first().datagram(), a.first().from(),
                    at(a.first().to()))));
            return;
        }
        if (engine != null && engine.state() != Ikev1State.CLOSED) {
            if (beside != null && beside.state() != Ikev1State.CLOSED) {
                log.info("tunnel {}: IKEv1 phase 1 from {} while another is negotiated beside ours; dropped",
                        tunnel.label(), a.first().from());
                manager.unregister(cookie, ctx.getSelf());
                return;
            }
            log.info("tunnel {}: the peer {} starts a phase 1 beside our ISAKMP SA {} ({}); answering",
                    tunnel.label(), Host.of(a.first().from().getAddress()), engine.id(), engine.state());
            besideLocal = a.local();
            beside = Ikev1Engine.responder(tunnel, besideLocal, a.first().from(), manager.environment(clock),
                    settings);
            register();
            applyBeside(beside.handle(new IkeInput.Received(a.first().datagram(), a.first().from(),
                    at(a.first().to()))));
            return;
        }
        log.info("tunnel {}: the peer {} initiates IKEv1 phase 1; answering", tunnel.label(),
                Host.of(a.first().from().getAddress()));
        timers.cancel(IkeSessionActor.Restart.INSTANCE);
        respond(a.local(), a.first());
    }

    private void inbound(IkeSessionActor.Inbound in) {
        long cookie = in.datagram().length >= 8 ? java.nio.ByteBuffer.wrap(in.datagram()).getLong(0) : 0;
        IkeInput.Received r = new IkeInput.Received(in.datagram(), in.from(), at(in.to()));
        if (probe.owns(cookie)) {
            probeUp(probe.handle(r));
        } else if (beside != null && beside.initiatorCookies().contains(cookie)) {
            applyBeside(beside.handle(r));
        } else if (replaced != null && replaced.initiatorCookies().contains(cookie)) {
            applyReplaced(replaced.handle(r));
        } else if (engine != null) {
            apply(engine.handle(r));
        }
    }

    /** A timer fired: every engine looks at its deadlines (an early tick changes nothing). */
    private Behavior<IkeSessionActor.Command> tickAll() {
        if (beside != null) {
            applyBeside(beside.handle(new IkeInput.Tick()));
        }
        if (replaced != null) {
            applyReplaced(replaced.handle(new IkeInput.Tick()));
        }
        if (engine != null) {
            apply(engine.handle(new IkeInput.Tick()));
        }
        return afterStep();
    }

    /** The engine beside ours: sent and timed; its events held until it authenticates. */
    private void applyBeside(Ikev1Session.Step step) {
        Ikev1Engine mine = beside;
        List<IkeOutput.Event> held = new java.util.ArrayList<>();
        boolean up = false;
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timers.startSingleTimer("beside", OtherTick.INSTANCE,
                        IkeSessionCommands.max0(Duration.between(clock.instant(), t.at())));
                case IkeOutput.Event e -> {
                    up |= e instanceof IkeOutput.Phase1Up;
                    held.add(e);
                }
            }
        }
        if (up && mine.state() == Ikev1State.ESTABLISHED && handedOver(mine, besideLocal, step)) {
            timers.cancel("beside");
            beside = null;
            besideLocal = null;
            register();
        } else if (up && mine.state() == Ikev1State.ESTABLISHED) {
            besideUp(held);
        } else if (mine.state() == Ikev1State.CLOSED || mine.state() == Ikev1State.IDLE) {
            for (IkeOutput.Event e : held) {
                if (e instanceof IkeOutput.NegotiationFailed f) {
                    log.info("tunnel {}: phase 1 beside ours failed: {} {}", tunnel.label(), f.reason(), f.detail());
                }
            }
            beside = null;
            register();
            if (initiator && (engine == null || engine.state() == Ikev1State.CLOSED) && !resolving) {
                timers.startSingleTimer(IkeSessionActor.Restart.INSTANCE, policy.failedAttempt());
            }
        }
    }

    /**
     * The peer's phase 1 beside ours authenticated: it is the tunnel's now. Ours, if it was up, is replaced (the
     * journal says {@code rekeyed}) and kept for {@link #REPLACED_GRACE}; if it was not up, it is closed.
     */
    private void besideUp(List<IkeOutput.Event> held) {
        Ikev1Engine old = engine;
        engine = beside;
        local = besideLocal;
        beside = null;
        besideLocal = null;
        timers.cancel(IkeSessionActor.Restart.INSTANCE);
        resolving = false;
        if (old != null && old.state() == Ikev1State.ESTABLISHED) {
            log.info("tunnel {}: the peer's ISAKMP SA {} replaces {}", tunnel.label(), engine.id(), old.id());
            if (replaced != null) {
                sendOnly(replaced.handle(new IkeInput.Close()));
            }
            replaced = old;
            timers.startSingleTimer(RetireReplaced.INSTANCE, REPLACED_GRACE);
            register();
            // from where the peer's phase 1 came up: a site behind a NAT may come back from another port
            Optional<InetSocketAddress> at = held.stream().filter(IkeOutput.Phase1Up.class::isInstance)
                    .map(e -> ((IkeOutput.Phase1Up) e).peer()).findFirst();
            manager.event(tunnel.label(), new IkeOutput.IkeSaRekeyed(old.id(), engine.id(), false, at));
            for (IkeOutput.Event e : held) {
                if (!(e instanceof IkeOutput.Phase1Up)) {
                    report(e);
                }
            }
            return;
        }
        if (old != null && old.state() != Ikev1State.CLOSED) {
            sendOnly(old.handle(new IkeInput.Close()));
        }
        register();
        held.forEach(this::report);
    }

    /**
     * Whether {@code step} of {@code e} (at our address {@code l}) authenticated a peer whose ISAKMP SAs another actor
     * of this any-peer tunnel holds, or should ({@link SiteIdentity}): then what the step sends is sent here, and the
     * engine with the step's events goes to that actor ({@link SessionDriver#adoptV1}); the caller forgets it.
     */
    private boolean handedOver(Ikev1Engine e, InetSocketAddress l, Ikev1Session.Step step) {
        Optional<InetSocketAddress> at = step.outputs().stream().filter(IkeOutput.Phase1Up.class::isInstance)
                .map(o -> ((IkeOutput.Phase1Up) o).peer()).findFirst();
        if (at.isEmpty() || e.state() != Ikev1State.ESTABLISHED) {
            return false;
        }
        Optional<String> other = identity.authenticated(e.peerId().map(SiteIdentity::key),
                id -> manager.claim(tunnel.label(), id, ctx.getSelf()));
        if (other.isEmpty()) {
            return false;
        }
        log.info("tunnel {}: ISAKMP SA {} with {} authenticated {}{}; to that peer's session", tunnel.label(), e.id(),
                at.get(), other.get(), identity.held().map(h -> ", not " + h).orElse(""));
        List<IkeOutput.Event> events = new java.util.ArrayList<>();
        Optional<java.time.Instant> timer = Optional.empty();
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timer = Optional.of(t.at());
                case IkeOutput.Event ev -> events.add(ev);
            }
        }
        manager.adoptV1(tunnel.label(), other.get(), new Adopt(e, l, at.get(), events, timer));
        return true;
    }

    /**
     * Takes {@code a}'s ISAKMP SA, of the peer whose SAs this actor holds: as the tunnel's if this actor has none
     * up (a new actor), else as if the peer's phase 1 beside ours had come up here: it replaces ours ({@link
     * #besideUp}). One negotiating beside ours goes.
     */
    private void adopt(Adopt a) {
        identity.adopted(a.engine().peerId().map(SiteIdentity::key));
        manager.contacted(a.remote().getAddress());
        if (engine == null || engine.state() == Ikev1State.CLOSED) {
            engine = a.engine();
            local = a.local();
            remote = a.remote();
            register();
            a.held().forEach(this::report);
        } else {
            if (beside != null && beside.state() != Ikev1State.CLOSED) {
                log.info("tunnel {}: phase 1 {} beside ours dropped for {}, handed over", tunnel.label(), beside.id(),
                        a.engine().id());
                sendOnly(beside.handle(new IkeInput.Close()));
            }
            timers.cancel("beside");
            beside = a.engine();
            besideLocal = a.local();
            register();
            besideUp(a.held());
            remote = a.remote();
        }
        a.timer().ifPresent(at -> timers.startSingleTimer(IkeSessionActor.Tick.INSTANCE,
                IkeSessionCommands.max0(Duration.between(clock.instant(), at))));
    }

    /** The replaced ISAKMP SA: its ESP SAs' deletes reach the SA owner; its own end is not the tunnel's. */
    private void applyReplaced(Ikev1Session.Step step) {
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timers.startSingleTimer("replaced", OtherTick.INSTANCE,
                        IkeSessionCommands.max0(Duration.between(clock.instant(), t.at())));
                case IkeOutput.ChildSaDeleted d -> manager.event(tunnel.label(), d);
                case IkeOutput.IsakmpSaState st -> st.snapshot().wipe(); // no longer the tunnel's: not journaled
                case IkeOutput.Event e -> log.debug("tunnel {}: replaced ISAKMP SA: {}", tunnel.label(), e);
            }
        }
        if (replaced != null && replaced.state() == Ikev1State.CLOSED) {
            replaced = null;
            timers.cancel(RetireReplaced.INSTANCE);
            register();
        }
    }

    /** Sends what a step sends, nothing else (an engine we are letting go of). */
    private void sendOnly(Ikev1Session.Step step) {
        manager.sendAll(step.outputs());
    }

    /** Our address towards the peer moved under the established ISAKMP SA: phase 1 again from the new one. */
    private void addressChecked(IkeSessionActor.Resolved r) {
        checking = false;
        if (r.error() != null || !established()) {
            return;
        }
        InetAddress now = r.endpoints().local().getAddress();
        Optional<String> moved = policy.addressChanged(r.peer(), now, local.getAddress());
        if (moved.isEmpty()) {
            return;
        }
        log.info("tunnel {}: our address towards {} is now {}, not {}; re-establishing", tunnel.label(),
                Host.of(remote.getAddress()), Host.of(now), Host.of(local.getAddress()));
        IkeSaId id = engine.id();
        sendOnly(engine.handle(new IkeInput.Close())); // best effort: the old address may be gone
        timers.cancel(IkeSessionActor.Tick.INSTANCE);
        engine = null;
        register();
        manager.event(tunnel.label(), new IkeOutput.Phase1Down(id, Optional.empty(), moved.get()));
        startInitiator();
    }

    private boolean established() {
        return engine != null && engine.state() == Ikev1State.ESTABLISHED;
    }

    /** Ends the ISAKMP SA as after a dead peer (best-effort delete) and moves on as DPD loss would. */
    private void pingLost() {
        IkeSaId id = engine.id();
        sendOnly(engine.handle(new IkeInput.Close()));
        timers.cancel(IkeSessionActor.Tick.INSTANCE);
        engine = null;
        register();
        manager.event(tunnel.label(), new IkeOutput.Phase1Down(id, Optional.of(FailureReason.TIMEOUT), "ping lost"));
        policy.peerDead().ifPresent(this::switchTo);
        timers.startSingleTimer(IkeSessionActor.Restart.INSTANCE, policy.closed());
    }

    private void apply(Ikev1Session.Step step) {
        if (engine != null && handedOver(engine, local, step)) {
            timers.cancel(IkeSessionActor.Tick.INSTANCE);
            engine = null;
            register();
            return;
        }
        register();
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send s -> manager.send(s);
                case IkeOutput.SetTimer t -> timers.startSingleTimer(IkeSessionActor.Tick.INSTANCE,
                        IkeSessionCommands.max0(Duration.between(clock.instant(), t.at())));
                case IkeOutput.Event e -> report(e);
            }
        }
    }

    private void report(IkeOutput.Event e) {
        if (e instanceof IkeOutput.Phase1Up) {
            policy.up().ifPresent(every -> timers.startTimerWithFixedDelay(IkeSessionActor.TryHead.INSTANCE, every,
                    every));
            if (remote != null) {
                manager.contacted(remote.getAddress());
            }
        }
        if (PeerFailover.peerDead(e)) {
            manager.dpdLost(tunnel.label(), (IkeOutput.Phase1Down) e);
            policy.peerDead().ifPresent(this::switchTo);
            return;
        }
        manager.event(tunnel.label(), e);
        if (PeerFailover.setupTimedOut(e) && engine != null && engine.state() == Ikev1State.CLOSED) {
            policy.setupTimedOut().ifPresent(this::switchTo);
        }
    }

    private void switchTo(Host peer) {
        timers.cancel(IkeSessionActor.TryHead.INSTANCE);
        probe.drop();
        manager.peerSwitched(tunnel.label(), peer, Cause.TIMER);
    }

    /** Starts a probe phase 1 with the list's head, unless one is running or the current ISAKMP SA is not up. */
    private void tryHead() {
        switch (policy.headProbeDue(established(), probe.busy())) {
            case STOP -> timers.cancel(IkeSessionActor.TryHead.INSTANCE);
            case WAIT -> { }
            case PROBE -> {
                log.info("tunnel {}: trying the first peer {} again", tunnel.label(), policy.head());
                probe.resolving(true);
                lookUp(IkeSessionActor.Purpose.PROBE, policy.head());
            }
        }
    }

    /** Starts the probe with the endpoints looked up for the head (if it is still wanted and they exist). */
    private void probeResolved(IkeSessionActor.Resolved r) {
        probe.resolving(false);
        if (r.error() != null) {
            log.info("tunnel {}: not trying the first peer: {}", tunnel.label(),
                    PeerResolver.unavailable(r.peer(), r.error()));
            return;
        }
        if (probe.running() || !policy.probeWanted(r.peer(), established())) {
            return;
        }
        probeUp(probe.start(HeadProbe.Engine.of(Ikev1Engine.initiator(engineTunnel(), r.endpoints().local(),
                r.endpoints().remote(), manager.environment(clock), settings))));
    }

    /** The probe came up (it is deleted already): the current ISAKMP SA goes and the tunnel goes back to the head. */
    private void probeUp(boolean up) {
        if (!up) {
            return;
        }
        log.info("tunnel {}: the first peer {} answers again; switching back", tunnel.label(), policy.head());
        if (engine != null && engine.state() != Ikev1State.CLOSED) {
            IkeSaId id = engine.id();
            sendOnly(engine.handle(new IkeInput.Close()));
            manager.event(tunnel.label(), new IkeOutput.Phase1Down(id, Optional.empty(),
                    "switching back to the first peer"));
        }
        timers.cancel(IkeSessionActor.Tick.INSTANCE);
        engine = null;
        register();
        switchTo(policy.probeUp());
        startInitiator();
    }

    /** After a step: a closed initiator retries after the policy's pause; a responder stops with its SA. */
    private Behavior<IkeSessionActor.Command> afterStep() {
        if (engine != null && engine.state() == Ikev1State.CLOSED) {
            timers.cancel(IkeSessionActor.Tick.INSTANCE);
            engine = null;
            register();
            if (initiator) {
                timers.startSingleTimer(IkeSessionActor.Restart.INSTANCE, policy.closed());
            } else {
                policy.down();
            }
        }
        if (!initiator && engine == null && beside == null) {
            unregister();
            manager.ended(tunnel.label(), ctx.getSelf());
            return Behaviors.stopped();
        }
        return Behaviors.same();
    }

    private Behavior<IkeSessionActor.Command> crashed(IkeSessionActor.Command during, RuntimeException e) {
        log.error("tunnel {}: the IKEv1 session failed handling {}; its SAs are removed{}", tunnel.label(),
                during.getClass().getSimpleName(), initiator ? " and it starts again" : "", e);
        String detail = "internal error handling " + during.getClass().getSimpleName() + ": "
                + e.getClass().getSimpleName();
        try {
            manager.event(tunnel.label(), new IkeOutput.NegotiationFailed(FailureReason.OTHER, detail));
            if (engine != null && engine.state() != Ikev1State.CLOSED && engine.state() != Ikev1State.IDLE) {
                manager.event(tunnel.label(), new IkeOutput.Phase1Down(engine.id(), Optional.of(FailureReason.OTHER),
                        detail));
            }
        } catch (RuntimeException again) {
            log.error("tunnel {}: reporting the failure failed too", tunnel.label(), again);
        }
        timers.cancelAll();
        probe.drop();
        engine = null;
        beside = null;
        replaced = null;
        resolving = false;
        checking = false;
        unregister();
        if (!initiator) {
            manager.ended(tunnel.label(), ctx.getSelf());
            return Behaviors.stopped();
        }
        policy.addressCheckEvery().ifPresent(every -> timers.startTimerWithFixedDelay(
                IkeSessionActor.CheckAddress.INSTANCE, every, every));
        timers.startSingleTimer(IkeSessionActor.Restart.INSTANCE, policy.closed());
        return Behaviors.same();
    }

    /** Routes the engine's initiator cookies here (two while it re-authenticates), and no others. */
    private void register() {
        Set<Long> wanted = new HashSet<>();
        for (Ikev1Engine e : java.util.Arrays.asList(engine, beside, replaced)) {
            if (e != null) {
                wanted.addAll(e.initiatorCookies());
            }
        }
        for (long c : wanted) {
            if (registered.add(c)) {
                manager.register(c, ctx.getSelf());
            }
        }
        for (Long c : List.copyOf(registered)) {
            if (!wanted.contains(c)) {
                registered.remove(c);
                manager.unregister(c, ctx.getSelf());
            }
        }
    }

    private void unregister() {
        for (Long c : registered) {
            manager.unregister(c, ctx.getSelf());
        }
        registered.clear();
    }

    /** Where a datagram arrived: {@code to}, or our address if it came in on the wildcard. */
    private InetSocketAddress at(InetSocketAddress to) {
        return to.getAddress().isAnyLocalAddress() && local != null
                ? new InetSocketAddress(local.getAddress(), to.getPort()) : to;
    }

    @Override
    public String toString() {
        return "Ikev1SessionActor[" + tunnel.label() + (initiator ? " initiator" : " responder") + " "
                + Optional.ofNullable(engine).map(Ikev1Engine::id).map(Object::toString).orElse("-") + "]";
    }
}
