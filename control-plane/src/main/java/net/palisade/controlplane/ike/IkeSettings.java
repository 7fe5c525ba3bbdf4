package net.palisade.controlplane.ike;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Engine policy that is not part of the tunnel's config.
 *
 * @param forceUdpEncapsulation always use ESP-in-UDP on port 4500 (RFC 3948) for every tunnel, as a tunnel's
 *                              {@code encap} keyword does for one: the NAT_DETECTION_SOURCE_IP hash is deliberately
 *                              wrong, so the peer believes we are behind a NAT and encapsulates (strongSwan's
 *                              {@code encap = yes} does the same), and IKE moves to port 4500 from IKE_AUTH on.
 *                              When false (the default), NAT detection decides per tunnel: no NAT, plain ESP (IP
 *                              protocol 50) and IKE stays on port 500; a NAT on either side, port 4500 and ESP-in-UDP.
 * @param retransmit            retransmission timeouts of our requests, one per transmission; after the last one
 *                              expires the exchange fails (TIMEOUT). Bounds how long dead peer detection takes
 *                              after the liveness check is sent.
 * @param fragmentPacketLimit   largest IP packet of an IKE message we send once both peers announced RFC 7383
 *                              fragmentation: a larger IKE_AUTH or later message goes out as SKF fragments that fit
 *                              (like strongSwan's {@code charon.fragment_size}; default
 *                              {@link Fragments#DEFAULT_PACKET_LIMIT}).
 * @param natKeepalive          how long port 4500 toward the peer may stay idle before we send a NAT-T keepalive
 *                              (one 0xFF octet, RFC 3948 section 2.3 and 4) while we are behind a NAT, so the NAT keeps
 *                              its mapping; {@link #DEFAULT_NAT_KEEPALIVE} (20 s, the RFC's example) by default,
 *                              zero turns keepalives off
 * @param takeoverState         report the IKE SA's state for the journal ({@link #withTakeoverState})
 * @param trace                 told every IKE message a session sends or accepts, decoded ({@link #withTrace})
 * @param counted               told the name of every engine counter a session increments ({@link #withCounted})
 */
public record IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit, int fragmentPacketLimit,
        Duration natKeepalive, boolean takeoverState, MessageTrace trace,
        java.util.function.Consumer<String> counted) {
    /** RFC 7296's usual backoff: 1, 2, 4, 8 and 16 seconds (31 s in all). */
    public static final List<Duration> STANDARD_RETRANSMIT = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(16));

    /** NAT-T keepalive interval of RFC 3948 section 4 (its example; strongSwan's {@code keep_alive} default too). */
    public static final Duration DEFAULT_NAT_KEEPALIVE = Duration.ofSeconds(20);

    /**
     * What Palisade uses: NAT detection decides about encapsulation (a tunnel's {@code encap} forces it), the
     * standard retransmissions, keepalives every 20 s of idle behind a NAT.
     */
    public static final IkeSettings DEFAULT = new IkeSettings(false);

    /** {@link #DEFAULT} with encapsulation forced for every tunnel. */
    public static final IkeSettings FORCED = new IkeSettings(true);

    /** Checks there is at least one positive timeout, a sane fragment size, and a keepalive interval of 0 or more. */
    public IkeSettings {
        retransmit = List.copyOf(retransmit);
        if (retransmit.isEmpty() || retransmit.stream().anyMatch(d -> d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("retransmission timeouts must be positive, at least one");
        }
        if (fragmentPacketLimit < Fragments.MIN_PACKET_LIMIT || fragmentPacketLimit > 65_535) {
            throw new IllegalArgumentException("fragment size must be " + Fragments.MIN_PACKET_LIMIT
                    + "-65535 octets, not " + fragmentPacketLimit);
        }
        Objects.requireNonNull(natKeepalive, "natKeepalive");
        Objects.requireNonNull(trace, "trace");
        Objects.requireNonNull(counted, "counted");
        if (natKeepalive.isNegative()) {
            throw new IllegalArgumentException("the NAT keepalive interval must not be negative: " + natKeepalive);
        }
    }

    /** Without a message trace. */
    public IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit, int fragmentPacketLimit,
            Duration natKeepalive, boolean takeoverState) {
        this(forceUdpEncapsulation, retransmit, fragmentPacketLimit, natKeepalive, takeoverState, MessageTrace.NONE,
                name -> { });
    }

    /** Without takeover state. */
    public IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit, int fragmentPacketLimit,
            Duration natKeepalive) {
        this(forceUdpEncapsulation, retransmit, fragmentPacketLimit, natKeepalive, false);
    }

    /** With the default keepalive interval. */
    public IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit, int fragmentPacketLimit) {
        this(forceUdpEncapsulation, retransmit, fragmentPacketLimit, DEFAULT_NAT_KEEPALIVE);
    }

    /** With the default fragment size and keepalive interval. */
    public IkeSettings(boolean forceUdpEncapsulation, List<Duration> retransmit) {
        this(forceUdpEncapsulation, retransmit, Fragments.DEFAULT_PACKET_LIMIT);
    }

    /** With the standard retransmissions. */
    public IkeSettings(boolean forceUdpEncapsulation) {
        this(forceUdpEncapsulation, STANDARD_RETRANSMIT);
    }

    /** The same settings with another fragment size. */
    public IkeSettings withFragmentPacketLimit(int octets) {
        return new IkeSettings(forceUdpEncapsulation, retransmit, octets, natKeepalive, takeoverState, trace, counted);
    }

    /** The same settings with encapsulation forced for every tunnel, or left to NAT detection. */
    public IkeSettings withForceUdpEncapsulation(boolean forced) {
        return new IkeSettings(forced, retransmit, fragmentPacketLimit, natKeepalive, takeoverState, trace, counted);
    }

    /** The same settings with another NAT-T keepalive interval (zero: none). */
    public IkeSettings withNatKeepalive(Duration interval) {
        return new IkeSettings(forceUdpEncapsulation, retransmit, fragmentPacketLimit, interval, takeoverState, trace, counted);
    }

    /**
     * Whether the engine reports its IKE SA's state ({@link IkeOutput.IkeSaState}, keys included) when it comes up
     * and after each IKE SA rekey: on only for a node holding the pair key, which journals it sealed.
     */
    public IkeSettings withTakeoverState(boolean on) {
        return new IkeSettings(forceUdpEncapsulation, retransmit, fragmentPacketLimit, natKeepalive, on, trace, counted);
    }

    /** The same settings with {@code t} told every IKE message the sessions send or accept. */
    public IkeSettings withTrace(MessageTrace t) {
        return new IkeSettings(forceUdpEncapsulation, retransmit, fragmentPacketLimit, natKeepalive, takeoverState, t,
                counted);
    }

    /**
     * The first retransmission of a resumed session's requests waits at least this long. Its first request is
     * RFC 6311's message ID sync, which strongSwan (5.9) cannot answer twice: it handles a retransmission as a new
     * sync, and with an AEAD its second response with message ID 0 fails ("no IV or padding"), and it destroys the
     * IKE SA. A node taking over hundreds of tunnels is busy for a second or more (recoveries, installs, the first
     * sequence reservations): with a 1 s timer, requests whose answers had arrived but were not yet read were sent
     * again, and strongSwan destroyed 16 and 151 of 201 IKE SAs in two {@code ha-pair.sh --tunnels 200} runs.
     * Waiting longer costs nothing on the wire meanwhile: the Child SAs carry traffic without the sync.
     */
    public static final Duration RESUMED_FIRST_RETRANSMIT = Duration.ofSeconds(5);

    /**
     * The settings of a resumed session: the first timeout raised to {@link #RESUMED_FIRST_RETRANSMIT} (if it is
     * shorter), the later ones unchanged.
     */
    public IkeSettings forResumption() {
        if (retransmit.getFirst().compareTo(RESUMED_FIRST_RETRANSMIT) >= 0) {
            return this;
        }
        List<Duration> r = new java.util.ArrayList<>(retransmit);
        r.set(0, RESUMED_FIRST_RETRANSMIT);
        return new IkeSettings(forceUdpEncapsulation, r, fragmentPacketLimit, natKeepalive, takeoverState, trace,
                counted);
    }

    /** The same settings with {@code c} told the name of every engine counter the sessions increment. */
    public IkeSettings withCounted(java.util.function.Consumer<String> c) {
        return new IkeSettings(forceUdpEncapsulation, retransmit, fragmentPacketLimit, natKeepalive, takeoverState,
                trace, c);
    }
}
