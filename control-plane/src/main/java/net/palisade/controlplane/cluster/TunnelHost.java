package net.palisade.controlplane.cluster;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.event.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a pair member's tunnel entities live: on the node holding the active lease, and nowhere else. The active
 * node's host runs one entity per tunnel label — all of them, read from the journal, the moment the node
 * {@linkplain ActiveRole.Listener#becameActive becomes active} — and stops them all when it loses the lease. A
 * standby's host runs none and forwards what it is sent to the host of the node it last read in the lease row.
 *
 * <p>Why not cluster sharding: a shard moves only once cluster membership has removed the node that hosted it (the
 * shard coordinator is itself a singleton on the oldest member), which after a {@code kill -9} takes the failure
 * detector, the split-brain resolver's {@code stable-after} and lease, the removal and the singleton hand-over —
 * about 7 s in {@code HaPairLabTest}, after the lease had already moved in 2 s. Sharding's guarantee (one entity per
 * label in the cluster) is the lease's here: only its holder runs entities, the holder's ports are the only ones
 * open ({@link ActivePorts}), and a node whose lease ran out has its tunnel reports refused before they reach an
 * entity ({@code ControlPlane.report}), so a dying host's entities write nothing the new one has not seen. The
 * journal's primary key (persistence id, sequence number) refuses the one write that could still race.
 *
 * <p>Forwarding: messages from the API, the config store singleton and engine reports reach the local host as
 * {@link Deliver}; a standby sends them on as {@link Forwarded} (the command serialized with the actor system's
 * serializer, its reply-to refs with their remote addresses) to the active node's host found with the receptionist.
 * A forwarded message is never forwarded again (two nodes with stale views of the lease row would bounce it); while
 * no active node is known, messages wait up to {@link #PENDING_FOR} and are dropped after it (their asks time out).
 */
public final class TunnelHost extends AbstractBehavior<TunnelHost.Message> {
    private static final Logger log = LoggerFactory.getLogger(TunnelHost.class);
    /** The receptionist key every pair member's host registers under. */
    public static final ServiceKey<Message> KEY = ServiceKey.create(Message.class, "palisade-tunnel-host");
    /** How long a message waits for an active node to be known. */
    static final Duration PENDING_FOR = Duration.ofSeconds(10);
    /** Messages kept waiting at most; the oldest is dropped beyond. */
    static final int PENDING_MAX = 10_000;
    private static final Duration TICK = Duration.ofMillis(100);
    private static final Duration WARM_FIRST = Duration.ofSeconds(5);
    private static final Duration WARM_EVERY = Duration.ofSeconds(30);
    private static final int WARM_TUNNELS = 20;
    private static final int WARM_EVENTS = 100;

    /** What a host accepts. Only {@link Forwarded} crosses nodes. */
    public sealed interface Message {}

    /** A command for the entity of tunnel {@code label}, from this node. */
    public record Deliver(String label, TunnelCommand command) implements Message {
        public Deliver {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(command, "command");
        }
    }

    /** A command a standby passed on, serialized as the actor system would serialize it. */
    public record Forwarded(String label, int serializer, String manifest, byte[] bytes)
            implements Message, CborSerializable {}

    private record Became(boolean active, long epoch) implements Message {}

    private record Hosts(Receptionist.Listing listing) implements Message {}

    private record Labels(List<String> labels, Optional<String> error) implements Message {}

    private record EntityStopped(String label, ActorRef<TunnelCommand> entity) implements Message {}

    private enum Tick implements Message { INSTANCE }

    private enum ReadLabels implements Message { INSTANCE }

    private enum Warm implements Message { INSTANCE }

    private record Warmed(int tunnels, long millis, Optional<String> error) implements Message {}

    private record Waiting(String label, TunnelCommand command, boolean forwardable, long until) {}

    private final TunnelEntity.Deps deps;
    private final ActiveRole role;
    private final JournalSettings journal;
    private final Serialization serialization;
    private final Map<String, ActorRef<TunnelCommand>> entities = new HashMap<>();
    private final ArrayDeque<Waiting> pending = new ArrayDeque<>();
    private Set<ActorRef<Message>> hosts = Set.of();
    private boolean active;
    private long generation;
    private long dropped;
    private boolean warmedOnce;

    private TunnelHost(ActorContext<Message> ctx, TimerScheduler<Message> timers, TunnelEntity.Deps deps,
            ActiveRole role, JournalSettings journal) {
        super(ctx);
        this.deps = deps;
        this.role = role;
        this.journal = journal;
        this.serialization = SerializationExtension.get(ctx.getSystem());
        ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY,
                ctx.messageAdapter(Receptionist.Listing.class, Hosts::new)));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
        timers.startTimerWithFixedDelay(Warm.INSTANCE, WARM_FIRST, WARM_EVERY);
        if (role.active()) {
            ctx.getSelf().tell(new Became(true, role.epoch()));
        }
    }

    /**
     * The host of a pair member, listening to {@code role} (register the returned listener after the node's IKE
     * fence and {@link ActivePorts}, so that the ports are open before the entities recover and resume).
     *
     * @param deps what the tunnel entities share
     * @param journal the shared journal, where the tunnels' labels are read on becoming active
     */
    public static Behavior<Message> create(TunnelEntity.Deps deps, ActiveRole role, JournalSettings journal) {
        // restarted if it fails: it then starts from the role as it is (its entities were stopped with it)
        return Behaviors.supervise(Behaviors.<Message>setup(ctx -> Behaviors.withTimers(
                        t -> new TunnelHost(ctx, t, deps, role, journal))))
                .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    }

    /** @return the listener that tells {@code host} about role changes */
    public static ActiveRole.Listener listener(ActorRef<Message> host) {
        return new ActiveRole.Listener() {
            @Override
            public void becameActive(long epoch) {
                host.tell(new Became(true, epoch));
            }

            @Override
            public void becameStandby(net.palisade.model.event.Cause cause) {
                host.tell(new Became(false, 0));
            }
        };
    }

    /** @return the entity of {@code label} as the config store reaches it: through {@code host} */
    public static RecipientRef<TunnelCommand> entity(ActorRef<Message> host, String label) {
        return new RecipientRef<>() {
            @Override
            public void tell(TunnelCommand command) {
                host.tell(new Deliver(label, command));
            }
        };
    }

    @Override
    public Receive<Message> createReceive() {
        return newReceiveBuilder()
                .onMessage(Deliver.class, d -> {
                    route(d.label(), d.command(), true);
                    return this;
                })
                .onMessage(Forwarded.class, this::forwarded)
                .onMessage(Became.class, this::became)
                .onMessage(Labels.class, this::labels)
                .onMessage(Warm.class, w -> {
                    if (!active) {
                        warm();
                    }
                    return this;
                })
                .onMessage(Warmed.class, w -> {
                    if (w.error().isPresent()) {
                        log.debug("tunnel host: warming on the standby failed: {}", w.error().get());
                    } else if (!warmedOnce) {
                        warmedOnce = true;
                        log.info("tunnel host: standby read the latest events of {} tunnel(s) in {} ms (again every {} s)",
                                w.tunnels(), w.millis(), WARM_EVERY.toSeconds());
                    }
                    return this;
                })
                .onMessage(ReadLabels.class, r -> {
                    if (active) {
                        readLabelsAsync();
                    }
                    return this;
                })
                .onMessage(Hosts.class, h -> {
                    hosts = h.listing().getServiceInstances(KEY).stream()
                            .filter(r -> !r.equals(getContext().getSelf())).collect(java.util.stream.Collectors.toSet());
                    flush();
                    return this;
                })
                .onMessage(EntityStopped.class, s -> {
                    entities.remove(s.label(), s.entity());
                    return this;
                })
                .onMessage(Tick.class, t -> {
                    flush();
                    return this;
                })
                .build();
    }

    private void route(String label, TunnelCommand command, boolean forwardable) {
        if (active) {
            entity(label).tell(command);
            return;
        }
        Optional<ActorRef<Message>> to = forwardable ? activeHost() : Optional.empty();
        if (to.isPresent() && forward(to.get(), label, command)) {
            return;
        }
        if (pending.size() >= PENDING_MAX) {
            pending.removeFirst();
            dropped++;
            log.warn("tunnel host: no active node known, {} message(s) dropped so far", dropped);
        }
        pending.addLast(new Waiting(label, command, forwardable, System.nanoTime() + PENDING_FOR.toNanos()));
    }

    private Behavior<Message> forwarded(Forwarded f) {
        TunnelCommand command;
        try {
            command = (TunnelCommand) serialization.deserialize(f.bytes(), f.serializer(), f.manifest()).get();
        } catch (Exception e) {
            log.warn("tunnel host: a forwarded command for {} is unreadable: {}", f.label(),
                    e.toString());
            return this;
        }
        route(f.label(), command, false);
        return this;
    }

    private boolean forward(ActorRef<Message> to, String label, TunnelCommand command) {
        try {
            var serializer = serialization.findSerializerFor(command);
            // serialize(), not the serializer's toBinary: it sets the transport information that the reply-to refs'
            // serializer needs to write their full remote address
            byte[] bytes = serialization.serialize(command).get();
            to.tell(new Forwarded(label, serializer.identifier(), Serializers.manifestFor(serializer, command), bytes));
            return true;
        } catch (Exception e) {
            log.warn("tunnel host: cannot forward a {} for {}: {}",
                    command.getClass().getSimpleName(), label, e.toString());
            return false;
        }
    }

    /** The host of the node this one last read as the lease holder, if it has registered. */
    private Optional<ActorRef<Message>> activeHost() {
        Optional<String> holder = role.holder().filter(LeaseTable.Row::held).map(LeaseTable.Row::owner)
                .filter(o -> !o.equals(role.self()));
        return holder.flatMap(h -> hosts.stream()
                .filter(r -> ActiveRole.ownerName(r.path().address()).equals(h)).findFirst());
    }

    private void flush() {
        long now = System.nanoTime();
        List<Waiting> again = new ArrayList<>(pending);
        pending.clear();
        for (Waiting w : again) {
            if (now - w.until() > 0) {
                dropped++;
                continue;
            }
            if (active) {
                entity(w.label()).tell(w.command());
            } else {
                Optional<ActorRef<Message>> to = w.forwardable() ? activeHost() : Optional.empty();
                if (to.isEmpty() || !forward(to.get(), w.label(), w.command())) {
                    pending.addLast(w);
                }
            }
        }
    }

    private Behavior<Message> became(Became b) {
        if (b.active() == active) {
            return this;
        }
        active = b.active();
        if (active) {
            log.info("tunnel host: active (lease epoch {}), starting every tunnel", b.epoch());
            readLabelsAsync();
            flush();
        } else {
            log.info("tunnel host: standby, stopping {} tunnel entit(ies)", entities.size());
            for (Iterator<ActorRef<TunnelCommand>> it = entities.values().iterator(); it.hasNext(); ) {
                getContext().stop(it.next());
                it.remove();
            }
        }
        return this;
    }

    private Behavior<Message> labels(Labels l) {
        if (l.error().isPresent()) {
            // the tunnels the config store or the API name still start (on their first message); retried below
            log.warn("tunnel host: cannot read the tunnels from the journal: {}", l.error().get());
            getContext().scheduleOnce(Duration.ofSeconds(1), getContext().getSelf(), ReadLabels.INSTANCE);
            return this;
        }
        if (active) {
            l.labels().forEach(this::entity);
            log.info("tunnel host: {} tunnel entit(ies) running", entities.size());
        }
        return this;
    }

    /**
     * A standby reads the latest events of a few tunnels and throws them away: what a takeover's recovery runs first
     * (the journal's queries, the events' deserializers and unsealing) is then loaded and compiled already. Measured
     * in HaPairLabTest: a cold recovery took 170-440 ms of the gap, a warm one 80-130 ms. Bounded (at most
     * {@value #WARM_TUNNELS} tunnels, their last {@value #WARM_EVENTS} events each), whatever the journal's size:
     * compiled code is what it is for, not the tunnels' state.
     */
    private void warm() {
        var system = getContext().getSystem();
        var readJournal = org.apache.pekko.persistence.query.PersistenceQuery.get(system).getReadJournalFor(
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.class,
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.Identifier());
        long t0 = System.nanoTime();
        CompletableFuture<Integer> done = CompletableFuture.supplyAsync(this::readLatest,
                        system.dispatchers().lookup(DispatcherSelector.blocking()))
                .thenCompose(latest -> {
                    CompletableFuture<?>[] all = latest.entrySet().stream()
                            .map(e -> readJournal.currentEventsByPersistenceId(e.getKey(),
                                            Math.max(1, e.getValue() - WARM_EVENTS + 1), e.getValue())
                                    .map(env -> (TunnelEvent) env.event())
                                    .runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), system)
                                    .toCompletableFuture())
                            .toArray(CompletableFuture[]::new);
                    return CompletableFuture.allOf(all).thenApply(v -> latest.size());
                });
        getContext().pipeToSelf(done, (n, e) -> e == null
                ? new Warmed(n, (System.nanoTime() - t0) / 1_000_000, Optional.empty())
                : new Warmed(0, 0, Optional.of(e.toString())));
    }

    /** The highest sequence number of up to {@value #WARM_TUNNELS} tunnels' journals, by persistence id. */
    private Map<String, Long> readLatest() {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = JournalSchema.connect(journal);
                PreparedStatement s = c.prepareStatement("SELECT persistence_id, MAX(sequence_number) FROM event_journal"
                        + " WHERE persistence_id LIKE ? GROUP BY persistence_id ORDER BY persistence_id LIMIT ?")) {
            s.setString(1, likePrefix());
            s.setInt(2, WARM_TUNNELS);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return out;
    }

    private ActorRef<TunnelCommand> entity(String label) {
        return entities.computeIfAbsent(label, x -> {
            ActorRef<TunnelCommand> e = getContext().spawn(TunnelEntity.create(label, deps),
                    "tunnel-" + URLEncoder.encode(label, StandardCharsets.UTF_8) + "-" + (++generation));
            getContext().watchWith(e, new EntityStopped(label, e));
            return e;
        });
    }

    private void readLabelsAsync() {
        getContext().pipeToSelf(CompletableFuture.supplyAsync(this::readLabels,
                        getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking())),
                (labels, e) -> e == null ? new Labels(labels, Optional.empty())
                        : new Labels(List.of(), Optional.of(e.toString())));
    }

    /** The LIKE pattern of every tunnel's persistence id. */
    private static String likePrefix() {
        return tunnelPrefix().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }

    /** {@code Tunnel|}: a tunnel's persistence id without its label. */
    private static String tunnelPrefix() {
        String id = TunnelEntity.persistenceId("x").id();
        return id.substring(0, id.length() - 1);
    }

    /** Every tunnel label with a journal ({@code Tunnel|<label>}); removed ones recover as unconfigured and idle. */
    private List<String> readLabels() {
        String prefix = tunnelPrefix();
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (Connection c = JournalSchema.connect(journal);
                PreparedStatement s = c.prepareStatement(
                        "SELECT DISTINCT persistence_id FROM event_journal WHERE persistence_id LIKE ?")) {
            s.setString(1, likePrefix());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String label = rs.getString(1).substring(prefix.length());
                    if (seen.add(label)) {
                        out.add(label);
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return out;
    }
}
