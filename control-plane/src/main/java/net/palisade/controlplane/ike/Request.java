package net.palisade.controlplane.ike;

/**
 * One request of ours, queued until the window is free, then part of the tag of the request in flight
 * ({@link IkeSa.Sent}): what it is for, and the Child SA it concerns.
 *
 * @param kind  what the request does
 * @param child the Child SA rekeyed or deleted ({@link Kind#REKEY_CHILD}, {@link Kind#DELETE_CHILD},
 *              {@link Kind#DELETE_EXPIRED}); null otherwise
 */
record Request(Kind kind, ChildSa child) {

    /** What one of our requests is for. */
    enum Kind {
        /** IKE_SA_INIT or IKE_AUTH. */
        SETUP,
        /** An empty INFORMATIONAL (liveness check). */
        LIVENESS,
        /** Delete of the IKE SA. */
        DELETE,
        /** CREATE_CHILD_SA rekeying a Child SA. */
        REKEY_CHILD,
        /** Delete of a Child SA we replaced or found redundant. */
        DELETE_CHILD,
        /** Delete of a Child SA whose hard lifetime ended (already gone here). */
        DELETE_EXPIRED,
        /** CREATE_CHILD_SA rekeying the IKE SA. */
        REKEY_IKE,
        /** CREATE_CHILD_SA for a new Child SA: the IKE SA has none. */
        CREATE_CHILD,
        /** INFORMATIONAL with message ID 0 and N(IKEV2_MESSAGE_ID_SYNC): a resumed IKE SA (RFC 6311). */
        MID_SYNC
    }

    static Request of(Kind kind) {
        return new Request(kind, null);
    }
}
