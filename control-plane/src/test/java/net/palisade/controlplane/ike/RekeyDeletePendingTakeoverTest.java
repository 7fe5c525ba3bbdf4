package net.palisade.controlplane.ike;

import static net.palisade.controlplane.ike.ResumeTest.env;
import static net.palisade.controlplane.ike.ResumeTest.pump;
import static net.palisade.controlplane.ike.ResumeTest.sends;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.journal.PairKey;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.tunnel.Takeover;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A takeover after our Child SA rekey was answered and journaled, before our Delete of the old Child SA reached the
 * peer (docs/ha.md, "Resumption", item 10; {@code ha-pair.sh --rekey ours-delete}). The peer sends on the old Child
 * SA until that Delete reaches it (RFC 7296 section 2.8): the node that takes over installs the old Child SA beside
 * the new one, receiving on it while the new one sends, and removes it once its Delete is answered. Before, the
 * journal dropped the old Child SA's state at our {@code rekeyed}, the new node installed only the new one, and the
 * peer's packets on the old one were dropped until the Delete arrived (0.2-0.45 s of loss in the lab).
 *
 * <p>The real path end to end: two engines in memory, the SA owner ({@link IkeOutcomes}) with a fake dataplane
 * table, and a real tunnel entity whose journal the second node resumes from, sealed with the pair key.
 */
class RekeyDeletePendingTakeoverTest {
    private static final String LABEL = "site-b";
    private static final IkeTunnel T = IkeLoop.gcm("rekey delete pending secret", DhGroup.CURVE25519);
    private static final IkeSettings TAKEOVER = IkeSettings.DEFAULT.withTakeoverState(true);
    private static ActorSystem<Void> system;

    private EventSourcedBehaviorTestKit<TunnelCommand, TunnelEvent, TunnelState> entity;
    private final TakeoverSealer sealer = new TakeoverSealer(PairKey.of(new byte[32]));

    @BeforeAll
    static void start() {
        system = Fixtures.eventSourcedSystem("rekey-delete-pending");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @BeforeEach
    void journal() {
        TunnelPorts ports = TunnelPorts.NONE;
        entity = EventSourcedBehaviorTestKit.create(system, TunnelEntity.create(LABEL,
                new TunnelEntity.Deps(ports, "node-1", Clock.fixed(Instant.parse("2026-12-07T18:00:00Z"),
                        ZoneOffset.UTC), 100)));
        entity.clear();
        entity.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(
                (IkeTunnel) Fixtures.config().tunnel(LABEL).orElseThrow(), Cause.FILE, to));
    }

    /** A node's SA owner on its own dataplane table, reporting to the tunnel's journal, with the pair key. */
    private IkeOutcomes node(IkeOutcomesTest.FakeSas dataplane) {
        IkeOutcomes owner = new IkeOutcomes(Runnable::run,
                label -> Optional.of((IkeTunnel) Fixtures.config().tunnel(LABEL).orElseThrow()), spi -> {});
        owner.open(dataplane);
        owner.attach(new Journal());
        owner.takeover(sealer);
        return owner;
    }

    /** What the engine reported, handed to the SA owner as the session actor does. */
    private static void report(IkeOutcomes owner, List<IkeOutput> outputs) {
        outputs.stream().filter(IkeOutput.Event.class::isInstance).map(IkeOutput.Event.class::cast)
                .forEach(e -> owner.event(LABEL, e));
    }

    private static List<IkeOutput> deliver(List<IkeOutput.Send> sends, IkeSession to) {
        List<IkeOutput> out = new ArrayList<>();
        for (IkeOutput.Send s : sends) {
            out.addAll(to.handle(new IkeInput.Received(s.datagram().clone(), s.from(), s.to())).outputs());
        }
        return out;
    }

