package net.palisade.controlplane.ikev1;

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
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSettings;
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
 * Two IKEv1 sessions talking in memory: datagrams go through a queue a test may filter (drop, duplicate, hold), time
 * moves only when the test advances the fake clock, and every output is recorded per side.
 */
final class Ikev1Loop {
    static final InetSocketAddress A = new InetSocketAddress(ip("192.0.2.1"), 500);
    static final InetSocketAddress B = new InetSocketAddress(ip("192.0.2.2"), 500);
    static final List<Network> SITE_A = List.of(Network.parse("10.1.0.0/16"));
    static final List<Network> SITE_B = List.of(Network.parse("10.2.0.0/16"));

    /** A datagram in flight; {@code toB} says which side receives it. */
    record Flight(boolean toB, byte[] datagram, InetSocketAddress from, InetSocketAddress to) {}

    final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    /** A's engine (a test may replace it: a node that took over). */
    Ikev1Engine a;
    Ikev1Engine b;
    final List<IkeOutput> aOutputs = new ArrayList<>();
    final List<IkeOutput> bOutputs = new ArrayList<>();
    final List<Flight> delivered = new ArrayList<>();
    final Deque<Flight> inFlight = new ArrayDeque<>();
    /** NAT-T keepalives sent (never delivered: the real transport drops them on arrival). */
    final List<Flight> keepalives = new ArrayList<>();
    /** How many copies of a datagram arrive (0 drops it, 2 duplicates it). */
    BiFunction<Flight, Ikev1Loop, Integer> network = (f, l) -> 1;
    /** Rewrites a datagram's addresses on the way (a NAT); applied before {@link #network}. */
    java.util.function.UnaryOperator<Flight> translation = f -> f;

    Ikev1Loop(IkeTunnel initiator, IkeTunnel responder) {
        this(initiator, responder, 1);
    }

    /** B's engines: the first, and one per phase 1 A starts later (as the driver makes them, by cookie). */
    final List<Ikev1Engine> responders = new ArrayList<>();
    private final IkeTunnel responderTunnel;
    private final long seed;
    private final IkeSettings settings;

    private final InetSocketAddress aAddress;
    private final InetSocketAddress bAddress;

    Ikev1Loop(IkeTunnel initiator, IkeTunnel responder, long seed) {
        this(initiator, responder, seed, A, B);
    }

    /** A at {@code aAddress}, B at {@code bAddress}. */
    Ikev1Loop(IkeTunnel initiator, IkeTunnel responder, long seed, InetSocketAddress aAddress,
            InetSocketAddress bAddress) {
        this(initiator, responder, seed, aAddress, bAddress, IkeSettings.DEFAULT);
    }

    /** Both sides with {@code settings}. */
    Ikev1Loop(IkeTunnel initiator, IkeTunnel responder, long seed, InetSocketAddress aAddress,
            InetSocketAddress bAddress, IkeSettings settings) {
        this.seed = seed;
        this.settings = settings;
        this.responderTunnel = responder;
        this.aAddress = aAddress;
        this.bAddress = bAddress;
        a = Ikev1Engine.initiator(initiator, aAddress, bAddress, env(seed), settings);
        b = Ikev1Engine.responder(responder, bAddress, aAddress, env(seed + 1), settings);
        responders.add(b);
    }

    private Ikev1Engine responderFor(byte[] datagram) {
        long cookie = java.nio.ByteBuffer.wrap(datagram, 0, 8).getLong();
        for (Ikev1Engine e : responders) {
            if (e.initiatorCookies().contains(cookie) || e.initiatorCookies().contains(0L)) {
                return e;
            }
        }
        Ikev1Engine e = Ikev1Engine.responder(responderTunnel, bAddress, aAddress, env(seed + 1 + responders.size()),
                settings);
        responders.add(e);
        return e;
    }

    IkeEnvironment env(long seed) {
        Random r = new Random(seed);
        return new IkeEnvironment(clock, r::nextBytes, KeyExchanges.standard(), Ikev2Codec.standard());
    }

    Ikev1Loop start() {
        feed(true, new IkeInput.Start());
        return run();
    }

    Ikev1Session.Step feed(boolean toA, IkeInput input) {
        Ikev1Engine s = toA ? a : input instanceof IkeInput.Received r ? responderFor(r.datagram()) : b;
        if (!toA && input instanceof IkeInput.Tick && responders.size() > 1) {
            for (Ikev1Engine e : responders.subList(1, responders.size())) {
                bOutputs.addAll(e.handle(input).outputs());
            }
        }
        Ikev1Session.Step step = s.handle(input);
        (toA ? aOutputs : bOutputs).addAll(step.outputs());
        for (IkeOutput o : step.outputs()) {
            if (o instanceof IkeOutput.Send send && send.isNatKeepalive()) {
                keepalives.add(new Flight(toA, send.datagram(), send.from(), send.to()));
            } else if (o instanceof IkeOutput.Send send) {
                inFlight.add(new Flight(toA, send.datagram(), send.from(), send.to()));
            }
        }
        return step;
    }

    Ikev1Loop run() {
        int guard = 0;
        while (!inFlight.isEmpty()) {
            if (++guard > 1000) {
                throw new IllegalStateException("the sessions do not stop talking");
            }
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
    Ikev1Loop advance(Duration d) {
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

    /** A main (or aggressive) mode tunnel from 10.1.0.0/16 to 10.2.0.0/16 with PSK {@code psk}. */
    static IkeTunnel tunnel(IkeExchange exchange, String psk, List<DhGroup> pfs) {
        return new IkeTunnel("t1", IkeMode.ACTIVE, exchange, SITE_A, SITE_B, Optional.empty(),
                List.of(Host.of(ip("192.0.2.2"))),
                new IkeSaSpec(List.of(EncryptionAlgorithm.AES_256, EncryptionAlgorithm.TRIPLE_DES),
                        List.of(AuthAlgorithm.HMAC_SHA2_256, AuthAlgorithm.HMAC_SHA1), List.of(),
                        List.of(DhGroup.MODP2048), Duration.ofHours(8)),
                new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM, EncryptionAlgorithm.AES_256),
                        List.of(AuthAlgorithm.HMAC_SHA2_256), pfs, Duration.ofHours(1)),
                Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText(psk)), Optional.empty(), false);
    }

    static IkeTunnel main(String psk) {
        return tunnel(IkeExchange.IKEV1_MAIN, psk, List.of(DhGroup.NONE));
    }

    /** The same tunnel seen from the other gateway: networks and identities swapped. */
    static IkeTunnel mirror(IkeTunnel t) {
        return new IkeTunnel(t.label(), IkeMode.PASSIVE, t.exchange(), t.to(), t.from(), t.local(), List.of(),
                t.ikeSa(), t.childSa(), t.dstId(), t.srcId(), t.authentication(), t.dpd(), t.ping(), t.encap());
    }

    /** {@code t} with other settings. */
    static IkeTunnel with(IkeTunnel t, IkeSaSpec ike, ChildSaSpec child, Optional<Duration> dpd) {
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), t.local(), t.peers(), ike, child,
                t.srcId(), t.dstId(), t.authentication(), dpd, t.ping(), t.encap());
    }
}
