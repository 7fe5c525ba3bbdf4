package net.palisade.controlplane.config;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.config.ConfigCommand.Commit;
import net.palisade.controlplane.config.ConfigCommand.Confirm;
import net.palisade.controlplane.config.ConfigCommand.ConfirmTimeout;
import net.palisade.controlplane.config.ConfigCommand.Diff;
import net.palisade.controlplane.config.ConfigCommand.GetRunning;
import net.palisade.controlplane.config.ConfigCommand.ListCommits;
import net.palisade.controlplane.config.ConfigCommand.Rollback;
import net.palisade.model.IpsecConfig;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.config.ConfigPrinter;
import net.palisade.model.config.ConfigResult;
import net.palisade.model.config.ConfigValidator;
import net.palisade.model.config.Support;
import net.palisade.model.config.Diagnostic;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The config store: one persistent actor (persistence id {@value #PERSISTENCE_ID}, a cluster singleton in a node)
 * whose journal is the history of the running config. Each commit is a revision {@code c-<n>}; a commit with a
 * confirmation time is rolled back by a timer unless confirmed, and the deadline is persisted, so a restart in
 * between still rolls back (at once if the deadline passed while the node was down). Every change of the running
 * config goes to the {@link Reconciler}, which touches only the tunnels that changed.
 */
public final class ConfigStore
        extends EventSourcedBehaviorWithEnforcedReplies<ConfigCommand, ConfigEvent, ConfigStoreState> {
    /** The persistence id. */
    public static final String PERSISTENCE_ID = "config-store";
    /** The tag of every config event. */
    public static final String TAG = "config";
    private static final String CONFIRM_TIMER = "confirm";

    /**
     * What the store needs.
     *
     * @param node this node's name, recorded in every event
     * @param clock time for events and deadlines
     * @param snapshotEvery take a snapshot every this many events
     */
    public record Deps(String node, Clock clock, int snapshotEvery) {
        public Deps {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(clock, "clock");
        }
    }

    private final ActorContext<ConfigCommand> ctx;
    private final TimerScheduler<ConfigCommand> timers;
    private final ActorRef<Reconciler.Message> reconciler;
    private final Deps deps;

    private ConfigStore(ActorContext<ConfigCommand> ctx, TimerScheduler<ConfigCommand> timers,
            ActorRef<Reconciler.Message> reconciler, Deps deps) {
        super(PersistenceId.ofUniqueId(PERSISTENCE_ID), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200),
                Duration.ofSeconds(30), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.reconciler = reconciler;
        this.deps = deps;
    }

    /** The store; it spawns its reconciler, which reaches tunnels through {@code tunnels}. */
    public static Behavior<ConfigCommand> create(TunnelDirectory tunnels, Deps deps) {
        return Behaviors.<ConfigCommand>supervise(Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new ConfigStore(ctx, timers, ctx.spawnAnonymous(Reconciler.create(tunnels)), deps))))
                .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(30), 0.2));
    }

    @Override
    public ConfigStoreState emptyState() {
        return ConfigStoreState.empty();
    }

    @Override
    public Set<String> tagsFor(ConfigEvent event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(deps.snapshotEvery(), 2);
    }

    @Override
    public EventHandler<ConfigStoreState, ConfigEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(ConfigStoreState::apply);
    }

    @Override
    public SignalHandler<ConfigStoreState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    state.running().ifPresent(id -> reconciler.tell(Reconciler.Apply.sync(state.runningConfig(),
                            state.allLabels(), Cause.commit(id))));
                    state.pending().ifPresent(p -> {
                        Duration left = Duration.between(now(), p.deadline());
                        ctx.getLog().info("revision {} awaits confirmation; rollback in {}", p.id(), left);
                        if (left.isNegative() || left.isZero()) {
                            ctx.getSelf().tell(new ConfirmTimeout(p.id()));
                        } else {
                            timers.startSingleTimer(CONFIRM_TIMER, new ConfirmTimeout(p.id()), left);
                        }
                    });
                })
                .build();
    }

    @Override
    public CommandHandlerWithReply<ConfigCommand, ConfigEvent, ConfigStoreState> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Commit.class, this::commit)
                .onCommand(Confirm.class, this::confirm)
                .onCommand(Rollback.class, this::rollback)
                .onCommand(ConfirmTimeout.class, this::confirmTimeout)
                .onCommand(GetRunning.class, (s, c) -> Effect().reply(c.replyTo(), new ConfigReply.Running(
                        s.running().flatMap(s::revision).map(s::info), s.runningConfig(),
                        ConfigPrinter.printRedacted(s.runningConfig()))))
                .onCommand(ListCommits.class, (s, c) -> Effect().reply(c.replyTo(),
                        new ConfigReply.Commits(s.revisions().stream().map(s::info).toList())))
                .onCommand(Diff.class, this::diff)
                .build();
    }

    private ReplyEffect<ConfigEvent, ConfigStoreState> commit(ConfigStoreState s, Commit c) {
        if (s.pending().isPresent()) {
            return reject(c.replyTo(), "revision " + s.pending().get().id() + " awaits confirmation: confirm it or "
                    + "roll it back first");
        }
        ConfigResult result = read(c.input(), s.runningConfig());
        if (!result.ok()) {
            return Effect().reply(c.replyTo(), new ConfigReply.Rejected("invalid config: " + result.errors().size()
                    + " error(s); nothing committed", result.diagnostics()));
        }
        IpsecConfig config = result.config().orElseThrow();
        String id = s.nextId();
        Instant now = now();
        Optional<Instant> deadline = c.confirmWithin().map(now::plus);
        IpsecConfig before = s.runningConfig();
        ConfigEvent e = new ConfigEvent.Committed(id, now, deps.node(), c.cause(), c.author(), c.message(), config,
                deadline, s.running());
        return Effect().persist(e)
                .thenRun(after -> {
                    reconciler.tell(Reconciler.Apply.change(before, config, Cause.commit(id)));
                    c.confirmWithin().ifPresent(d -> timers.startSingleTimer(CONFIRM_TIMER, new ConfirmTimeout(id), d));
                })
                .thenReply(c.replyTo(), after -> new ConfigReply.Committed(after.info(after.revision(id).orElseThrow()),
                        result.warnings()));
    }

    /**
     * The config a commit asks for, validated for this build. A secret given as {@code [redacted]} (what {@code config
     * print}, {@code show ipsec} and the API show) keeps the secret of the running tunnel with the same label, and is
     * refused at its line:column (text) or JSON path where there is none.
     */
    private static ConfigResult read(ConfigInput input, IpsecConfig running) {
        return switch (input) {
            case ConfigInput.Text t -> {
                byte[] b = t.text().revealBytes();
                try {
                    yield ConfigParser.parse(new String(b, StandardCharsets.UTF_8), t.source(), Support.THIS_BUILD,
                            running);
                } finally {
                    Arrays.fill(b, (byte) 0);
                }
            }
            case ConfigInput.Parsed p -> ConfigValidator.resolve(p.config(), running, "api", Support.THIS_BUILD);
        };
    }

    private ReplyEffect<ConfigEvent, ConfigStoreState> confirm(ConfigStoreState s, Confirm c) {
        if (s.pending().filter(p -> p.id().equals(c.id())).isEmpty()) {
            return reject(c.replyTo(), s.revision(c.id()).isEmpty() ? "no revision " + c.id()
                    : "revision " + c.id() + " is not awaiting confirmation (" + s.info(s.revision(c.id()).get())
                            .status() + ")");
        }
        return Effect().persist(new ConfigEvent.CommitConfirmed(c.id(), now(), deps.node(), c.cause()))
                .thenRun(after -> timers.cancel(CONFIRM_TIMER))
                .thenReply(c.replyTo(), after -> new ConfigReply.Done(after.info(after.revision(c.id()).orElseThrow())));
    }

    private ReplyEffect<ConfigEvent, ConfigStoreState> confirmTimeout(ConfigStoreState s, ConfirmTimeout c) {
        if (s.pending().filter(p -> p.id().equals(c.id())).isEmpty()) {
            return Effect().noReply();
        }
        Optional<String> restore = s.pending().get().restore();
        IpsecConfig before = s.runningConfig();
        ctx.getLog().warn("revision {} was not confirmed in time: rolling back to {}", c.id(),
                restore.orElse("no config"));
        return Effect().persist(new ConfigEvent.CommitRolledBack(c.id(), now(), deps.node(), Cause.TIMER, restore))
                .thenRun(after -> reconciler.tell(Reconciler.Apply.change(before, after.runningConfig(),
                        restore.map(Cause::commit).orElse(Cause.TIMER))))
                .thenNoReply();
    }

    private ReplyEffect<ConfigEvent, ConfigStoreState> rollback(ConfigStoreState s, Rollback c) {
        Optional<String> target = c.to().isPresent() ? c.to() : s.pending().isPresent()
                ? s.pending().get().restore() : s.previous();
        if (target.isEmpty()) {
            return reject(c.replyTo(), "no earlier revision to roll back to");
        }
        String to = target.get();
        if (s.revision(to).isEmpty()) {
            return reject(c.replyTo(), "no revision " + to);
        }
        if (s.running().filter(to::equals).isPresent()) {
            return reject(c.replyTo(), "revision " + to + " is already running");
        }
        IpsecConfig before = s.runningConfig();
        String from = s.running().orElse("");
        return Effect().persist(new ConfigEvent.RolledBack(from, to, now(), deps.node(), c.cause()))
                .thenRun(after -> {
                    timers.cancel(CONFIRM_TIMER);
                    reconciler.tell(Reconciler.Apply.change(before, after.runningConfig(), Cause.commit(to)));
                })
                .thenReply(c.replyTo(), after -> new ConfigReply.Done(after.info(after.revision(to).orElseThrow())));
    }

    private ReplyEffect<ConfigEvent, ConfigStoreState> diff(ConfigStoreState s, Diff c) {
        Optional<String> a = resolve(s, c.a());
        Optional<String> b = resolve(s, c.b());
        if (a.isEmpty() || b.isEmpty()) {
            return reject(c.replyTo(), "no revision " + (a.isEmpty() ? c.a() : c.b()));
        }
        List<String> left = ConfigPrinter.printRedacted(s.configOf(a)).lines().toList();
        List<String> right = ConfigPrinter.printRedacted(s.configOf(b)).lines().toList();
        return Effect().reply(c.replyTo(), new ConfigReply.DiffResult(a.get(), b.get(), LineDiff.diff(left, right)));
    }

    private static Optional<String> resolve(ConfigStoreState s, String name) {
        if (name.equals("running")) {
            return s.running();
        }
        return s.revision(name).map(Revision::id);
    }

    private ReplyEffect<ConfigEvent, ConfigStoreState> reject(ActorRef<ConfigReply> replyTo, String error) {
        return Effect().reply(replyTo, new ConfigReply.Rejected(error, List.of()));
    }

    private Instant now() {
        return deps.clock().instant();
    }
}
