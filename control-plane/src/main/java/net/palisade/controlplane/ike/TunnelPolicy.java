package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import net.palisade.model.Host;
import net.palisade.model.IdType;
import net.palisade.model.Identity;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;

/**
 * What one tunnel's {@link IkeSessionActor} does when something happens to its IKE SAs: which peer next, which of two
 * duplicate IKE SAs survives, when to try the list's head again, how long to wait before the next attempt, when our
 * address moved under a {@code dynamic} tunnel. Pure: no actors, no sockets, no timers; the clock is injected, so the
 * tests run it on a fake one. The actor delivers the events and carries out the decisions.
 *
 * <p>Retries: an initiator whose IKE SA ends (failure, delete, timeout) starts a fresh one after {@link #RETRY},
 * doubled after each attempt that did not bring phase 1 up, up to {@link #RETRY_MAX} ({@link #closed}).
 *
 * <p>Failover (the engine sends the liveness checks itself and reports the peer dead once a request went unanswered
 * after every retransmission): an initiator with more than one peer then moves on to the next peer of the list
 * (after the last: the head) and negotiates with it without waiting ({@link #peerDead}). An IKE_SA_INIT that times
 * out, or a peer whose endpoints cannot be looked up, also moves on to the next peer, after the usual pause ({@link
 * #setupTimedOut}, {@link #addressUnavailable}). While the peer in use is not the head, every {@code dpd} ({@link
 * #HEAD_PROBE} without dpd) a probe IKE SA is negotiated with the head ({@link #up}, {@link #headProbeDue}); when it
 * comes up, the tunnel switches back ({@link #probeUp}).
 *
 * <p>Duplicates: when the IKE SA the peer initiated beside ours comes up while ours is up too, {@link #duplicate}
 * picks the survivor the same way on both gateways.
 *
 * <p>{@code dynamic} tunnels check every {@link #ADDRESS_CHECK} whether the source address towards the peer is still
 * the IKE SA's; when it moved, the IKE SA is re-established from the new one ({@link #addressChanged}).
 */
final class TunnelPolicy {
    /** Pause before an initiator negotiates again after its IKE SA ended. */
    static final Duration RETRY = Duration.ofSeconds(5);

    /** Longest pause between attempts. */
    static final Duration RETRY_MAX = Duration.ofMinutes(5);

    /** How often the list's head is tried again, while on another peer, when the tunnel has no {@code dpd}. */
    static final Duration HEAD_PROBE = Duration.ofSeconds(30);

    /** How often a {@code dynamic} tunnel checks whether its local address is still the one towards the peer. */
    static final Duration ADDRESS_CHECK = Duration.ofSeconds(2);

    private final IkeTunnel tunnel;
    private final Duration newerAfter;
    private final InstantSource clock;
    /** The peers in failover order; absent for a responder (it follows its peer). */
    private final PeerFailover failover;
    private int failedAttempts;
    private boolean restartAtOnce;
    /** When the session's IKE SA came up; null while it is not up. */
    private Instant sessionUp;

    private TunnelPolicy(IkeTunnel tunnel, boolean initiator, IkeSettings settings, InstantSource clock) {
        this.tunnel = Objects.requireNonNull(tunnel, "tunnel");
        this.newerAfter = newerAfter(settings);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.failover = initiator ? PeerFailover.of(tunnel) : null;
    }

    /** The policy of an initiator towards {@code tunnel}'s peers (in failover order). */
    static TunnelPolicy initiator(IkeTunnel tunnel, IkeSettings settings, InstantSource clock) {
        if (tunnel.peers().isEmpty()) {
            throw new IllegalArgumentException("tunnel " + tunnel.label() + ": an initiator needs a peer");
        }
        return new TunnelPolicy(tunnel, true, settings, clock);
    }

    /** The policy of a responder: no peers to choose, no retries. */
    static TunnelPolicy responder(IkeTunnel tunnel, IkeSettings settings, InstantSource clock) {
        return new TunnelPolicy(tunnel, false, settings, clock);
    }

    /** The peer new IKE SAs go to. */
    Host current() {
        return failover.current();
    }

    /** The first peer of the list. */
    Host head() {
        return failover.head();
    }

