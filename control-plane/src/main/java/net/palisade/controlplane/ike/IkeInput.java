package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.util.Objects;

/** What drives an {@link IkeSession}. */
public sealed interface IkeInput {

    /** Start negotiating as initiator (IKE_SA_INIT request). Ignored unless the session is idle. */
    record Start() implements IkeInput {}

    /**
     * A datagram received for this IKE SA (without the non-ESP marker of port 4500).
     *
     * @param datagram the IKE message
     * @param from     sender's address and port
     * @param to       our address and port it arrived on
     */
    record Received(byte[] datagram, InetSocketAddress from, InetSocketAddress to) implements IkeInput {
        /** Checks the parts are present. */
        public Received {
            Objects.requireNonNull(datagram, "datagram");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /** The timer the session asked for ({@link IkeOutput.SetTimer}) may have expired: the session reads the clock. */
    record Tick() implements IkeInput {}

    /** Send a liveness check (an empty INFORMATIONAL request, RFC 7296 section 1.4) once established. */
    record CheckLiveness() implements IkeInput {}

    /** Delete the IKE SA (INFORMATIONAL with a Delete payload), then report {@link IkeOutput.Phase1Down}. */
    record Close() implements IkeInput {}

    /**
     * ESP traffic arrived on one of this IKE SA's Child SAs (reported by the dataplane, at most once per interval):
     * the peer is alive, so the {@code dpd} liveness check is postponed.
     */
    record InboundTraffic() implements IkeInput {}

    /**
     * Rekey the newest Child SA (CREATE_CHILD_SA with REKEY_SA, PFS when the config has groups), then delete the old
     * one; reported as {@link IkeOutput.ChildSaRekeyed} and {@link IkeOutput.ChildSaDeleted}.
     */
    record RekeyChild() implements IkeInput {}

    /**
     * The dataplane reports that the outbound SA with {@code outboundSpi} (the peer's SPI of one of our Child SAs) is
     * near the end of its sequence numbers: that Child SA is rekeyed now, as at its soft lifetime, and the rekey is
     * reported with {@link IkeOutput.ChildSaRekeyed#sequenceNumbers()}. Ignored for an SPI this session does not
     * know, and for a Child SA whose rekey or delete is already under way.
     *
     * @param outboundSpi the SPI we send to
     */
    record SequenceSoftLimit(long outboundSpi) implements IkeInput {}

    /**
     * Delete the newest Child SA (INFORMATIONAL with a Delete payload), as a peer does on hard expiry or an operator
     * clearing it; reported as {@link IkeOutput.ChildSaDeleted}. The IKE SA stays, and an {@code active} or
     * {@code dynamic} tunnel creates a new Child SA since the tunnel has none.
     */
    record DeleteChild() implements IkeInput {}

    /**
     * Rekey the IKE SA now (CREATE_CHILD_SA with a new SPI, nonce and key exchange, RFC 7296 section 1.3.2): the
     * Child SAs move to the new IKE SA and the old one is deleted; reported as {@link IkeOutput.IkeSaRekeyed}. The
     * engine does this by itself at 80 to 90 % of the configured lifetime.
     */
    record RekeyIke() implements IkeInput {}
}
