package net.palisade.model.event;

/** Why a negotiation failed, as recorded by {@code negotiation-failed}. The names are the wire values. */
public enum FailureReason {
    /** The peer accepted none of our proposals, or we none of its (NO_PROPOSAL_CHOSEN). */
    NO_PROPOSAL_CHOSEN,
    /** PSK or certificate check failed, on either side (AUTHENTICATION_FAILED). */
    AUTHENTICATION_FAILED,
    /** The peer's traffic selectors did not match ours (TS_UNACCEPTABLE / INVALID_ID_INFORMATION). */
    TS_UNACCEPTABLE,
    /** The peer wanted another Diffie-Hellman group (INVALID_KE_PAYLOAD) and no retry succeeded. */
    INVALID_KE_PAYLOAD,
    /** No answer within the retransmission schedule. */
    TIMEOUT,
    /** The peer sent something malformed or out of order. */
    PROTOCOL_ERROR,
    /**
     * The negotiation succeeded but its SA could not be kept: the dataplane refused it, or the tunnel's journal
     * did not accept it (it was removed again). The detail says which SA and why.
     */
    INSTALL_FAILED,
    /** Anything else; the event's detail says what. */
    OTHER
}