    /**
     * The tunnel as the engine sees it: a {@code dynamic} tunnel without srcid names itself by this machine's host
     * name (asked only then).
     *
     * @throws IllegalArgumentException if the host name cannot be an FQDN identity
     */
    IkeTunnel engineTunnel(Supplier<String> hostName) {
        if (tunnel.mode() != IkeMode.DYNAMIC || tunnel.srcId().isPresent()) {
            return tunnel;
        }
        Identity me = new Identity(IdType.FQDN, hostName.get());
        return tunnel.withSrcId(me);
    }

    /** {@link #engineTunnel}, or the tunnel as configured (our address its identity) when the name cannot do. */
    IkeTunnel engineTunnelOrAddress(Supplier<String> hostName) {
        try {
            return engineTunnel(hostName);
        } catch (IllegalArgumentException e) {
            org.slf4j.LoggerFactory.getLogger(TunnelPolicy.class).error("tunnel {}: this machine's host name cannot be"
                    + " our identity ({}); set srcid. Using our address", tunnel.label(), e.getMessage());
            return tunnel;
        }
    }

    /** How often to check our address towards the peer: {@code dynamic} initiators only. */
    Optional<Duration> addressCheckEvery() {
        return failover != null && tunnel.mode() == IkeMode.DYNAMIC ? Optional.of(ADDRESS_CHECK) : Optional.empty();
    }

    /** A new IKE SA of ours starts: it is not up. */
    void starting() {
        sessionUp = null;
    }

    /**
     * The session's IKE SA came up: attempts count from zero again. Returns how often to try the list's head while
     * on another peer (nothing when on the head, or for a responder).
     */
    Optional<Duration> up() {
        failedAttempts = 0;
        if (sessionUp == null) {
            sessionUp = clock.instant();
        }
        if (failover == null || failover.atHead()) {
            return Optional.empty();
        }
        return Optional.of(tunnel.dpd().orElse(HEAD_PROBE));
    }

    /** The IKE SA beside came up and is the session's now (ours was not up, or lost the duplicate). */
    void tookOver() {
        sessionUp = clock.instant();
    }

    /** The session ended and nothing took its place. */
    void down() {
        sessionUp = null;
    }

    /**
     * The peer of the established IKE SA stopped answering: the peer to switch to (journal {@code peer-switched},
     * then negotiate with it as soon as the IKE SA is closed), or nothing (one peer: the usual retry).
     */
    Optional<Host> peerDead() {
        if (failover == null || !failover.canSwitch()) {
            return Optional.empty();
        }
        restartAtOnce = true;
        return Optional.of(failover.advance());
    }

    /** The IKE_SA_INIT of the session got no answer and the session closed: the next peer, if any (after a pause). */
    Optional<Host> setupTimedOut() {
        return failover == null || !failover.canSwitch() ? Optional.empty() : Optional.of(failover.advance());
    }

    /**
     * The endpoints towards the current peer could not be looked up: the next peer, if any. The attempt counts as
     * failed: {@link #failedAttempt} gives the pause.
     */
    Optional<Host> addressUnavailable() {
        return setupTimedOut();
    }

    /**
     * An attempt of ours ended without an IKE SA taking its place: how long to wait before the next. At once after a
     * switch for a dead peer, else {@link #retryDelay} of the attempts failed in a row (counted here).
     */
    Duration closed() {
        sessionUp = null;
        if (restartAtOnce) {
            restartAtOnce = false;
            return Duration.ZERO;
        }
        return failedAttempt();
    }

    /** An attempt failed: the pause before the next, {@link #retryDelay} of the attempts failed in a row. */
    Duration failedAttempt() {
        return retryDelay(failedAttempts++);
    }

    /** {@link #RETRY} doubled {@code failed} times, at most {@link #RETRY_MAX}. */
    static Duration retryDelay(int failed) {
        Duration d = RETRY.multipliedBy(1L << Math.min(failed, 10));
        return d.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : d;
    }

    /** What to do when it is time to try the head again. */
    enum HeadProbe {
        /** The head is in use (or this is no initiator): stop the periodic check. */
        STOP,
        /** Not now: a probe is running, or the current IKE SA is not up. */
        WAIT,
        /** Negotiate a probe IKE SA with {@link #head()}. */
        PROBE
    }

    /** Time to try the head: whether a probe starts, given the session's IKE SA is up and a probe is running. */
    HeadProbe headProbeDue(boolean established, boolean probing) {
        if (failover == null || failover.atHead()) {
            return HeadProbe.STOP;
        }
        return probing || !established ? HeadProbe.WAIT : HeadProbe.PROBE;
    }

