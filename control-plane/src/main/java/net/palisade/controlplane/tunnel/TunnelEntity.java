package net.palisade.controlplane.tunnel;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.tunnel.TunnelCommand.AdminDown;
import net.palisade.controlplane.tunnel.TunnelCommand.AdminUp;
import net.palisade.controlplane.tunnel.TunnelCommand.AfterRecovery;
import net.palisade.controlplane.tunnel.TunnelCommand.Configure;
import net.palisade.controlplane.tunnel.TunnelCommand.EngineInput;
import net.palisade.controlplane.tunnel.TunnelCommand.EngineReports;
import net.palisade.controlplane.tunnel.TunnelCommand.Get;
import net.palisade.controlplane.tunnel.TunnelCommand.Remove;
import net.palisade.controlplane.tunnel.TunnelCommand.Reset;
import net.palisade.dataplane.sa.KeyOrigin;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One tunnel's life, event-sourced: one entity per tunnel label, sharded over a node alone's cluster or run by
 * the active pair member's {@link net.palisade.controlplane.cluster.TunnelHost} (persistence id
 * {@code Tunnel|<label>}, every event tagged {@value #TAG} where a pair may read it, see {@link Deps}). Command handlers are chosen by phase — not configured,
 * admin down, admin up — so a command that makes no sense in a phase is refused there without persisting.
 * Effects on the dataplane and the IKE engines go through {@link TunnelPorts}, after the event is persisted; after
 * recovery an admin-up tunnel is installed (manual) or started (IKE) again. IKE Child SAs are the one exception to
 * "persisted first": the engine installs them before it reports them ({@code ike.IkeOutcomes} says why), so a
 * refused report of one is journaled as {@code negotiation-failed} ({@code INSTALL_FAILED}) and the SA retired.
 */
public final class TunnelEntity
        extends EventSourcedBehaviorWithEnforcedReplies<TunnelCommand, TunnelEvent, TunnelState> {
    /** The sharding entity type; its name is the persistence id prefix. */
    public static final EntityTypeKey<TunnelCommand> TYPE_KEY = EntityTypeKey.create(TunnelCommand.class, "Tunnel");
    /** The tag of every tunnel event (the cross-tunnel stream). */
    public static final String TAG = "tunnel";

    /**
     * What every tunnel entity of a node shares.
     *
     * @param ports the dataplane and IKE engines
     * @param node this node's name, recorded in every event
     * @param clock the time recorded in events
     * @param snapshotEvery take a snapshot every this many events
     * @param tagged tag every event {@value #TAG}: a pair member's polled event stream reads them by that tag. On
     *     embedded H2 (never a pair) nothing reads the tag, and an untagged event costs one row instead of two
     */
    public record Deps(TunnelPorts ports, String node, Clock clock, int snapshotEvery, boolean tagged) {
        public Deps {
            Objects.requireNonNull(ports, "ports");
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(clock, "clock");
            if (snapshotEvery < 1) {
                throw new IllegalArgumentException("snapshotEvery must be positive");
            }
        }

        /** Events tagged. */
        public Deps(TunnelPorts ports, String node, Clock clock, int snapshotEvery) {
            this(ports, node, clock, snapshotEvery, true);
        }
    }

    private final ActorContext<TunnelCommand> ctx;
    private final String label;
    private final Deps deps;
    /** Recovery handed the journaled IKE SA to the ports to resume: {@code resumed} is journaled, not phase1-down. */
    private boolean resuming;
    /** The current spec's printed texts: every reply carries them, most replies answer engine reports. */
    private Optional<TunnelState.PrintedSpec> printed = Optional.empty();

    private TunnelEntity(ActorContext<TunnelCommand> ctx, String label, Deps deps) {
        super(persistenceId(label), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200),
                Duration.ofSeconds(30), 0.2));
        this.ctx = ctx;
        this.label = label;
        this.deps = deps;
    }

    /** The behavior of the tunnel {@code label}; restarted with backoff when it fails. */
    public static Behavior<TunnelCommand> create(String label, Deps deps) {
        return Behaviors.<TunnelCommand>supervise(Behaviors.setup(ctx -> new TunnelEntity(ctx, label, deps)))
                .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(30), 0.2));
    }

    /** {@code Tunnel|<label>}. */
    public static PersistenceId persistenceId(String label) {
        return PersistenceId.of(TYPE_KEY.name(), label);
    }

    @Override
    public TunnelState emptyState() {
        return TunnelState.empty(label);
    }

    @Override
    public Set<String> tagsFor(TunnelEvent event) {
        return deps.tagged() ? Set.of(TAG) : Set.of();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(deps.snapshotEvery(), 2);
    }

    @Override
    public EventHandler<TunnelState, TunnelEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(TunnelState::apply);
    }

    @Override
    public SignalHandler<TunnelState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    deps.ports().replayMarks(label);
                    if (!state.takeover().reserved().isEmpty()) {
                        deps.ports().recovered(label, state.takeover().reserved());
                    }
                    if (state.ike() && (state.ikeSa().isPresent() || !state.sas().isEmpty())) {
                        ctx.getSelf().tell(new AfterRecovery());
                    }
                    if (state.manual() && state.adminUp() && state.sas().isEmpty()) {
                        ctx.getLog().warn("tunnel {} recovered with its manual SA expired: not reinstalled", label);
                    } else if (state.adminUp() && resumable(state)
                            && deps.ports().resumeIke((IkeTunnel) state.spec().orElseThrow(), state.takeover())) {
                        ctx.getLog().info("tunnel {} recovered with IKE SAs {}: resuming them", label,
                                state.takeover().resumable().stream().map(Takeover.Resume::ikeSa).toList());
                        resuming = true;
                    } else if (state.adminUp()) {
                        ctx.getLog().info("tunnel {} recovered admin up: starting it again", label);
                        start(state.spec().orElseThrow());
                    }
                })
                .build();
    }

    @Override
    public CommandHandlerWithReply<TunnelCommand, TunnelEvent, TunnelState> commandHandler() {
        CommandHandlerWithReplyBuilder<TunnelCommand, TunnelEvent, TunnelState> b = newCommandHandlerWithReplyBuilder();
        b.forState(s -> !s.configured())
                .onCommand(Configure.class, this::configure)
                .onCommand(Get.class, (s, c) -> ok(c.replyTo(), s))
                .onAnyCommand((s, c) -> notRunning(s, c, "tunnel " + label + " is not configured"));
        b.forState(s -> s.configured() && !s.adminUp())
                .onCommand(Configure.class, this::configure)
                .onCommand(Remove.class, (s, c) -> persist(c.replyTo(), new TunnelEvent.Removed(label, now(), node(),
                        c.cause()), () -> {}))
                .onCommand(AdminUp.class, (s, c) -> persist(c.replyTo(), new TunnelEvent.AdminUp(label, now(), node(),
                        c.cause()), () -> start(s.spec().get())))
                .onCommand(Get.class, (s, c) -> ok(c.replyTo(), s))
                .onAnyCommand((s, c) -> notRunning(s, c, "tunnel " + label + " is admin down"));
        b.forState(TunnelState::adminUp)
                .onCommand(Configure.class, this::configure)
                .onCommand(Remove.class, (s, c) -> persist(c.replyTo(), new TunnelEvent.Removed(label, now(), node(),
                        c.cause()), () -> stop(s.spec().get())))
                .onCommand(AdminDown.class, (s, c) -> persist(c.replyTo(), new TunnelEvent.AdminDown(label, now(),
                        node(), c.cause()), () -> stop(s.spec().get())))
                .onCommand(AdminUp.class, (s, c) -> reject(c, "tunnel " + label + " is already admin up"))
                .onCommand(Reset.class, this::reset)
                .onCommand(Get.class, (s, c) -> ok(c.replyTo(), s))
                .onCommand(AfterRecovery.class, this::afterRecovery)
                .onCommand(EngineInput.class, this::engineInput)
                .onCommand(EngineReports.class, this::engineReports);
        return b.build();
    }

    private ReplyEffect<TunnelEvent, TunnelState> reset(TunnelState s, Reset c) {
        if (!(s.spec().get() instanceof IkeTunnel ike)) {
            return reject(c, "tunnel " + label + " is manually keyed: a reset would reinstall its SAs with fresh "
                    + "sequence numbers, which the peer drops as replays; use admin-down and admin-up");
        }
        Runnable restart = () -> deps.ports().restartIke(ike);
        if (s.ikeSa().isEmpty() && s.sas().isEmpty()) {
            restart.run();
            return ok(c.replyTo(), s);
        }
        return persist(c.replyTo(), new TunnelEvent.Phase1Down(label, now(), node(), c.cause(), "reset"), restart);
    }

    /**
     * True when the journal holds everything to go on with one of the tunnel's IKE SAs at least: its sealed state,
     * and that of each of its Child SAs ({@link Takeover#resumable}).
     */
    private static boolean resumable(TunnelState s) {
        return s.ike() && s.ikeSa().isPresent() && !s.takeover().resumable().isEmpty();
    }

    /**
     * After recovery: {@code resumed} for each IKE SA handed to the ports to resume, {@code phase1-down} for each
     * other (its state was not journaled: no session holds it any more), or {@code phase1-down} for all. With the
     * {@code resumed}, in the same write, the first window of each resumed Child SA's outbound sequence numbers
     * ({@code sequence-reserved}, one block above the last reservation: {@link KeyOrigin#resumedWindow}); the SAs
     * go on once that is durable, holding it, so that no worker waits for a reservation of theirs.
     */
    private ReplyEffect<TunnelEvent, TunnelState> afterRecovery(TunnelState s, AfterRecovery c) {
        if (resuming) {
            resuming = false;
            java.util.Set<String> going = new java.util.LinkedHashSet<>();
            List<TunnelEvent> events = new java.util.ArrayList<>();
            Map<Long, Long> windows = new java.util.TreeMap<>();
            for (Takeover.Resume r : s.takeover().resumable()) {
                going.add(r.ikeSa());
                events.add(new TunnelEvent.Resumed(label, now(), node(), Cause.NODE, r.ikeSa()));
                r.children().keySet().forEach(name -> s.sa(SaId.of(name))
                        .ifPresent(sa -> windows.put(sa.spi().outbound().value(), 0L)));
                r.replaced().values().stream().filter(old -> old.outboundSpi() != 0) // 0: journaled before it was kept
                        .forEach(old -> windows.put(old.outboundSpi(), 0L));
            }
            windows.replaceAll((spi, none) -> KeyOrigin.resumedWindow(s.takeover().reserved().getOrDefault(spi, 0L)));
            windows.forEach((spi, upTo) -> events.add(new TunnelEvent.SequenceReserved(label, now(), node(),
                    Cause.NODE, spi, upTo)));
            s.ikeSas().stream().map(TunnelState.IkeSa::name).filter(n -> !going.contains(n))
                    .forEach(n -> events.add(new TunnelEvent.Phase1Down(label, now(), node(), Cause.NODE,
                            "node restart: its state was not journaled", java.util.Optional.of(n))));
            IkeTunnel tunnel = (IkeTunnel) s.spec().orElseThrow();
            return Effect().persist(events).thenRun(st -> deps.ports().startResumed(tunnel, windows)).thenNoReply();
        }
        if (s.ike() && (s.ikeSa().isPresent() || !s.sas().isEmpty())) {
            return Effect().persist(new TunnelEvent.Phase1Down(label, now(), node(), Cause.NODE, "node restart"))
                    .thenNoReply();
        }
        return Effect().noReply();
    }

    private ReplyEffect<TunnelEvent, TunnelState> engineInput(TunnelState s, EngineInput in) {
        return switch (decide(s, in)) {
            case Decision.Accept a -> persist(in.replyTo(), a.event(), () -> {});
            case Decision.Refuse r -> reject(in, r.error());
            case Decision.Undo u -> Effect().persist(u.failure())
                    .thenRun(st -> deps.ports().retireSa(label, u.sa()))
                    .thenReply(in.replyTo(), st -> new TunnelReply.Rejected(label, u.error()));
        };
    }

    /**
     * Several reports at once, in the order they happened: each is checked against the state the earlier ones
     * leave, the accepted ones are persisted together (one atomic write), a refused one is logged and left out (a
     * refused one whose SA is in the dataplane is journaled as a failure, and the SA retired).
     */
    private ReplyEffect<TunnelEvent, TunnelState> engineReports(TunnelState s, EngineReports c) {
        List<TunnelEvent> events = new ArrayList<>(c.inputs().size());
        List<ChildSa> retire = new ArrayList<>();
        TunnelState after = s;
        for (EngineInput in : c.inputs()) {
            switch (decide(after, in)) {
                case Decision.Accept a -> {
                    events.add(a.event());
                    after = after.apply(a.event());
                }
                case Decision.Refuse r -> ctx.getLog().warn("tunnel {}: report not accepted: {}", label, r.error());
                case Decision.Undo u -> {
                    ctx.getLog().warn("tunnel {}: report not accepted: {}", label, u.error());
                    events.add(u.failure());
                    after = after.apply(u.failure());
                    retire.add(u.sa());
                }
            }
        }
        if (events.isEmpty()) {
            return reject(c, "tunnel " + label + ": none of " + c.inputs().size() + " reports was accepted");
        }
        return Effect().persist(events)
                .thenRun(st -> retire.forEach(sa -> deps.ports().retireSa(label, sa)))
                .thenReply(c.replyTo(), st -> new TunnelReply.Ok(view(st)));
    }

    /**
     * Refuses engine reports when the tunnel does not run (admin down, not configured). An SA a report brings is in
     * the dataplane already: it is retired, and the journal needs nothing — its last event (admin-down, removed)
     * already says the tunnel's SAs are gone.
     */
    private ReplyEffect<TunnelEvent, TunnelState> notRunning(TunnelState s, TunnelCommand c, String error) {
        if (s.spec().isEmpty() || s.ike()) {
            List<EngineInput> inputs = switch (c) {
                case EngineInput in -> List.of(in);
                case EngineReports r -> r.inputs();
                default -> List.of();
            };
            inputs.stream().flatMap(in -> installedBy(in).stream()).forEach(sa -> deps.ports().retireSa(label, sa));
        }
        return reject(c, error);
    }

    /**
     * What an engine report does to the tunnel in state {@code s}: one event, a refusal, or — for a refused report
     * of a Child SA the engine has already installed — a failure to journal and the SA to retire. Pure but for the
     * clock.
     */
    private sealed interface Decision {
        record Accept(TunnelEvent event) implements Decision {}

        record Refuse(String error) implements Decision {}

        record Undo(String error, TunnelEvent failure, ChildSa sa) implements Decision {}
    }

    private Decision decide(TunnelState s, EngineInput in) {
        Decision d = check(s, in);
        if (d instanceof Decision.Refuse r && s.ike()) {
            Optional<ChildSa> installed = installedBy(in).filter(sa -> s.sa(sa.id()).isEmpty());
            if (installed.isPresent()) {
                return new Decision.Undo(r.error(), new TunnelEvent.NegotiationFailed(label, now(), node(),
                        Cause.NODE, FailureReason.INSTALL_FAILED, "Child SA " + installed.get().id()
                        + " removed, its report was refused: " + r.error()), installed.get());
            }
        }
        return d;
    }

    /**
     * The Child SA a report says is in the dataplane: the IKE engine installs a Child SA before it reports it (see
     * {@code ike.IkeOutcomes} for why).
     */
    private static Optional<ChildSa> installedBy(EngineInput in) {
        return switch (in) {
            case TunnelCommand.ChildSaInstalled c -> Optional.of(c.sa());
            case TunnelCommand.Rekeyed c -> c.spi().map(spi -> new ChildSa(c.replacement(), spi, c.pfs(), c.esn()));
            default -> Optional.empty();
        };
    }

    private Decision check(TunnelState s, EngineInput in) {
        if (!s.ike() && !(in instanceof TunnelCommand.SaExpired) && !(in instanceof TunnelCommand.SequenceReserved)) {
            // the dataplane reports a manual SA whose sequence numbers ran out; nothing else concerns manual tunnels
            return new Decision.Refuse("tunnel " + label + " is manually keyed: no IKE engine reports for it");
        }
        String no = "tunnel " + label + ": ";
        return switch (in) {
            case TunnelCommand.Phase1Up c -> accept(
                    new TunnelEvent.Phase1Up(label, now(), node(), c.cause(), c.peer(), c.ikeSa(),
                            c.ikeVersion()));
            case TunnelCommand.Phase1Down c -> s.ikeSa().isEmpty()
                    ? new Decision.Refuse(no + "phase 1 is not up")
                    : c.ikeSa().filter(i -> !s.holdsIkeSa(i) && !s.holdsChildrenOf(i)).isPresent()
                    ? new Decision.Refuse(no + "IKE SA " + c.ikeSa().get() + " is not up")
                    : accept(new TunnelEvent.Phase1Down(label, now(), node(), c.cause(), c.reason(), c.ikeSa()));
            case TunnelCommand.ChildSaInstalled c -> {
                if (s.ikeSa().isEmpty()) {
                    yield new Decision.Refuse(no + "a Child SA needs phase 1 up");
                }
                if (c.sa().ikeSa().filter(i -> !s.holdsIkeSa(i)).isPresent()) {
                    yield new Decision.Refuse(no + "Child SA " + c.sa().id() + " is of IKE SA "
                            + c.sa().ikeSa().get() + ", which is not up");
                }
                if (s.sa(c.sa().id()).isPresent()) {
                    yield new Decision.Refuse(no + "Child SA " + c.sa().id() + " is already installed");
                }
                yield accept(new TunnelEvent.ChildSaInstalled(label, now(), node(), c.cause(), c.sa()));
            }
            // a rekeyed Child SA left the list at its rekey; its Delete is journaled for the takeover state
            case TunnelCommand.ChildSaDeleted c -> s.sa(c.saId()).isEmpty()
                    && !s.takeover().replaced().containsKey(c.saId().value())
                    ? new Decision.Refuse(no + "no Child SA " + c.saId())
                    : accept(new TunnelEvent.ChildSaDeleted(label, now(), node(), c.cause(), c.saId()));
            case TunnelCommand.Rekeyed c -> {
                boolean ikeRekey = s.holdsIkeSa(c.replaced().value());
                if (c.spi().isEmpty() && !ikeRekey) {
                    yield new Decision.Refuse(no + "IKE SA " + c.replaced() + " is not the current one");
                }
                // after a takeover the peer may rekey again the Child SA it never saw our answer for
                if (c.spi().isPresent() && s.sa(c.replaced()).isEmpty()
                        && !s.takeover().replaced().containsKey(c.replaced().value())) {
                    yield new Decision.Refuse(no + "no Child SA " + c.replaced());
                }
                yield accept(new TunnelEvent.Rekeyed(label, now(), node(), c.cause(), c.replaced(),
                        c.replacement(), c.spi(), c.pfs(), c.esn()));
            }
            case TunnelCommand.DpdLost c -> s.ikeSa().isEmpty()
                    ? new Decision.Refuse(no + "phase 1 is not up")
                    : c.ikeSa().filter(i -> !s.holdsIkeSa(i)).isPresent()
                    ? new Decision.Refuse(no + "IKE SA " + c.ikeSa().get() + " is not up")
                    : accept(new TunnelEvent.DpdLost(label, now(), node(), c.cause(), c.ikeSa()
                            .flatMap(i -> s.ikeSas().stream().filter(x -> x.name().equals(i)).findFirst())
                            .map(TunnelState.IkeSa::peer).or(s::peer).orElse(""), c.ikeSa()));
            case TunnelCommand.PingLost c -> s.sas().isEmpty()
                    ? new Decision.Refuse(no + "no Child SA to ping through")
                    : s.reachability().filter(TunnelState.UNREACHABLE::equals).isPresent()
                    ? new Decision.Refuse(no + "already unreachable")
                    : accept(new TunnelEvent.PingLost(label, now(), node(), c.cause(), c.from(), c.to(), c.lost()));
            case TunnelCommand.PingOk c -> s.sas().isEmpty()
                    ? new Decision.Refuse(no + "no Child SA to ping through")
                    : s.reachability().filter(TunnelState.REACHABLE::equals).isPresent()
                    ? new Decision.Refuse(no + "already reachable")
                    : accept(new TunnelEvent.PingOk(label, now(), node(), c.cause(), c.from(), c.to()));
            case TunnelCommand.PeerSwitched c -> s.peer().filter(c.to()::equals).isPresent()
                    ? new Decision.Refuse(no + "already using peer " + c.to())
                    : accept(new TunnelEvent.PeerSwitched(label, now(), node(), c.cause(), s.peer(), c.to()));
            case TunnelCommand.NegotiationFailed c -> accept(new TunnelEvent.NegotiationFailed(label, now(), node(),
                    c.cause(), c.reason(), c.detail()));
            case TunnelCommand.SaExpired c -> s.sa(c.saId()).isEmpty()
                    && !s.holdsIkeSa(c.saId().value())
                    ? new Decision.Refuse(no + "no SA " + c.saId())
                    : accept(new TunnelEvent.SaExpired(label, now(), node(), c.cause(), c.saId()));
            case TunnelCommand.TakeoverState c -> {
                boolean ike = c.scope().equals(TunnelEvent.TakeoverState.IKE_SA);
                if (ike ? !s.holdsIkeSa(c.sa().value()) : s.sa(c.sa()).isEmpty()) {
                    yield new Decision.Refuse(no + "takeover state for " + c.sa() + ", which is not its "
                            + (ike ? "IKE SA" : "Child SA"));
                }
                yield accept(new TunnelEvent.TakeoverState(label, now(), node(), c.cause(), c.scope(), c.sa(),
                        c.state()));
            }
            case TunnelCommand.SequenceReserved c -> accept(new TunnelEvent.SequenceReserved(label, now(), node(),
                    c.cause(), c.spi(), c.upTo()));
        };
    }

    private static Decision accept(TunnelEvent e) {
        return new Decision.Accept(e);
    }

    /** New spec: start it; same spec: nothing; changed spec: restart if admin up. */
    private ReplyEffect<TunnelEvent, TunnelState> configure(TunnelState s, Configure c) {
        if (!c.spec().label().equals(label)) {
            return reject(c, "the spec is for tunnel " + c.spec().label() + ", not " + label);
        }
        TunnelEvent e = new TunnelEvent.Configured(label, now(), node(), c.cause(), c.spec());
        if (!s.configured()) {
            return persist(c.replyTo(), e, () -> start(c.spec()));
        }
        if (s.spec().get().equals(c.spec())) {
            return ok(c.replyTo(), s);
        }
        if (!s.adminUp()) {
            return persist(c.replyTo(), e, () -> {});
        }
        return persist(c.replyTo(), e, () -> {
            if (s.spec().get() instanceof IkeTunnel && c.spec() instanceof IkeTunnel ike) {
                deps.ports().restartIke(ike); // the routes both specs hold stay in place
            } else {
                stop(s.spec().get());
                start(c.spec());
            }
        });
    }

    private ReplyEffect<TunnelEvent, TunnelState> persist(ActorRef<TunnelReply> replyTo, TunnelEvent event,
            Runnable effect) {
        return Effect().persist(event)
                .thenRun(s -> effect.run())
                .thenReply(replyTo, s -> new TunnelReply.Ok(view(s)));
    }

    private ReplyEffect<TunnelEvent, TunnelState> ok(ActorRef<TunnelReply> replyTo, TunnelState s) {
        return Effect().reply(replyTo, new TunnelReply.Ok(view(s)));
    }

    /** {@code s.view()}, the spec printed again only when it is another spec object than last time. */
    private TunnelView view(TunnelState s) {
        if (s.spec().isEmpty()) {
            printed = Optional.empty();
        } else if (printed.isEmpty() || printed.get().spec() != s.spec().get()) {
            printed = Optional.of(TunnelState.PrintedSpec.of(s.spec().get()));
        }
        return s.view(printed);
    }

    private ReplyEffect<TunnelEvent, TunnelState> reject(TunnelCommand c, String error) {
        ActorRef<TunnelReply> to = switch (c) {
            case Configure x -> x.replyTo();
            case Remove x -> x.replyTo();
            case AdminUp x -> x.replyTo();
            case AdminDown x -> x.replyTo();
            case Reset x -> x.replyTo();
            case Get x -> x.replyTo();
            case EngineInput x -> x.replyTo();
            case EngineReports x -> x.replyTo();
            case AfterRecovery x -> null;
        };
        return to == null ? Effect().noReply() : Effect().reply(to, new TunnelReply.Rejected(label, error));
    }

    private void start(TunnelSpec spec) {
        switch (spec) {
            case ManualTunnel m -> deps.ports().installManual(m);
            case IkeTunnel i -> deps.ports().startIke(i);
        }
    }

    private void stop(TunnelSpec spec) {
        switch (spec) {
            case ManualTunnel m -> deps.ports().removeManual(label);
            case IkeTunnel i -> deps.ports().stopIke(label);
        }
    }

    private java.time.Instant now() {
        return deps.clock().instant();
    }

    private String node() {
        return deps.node();
    }
}
