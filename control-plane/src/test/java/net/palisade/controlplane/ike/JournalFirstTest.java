package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import net.palisade.controlplane.journal.PairKey;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/**
 * A request of ours leaves only once the IKE SA's state that counts its message ID is journaled (docs/ha.md,
 * "Resumption", item 8): the engine puts that state before the request in its outputs, the session's driver holds
 * the request until the journal has it, and the outcome owner says when it has. Written after the send, the state
 * was lost when the node died within the journal's round trip — the new active node then offered a message ID the
 * peer took for a retransmission (ha-pair.sh --rekey ours).
 */
class JournalFirstTest {
    private static final IkeTunnel T = IkeLoop.gcm("journal first secret", DhGroup.CURVE25519);
    private static final IkeSettings TAKEOVER = IkeSettings.DEFAULT.withTakeoverState(true);

    @Test
    void theEnginePutsTheStateCountingTheRequestBeforeTheRequest() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        // after IKE_AUTH: the state of a completed exchange, nothing waits for it
        assertThat(loop.events(true, IkeOutput.IkeSaState.class)).singleElement()
                .satisfies(s -> assertThat(s.beforeRequest()).isFalse());

        List<IkeOutput> out = loop.a.handle(new IkeInput.CheckLiveness()).outputs();
        IkeOutput.IkeSaState state = (IkeOutput.IkeSaState) out.getFirst();
        assertThat(state.beforeRequest()).isTrue();
        IkeOutput.Send request = (IkeOutput.Send) out.get(1);
        IkeHeader h = Ikev2Codec.standard().decodeHeader(request.datagram()).toOptional().orElseThrow();
        assertThat(h.exchangeType()).isEqualTo(ExchangeType.Known.INFORMATIONAL);
        assertThat(h.response()).isFalse();
        // RFC 7296 2.2: the initiator used 0 (IKE_SA_INIT) and 1 (IKE_AUTH); this request is 2, counted as used
        assertThat(h.messageId()).isEqualTo(2);
        assertThat(state.snapshot().nextRequestId()).isEqualTo(3);
    }

    @Test
    void withoutTakeoverStateNothingIsWrittenAheadOfARequest() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T)).start();
        List<IkeOutput> out = loop.a.handle(new IkeInput.CheckLiveness()).outputs();
        assertThat(out).noneMatch(o -> o instanceof IkeOutput.IkeSaState);
        assertThat(out.getFirst()).isInstanceOf(IkeOutput.Send.class);
    }

    @Test
    void theRequestAndWhatFollowsItWaitForTheJournalAndKeepTheirOrder() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        Node node = new Node();
        JournalFirst driver = new JournalFirst(node);
        IkeOutput.Send before = new IkeOutput.Send(new byte[] {1}, IkeLoop.A, IkeLoop.B);
        driver.send(before);
        for (IkeOutput o : loop.a.handle(new IkeInput.CheckLiveness()).outputs()) {
            apply(driver, o);
        }
        IkeOutput.Send after = new IkeOutput.Send(new byte[] {2}, IkeLoop.A, IkeLoop.B);
        driver.send(after);
        // a completed exchange's state and other events pass at once
        driver.event("t", new IkeOutput.PeerAlive());

        assertThat(node.sent).as("only what was sent before the request").containsExactly(before);
        assertThat(node.events).hasSize(1);
        assertThat(driver.held()).isEqualTo(2);

        node.journaled.getFirst().complete(null);
        assertThat(node.sent).hasSize(3);
        assertThat(node.sent.get(1).datagram()).isNotEqualTo(new byte[] {2}); // the request itself, then the later
        assertThat(node.sent.get(2)).isSameAs(after);
        assertThat(driver.held()).isZero();
    }

    @Test
    void aJournalThatRefusesTheStateStillLetsTheRequestGo() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        Node node = new Node();
        JournalFirst driver = new JournalFirst(node);
        for (IkeOutput o : loop.a.handle(new IkeInput.CheckLiveness()).outputs()) {
            apply(driver, o);
        }
        assertThat(node.sent).isEmpty();
        // e.g. the node lost its lease: its IKE is fenced anyway, and a journal that fails must not silence it
        node.journaled.getFirst().completeExceptionally(new IllegalStateException("report refused"));
        assertThat(node.sent).hasSize(1);
    }

    @Test
    void theOutcomeOwnerSaysWhenTheJournalHasTheState() {
        IkeOutput.IkeSaState state = stateAheadOfALivenessCheck();
        IkeOutcomes owner = new IkeOutcomes(Runnable::run, label -> Optional.empty(), spi -> {});
        CompletableFuture<Object> entity = new CompletableFuture<>();
        List<TunnelCommand.EngineInput> reported = new CopyOnWriteArrayList<>();
        owner.attach(recording(reported, entity));
        CompletableFuture<Void> unsealed = new CompletableFuture<>();
        owner.ikeState("t", state, unsealed);
        assertThat(unsealed).as("no pair key: nothing to journal, nothing to wait for").isDone();
        assertThat(reported).isEmpty();

        owner.takeover(new TakeoverSealer(PairKey.of(new byte[32])));
        IkeOutput.IkeSaState again = stateAheadOfALivenessCheck();
        CompletableFuture<Void> journaled = new CompletableFuture<>();
        owner.ikeState("t", again, journaled);
        assertThat(reported).singleElement().isInstanceOf(TunnelCommand.TakeoverState.class);
        assertThat(journaled).as("the entity has not persisted it yet").isNotDone();
        entity.complete(null);
        assertThat(journaled).isDone();
    }

    /**
     * The peer deletes a Child SA (after its rekey, in the lab): our answer leaves only once the journal says the
     * Child SA is gone. Answered first, a node taking over before the journal had it resumed that Child SA as the
     * one to send on, which the peer had deleted (docs/ha.md, "Not yet" before 2026-12-06 evening).
     */
    @Test
    void ourAnswerToThePeersDeleteOfAChildSaWaitsForItsEndToBeJournaled() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        IkeOutput.Send delete = ResumeTest.sends(loop.a.handle(new IkeInput.DeleteChild()).outputs()).getFirst();
        List<IkeOutput> out = loop.b.handle(new IkeInput.Received(delete.datagram(), delete.from(), delete.to()))
                .outputs();
        IkeOutput.ChildSaDeleted gone = out.stream().filter(IkeOutput.ChildSaDeleted.class::isInstance)
                .map(IkeOutput.ChildSaDeleted.class::cast).findFirst().orElseThrow();
        assertThat(out.indexOf(gone)).as("the end comes before the answer").isLessThan(
                out.indexOf(ResumeTest.sends(out).getFirst()));

        Node node = new Node();
        JournalFirst driver = new JournalFirst(node);
        for (IkeOutput o : out) {
            apply(driver, o);
        }
        assertThat(node.sent).as("the answer waits").isEmpty();
        node.journaled.getFirst().complete(null);
        assertThat(node.sent).hasSize(1);
    }

    @Test
    void theOutcomeOwnerSaysWhenTheJournalHasAChildSasEnd() {
        IkeOutcomes owner = new IkeOutcomes(Runnable::run, label -> Optional.empty(), spi -> {});
        CompletableFuture<Object> entity = new CompletableFuture<>();
        List<TunnelCommand.EngineInput> reported = new CopyOnWriteArrayList<>();
        owner.attach(recording(reported, entity));
        CompletableFuture<Void> journaled = new CompletableFuture<>();
        owner.event("t", new IkeOutput.ChildSaDeleted(0xc0010a0L, 0xc0010a1L), journaled);
        assertThat(reported).singleElement().isInstanceOf(TunnelCommand.ChildSaDeleted.class);
        assertThat(journaled).isNotDone();
        entity.complete(null);
        assertThat(journaled).isDone();
        // an outcome nothing waits for completes at once
        CompletableFuture<Void> alive = new CompletableFuture<>();
        owner.event("t", new IkeOutput.PeerAlive(), alive);
        assertThat(alive).isDone();
    }

    /** A fresh IKE SA's state as written ahead of its first liveness check (the owner wipes a state's keys). */
    private static IkeOutput.IkeSaState stateAheadOfALivenessCheck() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), TAKEOVER).start();
        return (IkeOutput.IkeSaState) loop.a.handle(new IkeInput.CheckLiveness()).outputs().getFirst();
    }

    private static void apply(JournalFirst driver, IkeOutput o) {
        switch (o) {
            case IkeOutput.Send s -> driver.send(s);
            case IkeOutput.Event e -> driver.event("t", e);
            case IkeOutput.SetTimer t -> { }
        }
    }

    /** The node's driver: records what it is given; each state written ahead waits for the test. */
    private static final class Node implements SessionDriver {
        final List<IkeOutput.Send> sent = new CopyOnWriteArrayList<>();
        final List<IkeOutput.Event> events = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> journaled = new CopyOnWriteArrayList<>();

        @Override
        public void send(IkeOutput.Send s) {
            sent.add(s);
        }

        @Override
        public void event(String label, IkeOutput.Event e) {
            events.add(e);
        }

        @Override
        public CompletionStage<?> journalFirst(String label, IkeOutput.Event e) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            journaled.add(f);
            return f;
        }

        @Override
        public void dpdLost(String label, IkeOutput.Phase1Down down) {}

        @Override
        public void peerSwitched(String label, Host to, Cause cause) {}

        @Override
        public CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public String hostName() {
            return "test";
        }

        @Override
        public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {}

        @Override
        public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {}

        @Override
        public boolean initialContact(InetAddress peer) {
            return false;
        }
    }

    /** A tunnel side that records each report and answers all of them with {@code entity}. */
    static IkeOutcomes.Reporter recording(List<TunnelCommand.EngineInput> reported, CompletableFuture<Object> entity) {
        return new IkeOutcomes.Reporter() {
            @Override
            public CompletionStage<?> report(String label,
                    Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
                reported.add(input.apply(null));
                return entity;
            }

            @Override
            public CompletionStage<?> reportAll(String label,
                    List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs) {
                inputs.forEach(f -> reported.add(f.apply(null)));
                return entity;
            }
        };
    }
}
