package net.palisade.controlplane.ike;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import net.palisade.model.wire.ikev2.TrafficSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Child SA of an IKE SA and its state machine: our SPI, the peer's, algorithms and selectors (ours, the peer's),
 * when it is due for rekeying and when it expires (our {@code childsa lifetime}).
 *
 * <p>A Child SA exists here from the moment its keys are derived (the IKE_AUTH or CREATE_CHILD_SA exchange that
 * creates it is done), so its life starts {@link State#INSTALLED}. Every change of state goes through
 * {@link #transition}, which refuses (IllegalStateException) a change the table in {@link State#canMoveTo} does not
 * allow, and logs the allowed ones at debug level.
 */
final class ChildSa {
    private static final Logger LOG = LoggerFactory.getLogger(ChildSa.class);

    /** States of one Child SA, named {@code [procedure][who initiated]}. */
    enum State {
        /** In use; nothing of ours is queued or in flight for it. */
        INSTALLED,
        /** The peer rekeyed it (we answered); its Delete is due from the peer. Still ours to rekey or delete. */
        REKEY_REMOTE,
        /** Our rekey of it is queued or in flight. */
        REKEY_LOCAL,
        /**
         * Replaced by a rekey whose collision the peer won (RFC 7296 section 2.8.1): the peer deletes it, we only
         * wait (or expire it).
         */
        REKEYED,
        /** Our Delete of it is queued or in flight (replaced by our rekey, or redundant). */
        DELETE_LOCAL,
        /** Gone: deleted (by either side) or expired. */
        DELETED;

        /** True if {@code next} may follow this state. */
        boolean canMoveTo(State next) {
            return switch (this) {
                case INSTALLED -> next == REKEY_REMOTE || next == REKEY_LOCAL || next == DELETE_LOCAL
                        || next == DELETED;
                case REKEY_REMOTE -> next == REKEY_LOCAL || next == DELETE_LOCAL || next == DELETED;
                case REKEY_LOCAL -> next == INSTALLED || next == REKEYED || next == DELETE_LOCAL || next == DELETED;
                case DELETE_LOCAL -> next == REKEYED || next == DELETED;
                case REKEYED -> next == DELETED;
                case DELETED -> false;
            };
        }

        /** True while a rekey or delete of ours is queued or in flight, or the peer is to delete it. */
        boolean busy() {
            return this == REKEY_LOCAL || this == REKEYED || this == DELETE_LOCAL;
        }
    }

    final long spiIn;
    final long spiOut;
    final ChildSuite suite;
    final List<TrafficSelector> local;
    final List<TrafficSelector> remote;
    final Instant createdAt;
    final Instant expireAt;
    Instant rekeyAt;
    private State state = State.INSTALLED;
    /** The dataplane reported its outbound SA near the end of its sequence numbers (our rekey says so). */
    boolean sequencesRunningOut;
    /**
     * Resumed after a takeover while the peer's rekey of it was unsettled: our inbound SPI of the Child SA our
     * answer to that rekey made, which the peer may never have received (0: none, or settled).
     */
    long unconfirmedSuccessor;
    /** Our completed rekey of this Child SA, while it waits for its delete (a late collision is judged by it). */
    ChildSas.Rekeyed rekeyedByUs;

    ChildSa(long spiIn, long spiOut, ChildSuite suite, List<TrafficSelector> local, List<TrafficSelector> remote,
            Instant createdAt, Instant rekeyAt, Instant expireAt) {
        this.spiIn = spiIn;
        this.spiOut = spiOut;
        this.suite = suite;
        this.local = List.copyOf(local);
        this.remote = List.copyOf(remote);
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        this.rekeyAt = rekeyAt;
        this.expireAt = expireAt;
    }

    State state() {
        return state;
    }

    /** True while a rekey or delete of ours is queued or in flight, or the peer is to delete it. */
    boolean busy() {
        return state.busy();
    }

    /**
     * Moves to {@code next}.
     *
     * @param why what made it move (logged)
     * @throws IllegalStateException if {@code next} may not follow the current state
     */
    void transition(State next, String why) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("Child SA " + Long.toHexString(spiIn) + "/" + Long.toHexString(spiOut)
                    + ": " + state + " -> " + next + " is not allowed (" + why + ")");
        }
        LOG.debug("Child SA {}/{}: {} -> {} ({})", Long.toHexString(spiIn), Long.toHexString(spiOut), state, next,
                why);
        state = next;
    }
}
