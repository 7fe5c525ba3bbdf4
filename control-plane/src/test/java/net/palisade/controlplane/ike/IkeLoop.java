package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
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
 * Two sessions talking in memory: datagrams go through a queue that a test may filter (drop, duplicate, hold),
 * time moves only when the test advances the fake clock, and every output is recorded per side.
 */
final class IkeLoop {
    static final InetSocketAddress A = new InetSocketAddress(ip("192.0.2.1"), 500);
    static final InetSocketAddress B = new InetSocketAddress(ip("192.0.2.2"), 500);

    /** A datagram in flight; {@code toB} says which side receives it. */
    record Flight(boolean toB, byte[] datagram, int sequence, InetSocketAddress from, InetSocketAddress to) {}

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
    final IkeSession a;
    final IkeSession b;
    final List<IkeOutput> aOutputs = new ArrayList<>();
    final List<IkeOutput> bOutputs = new ArrayList<>();
    final List<Flight> delivered = new ArrayList<>();
    final Deque<Flight> inFlight = new ArrayDeque<>();
    /** Decides how many copies of a datagram arrive (0 drops it, 2 duplicates it). */
    BiFunction<Flight, IkeLoop, Integer> network = (f, l) -> 1;
    /** Rewrites a datagram's addresses on the way (a NAT); applied before {@link #network}. */
    UnaryOperator<Flight> translation = f -> f;
    /**
     * NAT-T keepalives sent (RFC 3948: one 0xFF octet, which the real transport drops on arrival), after
     * {@link #translation}; never delivered to the other engine.
     */
    final List<Flight> keepalives = new ArrayList<>();
    private int sequence;

    IkeLoop(IkeTunnel initiator, IkeTunnel responder) {
        this(initiator, responder, IkeSettings.DEFAULT);
    }

    IkeLoop(IkeTunnel initiator, IkeTunnel responder, IkeSettings settings) {
        this(initiator, responder, settings, 1);
    }

    /** With randomness seeded from {@code seed} (A) and {@code seed + 1} (B): other nonces, SPIs and keys. */
    IkeLoop(IkeTunnel initiator, IkeTunnel responder, IkeSettings settings, long seed) {
        this(initiator, responder, settings, seed, A, B, B);
    }

    /**
     * A initiates from {@code aLocal} to {@code aSeesB}; B listens on {@code bLocal} (its peer address is taken from
     * the first datagram, as a responder's is). With a {@link #translation} these may differ from what the other
     * side sees.
     */
    IkeLoop(IkeTunnel initiator, IkeTunnel responder, IkeSettings settings, long seed, InetSocketAddress aLocal,
            InetSocketAddress aSeesB, InetSocketAddress bLocal) {
        a = IkeSession.initiator(initiator, aLocal, aSeesB, env(seed), settings);
        b = IkeSession.responder(responder, bLocal, aLocal, env(seed + 1), settings);
    }

    /** A initiates with {@code initiator}; B answers as a responder that {@code candidates} all accept. */
    IkeLoop(IkeTunnel initiator, List<IkeTunnel> candidates, long seed) {
        a = IkeSession.initiator(initiator, A, B, env(seed), IkeSettings.DEFAULT);
        b = IkeSession.responder(candidates, B, A, env(seed + 1), IkeSettings.DEFAULT);
    }

    private IkeEnvironment env(long seed) {
        Random r = new Random(seed);
        return new IkeEnvironment(clock, r::nextBytes, KeyExchanges.standard(), Ikev2Codec.standard());
    }

    /** Starts the initiator and runs until no datagram is in flight. */
    IkeLoop start() {
        feed(true, new IkeInput.Start());
        return run();
    }

