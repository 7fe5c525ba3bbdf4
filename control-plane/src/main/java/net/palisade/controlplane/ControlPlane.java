package net.palisade.controlplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import net.palisade.controlplane.cluster.ActivePorts;
import net.palisade.controlplane.cluster.ActiveRole;
import net.palisade.controlplane.cluster.JournalFence;
import net.palisade.controlplane.cluster.TunnelHost;
import net.palisade.controlplane.cluster.ClusterTls;
import net.palisade.controlplane.cluster.ClusterView;
import net.palisade.controlplane.cluster.LeaseTable;
import net.palisade.controlplane.cluster.HaEvent;
import net.palisade.controlplane.cluster.NodeTimeline;
import net.palisade.controlplane.config.ConfigCommand;
import net.palisade.controlplane.config.ConfigInput;
import net.palisade.controlplane.config.ConfigReply;
import net.palisade.controlplane.config.ConfigStore;
import net.palisade.controlplane.config.RevisionInfo;
import net.palisade.controlplane.journal.JournalMapperFactory;
import net.palisade.controlplane.journal.EventQueries;
import net.palisade.controlplane.journal.ReadConnections;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.LiveEvents;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.controlplane.journal.SecretSealer;
import net.palisade.controlplane.journal.SerializationCodec;
import net.palisade.controlplane.journal.CheckpointWriter;
import net.palisade.controlplane.journal.StateCheckpoints;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.config.Support;
import net.palisade.model.config.ConfigResult;
import net.palisade.model.event.Cause;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.secret.Secret;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A control-plane node: the Pekko cluster member that hosts the tunnel entities (one per label: sharded on a node
 * alone, on a pair member run by its {@link TunnelHost} while it holds the active lease), the
 * config store (a cluster singleton), and the journal. The one entry point for the HTTP API and the CLI; every
 * method answers asynchronously, and a refusal completes the stage exceptionally with {@link RejectedException}.
 *
 * <p>{@link #start(Settings, TunnelPorts)} creates the data directory and the node key if missing, creates the
 * journal tables if missing, starts the ActorSystem and joins the cluster (a single node joins itself).
 */
public final class ControlPlane implements AutoCloseable {
    private final ActorSystem<Void> system;
    private final Settings settings;
    private final JournalSettings journal;
    private final String node;
    private final Tunnels tunnels;
    private final ActorRef<ConfigCommand> configStore;
    private final JdbcReadJournal readJournal;
    private final ActiveRole role;
    private final SerializationCodec<TunnelState> codec;

    private ControlPlane(ActorSystem<Void> system, Settings settings, JournalSettings journal, String node,
            Tunnels tunnels, ActorRef<ConfigCommand> configStore, ActiveRole role) {
        this.system = system;
        this.role = role;
        this.settings = settings;
        this.journal = journal;
        this.node = node;
        this.tunnels = tunnels;
        this.configStore = configStore;
        this.readJournal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class,
                JdbcReadJournal.Identifier());
        this.codec = new SerializationCodec<>(
                org.apache.pekko.serialization.SerializationExtension.get(system), TunnelState.class);
        this.checkpoints = new StateCheckpoints<>(codec, TunnelState::apply,
                StateCheckpoints.fingerprint(TunnelState.class), StateCheckpoints.EVERY);
        LiveEvents.get(system.classicSystem()).attach(journal);
        this.reads = new ReadConnections(journal, 4);
        // closed beside the termination, not in it: a pool waiting on a connection to an unreachable database must
        // not hold the ActorSystem's end (its callbacks run before whenTerminated completes)
        system.classicSystem().registerOnTermination(() -> Thread.ofPlatform().daemon().name("palisade-reads-close")
                .start(reads::close));
        checkpointAsWritten();
    }

    /** Starts a node whose tunnels have no dataplane ({@link TunnelPorts#NONE}). */
    public static ControlPlane start(Settings settings) throws IOException, SQLException {
        return start(settings, TunnelPorts.NONE);
    }

    /**
     * Starts a node.
     *
     * @param ports the dataplane and IKE engines the tunnel entities drive
     * @throws IOException when the data directory or the node key cannot be created or read
     * @throws IllegalStateException when the node key is accessible to group or others, or malformed
     * @throws SQLException when the journal tables cannot be created
     */
    public static ControlPlane start(Settings settings, TunnelPorts ports) throws IOException, SQLException {
        return start(settings, ports, NO_FENCE);
    }

    private static final ActiveRole.Listener NO_FENCE = new ActiveRole.Listener() {
        @Override
        public void becameActive(long epoch) {}

        @Override
        public void becameStandby(Cause cause) {}
    };

    /**
     * Starts a node; on a PostgreSQL journal as a member of a gateway pair (see {@link ActiveRole}): standby until it
     * holds the active lease, its tunnels' ports closed meanwhile.
     *
     * @param fence told first of every role change, before the tunnels' ports open or close (the node's IKE: it
     *     must stop sending before anything else when the role is lost)
     * @throws IllegalArgumentException for seed nodes on embedded H2: a pair shares a PostgreSQL journal
     */
    public static ControlPlane start(Settings settings, TunnelPorts ports, ActiveRole.Listener fence)
            throws IOException, SQLException {
        JournalSettings journal = settings.journalOrDefault();
        if (journal.h2() && !settings.seedNodes().isEmpty()) {
            throw new IllegalArgumentException("a gateway pair (seed nodes " + String.join(", ", settings.seedNodes())
                    + ") needs a journal both nodes share: PostgreSQL (--journal-url jdbc:postgresql://...);"
                    + " this node's journal is embedded H2");
        }
        if (!journal.h2() && settings.port() == 0) {
            // a pair member names itself to the journal's fence by its cluster address before the ActorSystem
            // binds it (NodeConfig.fenceName): "any free port" (tests) is picked here instead of by Artery
            settings = settings.withCluster(settings.host(), freePort(settings.host()), settings.seedNodes());
        }
        if (!journal.h2()) {
            JournalFence.verify(journal, NodeConfig.fenceName(settings));
        }
        Files.createDirectories(settings.dataDir());
        NodeKey nodeKey = NodeKey.loadOrCreate(settings.dataDir());
        SecretSealer sealer = new SecretSealer(nodeKey);
        ClusterTls clusterTls = ClusterTls.loadOrCreate(settings.dataDir(), nodeKey);
        JournalSchema.createIfMissing(journal);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), Settings.SYSTEM_NAME,
                ActorSystemSetup.create(BootstrapSetup.create(NodeConfig.node(settings, journal, clusterTls)),
                        JournalMapperFactory.setup(sealer)));
        clusterTls.wipe();
        Cluster cluster = Cluster.get(system);
        if (settings.seedNodes().isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
        org.apache.pekko.actor.Address self = cluster.selfMember().address();
        String node = settings.nodeName().orElseGet(() -> self.getHost().orElse("local") + ":"
                + self.getPort().map(String::valueOf).orElse("0"));
        if (!journal.h2() && !ActiveRole.ownerName(self).equals(NodeConfig.fenceName(settings))) {
            system.terminate();
            throw new IllegalStateException("cluster address " + ActiveRole.ownerName(self) + " differs from the name"
                    + " this node gave its journal connections (" + NodeConfig.fenceName(settings) + "): the journal"
                    + " fence would refuse its tunnel writes");
        }
        ActiveRole role = journal.h2() ? ActiveRole.sole()
                : ActiveRole.leased(journal, ActiveRole.ownerName(self), NodeConfig.leaseTtl(settings),
                        settings.clock());
        TunnelPorts gated = ports;
        role.listen(fence);
        if (role.paired()) {
            ActivePorts activePorts = new ActivePorts(ports);
            role.listen(activePorts);
            gated = activePorts;
            ActorRef<HaEvent> timeline = system.systemActorOf(NodeTimeline.create(node), "ha-timeline",
                    org.apache.pekko.actor.typed.Props.empty());
            role.journalTo(timeline::tell);
        }
        TunnelEntity.Deps tunnelDeps = new TunnelEntity.Deps(gated, node, settings.clock(), settings.snapshotEvery(),
                !journal.h2());
        Tunnels tunnels;
        if (role.paired()) {
            // not sharded: the entities run on the lease holder and start the moment it holds the lease (TunnelHost)
            ActorRef<TunnelHost.Message> host = system.systemActorOf(TunnelHost.create(tunnelDeps, role, journal),
                    "tunnel-host", org.apache.pekko.actor.typed.Props.empty());
            role.listen(TunnelHost.listener(host));
            tunnels = new Tunnels(Optional.empty(), Optional.of(host));
        } else {
            ClusterSharding sharding = ClusterSharding.get(system);
            sharding.init(Entity.of(TunnelEntity.TYPE_KEY, ctx -> TunnelEntity.create(ctx.getEntityId(), tunnelDeps))
                    .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
            tunnels = new Tunnels(Optional.of(sharding), Optional.empty());
        }
        ActorRef<ConfigCommand> store = ClusterSingleton.get(system).init(SingletonActor.of(
                ConfigStore.create(tunnels::entity, new ConfigStore.Deps(node, settings.clock(),
                        settings.snapshotEvery())),
                ConfigStore.PERSISTENCE_ID));
        role.start();
        // downed by the resolver (or stopped otherwise) without close(): this node must not stay active, and should
        // hand over before the slower phases of the shutdown (leaving, shard hand-off) rather than after them
        org.apache.pekko.actor.CoordinatedShutdown.get(system).addTask(
                org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(), "palisade-step-down",
                () -> CompletableFuture.supplyAsync(() -> {
                    role.leave(new Cause("cluster-left"));
                    return Done.done();
                }, r -> Thread.ofPlatform().daemon().name("palisade-step-down").start(r))); // it blocks: not the common pool
        system.getWhenTerminated().thenRun(() -> role.leave(new Cause("cluster-left")));
        return new ControlPlane(system, settings, journal, node, tunnels, store, role);
    }

    private static int freePort(String host) throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    /** This node's role in its pair (a sole node on H2 is always active). */
    public ActiveRole role() {
        return role;
    }

    /** The ActorSystem (for the HTTP server, which shares it). */
    public ActorSystem<Void> system() {
        return system;
    }

    /** The name this node records in events. */
    public String nodeName() {
        return node;
    }

    /** Completes when this node is an Up member of the cluster. */
    public CompletionStage<Done> whenUp() {
        CompletableFuture<Done> f = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(system.classicSystem()).registerOnMemberUp(() -> f.complete(Done.done()));
        return f;
    }

    // ---- config store ------------------------------------------------------------------------------------------

    /**
     * Commits config text (the config language) as a new revision, applied at once; with {@code confirmWithin}
     * it is rolled back unless {@link #confirm confirmed} in time. Invalid text fails with the diagnostics.
     */
    public CompletionStage<ConfigReply.Committed> commit(String text, String author, String message,
            Optional<Duration> confirmWithin) {
        return commit(new ConfigInput.Text(Secret.ofText(text), "commit"), author, message, confirmWithin,
                Cause.api(author));
    }

    /** Commits a config built elsewhere (e.g. API JSON); validated again. */
    public CompletionStage<ConfigReply.Committed> commit(IpsecConfig config, String author, String message,
            Optional<Duration> confirmWithin) {
        return commit(new ConfigInput.Parsed(config), author, message, confirmWithin, Cause.api(author));
    }

    /**
     * Loads the config file given at start ({@code palisade run --config}). The committed configuration lives in
     * the journal; the file seeds an empty data directory and, on a later start, is committed again (author and
     * cause {@code file}) only if its content changed since it was last read — so a commit made over the API is not
     * undone by an unchanged file. The file's SHA-256 as last read is kept in {@code DATA/config-file.sha256}.
     * Answers the revision running afterwards.
     */
    public CompletionStage<RevisionInfo> loadFile(String text, String fileName) {
        ConfigResult parsed = ConfigParser.parse(text, fileName, Support.THIS_BUILD);
        if (!parsed.ok()) {
            return CompletableFuture.failedFuture(new RejectedException("invalid config in " + fileName,
                    parsed.diagnostics()));
        }
        IpsecConfig config = parsed.config().orElseThrow();
        Path digestFile = settings.dataDir().resolve("config-file.sha256");
        String digest = sha256(text);
        return running().thenCompose(r -> {
            boolean unchangedFile = r.revision().isPresent() && digest.equals(readQuietly(digestFile));
            if (unchangedFile || r.revision().isPresent() && r.config().equals(config)) {
                writeQuietly(digestFile, digest);
                return CompletableFuture.completedFuture(r.revision().get());
            }
            return commit(new ConfigInput.Parsed(config), "file", "loaded from " + fileName, Optional.empty(),
                    Cause.FILE).thenApply(c -> {
                        writeQuietly(digestFile, digest);
                        return c.revision();
                    });
        });
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file).strip() : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void writeQuietly(Path file, String digest) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, digest + "\n");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // worst case the next start commits the unchanged file once more
        }
    }

    private CompletionStage<ConfigReply.Committed> commit(ConfigInput input, String author, String message,
            Optional<Duration> confirmWithin, Cause cause) {
        return askStore(r -> new ConfigCommand.Commit(input, author, message, confirmWithin, cause, r),
                ConfigReply.Committed.class);
    }

    /** Confirms the revision awaiting confirmation. */
    public CompletionStage<RevisionInfo> confirm(String revisionId, String caller) {
        return askStore(r -> new ConfigCommand.Confirm(revisionId, Cause.api(caller), r), ConfigReply.Done.class)
                .thenApply(ConfigReply.Done::revision);
    }

    /**
     * Makes an earlier revision running: {@code to}, or when empty the one before (while a revision awaits
     * confirmation: the one it replaced). Returns the revision now running.
     */
    public CompletionStage<RevisionInfo> rollback(Optional<String> to, String caller) {
        return askStore(r -> new ConfigCommand.Rollback(to, Cause.api(caller), r), ConfigReply.Done.class)
                .thenApply(ConfigReply.Done::revision);
    }

    /** Every revision, oldest first. */
    public CompletionStage<List<RevisionInfo>> listCommits() {
        return askStore(ConfigCommand.ListCommits::new, ConfigReply.Commits.class)
                .thenApply(ConfigReply.Commits::revisions);
    }

    /** Line diff of two revisions' canonical redacted text ({@code "running"} names the running one). */
    public CompletionStage<List<String>> diff(String a, String b) {
        return askStore(r -> new ConfigCommand.Diff(a, b, r), ConfigReply.DiffResult.class)
                .thenApply(ConfigReply.DiffResult::lines);
    }

    /** The running config and its revision. */
    public CompletionStage<ConfigReply.Running> running() {
        return askStore(ConfigCommand.GetRunning::new, ConfigReply.Running.class);
    }

    // ---- tunnels -----------------------------------------------------------------------------------------------

    /** Every tunnel of the running config with its state, in config order. */
    public CompletionStage<List<TunnelView>> tunnels() {
        return running().thenCompose(r -> {
            List<CompletableFuture<TunnelView>> all = new ArrayList<>();
            for (TunnelSpec t : r.config().tunnels()) {
                all.add(tunnel(t.label()).toCompletableFuture());
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                    .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
        });
    }

    /** One tunnel's state ({@code configured} false for a label not in the config). */
    public CompletionStage<TunnelView> tunnel(String label) {
        return askTunnel(label, TunnelCommand.Get::new);
    }

    /** Enables an admin-down tunnel. */
    public CompletionStage<TunnelView> adminUp(String label, String caller) {
        return askTunnel(label, r -> new TunnelCommand.AdminUp(Cause.api(caller), r));
    }

    /** Disables a tunnel (keeps its spec). */
    public CompletionStage<TunnelView> adminDown(String label, String caller) {
        return askTunnel(label, r -> new TunnelCommand.AdminDown(Cause.api(caller), r));
    }

    /** Restarts an IKE tunnel's negotiation. */
    public CompletionStage<TunnelView> reset(String label, String caller) {
        return askTunnel(label, r -> new TunnelCommand.Reset(Cause.api(caller), r));
    }

    /**
     * For the IKE engines and the dataplane: delivers a report, e.g.
     * {@code report("to-b", r -> new TunnelCommand.Phase1Up(peer, spis, Cause.PEER, r))}.
     */
    public CompletionStage<TunnelView> report(String label,
            Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
        if (!role.mayAct()) {
            return fenced(label);
        }
        return askTunnel(label, input::apply);
    }

    /**
     * Several reports for one tunnel, in the order they happened, persisted together (see
     * {@link TunnelCommand.EngineReports}); refused ones are logged by the tunnel and left out.
     */
    public CompletionStage<TunnelView> reportAll(String label,
            List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs) {
        if (!role.mayAct()) {
            return fenced(label);
        }
        return askTunnel(label, r -> new TunnelCommand.EngineReports(inputs.stream().map(f -> f.apply(r)).toList(), r));
    }

    /**
     * The fence on tunnel journal writes: an engine report from a node whose active lease ran out is refused before
     * it reaches the tunnel (and so the journal). The lease's own TTL decides ({@link ActiveRole#mayAct}), so this
     * holds even before the lost callback has run.
     */
    private CompletionStage<TunnelView> fenced(String label) {
        fencedReports.increment();
        return CompletableFuture.failedFuture(new RejectedException("tunnel " + label + ": report refused, this node"
                + " is not the active one (lease epoch " + role.epoch() + " no longer held)", List.of()));
    }

    private final java.util.concurrent.atomic.LongAdder fencedReports = new java.util.concurrent.atomic.LongAdder();

    /** @return engine reports refused because this node was not active ({@code ha.fenced.reports}) */
    public long fencedReports() {
        return fencedReports.sum();
    }

    // ---- history -----------------------------------------------------------------------------------------------

    /**
     * One tunnel's events in order, optionally only those at or after {@code since}, before {@code until}, and of
     * one type ({@code phase1-up}...).
     */
    public CompletionStage<List<JournalEvent>> events(String label, Optional<Instant> since, Optional<Instant> until,
            Optional<String> type) {
        return events(new EventQueries.Query(Optional.of(label), since, until, type, OptionalLong.empty(),
                Integer.MAX_VALUE));
    }

    /** Every tunnel's events in journal order, filtered as in {@link #events}. */
    public CompletionStage<List<JournalEvent>> allEvents(Optional<Instant> since, Optional<Instant> until,
            Optional<String> type) {
        return events(new EventQueries.Query(Optional.empty(), since, until, type, OptionalLong.empty(),
                Integer.MAX_VALUE));
    }

    /**
     * The events {@code query} selects, read with SQL the journal's indexes answer ({@link EventQueries}): its cost
     * follows what it returns, not the size of the history. Runs on the blocking dispatcher.
     */
    public CompletionStage<List<JournalEvent>> events(EventQueries.Query query) {
        return onJournal(c -> EventQueries.run(c, query, codec).stream()
                .map(r -> new JournalEvent(r.offset(), r.sequenceNr(), r.event())).toList());
    }

    /**
     * How many events {@code query} selects (its limit aside) and the offset of the last, counted on the journal's
     * indexes without decoding them ({@link EventQueries#count}). Runs on the blocking dispatcher.
     */
    public CompletionStage<EventQueries.Count> countEvents(EventQueries.Query query) {
        return onJournal(c -> EventQueries.count(c, query, codec));
    }

    /**
     * The tunnel as it was at {@code at}: its events up to that instant through the entity's own event handler,
     * folded from the latest state checkpoint at or before it ({@link StateCheckpoints}), so at most
     * {@value StateCheckpoints#EVERY} events are read however long the tunnel's history. Runs on the blocking
     * dispatcher.
     */
    public CompletionStage<TunnelView> stateAt(String label, Instant at) {
        String id = TunnelEntity.persistenceId(label).id();
        return onJournal(c -> checkpoints.at(c, id, TunnelState.empty(label), at)).thenApply(TunnelState::view);
    }

    private final StateCheckpoints<TunnelState> checkpoints;

    /** The journal reads' own connections (four at most: reads wait for one rather than open more). */
    private final ReadConnections reads;

    /** {@code read} on a connection of the reads' pool, on the blocking dispatcher. */
    private <T> CompletableFuture<T> onJournal(JournalRead<T> read) {
        java.util.concurrent.Executor blocking = system.dispatchers()
                .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
        return CompletableFuture.supplyAsync(() -> {
            try (Connection c = reads.get()) {
                return read.apply(c);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the journal: " + e.getMessage(), e);
            }
        }, blocking);
    }

    @FunctionalInterface
    private interface JournalRead<T> {
        T apply(Connection c) throws SQLException;
    }

    /**
     * New tunnel events as this node writes them, pushed from its journal writes ({@link LiveEvents}): after
     * {@code afterOffset} (a {@link JournalEvent#offset()} seen before; the events since are read from the journal
     * first), or from this call on (an event journaled after the call is delivered however late the stream starts).
     * The stream fails with {@link LiveEvents.CutOff} when its consumer falls {@link LiveEvents#buffer()} events
     * behind: it never slows the journal. On a pair member, whose standby does not write, the journal is polled
     * instead (every 500 ms).
     */
    public Source<JournalEvent, NotUsed> liveEvents(OptionalLong afterOffset) {
        if (role.paired()) {
            long after = afterOffset.isPresent() ? afterOffset.getAsLong() : latestOffset();
            return readJournal.eventsByTag(TunnelEntity.TAG, Offset.sequence(after))
                    .map(ControlPlane::toJournalEvent)
                    .mapMaterializedValue(f -> NotUsed.notUsed());
        }
        Source<EventQueries.Row, NotUsed> live = LiveEvents.get(system.classicSystem())
                .subscribe(org.apache.pekko.stream.Materializer.matFromSystem(system));
        if (afterOffset.isEmpty()) {
            return live.map(r -> new JournalEvent(r.offset(), r.sequenceNr(), r.event()));
        }
        Source<EventQueries.Row, NotUsed> past = Source.unfoldAsync(afterOffset.getAsLong(), after -> onJournal(c ->
                        EventQueries.run(c, new EventQueries.Query(Optional.empty(), Optional.empty(), Optional.empty(),
                                Optional.empty(), OptionalLong.of(after), 1_000), codec))
                        .thenApply(page -> page.isEmpty() ? Optional.<org.apache.pekko.japi.Pair<Long,
                                List<EventQueries.Row>>>empty()
                                : Optional.of(org.apache.pekko.japi.Pair.create(page.get(page.size() - 1).offset(), page))))
                .mapConcat(page -> page);
        // both parts come in offset order: drop what the journal read already gave. Filtered after the concat, not
        // on the live part: concat demands the live part's first element at once (a one-element buffer), which a
        // filter there judged before the journal read had passed it (LiveEventsTest saw two events twice)
        java.util.concurrent.atomic.AtomicLong emitted = new java.util.concurrent.atomic.AtomicLong(
                afterOffset.getAsLong());
        return past.concat(live)
                .filter(r -> {
                    if (r.offset() <= emitted.get()) {
                        return false;
                    }
                    emitted.set(r.offset());
                    return true;
                })
                .map(r -> new JournalEvent(r.offset(), r.sequenceNr(), r.event()));
    }

    /**
     * Keeps the tunnels' state checkpoints written as their events are ({@link CheckpointWriter}: folded in memory,
     * on a thread of their own), so that no {@code state?at=} read has to.
     */
    private void checkpointAsWritten() {
        try (Connection c = JournalSchema.connect(journal)) {
            int dropped = checkpoints.dropOthers(c);
            if (dropped > 0) {
                org.slf4j.LoggerFactory.getLogger(ControlPlane.class).info("dropped {} state checkpoints written by"
                        + " another version of the tunnel event handler; they are written again as tunnels' events"
                        + " and state?at= reads pass them", dropped);
            }
        } catch (SQLException e) { // a cache: reads ignore other handlers' rows anyway
            org.slf4j.LoggerFactory.getLogger(ControlPlane.class).warn("old state checkpoints not dropped: {}",
                    e.getMessage());
        }
        CheckpointWriter<TunnelState> writer = new CheckpointWriter<>(checkpoints, journal,
                e -> TunnelState.empty(e.label()));
        system.classicSystem().registerOnTermination(writer.start("palisade-checkpoints"));
        LiveEvents.get(system.classicSystem()).onWritten(writer::written);
    }

    private long latestOffset() {
        try (Connection c = JournalSchema.connect(journal); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(\"ordering\"), 0) FROM \"event_journal\"")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the journal's end: " + e.getMessage(), e);
        }
    }

    static JournalEvent toJournalEvent(EventEnvelope env) {
        long offset = env.offset() instanceof Sequence s ? s.value() : 0L;
        return new JournalEvent(offset, env.sequenceNr(), (TunnelEvent) env.event());
    }

    static boolean matches(JournalEvent e, Optional<Instant> since, Optional<Instant> until, Optional<String> type) {
        Instant t = e.event().time();
        return since.map(s -> !t.isBefore(s)).orElse(true)
                && until.map(u -> t.isBefore(u)).orElse(true)
                && type.map(e.event().type()::equals).orElse(true);
    }

    // ---- the pair --------------------------------------------------------------------------------------------------

    /** The cluster and the active role as this node sees them now (the lease as last read, every TTL/10). */
    public ClusterView cluster() {
        org.apache.pekko.cluster.Cluster c = org.apache.pekko.cluster.Cluster.get(system.classicSystem());
        var state = c.state();
        java.util.Set<org.apache.pekko.cluster.Member> unreachable = state.getUnreachable();
        Optional<LeaseTable.Row> row = role.holder();
        Optional<String> holder = role.active() ? Optional.of(role.self())
                : row.filter(LeaseTable.Row::held).map(LeaseTable.Row::owner);
        List<ClusterView.Member> members = new ArrayList<>();
        for (org.apache.pekko.cluster.Member m : state.getMembers()) {
            String address = ActiveRole.ownerName(m.address());
            members.add(new ClusterView.Member(address, m.status().toString().toLowerCase(java.util.Locale.ROOT),
                    !unreachable.contains(m), holder.map(address::equals).orElse(false)));
        }
        String self = ActiveRole.ownerName(c.selfAddress());
        String r = !role.paired() ? "sole" : role.active() ? "active" : "standby";
        long epoch = role.active() ? role.epoch() : row.map(LeaseTable.Row::epoch).orElse(0L);
        return new ClusterView(self, r, members, holder, epoch,
                role.active() || holder.isPresent() ? row.map(LeaseTable.Row::expires) : Optional.empty());
    }

    /**
     * Every node's HA timeline ({@code ha-active}, {@code ha-standby}, {@code ha-takeover}) in time order, optionally
     * only at or after {@code since}.
     */
    public CompletionStage<List<HaEvent>> clusterEvents(Optional<Instant> since) {
        return plain(readJournal.currentEventsByTag(NodeTimeline.TAG, Offset.noOffset())
                .map(env -> (HaEvent) env.event())
                .filter(e -> since.map(s -> !e.time().isBefore(s)).orElse(true))
                .runWith(Sink.seq(), system))
                .thenApply(l -> l.stream().sorted(java.util.Comparator.comparing(HaEvent::time)).toList());
    }

    /**
     * How this node reaches a tunnel entity: through cluster sharding on a node alone, through the node's
     * {@link TunnelHost} on a pair member (exactly one of the two).
     */
    private record Tunnels(Optional<ClusterSharding> sharding, Optional<ActorRef<TunnelHost.Message>> host) {
        RecipientRef<TunnelCommand> entity(String label) {
            return host.map(h -> TunnelHost.entity(h, label))
                    .orElseGet(() -> sharding.orElseThrow().entityRefFor(TunnelEntity.TYPE_KEY, label));
        }

        CompletionStage<TunnelReply> ask(String label, Function<ActorRef<TunnelReply>, TunnelCommand> cmd,
                Duration timeout, ActorSystem<Void> system) {
            if (host.isPresent()) {
                return AskPattern.<TunnelHost.Message, TunnelReply>ask(host.get(),
                        r -> new TunnelHost.Deliver(label, cmd.apply(r)), timeout, system.scheduler());
            }
            return sharding.orElseThrow().entityRefFor(TunnelEntity.TYPE_KEY, label).ask(cmd::apply, timeout);
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------------------------

    private <R extends ConfigReply> CompletionStage<R> askStore(Function<ActorRef<ConfigReply>, ConfigCommand> cmd,
            Class<R> expected) {
        return plain(AskPattern.ask(configStore, cmd::apply, settings.askTimeout(), system.scheduler()))
                .thenApply(reply -> {
                    if (reply instanceof ConfigReply.Rejected r) {
                        throw new RejectedException(r.error(), r.diagnostics());
                    }
                    return expected.cast(reply);
                });
    }

    private CompletionStage<TunnelView> askTunnel(String label, Function<ActorRef<TunnelReply>, TunnelCommand> cmd) {
        return plain(tunnels.ask(label, cmd, settings.askTimeout(), system))
                .thenApply(reply -> switch (reply) {
                    case TunnelReply.Ok ok -> ok.tunnel();
                    case TunnelReply.Rejected r -> throw new RejectedException(r.error(), List.of());
                });
    }

    /**
     * {@code stage} as a plain {@link CompletableFuture} completed on the actor system's dispatcher. Pekko's
     * CompletionStages come from Scala's future converter, which runs even the non-async callbacks
     * ({@code thenApply}...) on {@code ForkJoinPool.commonPool()}: one thread on a 2-CPU machine, so anything
     * blocking there (a library, a caller) stalled every ask and report of this node, the ask timeout included
     * (found by a lab test; see {@code CommonPoolTest}). Callbacks on the returned future run where it completes.
     */
    private <T> CompletableFuture<T> plain(CompletionStage<T> stage) {
        CompletableFuture<T> out = new CompletableFuture<>();
        stage.whenCompleteAsync((v, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(v);
            }
        }, system.executionContext());
        return out;
    }

    /**
     * Gives the active lease up (so that the other node of a pair takes over at once rather than after the TTL),
     * leaves the cluster and stops the ActorSystem (waits up to 30 s).
     */
    @Override
    public void close() {
        role.close();
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The data directory. */
    public Path dataDir() {
        return settings.dataDir();
    }
}
