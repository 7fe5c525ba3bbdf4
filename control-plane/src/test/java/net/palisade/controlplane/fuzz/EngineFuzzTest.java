package net.palisade.controlplane.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSession;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.IkeState;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.controlplane.ikev1.Ikev1State;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.Host;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.ikev2.Ikev2Codec;

/**
 * The IKE engines as responders, driven by a fuzzer: an initiator of the same tunnel negotiates with the responder
 * while the fuzzer decides, step by step, whether to deliver the next real message either way, a datagram of its own
 * (given the live SPIs/cookies, so it reaches past the SPI check into the state machine), or to let time pass.
 * Whatever comes, the responder never throws, comes up at most once, and installs no Child SA the real initiator
 * has not agreed on (the fuzzer knows no key). In the suite each target replays its kept inputs
 * ({@code src/test/resources/net/palisade/controlplane/fuzz/EngineFuzzTestInputs/METHOD/}); {@code
 * ops/bench/fuzz.sh} runs them coverage-guided.
 */
class EngineFuzzTest {
    private static final InetSocketAddress A = address("192.0.2.1");
    private static final InetSocketAddress B = address("192.0.2.2");
    private static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

    @FuzzTest(maxDuration = "10s")
    void ikev2Responder(byte[] script) {
        if (script != null) {
            MutableClock clock = new MutableClock(T0);
            run(script, clock, v2(true, clock), v2(false, clock), true, true);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void ikev1Responder(byte[] script) {
        if (script != null) {
            boolean aggressive = script.length > 0 && (script[0] & 1) == 1;
            MutableClock clock = new MutableClock(T0);
            run(script, clock, v1(true, aggressive, clock), v1(false, aggressive, clock));
        }
    }

    /**
     * The IKEv2 engine as initiator: the fuzzer's datagrams (with the live SPIs) go to A, in whatever state A is in —
     * IKE_SA_INIT sent, IKE_AUTH sent, established, rekeying or deleting.
     */
    @FuzzTest(maxDuration = "10s")
    void ikev2Initiator(byte[] script) {
        if (script != null) {
            MutableClock clock = new MutableClock(T0);
            run(script, clock, v2(true, clock), v2(false, clock), false, true);
        }
    }

    /**
     * One side: handles an input, says what it sent and what happened; its state, and whether that is one a session
     * rests in (idle, established, closed) rather than one it waits in for the peer.
     */
    private record Engine(Function<IkeInput, List<IkeOutput>> handle, java.util.function.Supplier<Object> state,
            java.util.function.BooleanSupplier settled) {}

    /** Longer than every setup, retransmission and half-open timeout of the engines. */
    private static final Duration SETTLE = Duration.ofMinutes(5);

    /**
     * Reads {@code script} as steps: a step's first octet chooses (0: A's next datagram to B, 1: B's next to A, 2: a
     * datagram of the fuzzer's to B, its length in the next octet, 3: time passes by the next octet in seconds).
     */
    static List<IkeOutput> run(byte[] script, MutableClock clock, Engine a, Engine b) {
        return run(script, clock, a, b, true, false);
    }

    /**
     * As {@link #run(byte[], MutableClock, Engine, Engine)}, with the fuzzer's datagrams to B ({@code atResponder})
     * or to A; returns the events of the side they went to. With {@code ikev2}, every Child SA A installs must be
     * one B installed too (IKEv2's responder installs as it answers; IKEv1's only at quick mode's third message).
     */
    static List<IkeOutput> run(byte[] script, MutableClock clock, Engine a, Engine b, boolean atResponder,
            boolean ikev2) {
        Deque<IkeOutput.Send> toB = new ArrayDeque<>();
        Deque<IkeOutput.Send> toA = new ArrayDeque<>();
        List<IkeOutput> aEvents = new ArrayList<>();
        List<IkeOutput> bEvents = new ArrayList<>();
        collect(a.handle().apply(new IkeInput.Start()), toB, aEvents);
        byte[] spis = new byte[16];
        ByteBuffer in = ByteBuffer.wrap(script);
        int steps = 0;
        while (in.hasRemaining() && steps++ < 64) {
            int op = (in.get() & 0xff) % 4;
            switch (op) {
                case 0 -> {
                    IkeOutput.Send s = toB.poll();
                    if (s != null) {
                        System.arraycopy(s.datagram(), 0, spis, 0, Math.min(8, s.datagram().length));
                        collect(b.handle().apply(new IkeInput.Received(s.datagram().clone(), A, B)), toA, bEvents);
                    }
                }
                case 1 -> {
                    IkeOutput.Send s = toA.poll();
                    if (s != null) {
                        if (s.datagram().length >= 16) {
                            System.arraycopy(s.datagram(), 8, spis, 8, 8);
                        }
                        collect(a.handle().apply(new IkeInput.Received(s.datagram().clone(), B, A)), toB, aEvents);
                    }
                }
                case 2 -> {
                    int n = in.hasRemaining() ? in.get() & 0xff : 0;
                    byte[] d = new byte[Math.min(n, in.remaining())];
                    in.get(d);
                    if (d.length >= 16) {
                        System.arraycopy(spis, 0, d, 0, 16);
                    }
                    if (atResponder) {
                        collect(b.handle().apply(new IkeInput.Received(d, A, B)), new ArrayDeque<>(), bEvents);
                    } else {
                        collect(a.handle().apply(new IkeInput.Received(d, B, A)), new ArrayDeque<>(), aEvents);
                    }
                }
                default -> {
                    int secs = in.hasRemaining() ? in.get() & 0xff : 1;
                    clock.advance(Duration.ofSeconds(secs));
                    collect(a.handle().apply(new IkeInput.Tick()), toB, aEvents);
                    collect(b.handle().apply(new IkeInput.Tick()), toA, bEvents);
                }
            }
        }
        // then the network works and time passes: no session may be left in a state it cannot leave
        for (long waited = 0; waited <= SETTLE.toSeconds(); waited += 5) {
            deliver(a, b, toB, toA, aEvents, bEvents);
            clock.advance(Duration.ofSeconds(5));
            collect(a.handle().apply(new IkeInput.Tick()), toB, aEvents);
            collect(b.handle().apply(new IkeInput.Tick()), toA, bEvents);
        }
        deliver(a, b, toB, toA, aEvents, bEvents);
        assertThat(a.settled().getAsBoolean()).as("the initiator left in %s", a.state().get()).isTrue();
        assertThat(b.settled().getAsBoolean()).as("the responder left in %s", b.state().get()).isTrue();
        assertThat(bEvents.stream().filter(IkeOutput.Phase1Up.class::isInstance).count())
                .as("the responder comes up at most once").isLessThanOrEqualTo(1);
        assertThat(aEvents.stream().filter(IkeOutput.Phase1Up.class::isInstance).count())
                .as("the initiator comes up at most once").isLessThanOrEqualTo(1);
        // the fuzzer knows no key: every Child SA A installs is one B agreed on (B installs its own as it answers)
        java.util.Set<List<Long>> agreedByB = new java.util.HashSet<>();
        for (IkeOutput o : bEvents) {
            if (o instanceof IkeOutput.ChildSaInstalled c) {
                agreedByB.add(List.of(c.outboundSpi(), c.inboundSpi()));
            } else if (o instanceof IkeOutput.ChildSaRekeyed r) {
                agreedByB.add(List.of(r.replacement().outboundSpi(), r.replacement().inboundSpi()));
            }
        }
        for (IkeOutput o : ikev2 ? aEvents : List.<IkeOutput>of()) {
            if (o instanceof IkeOutput.ChildSaInstalled c) {
                assertThat(agreedByB).as("a Child SA of A's that B never agreed on")
                        .contains(List.of(c.inboundSpi(), c.outboundSpi()));
            }
        }
        for (IkeOutput o : bEvents) {
            if (o instanceof IkeOutput.ChildSaInstalled c) {
                // the fuzzer knows no key: a Child SA B installs has the keys A derived for it (now or at its answer)
                assertThat(c.inbound().encryption().length()).isPositive();
            }
        }
        return atResponder ? bEvents : aEvents;
    }

    /** The harness reaches the end of a negotiation: the real messages alone bring the responder up with its SA. */
    @org.junit.jupiter.api.Test
    void theRealMessagesAloneNegotiateSoTheFuzzerStartsFromAWorkingExchange() {
        byte[] legit = new byte[32];
        for (int i = 0; i < legit.length; i++) {
            legit[i] = (byte) (i % 2);
        }
        MutableClock c2 = new MutableClock(T0);
        assertThat(run(legit, c2, v2(true, c2), v2(false, c2))).hasAtLeastOneElementOfType(IkeOutput.Phase1Up.class)
                .hasAtLeastOneElementOfType(IkeOutput.ChildSaInstalled.class);
        for (boolean aggressive : new boolean[] {false, true}) {
            MutableClock c1 = new MutableClock(T0);
            assertThat(run(legit, c1, v1(true, aggressive, c1), v1(false, aggressive, c1))).as("aggressive " + aggressive)
                    .hasAtLeastOneElementOfType(IkeOutput.Phase1Up.class)
                    .hasAtLeastOneElementOfType(IkeOutput.ChildSaInstalled.class);
        }
    }

    /** Delivers every datagram in flight, and what they cause, until none is (at most a few hundred). */
    private static void deliver(Engine a, Engine b, Deque<IkeOutput.Send> toB, Deque<IkeOutput.Send> toA,
            List<IkeOutput> aEvents, List<IkeOutput> bEvents) {
        for (int n = 0; n < 400 && (!toB.isEmpty() || !toA.isEmpty()); n++) {
            IkeOutput.Send s = toB.poll();
            if (s != null) {
                collect(b.handle().apply(new IkeInput.Received(s.datagram().clone(), A, B)), toA, bEvents);
            }
            s = toA.poll();
            if (s != null) {
                collect(a.handle().apply(new IkeInput.Received(s.datagram().clone(), B, A)), toB, aEvents);
            }
        }
    }

    private static void collect(List<IkeOutput> outputs, Deque<IkeOutput.Send> sent, List<IkeOutput> events) {
        for (IkeOutput o : outputs) {
            if (o instanceof IkeOutput.Send s && !s.isNatKeepalive()) {
                sent.add(s);
            } else if (o instanceof IkeOutput.Event) {
                events.add(o);
            }
        }
    }

    /** Both sides on one clock, each with its own fixed randomness: a run is a function of its script. */
    private static IkeEnvironment env(MutableClock clock, long seed) {
        Random r = new Random(seed);
        return new IkeEnvironment(clock, r::nextBytes, KeyExchanges.standard(), Ikev2Codec.standard());
    }

    private static Engine v2(boolean initiator, MutableClock clock) {
        IkeTunnel t = tunnel(IkeExchange.IKEV2, initiator);
        IkeSession s = initiator ? IkeSession.initiator(t, A, B, env(clock, 2), IkeSettings.DEFAULT)
                : IkeSession.responder(t, B, A, env(clock, 3), IkeSettings.DEFAULT);
        return new Engine(i -> s.handle(i).outputs(), s::state, () -> s.state() == IkeState.IDLE
                || s.state() == IkeState.ESTABLISHED || s.state() == IkeState.CLOSED);
    }

    private static Engine v1(boolean initiator, boolean aggressive, MutableClock clock) {
        IkeTunnel t = tunnel(aggressive ? IkeExchange.IKEV1_AGGRESSIVE : IkeExchange.IKEV1_MAIN, initiator);
        Ikev1Engine e = initiator ? Ikev1Engine.initiator(t, A, B, env(clock, 4), IkeSettings.DEFAULT)
                : Ikev1Engine.responder(t, B, A, env(clock, 5), IkeSettings.DEFAULT);
        return new Engine(i -> e.handle(i).outputs(), e::state, () -> e.state() == Ikev1State.IDLE
                || e.state() == Ikev1State.ESTABLISHED || e.state() == Ikev1State.CLOSED);
    }

    /** A PSK tunnel between 10.1.0.0/16 and 10.2.0.0/16, seen from A (initiator) or B. */
    private static IkeTunnel tunnel(IkeExchange exchange, boolean fromA) {
        List<Network> siteA = List.of(Network.parse("10.1.0.0/16"));
        List<Network> siteB = List.of(Network.parse("10.2.0.0/16"));
        boolean v1 = exchange != IkeExchange.IKEV2;
        return new IkeTunnel("fuzz", fromA ? IkeMode.ACTIVE : IkeMode.PASSIVE, exchange, fromA ? siteA : siteB,
                fromA ? siteB : siteA, Optional.empty(), List.of(Host.of(fromA ? B.getAddress() : A.getAddress())),
                new IkeSaSpec(List.of(v1 ? EncryptionAlgorithm.AES_256 : EncryptionAlgorithm.AES_256_GCM),
                        v1 ? List.of(AuthAlgorithm.HMAC_SHA2_256) : List.of(), List.of(AuthAlgorithm.HMAC_SHA2_256),
                        List.of(DhGroup.ECP256), Duration.ofHours(8)), // the fastest group both versions have
                new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM), List.of(), List.of(DhGroup.NONE),
                        Duration.ofHours(1)),
                Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText("fuzz-psk-0123456789")),
                Optional.of(Duration.ofSeconds(30)), false);
    }

    private static InetSocketAddress address(String ip) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), 500);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
