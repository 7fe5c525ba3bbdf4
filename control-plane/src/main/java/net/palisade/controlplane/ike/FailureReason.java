package net.palisade.controlplane.ike;

/** Why a negotiation failed, as reported in {@link IkeOutput.NegotiationFailed}. */
public enum FailureReason {
    /** No proposal acceptable to both sides (IKE SA or Child SA). */
    NO_PROPOSAL_CHOSEN,
    /** The peer's AUTH or identity did not verify, or the peer refused ours. */
    AUTHENTICATION_FAILED,
    /** The traffic selectors do not overlap the configured networks. */
    TS_UNACCEPTABLE,
    /** No response after every retransmission. */
    TIMEOUT,
    /** INVALID_KE_PAYLOAD naming a group we do not offer, or a second time: no downgrade. */
    INVALID_KE,
    /** The peer's key exchange value was invalid. */
    KEY_EXCHANGE_FAILED,
    /** The peer answered with another error notify, or broke the protocol. */
    PROTOCOL_ERROR,
    /** Nothing was sent: the peer's host name does not resolve, or no local address reaches the peer. */
    ADDRESS_UNAVAILABLE
}
