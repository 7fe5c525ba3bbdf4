package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Instant;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;

/**
 * What an {@link IkeSessionActor} accepts (named through it: {@code IkeSessionActor.Inbound}): datagrams, requests
 * to answer or to adopt an IKE SA, timers, looked-up endpoints, and stop. {@link Ikev1SessionActor} speaks the same
 * commands and adds its own timers.
 */
interface IkeSessionCommands {
    /** Where an initiator IKE SA runs: our address and port, and the peer's. */
    record Endpoints(InetSocketAddress local, InetSocketAddress remote) {
        /** Checks both are present. */
        public Endpoints {
            java.util.Objects.requireNonNull(local, "local");
            java.util.Objects.requireNonNull(remote, "remote");
        }
    }

    /** What the actor accepts. */
    interface Command {} // not sealed: Ikev1SessionActor adds its own timers

    /** A datagram for this session (non-ESP marker already removed). */
    record Inbound(byte[] datagram, InetSocketAddress from, InetSocketAddress to) implements Command {
        /**
         * Whether it belongs to an IKE SA past its IKE_SA_INIT: its responder SPI is set. Such a message may be routed
         * again to wherever its IKE SA is now; an IKE_SA_INIT request may be the one a new responder is to answer.
         */
        boolean pastIkeSaInit() {
            return datagram.length >= 16 && java.nio.ByteBuffer.wrap(datagram).getLong(8) != 0;
        }
    }

    /**
     * An IKE_SA_INIT request from the peer of an initiating tunnel: answer it with a responder IKE SA beside ours.
     *
     * @param first the request
     * @param local our address and port for the new IKE SA
     */
    record Answer(Inbound first, InetSocketAddress local, java.util.List<IkeTunnel> candidates) implements Command {
        /** A request only this actor's tunnel accepts. */
        public Answer(Inbound first, InetSocketAddress local) {
            this(first, local, java.util.List.of());
        }
    }

    /**
     * An IKE SA whose IKE_AUTH chose this actor's tunnel while another tunnel's actor answered its IKE_SA_INIT (it
     * had several candidates, {@link TunnelChoice}): it goes on here as if negotiated beside ours.
     *
     * @param step the outputs of the IKE_AUTH request, not yet carried out (the Child SA's install before the
     *     response)
     */
    record Adopt(IkeSession engine, InetSocketAddress local, InetSocketAddress remote, Instant started,
            IkeSession.Step step) implements Command {}

    /** A timer of the session or of the one beside it (timers are kept per engine; a tick goes to both). */
    enum Tick implements Command { INSTANCE }

    /** The probe session's timer. */
    enum ProbeTick implements Command { INSTANCE }

    /** Time to try the list's head again. */
    enum TryHead implements Command { INSTANCE }

    /** Start a new initiator session. */
    enum Restart implements Command { INSTANCE }

    /** The tunnel's ping is lost ({@code ping-lost} journaled): re-establish as if DPD had found the peer dead. */
    enum PingLost implements Command { INSTANCE }

    /** Time for a {@code dynamic} tunnel to check its local address. */
    enum CheckAddress implements Command { INSTANCE }

    /** What {@link SessionDriver#endpoints} answered for {@code peer}, for the session, a probe or an address check. */
    record Resolved(Purpose purpose, Host peer, Endpoints endpoints, Throwable error) implements Command {}

    /** Why endpoints were looked up. */
    enum Purpose { SESSION, PROBE, CHECK }

    /** The dataplane: the outbound SA with this SPI nears the end of its sequence numbers ({@link IkeInput.SequenceSoftLimit}). */
    record SequenceSoftLimit(long outboundSpi) implements Command {}

    /** Delete the IKE SA (the Delete is sent once, not retransmitted) and stop; {@code done} completes then. */
    record Stop(java.util.concurrent.CompletableFuture<Void> done) implements Command {}

    /** Where a datagram arrived: {@code to}, or our address of that IKE SA if it came in on the wildcard. */
    static InetSocketAddress at(InetSocketAddress to, InetSocketAddress ours) {
        return to.getAddress().isAnyLocalAddress() && ours != null
                ? new InetSocketAddress(ours.getAddress(), to.getPort()) : to;
    }

    /** {@code d}, or zero if it is negative (a timer already due). */
    static java.time.Duration max0(java.time.Duration d) {
        return d.isNegative() ? java.time.Duration.ZERO : d;
    }
}
