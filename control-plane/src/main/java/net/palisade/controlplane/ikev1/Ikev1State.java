package net.palisade.controlplane.ikev1;

/** States of one ISAKMP SA, named {@code [procedure][who initiated][exchange]}. */
public enum Ikev1State {
    /** Nothing sent or received yet. */
    IDLE,
    /** We initiated main mode and wait for the peer's next message. */
    SETUP_LOCAL_MAIN,
    /** We initiated aggressive mode and wait for message 2. */
    SETUP_LOCAL_AGGRESSIVE,
    /** The peer initiated main mode; we answered and wait for its next message. */
    SETUP_REMOTE_MAIN,
    /** The peer initiated aggressive mode; we answered with message 2 and wait for message 3. */
    SETUP_REMOTE_AGGRESSIVE,
    /** The ISAKMP SA is authenticated: quick modes, informational exchanges and DPD run here. */
    ESTABLISHED,
    /** Done: failed, deleted or the peer is dead. */
    CLOSED;

    /** True if {@code next} may follow this state. */
    boolean canMoveTo(Ikev1State next) {
        return switch (this) {
            case IDLE -> next == SETUP_LOCAL_MAIN || next == SETUP_LOCAL_AGGRESSIVE || next == SETUP_REMOTE_MAIN
                    || next == SETUP_REMOTE_AGGRESSIVE || next == CLOSED;
            case SETUP_LOCAL_MAIN, SETUP_LOCAL_AGGRESSIVE, SETUP_REMOTE_MAIN, SETUP_REMOTE_AGGRESSIVE ->
                    next == ESTABLISHED || next == CLOSED;
            case ESTABLISHED -> next == CLOSED;
            case CLOSED -> false;
        };
    }
}
