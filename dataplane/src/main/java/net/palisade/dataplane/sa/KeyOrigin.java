package net.palisade.dataplane.sa;

/**
 * Where an SA's keys come from, which decides where its outbound sequence counter starts when the node reserves
 * numbers in a journal ({@link SequenceReservations#ahead()}). With AES-GCM the sequence number is the IV: no number
 * may be sent twice under one key, whichever process sends it.
 */
public enum KeyOrigin {
    /**
     * Negotiated by IKE just now: nobody has sent with these keys. The first {@link SequenceReservations#BLOCK}
     * numbers are usable at once, without waiting for a reservation (the first packet is never held up by the
     * journal); the next block is asked for ahead as usual. Sound because whoever resumes such keys later
     * ({@link #RESUMED}) starts above that first block even when no reservation was journaled.
     */
    NEGOTIATED,
    /**
     * Negotiated earlier, taken up again (this node after a restart, or the other node of a pair): above the last
     * reservation, and never inside the first block, which {@link #NEGOTIATED} keys may have used unreserved. The
     * node that resumes them journals their first window ({@link #resumedWindow}) before it installs them, in the
     * same write as the tunnel's {@code resumed}, and hands it to the install ({@link SaKeys#journaledUpTo}): the
     * first packet then sends at once.
     */
    RESUMED,
    /**
     * Configured keys that outlive every process (manual keying): above the last reservation, and nothing is sent
     * until a reservation covers it.
     */
    CONFIGURED;

    /** The last number that may have been sent with such keys, given the store's last reservation. */
    long lastIssued(long lastReserved) {
        return this == RESUMED && Long.compareUnsigned(lastReserved, SequenceReservations.BLOCK) < 0
                ? SequenceReservations.BLOCK : lastReserved;
    }

    /**
     * The first reservation of {@link #RESUMED} keys whose last journaled reservation is {@code lastReserved}: one
     * block above the last number that may have been sent with them. Journaled before the keys are installed, it
     * lets them send at once; the numbers between {@code lastIssued} and it are all above anything sent before.
     */
    public static long resumedWindow(long lastReserved) {
        return RESUMED.lastIssued(lastReserved) + SequenceReservations.BLOCK;
    }
}
