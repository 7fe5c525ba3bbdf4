package net.palisade.controlplane;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.cluster.HaEvent;
import net.palisade.controlplane.cluster.NodeTimeline;
import net.palisade.controlplane.journal.JournalSchema;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.model.event.Cause;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * Writes a gateway pair's journal as its two nodes would have, through the node's own persistence plugin
 * (pekko-persistence-jdbc with the node's DAO) and serializer (secrets sealed with the node key): each node's
 * timeline ({@code ha-timeline|<node>}, tag {@code ha}) and tunnel events ({@code Tunnel|<label>}, tag
 * {@code tunnel}), each event stamped with the time and node the test gives. No cluster and no lease: the journal
 * fence is not asked (the connections name no node), so a test can write what a fenced node could not.
 *
 * <p>{@link #takeover} is the scenario the replay tests share: {@value #A} active, a tunnel up on it, then
 * {@value #B} takes over after A died, resumes the tunnel, and later B leaves cleanly and A takes over again.
 */
public final class PairJournal implements AutoCloseable {
    public static final String A = "192.0.2.1:25520";
    public static final String B = "192.0.2.2:25520";
    /** The scenario's start. */
    public static final Instant T0 = Instant.parse("2026-12-07T01:00:00Z");

    private final ActorSystem<Void> system;

    private PairJournal(ActorSystem<Void> system) {
        this.system = system;
    }

    /** A writer on {@code journal} (its schema created if missing), sealing with {@code key}. */
    public static PairJournal open(JournalSettings journal, NodeKey key, Path scratch) throws Exception {
        JournalSchema.createIfMissing(journal);
        Settings s = Settings.defaults(scratch).withCluster("127.0.0.1", 1, List.of()).withJournal(journal);
        Config c = NodeConfig.node(s, journal)
                .withoutPath("pekko-persistence-jdbc.shared-databases.palisade.db.properties")
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("local"));
        return new PairJournal(Fixtures.system("pair-journal", key, c));
    }

    /** Records {@code e} in its node's timeline. */
    public PairJournal ha(HaEvent e) throws Exception {
        write(NodeTimeline.persistenceId(e.node()), NodeTimeline.TAG, e);
        return this;
    }

    /** Records {@code e} in its tunnel's journal. */
    public PairJournal tunnel(TunnelEvent e) throws Exception {
        write(TunnelEntity.persistenceId(e.label()), TunnelEntity.TAG, e);
        return this;
    }

    /**
     * The shared scenario (seconds from {@link #T0}): 0 A active (epoch 1); 1 B standby; 2 site-b configured by A,
     * 3 its IKE SA up on A; 4 legacy-c configured by A; A dies; 12 B takes over (lease-expired, gap 1800 ms, epoch 2);
     * 13 a late event of legacy-c written by A (what the fence exists to refuse); 15 B resumes site-b's IKE SA; 40 B
     * leaves (ha-standby cluster-left); 42 A takes over again (lease-released, gap 300 ms, epoch 3); 44 A resumes
     * site-b.
     */
    public PairJournal takeover() throws Exception {
        ha(new HaEvent.Active(at(0), A, new Cause("lease-acquired"), 1));
        ha(new HaEvent.Standby(at(1), B, new Cause("lease-held-by-other"), 0));
        tunnel(new TunnelEvent.Configured("site-b", at(2), A, Cause.commit("c-1"),
                Fixtures.config().tunnel("site-b").orElseThrow()));
        tunnel(new TunnelEvent.Phase1Up("site-b", at(3), A, Cause.PEER, "198.51.100.2", "ike-1"));
        tunnel(new TunnelEvent.Configured("legacy-c", at(4), A, Cause.commit("c-1"),
                Fixtures.config().tunnel("legacy-c").orElseThrow()));
        ha(new HaEvent.Takeover(at(12), B, new Cause("lease-expired"), A, B, 1800, 2));
        ha(new HaEvent.Active(at(12).plusMillis(1), B, new Cause("lease-expired"), 2));
        tunnel(new TunnelEvent.AdminDown("legacy-c", at(13), A, Cause.api("alice")));
        tunnel(new TunnelEvent.Resumed("site-b", at(15), B, Cause.NODE, "ike-1"));
        ha(new HaEvent.Standby(at(40), B, new Cause("cluster-left"), 2));
        ha(new HaEvent.Takeover(at(42), A, new Cause("lease-released"), B, A, 300, 3));
        ha(new HaEvent.Active(at(42).plusMillis(1), A, new Cause("lease-released"), 3));
        tunnel(new TunnelEvent.Resumed("site-b", at(44), A, Cause.NODE, "ike-1"));
        return this;
    }

    /** {@link #T0} plus {@code seconds}. */
    public static Instant at(double seconds) {
        return T0.plusMillis(Math.round(seconds * 1000));
    }

    private record Write(Object event, ActorRef<Done> replyTo) {}

    private final java.util.Map<String, ActorRef<Write>> byId = new java.util.HashMap<>();

    private void write(PersistenceId id, String tag, Object event) throws Exception {
        ActorRef<Write> w = byId.computeIfAbsent(id.id(), k -> {
            return system.systemActorOf(writer(id, tag), "writer-" + byId.size(),
                    org.apache.pekko.actor.typed.Props.empty());
        });
        AskPattern.<Write, Done>ask(w, r -> new Write(event, r), Duration.ofSeconds(30), system.scheduler())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Behavior<Write> writer(PersistenceId id, String tag) {
        return new EventSourcedBehavior<Write, Object, Long>(id) {
            @Override
            public Long emptyState() {
                return 0L;
            }

            @Override
            public Set<String> tagsFor(Object event) {
                return Set.of(tag);
            }

            @Override
            public CommandHandler<Write, Object, Long> commandHandler() {
                return (n, w) -> Effect().persist(w.event()).thenReply(w.replyTo(), s -> Done.getInstance());
            }

            @Override
            public EventHandler<Long, Object> eventHandler() {
                return (n, e) -> n + 1;
            }
        };
    }

    @Override
    public void close() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
