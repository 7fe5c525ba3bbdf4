package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
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
import net.palisade.controlplane.sa.SaPort;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelEntity;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.controlplane.tunnel.TunnelState;
import net.palisade.dataplane.sa.KeyOrigin;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Spi;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
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
 * The SA owner against a real tunnel entity and a fake dataplane SA table: whatever the journal refuses leaves no
 * SA behind, and says why.
 */
class IkeOutcomesTest {
    private static final String LABEL = "site-b";
    private static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.ofLiteral("198.51.100.7"), 500);
    private static final InetSocketAddress US = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 500);
    private static ActorSystem<Void> system;

    private FakeSas dataplane;
    private EventSourcedBehaviorTestKit<TunnelCommand, TunnelEvent, TunnelState> entity;
    private IkeOutcomes owner;

    @BeforeAll
    static void start() {
        system = Fixtures.eventSourcedSystem("ike-outcomes");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @BeforeEach
    void wire() {
        dataplane = new FakeSas();
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
        // the lane runs each task at once: the entity answers every report before the next outcome
        owner = new IkeOutcomes(Runnable::run, label -> Optional.of(tunnel()), spi -> {});
        ownerRef.set(owner);
        owner.open(dataplane);
        owner.attach(new EntityReporter());
    }

    private static IkeTunnel tunnel() {
        return (IkeTunnel) Fixtures.config().tunnel(LABEL).orElseThrow();
    }

    @Test
    void aChildSaWhoseReportTheTunnelRefusesIsRemovedAndTheJournalSaysWhy() {
        // the journal has no phase 1 up (e.g. that report was refused), so it refuses the Child SA the engine
        // installed before its IKE_AUTH response left
        owner.event(LABEL, childSa(0xc0010a0L));

        assertThat(dataplane.pairs(LABEL)).as("no SA the journal does not mention").isEmpty();
        assertThat(entity.getState().sas()).isEmpty();
        TunnelEvent.NegotiationFailed failed = lastEvent(TunnelEvent.NegotiationFailed.class);
        assertThat(failed.reason()).isEqualTo(FailureReason.INSTALL_FAILED);
        assertThat(failed.detail()).contains("child-0c0010a0", "needs phase 1");
    }

    /**
     * A takeover inside the peer's rekey: the old Child SA, replaced by the peer's rekey but not deleted, is resumed
     * beside the new one and sends (the peer may never have had the new one) until the peer deletes it.
     */
    @Test
    void aResumedChildSaThePeerRekeyedSendsUntilThePeerDeletesIt() {
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, new IkeSaId(0x1111L, 0x2222L), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        // each outbound SA holds the window the tunnel journaled for its SPI before (KeyOrigin.resumedWindow)
        owner.resumeLater(LABEL, List.of(new IkeResumption.Prepared(null, List.of(childSa(0xc0020b0L)),
                List.of(new IkeResumption.Old(childSa(0xc0010a0L), 0xc0020b0L)))),
                Map.of(0xc0020b1L, 5L << 20, 0xc0010a1L, 7L << 20), () -> true, () -> {});
        assertThat(dataplane.installed).extracting(k -> Integer.toUnsignedLong(k.outboundSpi()), SaKeys::origin,
                SaKeys::journaledUpTo).containsExactly(tuple(0xc0020b1L, KeyOrigin.RESUMED, 5L << 20),
                        tuple(0xc0010a1L, KeyOrigin.RESUMED, 7L << 20));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xc0020b0L, 0xc0010a0L);
        assertThat(dataplane.sending).isEqualTo(0xc0010a0L);
        owner.event(LABEL, new IkeOutput.ChildSaDeleted(0xc0010a0L, 0xd0010a0L));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xc0020b0L);
        assertThat(dataplane.sending).isEqualTo(0xc0020b0L);
    }

    /**
     * A node killed right after the journal took a Child SA rekey still leaves a takeover state the next node can
     * resume: the new Child SA's sealed keys are written in the same atomic write as the {@code rekeyed} event. Written
     * apart, a kill between the two left the IKE SA's journaled Child SA without keys, and the next node resumed
     * neither Child SA and renegotiated instead (docs/ha.md, "Not yet" before 2026-12-07).
     */
    @Test
    void aKillRightAfterTheRekeyIsJournaledLeavesTheNewChildSaResumable() {
        owner.takeover(new net.palisade.controlplane.journal.TakeoverSealer(
                net.palisade.controlplane.journal.PairKey.of(new byte[32])));
        IkeLoop loop = new IkeLoop(IkeLoop.gcm("rekey kill secret", DhGroup.CURVE25519),
                IkeLoop.mirror(IkeLoop.gcm("rekey kill secret", DhGroup.CURVE25519)),
                IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeOutput.IkeSaState state = loop.events(true, IkeOutput.IkeSaState.class).getLast();
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, state.snapshot().id(), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        owner.ikeState(LABEL, state, new CompletableFuture<>());
        owner.event(LABEL, childSa(0xc0010a0L));
        assertThat(entity.getState().takeover().resumable()).singleElement()
                .satisfies(r -> assertThat(r.children()).containsOnlyKeys("child-0c0010a0"));

        // the node dies once the delivery holding the rekey is written: nothing after it reaches the journal
        killAfter = TunnelCommand.Rekeyed.class;
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xc0010a0L, 0xc0010a1L, childSa(0xc0020b0L), true, false));

        assertThat(entity.getState().sas()).extracting(ChildSa::id).containsExactly(SaId.of("child-0c0020b0"));
        assertThat(entity.getState().takeover().resumable()).as("what the next node resumes").singleElement()
                .satisfies(r -> {
                    assertThat(r.ikeSa()).isEqualTo(state.snapshot().id().toString());
                    assertThat(r.children()).containsOnlyKeys("child-0c0020b0");
                });
    }

    /**
     * A takeover resumes hundreds of tunnels: those handed in while the outcome lane is busy are installed in one
     * round of the dataplane, not one lane task and one dataplane call per Child SA. Each tunnel's order holds as
     * the IKE manager queues it: the removal of what it had first, then the hand-in, and its sessions start only
     * after its Child SAs are in. Each Child SA keeps its order (the first replaces, the peer's rekeyed one goes
     * beside it and sends) and holds its journaled window.
     */
    @Test
    void resumedTunnelsHandedInWhileTheLaneIsBusyAreInstalledInOneRoundAfterTheirRemoval() {
        java.util.Queue<Runnable> lane = new java.util.ArrayDeque<>();
        IkeOutcomes queued = new IkeOutcomes(lane::add, label -> Optional.of(tunnel()), spi -> {});
        queued.open(dataplane);
        // to-2 had an SA of its own in the dataplane (e.g. from before this node lost and won the lease again)
        dataplane.install(keysOf("to-2", 0xc00f0a0L));
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        // the IKE SA snapshot is not read for a tunnel with a peer (only an any-peer tunnel keeps one per site)
        List<List<IkeResumption.Prepared>> sas = List.of(
                List.of(new IkeResumption.Prepared(null, List.of(childSa(0xc0010a0L)),
                        List.of(new IkeResumption.Old(childSa(0xc0010b0L), 0xc0010a0L)))),
                List.of(new IkeResumption.Prepared(null, List.of(childSa(0xc0020a0L)))),
                List.of(new IkeResumption.Prepared(null, List.of(childSa(0xc0030a0L)))));
        for (int k = 1; k <= 3; k++) {
            String label = "to-" + k;
            List<IkeResumption.Prepared> mine = sas.get(k - 1);
            lane.add(() -> queued.removeSas(label)); // IkeManager.start: stopSession first
            Map<Long, Long> windows = k == 1 ? Map.of(0xc0010a1L, 3L << 20) : Map.of();
            lane.add(() -> queued.resumeLater(label, mine, windows, () -> true,
                    () -> started.add(label + " " + dataplane.pairs(label))));
        }
        while (!lane.isEmpty()) {
            lane.poll().run();
        }
        assertThat(dataplane.rounds).as("one round for all three").containsExactly(List.of("to-1:c0010a0",
                "to-1:c0010b0+", "to-2:c0020a0", "to-3:c0030a0"));
        assertThat(dataplane.pairs("to-1")).containsExactly(0xc0010a0L, 0xc0010b0L);
        assertThat(dataplane.pairs("to-2")).as("installed after its old SA was removed, not before")
                .containsExactly(0xc0020a0L);
        assertThat(dataplane.installed).filteredOn(k -> k.label().equals("to-1")).first()
                .extracting(SaKeys::journaledUpTo).isEqualTo(3L << 20);
        assertThat(started).containsExactly("to-1 [" + 0xc0010a0L + ", " + 0xc0010b0L + "]", "to-2 [" + 0xc0020a0L
                + "]", "to-3 [" + 0xc0030a0L + "]");
        // one handed in after that round ran gets a round of its own
        lane.add(() -> queued.resumeLater("to-4", List.of(new IkeResumption.Prepared(null,
                List.of(childSa(0xc0040a0L)))), java.util.Map.of(), () -> true, () -> {}));
        // one stopped or started again before its round ran: nothing installed, its sessions not started
        lane.add(() -> queued.resumeLater("to-5", List.of(new IkeResumption.Prepared(null,
                List.of(childSa(0xc0050a0L)))), java.util.Map.of(), () -> false, () -> started.add("to-5")));
        while (!lane.isEmpty()) {
            lane.poll().run();
        }
        assertThat(dataplane.rounds).hasSize(2).last().isEqualTo(List.of("to-4:c0040a0"));
        assertThat(dataplane.pairs("to-5")).isEmpty();
        assertThat(started).doesNotContain("to-5");
    }

    private static SaKeys keysOf(String label, long inboundSpi) {
        return new SaKeys(label, US.getAddress(), PEER, EncryptionAlgorithm.AES_128_GCM, Optional.empty(),
                (int) inboundSpi, (int) inboundSpi + 1, new DirectionalKeys(Secret.ofBytes(new byte[20]),
                        Secret.ofBytes(new byte[20])), Optional.empty(), List.of(), List.of());
    }

    /**
     * Our rekey sent again after a takeover: the node before may have had the same answer and sent on the same keys,
     * so the new SA starts above the first block and waits for its reservation (KeyOrigin.RESUMED), unlike a rekey
     * of our own, whose keys nobody used.
     */
    @Test
    void theChildSaOfARekeyResentAfterATakeoverStartsAsAResumedOne() {
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, new IkeSaId(0x1111L, 0x2222L), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        owner.event(LABEL, childSa(0xc0010a0L));
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xc0010a0L, 0xc0010a1L, childSa(0xc0020b0L), true, false,
                true, true));
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xc0020b0L, 0xc0020b1L, childSa(0xc0030c0L), true, false));
        assertThat(dataplane.installed).extracting(SaKeys::origin).containsExactly(KeyOrigin.NEGOTIATED,
                KeyOrigin.RESUMED, KeyOrigin.NEGOTIATED);
    }

    @Test
    void aChildSaTheJournalAcceptsStaysAndARefusedRekeyTakesOnlyItsOwnPair() {
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, new IkeSaId(0x1111L, 0x2222L), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        owner.event(LABEL, childSa(0xc0010a0L));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xc0010a0L);
        assertThat(entity.getState().sas()).extracting(ChildSa::id).containsExactly(SaId.of("child-0c0010a0"));

        // a rekey of a Child SA the journal does not know: its new pair goes again, the accepted one stays
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xdead0L, 0xdead1L, childSa(0xc0020b0L), true, false));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xc0010a0L);
        assertThat(lastEvent(TunnelEvent.NegotiationFailed.class).detail()).contains("child-0c0020b0");
    }

    @Test
    void esnReachesTheDataplaneAndTheJournalAndASoftLimitRekeySaysWhy() {
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, new IkeSaId(0x1111L, 0x2222L), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        owner.event(LABEL, esn(childSa(0xc0010a0L)));
        assertThat(dataplane.installed.getLast().esn()).isTrue();
        assertThat(lastEvent(TunnelEvent.ChildSaInstalled.class).sa().esn()).isTrue();

        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xc0010a0L, 0xc0010a1L, esn(childSa(0xc0020b0L)), true, true));
        assertThat(dataplane.installed.getLast().esn()).isTrue();
        TunnelEvent.Rekeyed rekeyed = lastEvent(TunnelEvent.Rekeyed.class);
        assertThat(rekeyed.esn()).isTrue();
        assertThat(rekeyed.cause().kind()).isEqualTo("dataplane");
        assertThat(rekeyed.cause().value()).contains("sequence numbers");
        assertThat(entity.getState().sas()).singleElement().satisfies(sa -> assertThat(sa.esn()).isTrue());

        // a lifetime rekey to a peer without ESN: timer, 32-bit
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xc0020b0L, 0xc0020b1L, childSa(0xc0030c0L), true, false));
        assertThat(dataplane.installed.getLast().esn()).isFalse();
        assertThat(lastEvent(TunnelEvent.Rekeyed.class).cause()).isEqualTo(Cause.TIMER);
        assertThat(lastEvent(TunnelEvent.Rekeyed.class).esn()).isFalse();
    }

    private static IkeOutput.ChildSaInstalled esn(IkeOutput.ChildSaInstalled c) {
        return new IkeOutput.ChildSaInstalled(c.inboundSpi(), c.outboundSpi(), c.encryption(), c.integrity(),
                c.inbound(), c.outbound(), c.localSelectors(), c.remoteSelectors(), c.local(), c.remote(),
                c.udpEncapsulation(), c.pfs(), true);
    }

    @Test
    void anInstallTheDataplaneRefusesIsJournaledAndNotReportedAsInstalled() {
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, new IkeSaId(0x1111L, 0x2222L), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        dataplane.refuse = Optional.of("inbound SPI 0x0c0010a0 of site-b is already used by tunnel other");
        owner.event(LABEL, childSa(0xc0010a0L));

        assertThat(dataplane.pairs(LABEL)).isEmpty();
        assertThat(entity.getState().sas()).isEmpty();
        TunnelEvent.NegotiationFailed failed = lastEvent(TunnelEvent.NegotiationFailed.class);
        assertThat(failed.reason()).isEqualTo(FailureReason.INSTALL_FAILED);
        assertThat(failed.detail()).contains("already used by tunnel other");
    }

    @Test
    void childSaKeysAreZeroOnceTheDataplaneHasThemAndAlsoWhenItRefusesThem() {
        owner.event(LABEL, new IkeOutput.Phase1Up(PEER, new IkeSaId(0x1111L, 0x2222L), EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.MODP2048));
        byte[] in = filled(0x11);
        byte[] out = filled(0x22);
        owner.event(LABEL, childSa(0xc0010a0L, in, out));
        assertThat(dataplane.pairs(LABEL)).containsExactly(0xc0010a0L);
        assertThat(dataplane.keysSeen.getLast()).as("the dataplane got the keys").containsExactly(filled(0x11),
                filled(0x22));
        assertThat(in).as("inbound key after install").isEqualTo(new byte[20]);
        assertThat(out).as("outbound key after install").isEqualTo(new byte[20]);

        byte[] rekeyIn = filled(0x33);
        byte[] rekeyOut = filled(0x44);
        owner.event(LABEL, new IkeOutput.ChildSaRekeyed(0xc0010a0L, 0xc0010a1L, childSa(0xc0020b0L, rekeyIn, rekeyOut),
                true, false));
        assertThat(dataplane.keysSeen.getLast()).containsExactly(filled(0x33), filled(0x44));
        assertThat(rekeyIn).isEqualTo(new byte[20]);
        assertThat(rekeyOut).isEqualTo(new byte[20]);

        dataplane.refuse = Optional.of("no room");
        byte[] refusedIn = filled(0x55);
        byte[] refusedOut = filled(0x66);
        owner.event(LABEL, childSa(0xc0030c0L, refusedIn, refusedOut));
        assertThat(refusedIn).isEqualTo(new byte[20]);
        assertThat(refusedOut).isEqualTo(new byte[20]);
    }

    private static byte[] filled(int value) {
        byte[] b = new byte[20];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    /** A Child SA whose keys are {@code in} and {@code out} themselves (adopted, not copied). */
    private static IkeOutput.ChildSaInstalled childSa(long inboundSpi, byte[] in, byte[] out) {
        return new IkeOutput.ChildSaInstalled(inboundSpi, inboundSpi + 1, EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), new IkeOutput.ChildKeys(Secret.adopt(in), Optional.empty()),
                new IkeOutput.ChildKeys(Secret.adopt(out), Optional.empty()), List.of(), List.of(), US, PEER, false,
                Optional.empty(), false);
    }

    private <E extends TunnelEvent> E lastEvent(Class<E> type) {
        List<TunnelEvent> events = entity.persistenceTestKit().persistedInStorage(
                TunnelEntity.persistenceId(LABEL).id()).stream().map(TunnelEvent.class::cast).toList();
        assertThat(events).isNotEmpty();
        assertThat(events.getLast()).isInstanceOf(type);
        return type.cast(events.getLast());
    }

    private static IkeOutput.ChildSaInstalled childSa(long inboundSpi) {
        IkeOutput.ChildKeys keys = new IkeOutput.ChildKeys(Secret.ofBytes(new byte[20]), Optional.empty());
        return new IkeOutput.ChildSaInstalled(inboundSpi, inboundSpi + 1, EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), keys, keys, List.of(), List.of(), US, PEER, false, Optional.empty(), false);
    }

    /** The kind of report after whose delivery the node "dies" (later deliveries never reach the entity). */
    private volatile Class<?> killAfter;
    private volatile boolean dead;

    /** Delivers reports to the entity and completes as its reply says. */
    private final class EntityReporter implements IkeOutcomes.Reporter {
        @Override
        public CompletionStage<?> report(String label,
                Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
            return reportAll(label, List.of(input));
        }

        @Override
        public CompletionStage<?> reportAll(String label,
                List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs) {
            if (dead) {
                return CompletableFuture.failedFuture(new IllegalStateException("the node was killed"));
            }
            List<Class<?>> kinds = new ArrayList<>();
            TunnelReply reply = entity.<TunnelReply>runCommand(to -> {
                List<TunnelCommand.EngineInput> in = inputs.stream().map(f -> f.apply(to)).toList();
                in.forEach(i -> kinds.add(i.getClass()));
                return in.size() == 1 ? in.getFirst() : new TunnelCommand.EngineReports(in, to);
            }).reply();
            dead = killAfter != null && kinds.contains(killAfter);
            return answer(reply);
        }

        private CompletionStage<?> answer(TunnelReply reply) {
            return reply instanceof TunnelReply.Rejected r
                    ? CompletableFuture.failedFuture(new IllegalStateException(r.error()))
                    : CompletableFuture.completedFuture(reply);
        }
    }

    /** The dataplane's SA table: the inbound SPIs of each label's pairs. */
    static final class FakeSas implements SaPort {
        private final Map<String, List<Long>> pairs = new ConcurrentHashMap<>();
        volatile Optional<String> refuse = Optional.empty();
        /** Every pair installed or added, in order. */
        final List<SaKeys> installed = new java.util.concurrent.CopyOnWriteArrayList<>();

        List<Long> pairs(String label) {
            return List.copyOf(pairs.getOrDefault(label, List.of()));
        }

        @Override
        public void installManual(ManualTunnel tunnel) {
            throw new UnsupportedOperationException("no manual tunnels here");
        }

        /** The encryption keys (inbound, outbound) of each pair installed or added, as the real one reads them. */
        final List<List<byte[]>> keysSeen = new java.util.concurrent.CopyOnWriteArrayList<>();

        private void read(SaKeys keys) {
            keysSeen.add(List.of(keys.encKey().inbound().revealBytes(), keys.encKey().outbound().revealBytes()));
        }

        /** The inbound SPI of the pair that sends, as the real table chooses it. */
        volatile long sending;

        /** Each {@link #installAll} round: its installs' inbound SPIs and whether each replaced. */
        final List<List<String>> rounds = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public List<Exception> installAll(List<net.palisade.dataplane.Dataplane.Install> installs) {
            rounds.add(installs.stream().map(i -> i.keys().label() + ":" + Integer.toHexString(i.keys().inboundSpi())
                    + (i.replace() ? "" : "+")).toList());
            return SaPort.super.installAll(installs);
        }

        @Override
        public void install(SaKeys keys) {
            check();
            read(keys);
            installed.add(keys);
            pairs.put(keys.label(), new ArrayList<>(List.of(Integer.toUnsignedLong(keys.inboundSpi()))));
            sending = Integer.toUnsignedLong(keys.inboundSpi());
        }

        @Override
        public void add(SaKeys keys, boolean sending) {
            check();
            read(keys);
            installed.add(keys);
            pairs.computeIfAbsent(keys.label(), k -> new ArrayList<>()).add(Integer.toUnsignedLong(keys.inboundSpi()));
            if (sending) {
                this.sending = Integer.toUnsignedLong(keys.inboundSpi());
            }
        }

        private void check() {
            if (refuse.isPresent()) {
                throw new IllegalArgumentException(refuse.get());
            }
        }

        @Override
        public boolean limitBytes(String label, Spi inbound, long bytes) {
            return pairs(label).contains(inbound.value());
        }

        @Override
        public boolean activate(String label, Spi inbound) {
            List<Long> p = pairs.get(label);
            if (p == null || !p.contains(inbound.value())) {
                return false;
            }
            sending = inbound.value();
            return true;
        }

        @Override
        public boolean retire(String label, Spi inbound) throws IOException {
            List<Long> p = pairs.get(label);
            boolean removed = p != null && p.remove(inbound.value());
            if (removed && sending == inbound.value() && !p.isEmpty()) {
                sending = p.getLast(); // the newest remaining pair takes over
            }
            return removed;
        }

        @Override
        public boolean remove(String label) {
            return pairs.remove(label) != null;
        }
    }
}