    /** The head's endpoints arrived for a probe: whether it is still wanted (still off the head, session up). */
    boolean probeWanted(Host peer, boolean established) {
        return failover != null && !failover.atHead() && peer.equals(failover.head()) && established;
    }

    /** The probe came up: the head answers again. Returns it: the tunnel switches back and negotiates with it. */
    Host probeUp() {
        sessionUp = null;
        return failover.backToHead();
    }

    /**
     * The source address towards {@code peer} is {@code now}, and the established IKE SA's is {@code was}: what to
     * journal when the IKE SA must be re-established from {@code now}, or nothing (same address, or another peer).
     */
    Optional<String> addressChanged(Host peer, InetAddress now, InetAddress was) {
        if (failover == null || !peer.equals(failover.current()) || now.equals(was)) {
            return Optional.empty();
        }
        sessionUp = null;
        return Optional.of("local address " + Host.of(was) + " no longer used towards the peer (now " + Host.of(now)
                + "): re-establishing");
    }

    /**
     * The IKE SA negotiated beside the session came up while the session's is up too: which survives. {@code
     * besideOurs} says we initiated it (the peer cannot have begun it after ours was up), {@code besideStarted} when
     * it began. On an any-peer {@code passive} tunnel, whose session holds the IKE SAs of one authenticated peer
     * ({@link SiteIdentity}) and never initiates, the peer's new IKE SA that carries N(INITIAL_CONTACT) survives
     * whenever it began: that peer says it holds no other IKE SA with us (RFC 7296 section 2.4; a site back through
     * a new NAT mapping), and no simultaneous start of ours can have raced it.
     */
    Verdict duplicate(boolean sessionInitialContact, IkeSaId session, boolean besideInitialContact, IkeSaId beside,
            boolean besideOurs, Instant besideStarted) {
        if (besideInitialContact && !besideOurs && failover == null && tunnel.mode() == IkeMode.PASSIVE
                && tunnel.peers().isEmpty()) {
            return new Verdict(true, "the peer's newer one carries INITIAL_CONTACT: it holds no other");
        }
        boolean newer = !besideOurs && sessionUp != null && besideStarted != null
                && besideStarted.isAfter(sessionUp.plus(newerAfter));
        return survivor(sessionInitialContact, session, besideInitialContact, beside, newer);
    }

    /**
     * How long after an IKE SA came up a peer's IKE_SA_INIT must arrive to be surely newer (begun by the peer after
     * it had that IKE SA up, which only a peer that lost it does): twice the whole retransmission schedule, since a
     * request begun earlier may arrive as late as its last retransmission.
     */
    static Duration newerAfter(IkeSettings settings) {
        return settings.retransmit().stream().reduce(Duration.ZERO, Duration::plus).multipliedBy(2);
    }

    /**
     * Which of two established IKE SAs survives, and why.
     *
     * @param second the second one survives (else the first)
     * @param why    for the journal and the log
     */
    record Verdict(boolean second, String why) {}

    /**
     * Which of two established IKE SAs of one tunnel survives, {@code a} (up first) or {@code b} (up now):
     * <ol>
     * <li>{@code b} if the peer began it after {@code a} was up ({@code bNewer}, see {@link #newerAfter}): the peer no
     * longer had {@code a} (it restarted: then {@code b} normally carries N(INITIAL_CONTACT), RFC 7296 section 2.4),
     * so only this side sees a duplicate;</li>
     * <li>else (both were negotiated at once, both sides see both) the one whose IKE_AUTH carried INITIAL_CONTACT,
     * if only one did;</li>
     * <li>else the one with the larger initiator SPI (unsigned).</li>
     * </ol>
     * Rules 2 and 3 use what both gateways know alike, so both keep the same IKE SA without talking about it.
     */
    static Verdict survivor(boolean aInitialContact, IkeSaId a, boolean bInitialContact, IkeSaId b,
            boolean bNewer) {
        if (bNewer) {
            return new Verdict(true, bInitialContact ? "the newer one carries INITIAL_CONTACT: the peer restarted"
                    : "the newer one began after this one was up: the peer had lost it");
        }
        if (aInitialContact != bInitialContact) {
            return new Verdict(bInitialContact, "the one with INITIAL_CONTACT wins");
        }
        return new Verdict(Long.compareUnsigned(a.initiatorSpi(), b.initiatorSpi()) < 0,
                "the larger initiator SPI wins");
    }
}
