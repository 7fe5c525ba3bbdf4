package net.palisade.model.event;

/**
 * Why a negotiation failed: what the IKE engine reports and what {@code negotiation-failed} records, one type for
 * both. The names are the wire values; journals hold them, so a value is never renamed or removed.
 */
public enum FailureReason {
    /** The peer accepted none of our proposals, or we none of its (NO_PROPOSAL_CHOSEN). */
    NO_PROPOSAL_CHOSEN,
    /** PSK or certificate check failed, on either side (AUTHENTICATION_FAILED). */
    AUTHENTICATION_FAILED,
    /** The peer's traffic selectors did not match ours (TS_UNACCEPTABLE / INVALID_ID_INFORMATION). */
    TS_UNACCEPTABLE,
    /**
     * The peer wanted another Diffie-Hellman group (INVALID_KE_PAYLOAD) that we do not offer, or a second time: no
     * downgrade.
     */
    INVALID_KE_PAYLOAD,
    /** The peer's key exchange value was invalid. */
    KEY_EXCHANGE_FAILED,
    /** No answer within the retransmission schedule. */
    TIMEOUT,
    /** The peer sent something malformed or out of order, or answered with another error notify. */
    PROTOCOL_ERROR,
    /** Nothing was sent: the peer's host name does not resolve, or no local address reaches the peer. */
    ADDRESS_UNAVAILABLE,
    /**
     * The negotiation succeeded but its SA could not be kept: the dataplane refused it, or the tunnel's journal
     * did not accept it (it was removed again). The detail says which SA and why.
     */
    INSTALL_FAILED,
    /** Anything else; the event's detail says what. */
    OTHER
}