    /** Feeds {@code input} to A (or B) and queues what it sends. */
    IkeSession.Step feed(boolean toA, IkeInput input) {
        IkeSession s = toA ? a : b;
        IkeSession.Step step = s.handle(input);
        (toA ? aOutputs : bOutputs).addAll(step.outputs());
        for (IkeOutput o : step.outputs()) {
            if (o instanceof IkeOutput.Send send && send.isNatKeepalive()) {
                keepalives.add(translation.apply(new Flight(toA, send.datagram(), sequence++, send.from(),
                        send.to())));
            } else if (o instanceof IkeOutput.Send send) {
                inFlight.add(new Flight(toA, send.datagram(), sequence++, send.from(), send.to()));
            }
        }
        return step;
    }

    /** Delivers datagrams until none is in flight. */
    IkeLoop run() {
        while (!inFlight.isEmpty()) {
            Flight f = translation.apply(inFlight.poll());
            int copies = network.apply(f, this);
            for (int i = 0; i < copies; i++) {
                delivered.add(f);
                feed(!f.toB(), new IkeInput.Received(f.datagram().clone(), f.from(), f.to()));
            }
        }
        return this;
    }

    /** Moves the clock, ticks both sides, and runs. */
    IkeLoop advance(Duration d) {
        clock.advance(d);
        feed(true, new IkeInput.Tick());
        feed(false, new IkeInput.Tick());
        return run();
    }

    <E extends IkeOutput> List<E> events(boolean ofA, Class<E> type) {
        return (ofA ? aOutputs : bOutputs).stream().filter(type::isInstance).map(type::cast).toList();
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A tunnel between 10.1.0.0/16 (from) and 10.2.0.0/16 (to) with the given algorithms. */
    static IkeTunnel tunnel(String psk, List<EncryptionAlgorithm> enc, List<AuthAlgorithm> integ,
            List<DhGroup> groups, List<EncryptionAlgorithm> espEnc, List<AuthAlgorithm> espInteg,
            List<Network> from, List<Network> to) {
        return new IkeTunnel("t1", IkeMode.ACTIVE, IkeExchange.IKEV2, from, to, Optional.empty(),
                List.of(Host.of(ip("192.0.2.2"))),
                new IkeSaSpec(enc, integ, List.of(AuthAlgorithm.HMAC_SHA2_256), groups, Duration.ofHours(8)),
                new ChildSaSpec(espEnc, espInteg, List.of(DhGroup.NONE), Duration.ofHours(1)),
                Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText(psk)), Optional.empty(), false);
    }

    static final List<Network> SITE_A = List.of(Network.parse("10.1.0.0/16"));
    static final List<Network> SITE_B = List.of(Network.parse("10.2.0.0/16"));

    static IkeTunnel gcm(String psk, DhGroup... groups) {
        return tunnel(psk, List.of(EncryptionAlgorithm.AES_256_GCM), List.of(), List.of(groups),
                List.of(EncryptionAlgorithm.AES_128_GCM), List.of(), SITE_A, SITE_B);
    }

    /**
     * {@code shape} as tunnel {@code label} in {@code mode} (a passive one naming no peer) with these IDs and PSK "p":
     * a hub's tunnels and its sites' in the hand-over tests.
     */
    static IkeTunnel named(String label, IkeMode mode, Optional<String> srcId, Optional<String> dstId,
            IkeTunnel shape) {
        return new IkeTunnel(label, mode, shape.exchange(), shape.from(), shape.to(), shape.local(),
                mode == IkeMode.PASSIVE ? List.of() : shape.peers(), shape.ikeSa(), shape.childSa(),
                srcId.map(net.palisade.model.Identity::parse), dstId.map(net.palisade.model.Identity::parse),
                new IkeAuth.Psk(Secret.ofText("p")), Optional.empty(), shape.ping());
    }

    /** The same tunnel seen from the other gateway: networks swapped. */
    static IkeTunnel mirror(IkeTunnel t) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.to(), t.from(), t.local(), List.of(Host.of(
                ip("192.0.2.1"))), t.ikeSa(), t.childSa(), t.dstId(), t.srcId(), t.authentication(), t.dpd(),
                t.ping(), t.encap(), t.saPerFlow());
    }
}
