package net.palisade.controlplane.ike;

/**
 * States of one IKE SA, named {@code [procedure][who initiated][exchange]}.
 */
public enum IkeState {
    /** Nothing sent or received yet (a responder stays here while answering INVALID_KE_PAYLOAD statelessly). */
    IDLE,
    /** Initiator: IKE_SA_INIT request sent, waiting for the response. */
    SETUP_LOCAL_INIT,
    /** Initiator: IKE_AUTH request sent, waiting for the response. */
    SETUP_LOCAL_AUTH,
    /** Responder: IKE_SA_INIT answered, waiting for the IKE_AUTH request. */
    SETUP_REMOTE_INIT,
    /** The IKE SA is up (liveness checks and Delete run here). */
    ESTABLISHED,
    /** We sent a Delete for the IKE SA and wait for its response. */
    DELETE_LOCAL_INFO,
    /** Done: failed, deleted or timed out. Only retransmitted requests are still answered from cache. */
    CLOSED;

    /** True if {@code next} may follow this state. */
    boolean canMoveTo(IkeState next) {
        return switch (this) {
            case IDLE -> next == SETUP_LOCAL_INIT || next == SETUP_REMOTE_INIT || next == CLOSED;
            case SETUP_LOCAL_INIT -> next == SETUP_LOCAL_AUTH || next == CLOSED;
            case SETUP_LOCAL_AUTH, SETUP_REMOTE_INIT -> next == ESTABLISHED || next == CLOSED;
            case ESTABLISHED -> next == DELETE_LOCAL_INFO || next == CLOSED;
            case DELETE_LOCAL_INFO -> next == CLOSED;
            case CLOSED -> false;
        };
    }
}
