package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.journal.PairKey;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.sa.SaPort;
import net.palisade.controlplane.tunnel.Takeover;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.controlplane.tunnel.TunnelStatus;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Spi;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.secret.Secret;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outcomes of several peers' IKE SAs on one any-peer passive tunnel, through {@link IkeOutcomes} to the real
 * tunnel entity: each Child SA is journaled under its peer's IKE SA, and one peer's IKE SA ending (deleted, DPD,
 * a failed negotiation) takes only its own Child SAs out of the dataplane and the journal.
 */
class AnyPeerOutcomesTest {
    private static final String LABEL = "road";
    private static final InetSocketAddress US = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 4500);
    private static final InetSocketAddress P1 = new InetSocketAddress(InetAddress.ofLiteral("198.51.100.1"), 4500);
    private static final InetSocketAddress P2 = new InetSocketAddress(InetAddress.ofLiteral("198.51.100.2"), 4500);
    private static final InetSocketAddress P3 = new InetSocketAddress(InetAddress.ofLiteral("198.51.100.3"), 4500);
    private static final IkeSaId IKE_1 = new IkeSaId(0x1111L, 0x1112L);
    private static final IkeSaId IKE_2 = new IkeSaId(0x2221L, 0x2222L);
    private static ActorSystem<Void> system;

    private FlowSas dataplane;
    private EventSourcedBehaviorTestKit<TunnelCommand, TunnelEvent, TunnelState> entity;
    private IkeOutcomes owner;

    @BeforeAll
    static void start() {
        system = Fixtures.eventSourcedSystem("any-peer-outcomes");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @BeforeEach
    void wire() {
        dataplane = new FlowSas();
        AtomicReference<IkeOutcomes> ownerRef = new AtomicReference<>();
        TunnelPorts ports = new TunnelPorts() {
            @Override
            public void installManual(ManualTunnel tunnel) {}

            @Override
            public void removeManual(String label) {}

            @Override
            public void startIke(IkeTunnel tunnel) {}

            @Override
            public void stopIke(String label) {}

            @Override
            public void retireSa(String label, ChildSa sa) {
                ownerRef.get().retire(label, sa);
            }
        };
        entity = EventSourcedBehaviorTestKit.create(system, TunnelEntity.create(LABEL,
                new TunnelEntity.Deps(ports, "node-1", Clock.fixed(Instant.parse("2026-12-06T01:00:00Z"),
                        ZoneOffset.UTC), 100)));
        entity.clear();
        entity.<TunnelReply>runCommand(to -> new TunnelCommand.Configure(tunnel(), Cause.FILE, to));
        owner = new IkeOutcomes(Runnable::run, label -> Optional.of(tunnel()), spi -> {});
        ownerRef.set(owner);
        owner.open(dataplane);
        owner.attach(new EntityReporter());
    }

    private static IkeTunnel tunnel() {
        IkeTunnel t = (IkeTunnel) Fixtures.config().tunnel(LABEL).orElseThrow();
        assertThat(t.peers()).as("the fixture's road tunnel answers any peer").isEmpty();
        return t;
    }

    private void up(InetSocketAddress peer, IkeSaId id, long child) {
        owner.event(LABEL, new IkeOutput.Phase1Up(peer, id, EncryptionAlgorithm.AES_128_GCM, Optional.empty(),
                AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        owner.event(LABEL, childSa(child, peer));
    }

    @Test
    void onePeersIkeSaGoingTakesOnlyItsOwnChildSaFromTheDataplaneAndTheJournal() {
        up(P1, IKE_1, 0xa0000L);
        up(P2, IKE_2, 0xb0000L);
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xa0000L, 0xb0000L);
        assertThat(entity.getState().sas()).extracting(c -> c.ikeSa().orElseThrow())
                .containsExactly(IKE_1.toString(), IKE_2.toString());

        owner.event(LABEL, new IkeOutput.Phase1Down(IKE_1, Optional.empty(), "delete from peer"));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xb0000L);
        TunnelState s = entity.getState();
        assertThat(s.ikeSas()).extracting(TunnelState.IkeSa::name).containsExactly(IKE_2.toString());
        assertThat(s.sas()).extracting(c -> c.spi().inbound().value()).containsExactly(0xb0000L);
        assertThat(s.status()).isEqualTo(TunnelStatus.UP);

        // peer 2 rekeys its Child SA: accepted, and still its own
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xb0000L, 0xb1000L, childSa(0xb2000L, P2), false, false));
        owner.event(LABEL, new IkeOutput.ChildSaDeleted(0xb0000L, 0xb1000L));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xb2000L);
        assertThat(entity.getState().sas()).singleElement()
                .satisfies(c -> assertThat(c.ikeSa()).contains(IKE_2.toString()));

        // a third peer's negotiation that fails takes nothing
        owner.event(LABEL, new IkeOutput.Phase1Down(new IkeSaId(0x3331L, 0x3332L),
                Optional.of(FailureReason.AUTHENTICATION_FAILED), "bad PSK"));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xb2000L);
        assertThat(entity.getState().ikeSas()).hasSize(1);

        // the last peer's DPD loss: everything goes
        owner.dpdLost(LABEL, new IkeOutput.Phase1Down(IKE_2, Optional.of(FailureReason.TIMEOUT), "no answer"));
        assertThat(dataplane.pairs(LABEL)).isEmpty();
        assertThat(entity.getState().status()).isEqualTo(TunnelStatus.CONNECTING);
    }

    @Test
    void aDpdLossNamesThePeerThatWentAndAnIkeRekeyKeepsTheChildSasOwner() {
        up(P1, IKE_1, 0xa0000L);
        up(P2, IKE_2, 0xb0000L);
        IkeSaId ike1b = new IkeSaId(0x1113L, 0x1114L);
        owner.event(LABEL, new IkeOutput.IkeSaRekeyed(IKE_1, ike1b, false));
        up(P3, new IkeSaId(0x4441L, 0x4442L), 0xc0000L);

        owner.dpdLost(LABEL, new IkeOutput.Phase1Down(ike1b, Optional.of(FailureReason.TIMEOUT), "no answer"));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xb0000L, 0xc0000L);
        var events = entity.persistenceTestKit().persistedInStorage(TunnelEntity.persistenceId(LABEL).id());
        TunnelEvent.DpdLost lost = (TunnelEvent.DpdLost) events.getLast();
        assertThat(lost.peer()).isEqualTo("198.51.100.1");
        assertThat(lost.ikeSa()).contains(ike1b.toString());
        assertThat(entity.getState().ikeSas()).extracting(TunnelState.IkeSa::peer)
                .containsExactly("198.51.100.2", "198.51.100.3");
    }

    /**
     * After a restart or takeover, one site's IKE SA whose state does not open on this node (another pair key,
     * unreadable) while the other sites' do: the journal says it is down, naming it and why, and keeps the others.
     * Before, it stayed "up" in the journal and the API with no session holding it.
     */
    @Test
    void aSitesIkeSaThatCannotBeResumedBesideOthersIsJournaledDown() {
        IkeTunnel t = IkeLoop.gcm("resume one of two", DhGroup.CURVE25519);
        IkeLoop one = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeLoop two = new IkeLoop(t, IkeLoop.mirror(t), IkeSettings.DEFAULT.withTakeoverState(true), 7).start();
        IkeSaSnapshot first = one.events(false, IkeOutput.IkeSaState.class).getLast().snapshot();
        IkeSaSnapshot second = two.events(false, IkeOutput.IkeSaState.class).getLast().snapshot();
        TakeoverSealer ours = new TakeoverSealer(PairKey.of(new byte[32]));
        byte[] otherKey = new byte[32];
        otherKey[0] = 1;
        TakeoverSealer theirs = new TakeoverSealer(PairKey.of(otherKey));
        List<Takeover.Resume> journaled = List.of(
                new Takeover.Resume(first.id().toString(), ours.seal(LABEL, TunnelEvent.TakeoverState.IKE_SA,
                        first.id().toString(), SnapshotCodec.encode(first)), Map.of(), Map.of()),
                new Takeover.Resume(second.id().toString(), theirs.seal(LABEL, TunnelEvent.TakeoverState.IKE_SA,
                        second.id().toString(), SnapshotCodec.encode(second)), Map.of(), Map.of()));
        Map<String, String> failed = new java.util.LinkedHashMap<>();
        List<IkeResumption.Prepared> opened = IkeResumption.openAll(Optional.of(ours), LABEL, journaled,
                org.slf4j.LoggerFactory.getLogger(AnyPeerOutcomesTest.class), failed::put);
        assertThat(opened).extracting(p -> p.ike().id()).containsExactly(first.id());
        assertThat(failed).containsOnlyKeys(second.id().toString());

        // the journal had both sites up; the one that did not open is journaled down, the other stays
        up(P1, first.id(), 0xa0000L);
        up(P2, second.id(), 0xb0000L);
        failed.forEach((name, why) -> owner.notResumed(LABEL, name, why));
        TunnelState s = entity.getState();
        assertThat(s.ikeSas()).extracting(TunnelState.IkeSa::name).containsExactly(first.id().toString());
        assertThat(s.sas()).extracting(c -> c.spi().inbound().value()).containsExactly(0xa0000L);
        var events = entity.persistenceTestKit().persistedInStorage(TunnelEntity.persistenceId(LABEL).id());
        TunnelEvent.Phase1Down down = (TunnelEvent.Phase1Down) events.getLast();
        assertThat(down.ikeSa()).contains(second.id().toString());
        assertThat(down.reason()).startsWith("node restart: cannot resume it: ");
    }

    @Test
    void twoSitesBehindOneNatAddressEachKeepTheirIkeSaAndChildSa() {
        // the NAT left one site its port 4500 and mapped the other's to 1025
        InetSocketAddress natted = new InetSocketAddress(P1.getAddress(), 1025);
        IkeSaId second = new IkeSaId(0x5551L, 0x5552L);
        up(P1, IKE_1, 0xa0000L);
        up(natted, second, 0xd0000L);
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xa0000L, 0xd0000L);
        assertThat(entity.getState().ikeSas()).extracting(TunnelState.IkeSa::name)
                .containsExactly(IKE_1.toString(), second.toString());
        assertThat(entity.getState().sas()).extracting(c -> c.ikeSa().orElseThrow())
                .containsExactly(IKE_1.toString(), second.toString());

        // the second site's Child SA rekey is its own; its IKE SA going takes only that
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xd0000L, 0xd1000L, childSa(0xd2000L, natted), false,
                false));
        owner.event(LABEL, new IkeOutput.ChildSaDeleted(0xd0000L, 0xd1000L));
        owner.event(LABEL, new IkeOutput.Phase1Down(second, Optional.empty(), "delete from peer"));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xa0000L);
        assertThat(entity.getState().ikeSas()).extracting(TunnelState.IkeSa::name).containsExactly(IKE_1.toString());
        assertThat(entity.getState().status()).isEqualTo(TunnelStatus.UP);
    }

    private static IkeOutput.ChildSaInstalled childSa(long inboundSpi, InetSocketAddress peer) {
        IkeOutput.ChildKeys keys = new IkeOutput.ChildKeys(Secret.ofBytes(new byte[20]), Optional.empty());
        return new IkeOutput.ChildSaInstalled(inboundSpi, inboundSpi + 0x1000, EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), keys, keys, List.of(), List.of(), US, peer, true, Optional.empty(), false);
    }

    /** Delivers reports to the entity and completes as its reply says. */
    private final class EntityReporter implements IkeOutcomes.Reporter {
        @Override
        public CompletionStage<?> report(String label,
                Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
            return answer(entity.<TunnelReply>runCommand(input::apply).reply());
        }

        @Override
        public CompletionStage<?> reportAll(String label,
                List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs) {
            return answer(entity.<TunnelReply>runCommand(to -> new TunnelCommand.EngineReports(
                    inputs.stream().map(f -> f.apply(to)).toList(), to)).reply());
        }

        private CompletionStage<?> answer(TunnelReply reply) {
            return reply instanceof TunnelReply.Rejected r
                    ? CompletableFuture.failedFuture(new IllegalStateException(r.error()))
                    : CompletableFuture.completedFuture(reply);
        }
    }

    /**
     * The dataplane's SA table as {@code Dataplane.installFlow} keeps it for pairs of different flows (each peer's
     * site has its own): an install adds a pair beside the others.
     */
    private static final class FlowSas implements SaPort {
        private final Map<String, List<Long>> pairs = new ConcurrentHashMap<>();

        List<Long> pairs(String label) {
            return List.copyOf(pairs.getOrDefault(label, List.of()));
        }

        @Override
        public void installManual(ManualTunnel tunnel) {
            throw new UnsupportedOperationException("no manual tunnels here");
        }

        @Override
        public void install(SaKeys keys) {
            add(keys, true);
        }

        @Override
        public void add(SaKeys keys, boolean sending) {
            pairs.computeIfAbsent(keys.label(), k -> new ArrayList<>()).add(Integer.toUnsignedLong(keys.inboundSpi()));
        }

        @Override
        public boolean limitBytes(String label, Spi inbound, long bytes) {
            return pairs(label).contains(inbound.value());
        }

        @Override
        public boolean activate(String label, Spi inbound) {
            return pairs.getOrDefault(label, List.of()).contains(inbound.value());
        }

        @Override
        public boolean retire(String label, Spi inbound) {
            List<Long> p = pairs.get(label);
            boolean removed = p != null && p.remove(inbound.value());
            if (p != null && p.isEmpty()) {
                pairs.remove(label);
            }
            return removed;
        }

        @Override
        public boolean remove(String label) {
            return pairs.remove(label) != null;
        }
    }
}
