package net.palisade.controlplane.ike;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The message window of one IKE SA (RFC 7296 sections 2.1 and 2.3), a window of one request each way: the message
 * IDs of our requests and the one outstanding request (every fragment of it) with its retransmission schedule; the
 * ID the peer's next request must carry, and the response we gave to its last one, so that a retransmitted request
 * is answered from this cache and never processed twice (only its fragment 1 counts, RFC 7383 section 2.6.1); and
 * the reassembly of the fragments the peer sends (RFC 7383).
 *
 * <p>One per IKE SA: the current one, and an old one kept alive after an IKE SA rekey until its Delete completes.
 * Pure bookkeeping: it reads no clock (callers pass {@code now}), sends nothing and knows no IKE version's message
 * format; the caller sends what it returns and counts what it drops.
 *
 * @param <T> what a request of ours is (the engine's own tag, e.g. its exchange type and purpose), returned when
 *            the response arrives
 */
final class MessageWindow<T> {
    private final List<Duration> retransmit;
    private final Supplier<Fragments.Reassembler> reassemblers;
    private long nextRequestId;
    private Outstanding<T> outstanding;
    private long expectedPeerRequestId;
    private byte[] cachedRequest;
    private List<byte[]> cachedResponse;
    private Fragments.Reassembler reassembler;

    /**
     * @param retransmit   timeouts of our request, one per transmission; after the last one expires it is given up
     * @param reassemblers makes the reassembler when the first fragment arrives
     */
    MessageWindow(List<Duration> retransmit, Supplier<Fragments.Reassembler> reassemblers) {
        this.retransmit = List.copyOf(retransmit);
        if (this.retransmit.isEmpty()) {
            throw new IllegalArgumentException("at least one retransmission timeout is needed");
        }
        this.reassemblers = Objects.requireNonNull(reassemblers, "reassemblers");
    }

    /**
     * Our request in flight.
     *
     * @param messageId     its message ID
     * @param datagrams     what went out (every fragment), resent as is
     * @param transmissions how many times it was sent
     * @param deadline      when it is resent, or given up
     * @param purpose       what it is for
     */
    record Outstanding<T>(long messageId, List<byte[]> datagrams, int transmissions, Instant deadline, T purpose) {
        Outstanding {
            datagrams = List.copyOf(datagrams);
        }
    }

    // ------------------------------------------------------------------------------------------- our requests

    /** Takes the message ID of our next request. */
    long nextRequestId() {
        return nextRequestId++;
    }

    /**
     * Continues at the given message IDs (an IKE SA resumed from the journal, or after RFC 6311's sync): our next
     * request takes {@code next}, the peer's next is {@code expected}. No response is cached: a retransmission of
     * the peer's last request before the sync is not answered again.
     */
    void resumeAt(long next, long expected) {
        nextRequestId = next;
        expectedPeerRequestId = expected;
        cachedRequest = null;
        cachedResponse = null;
    }

    /** The message ID our next request will take (without taking it). */
    long peekNextRequestId() {
        return nextRequestId;
    }

    /** The message ID of the peer's next request. */
    long expectedPeerRequestId() {
        return expectedPeerRequestId;
    }

    /**
     * Records {@code datagrams} (sent by the caller now) as our request {@code messageId}: the first retransmission
     * is due after the first timeout of the schedule. Replaces any request in flight.
     */
    void sent(long messageId, List<byte[]> datagrams, T purpose, Instant now) {
        outstanding = new Outstanding<>(messageId, datagrams, 1, now.plus(retransmit.getFirst()), purpose);
    }

    /**
     * Records an IKE_SA_INIT request: message ID 0, and again 0 when it is sent anew after N(COOKIE) or
     * INVALID_KE_PAYLOAD (section 2.6 and 1.2: the same exchange, restarted).
     */
    void sentFirst(List<byte[]> datagrams, T purpose, Instant now) {
        nextRequestId = 1;
        sent(0, datagrams, purpose, now);
    }

    /** Our request in flight, if any. */
    Optional<Outstanding<T>> outstanding() {
        return Optional.ofNullable(outstanding);
    }

    /** True if no request of ours is in flight: the window is open for the next one. */
    boolean idle() {
        return outstanding == null;
    }

    /** True if a response with {@code messageId} answers our request in flight. */
    boolean awaits(long messageId) {
        return outstanding != null && outstanding.messageId() == messageId;
    }

    /** Ends our request in flight (its response arrived, or it is abandoned) and returns it. */
    Optional<Outstanding<T>> complete() {
        Optional<Outstanding<T>> was = Optional.ofNullable(outstanding);
        outstanding = null;
        return was;
    }

    /** Puts back a request {@link #complete() completed} by a response that turned out to be unusable. */
    void restore(Outstanding<T> request) {
        outstanding = Objects.requireNonNull(request, "request");
    }

    /** When our request in flight is resent or given up; null if none is in flight. */
    Instant deadline() {
        return outstanding == null ? null : outstanding.deadline();
    }

    /** What the retransmission timer decides at some instant. */
    sealed interface Timer<T> {
        /** Nothing is due. */
        record Waiting<T>() implements Timer<T> {}

        /** Send these datagrams again (the request's next deadline is already set). */
        record Resend<T>(List<byte[]> datagrams) implements Timer<T> {}

        /** The last timeout expired: the request is given up (and no longer in flight). */
        record GaveUp<T>(Outstanding<T> request) implements Timer<T> {}
    }

    /** The retransmission timer at {@code now}: resend our request, give it up after the last timeout, or wait. */
    Timer<T> tick(Instant now) {
        if (outstanding == null || now.isBefore(outstanding.deadline())) {
            return new Timer.Waiting<>();
        }
        int sent = outstanding.transmissions();
        if (sent >= retransmit.size()) {
            Outstanding<T> gone = outstanding;
            outstanding = null;
            return new Timer.GaveUp<>(gone);
        }
        Outstanding<T> o = outstanding;
        outstanding = new Outstanding<>(o.messageId(), o.datagrams(), sent + 1, now.plus(retransmit.get(sent)),
                o.purpose());
        return new Timer.Resend<>(o.datagrams());
    }

    // ----------------------------------------------------------------------------------------- peer requests

    /** What a request of the peer is to this window. */
    sealed interface Incoming {
        /** The request the window expects: process it, then {@link MessageWindow#answered answer} it. */
        record Fresh() implements Incoming {}

        /** A retransmission of the request answered last: send this cached response again. */
        record Retransmitted(List<byte[]> response) implements Incoming {}

        /** A fragment other than fragment 1 of the request answered last: ignored (RFC 7383 section 2.6.1). */
        record LaterFragment() implements Incoming {}

        /** The message ID of the request answered last, but other octets: not a retransmission, dropped. */
        record Differs() implements Incoming {}

        /** Neither the next message ID nor the last one: dropped. */
        record OutOfWindow() implements Incoming {}
    }

    /**
     * Classifies the peer's request {@code messageId}, received as {@code datagram}.
     *
     * @param fragmentNumber its SKF fragment number (RFC 7383), or 0 if it is not a fragment
     */
    Incoming request(long messageId, byte[] datagram, int fragmentNumber) {
        if (cachedResponse != null && messageId == expectedPeerRequestId - 1) {
            if (fragmentNumber > 1) {
                return new Incoming.LaterFragment();
            }
            return Arrays.equals(datagram, cachedRequest) ? new Incoming.Retransmitted(cachedResponse)
                    : new Incoming.Differs();
        }
        return messageId == expectedPeerRequestId ? new Incoming.Fresh() : new Incoming.OutOfWindow();
    }

    /**
     * Records our {@code response} to the peer's request {@code messageId}: the window moves on, and a retransmission
     * of {@code request} (its fragment 1 if it was fragmented) is answered with the same datagrams.
     */
    void answered(long messageId, byte[] request, List<byte[]> response) {
        cachedRequest = request.clone();
        cachedResponse = List.copyOf(response);
        expectedPeerRequestId = messageId + 1;
    }

    /** The reassembly of the peer's fragmented messages (made on first use). */
    Fragments.Reassembler reassembler() {
        if (reassembler == null) {
            reassembler = reassemblers.get();
        }
        return reassembler;
    }
}