    @Test
    void theNewNodeReceivesOnTheOldChildSaUntilOurDeleteOfItIsAnswered() {
        // node 1 sets the IKE SA up with the peer (B) and rekeys its Child SA; B's answer comes back
        IkeOutcomesTest.FakeSas dataplane1 = new IkeOutcomesTest.FakeSas();
        IkeOutcomes node1 = node(dataplane1);
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        report(node1, loop.aOutputs);
        long oldIn = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst().inboundSpi();
        List<IkeOutput> rekey = loop.a.handle(new IkeInput.RekeyChild()).outputs();
        report(node1, rekey);
        List<IkeOutput> answer = deliver(sends(rekey), loop.b);
        List<IkeOutput> atA = deliver(sends(answer), loop.a);
        report(node1, atA);
        long newIn = atA.stream().filter(IkeOutput.ChildSaRekeyed.class::isInstance)
                .map(o -> ((IkeOutput.ChildSaRekeyed) o).replacement().inboundSpi()).findFirst().orElseThrow();
        List<IkeOutput.Send> delete = sends(atA);
        assertThat(dataplane1.pairs(LABEL)).as("node 1: make-before-break").containsExactly(oldIn, newIn);
        assertThat(dataplane1.sending).isEqualTo(newIn);
        // node 1 dies: its Delete of the old Child SA never reaches B, which goes on sending on the old one

        // what the journal holds: the new Child SA, and the old one's sealed state until our Delete is answered
        Takeover journaled = entity.getState().takeover();
        String oldName = SaId.child(oldIn).value();
        assertThat(journaled.replaced()).as("the old Child SA kept in the takeover state").containsOnlyKeys(oldName);
        assertThat(journaled.replaced().get(oldName).ours()).isTrue();
        assertThat(journaled.replaced().get(oldName).by()).isEqualTo(SaId.child(newIn).value());
        List<IkeResumption.Prepared> opened = IkeResumption.openAll(Optional.of(sealer), LABEL,
                journaled.resumable(), org.slf4j.LoggerFactory.getLogger(getClass()), (sa, why) -> {
                    throw new AssertionError(sa + ": " + why);
                });
        IkeResumption.Prepared p = opened.getFirst();
        assertThat(p.children()).extracting(IkeOutput.ChildSaInstalled::inboundSpi).containsExactly(newIn);
        assertThat(p.replaced()).singleElement().satisfies(o -> {
            assertThat(o.ours()).isTrue();
            assertThat(o.sa().inboundSpi()).isEqualTo(oldIn);
        });

        // node 2 takes over: both pairs installed, the new one sending, the old one receiving
        IkeOutcomesTest.FakeSas dataplane2 = new IkeOutcomesTest.FakeSas();
        IkeOutcomes node2 = node(dataplane2);
        node2.resumeLater(LABEL, opened, Map.of(), () -> true, () -> {});
        assertThat(dataplane2.pairs(LABEL)).containsExactlyInAnyOrder(oldIn, newIn);
        assertThat(dataplane2.sending).as("outbound on the new Child SA").isEqualTo(newIn);

        IkeSession resumed = IkeSession.resume(T, p.ike(), p.children(), p.replaced(), env(31, loop), TAKEOVER);
        IkeSession.Step start = resumed.handle(new IkeInput.Start());
        assertThat(sends(start.outputs()).getFirst().datagram()).as("the journaled Delete, sent again")
                .isEqualTo(delete.getFirst().datagram());
        report(node2, start.outputs());
        assertThat(dataplane2.pairs(LABEL)).as("the old one stays until the Delete is answered")
                .containsExactlyInAnyOrder(oldIn, newIn);

        // B answers the Delete: the old Child SA goes on both sides, and from the journal
        ResumeTest.Exchanged ex = pump(resumed, start, loop.b);
        report(node2, ex.a().subList(start.outputs().size(), ex.a().size()));
        assertThat(ex.of(true, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(oldIn);
        assertThat(ex.of(false, IkeOutput.ChildSaDeleted.class)).hasSize(1);
        assertThat(dataplane2.pairs(LABEL)).containsExactly(newIn);
        assertThat(dataplane2.sending).isEqualTo(newIn);
        assertThat(entity.getState().takeover().replaced()).as("its state leaves the journal's takeover state")
                .isEmpty();
        assertThat(entity.getState().sas()).extracting(ChildSa::id).containsExactly(SaId.child(newIn));
        assertThat(ex.of(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(resumed.state()).isEqualTo(IkeState.ESTABLISHED);
    }

    /** Delivers reports to the tunnel entity and completes as its reply says. */
    private final class Journal implements IkeOutcomes.Reporter {
        @Override
        public CompletionStage<?> report(String label,
                Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
            return reportAll(label, List.of(input));
        }

        @Override
        public CompletionStage<?> reportAll(String label,
                List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs) {
            TunnelReply reply = entity.<TunnelReply>runCommand(to -> {
                List<TunnelCommand.EngineInput> in = inputs.stream().map(f -> f.apply(to)).toList();
                return in.size() == 1 ? in.getFirst() : new TunnelCommand.EngineReports(in, to);
            }).reply();
            return reply instanceof TunnelReply.Rejected r
                    ? CompletableFuture.failedFuture(new IllegalStateException(r.error()))
                    : CompletableFuture.completedFuture(reply);
        }
    }
}
