package net.palisade.controlplane.ike;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;

/**
 * RFC 6311 message ID synchronisation, both sides. A node that resumes an IKE SA from the journal knows its message
 * IDs only as of the moment they were journaled; DPD and rekeys may have moved them on since. It sends an
 * INFORMATIONAL request with message ID 0 (outside the window on purpose) carrying N(IKEV2_MESSAGE_ID_SYNC) with a
 * 4-octet nonce, M1 (the message ID of its next request, {@link #JUMP} past the journaled one) and P1 (the peer's next request it expects); the peer
 * answers, also with message ID 0, the same nonce, P2 = max(P1, its own next request) and M2 = max(M1, the request
 * it expects next) (section 5.1), and both continue from there.
 *
 * <p>The message is protected with the IKE SA's keys like any other, so only a holder of those keys can move the
 * window; a request whose M1 is below what we already expect is dropped (section 5.1: it is stale), but a
 * retransmission of the last one we answered (same nonce) gets the same answer again.
 */
final class MessageIdSync {
    /** Nonce, M1 and P1 (or P2 and M2): 4 octets each. */
    static final int DATA_LENGTH = 12;
    /**
     * How far past the journaled next request ID our M1 goes. The peer drops a sync whose M1 is not above every ID
     * it has seen from us (section 5.1), and the node that died may have sent requests after its state was
     * journaled (a liveness check every {@code dpd}, Child SA rekeys): 2^16 covers a week of checks every 10 s.
     * IDs are 32 bits, and an IKE SA rekey starts them at 0 again.
     */
    static final long JUMP = 1L << 16;

    private final EngineContext ctx;
    /** The nonce of our request in flight. */
    private byte[] nonce;
    /** The last sync request we answered (its nonce) and our answer, for its retransmissions. */
    private long answeredNonce;
    private List<Payload> answered;

    MessageIdSync(EngineContext ctx) {
        this.ctx = ctx;
    }

    /** Sends our sync request as message ID 0 and waits for its answer like any request of ours. */
    void send(Request purpose) {
        nonce = ctx.env.random().bytes(4);
        long m1 = ctx.sa.window.peekNextRequestId() + JUMP;
        long p1 = ctx.sa.window.expectedPeerRequestId();
        List<Payload> p = List.of(NotifyPayload.of(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC,
                Octets.of(data(nonce, m1, p1))));
        List<byte[]> d = ctx.protect(IkeHeader.request(ctx.sa.spiI, ctx.sa.spiR, ExchangeType.Known.INFORMATIONAL, 0,
                ctx.sa.initiatorRole), p);
        ctx.send(d);
        ctx.sa.window.sent(0, d, new IkeSa.Sent(ExchangeType.Known.INFORMATIONAL, purpose), ctx.now());
        ctx.count("mid_sync_sent");
    }

    /**
     * The peer's answer to our sync request: true (and the window continues at the IDs it names) if it carries our
     * nonce; false if it is not a usable answer.
     */
    boolean response(IkeMessage m) {
        Optional<long[]> values = values(m).filter(v -> nonce != null && (int) v[0] == ByteBuffer.wrap(nonce).getInt());
        nonce = null;
        if (values.isEmpty()) {
            ctx.drop("mid_sync_bad_answer");
            return false;
        }
        // the peer's next request is what we expect (P2); what it expects from us is our next (M2)
        ctx.sa.window.resumeAt(values.get()[2], values.get()[1]);
        ctx.sa.midSyncUsed = true;
        ctx.count("mid_sync_done");
        // journal the IDs agreed (and that the sync is spent): a second takeover (the fail-back) rekeys with them;
        // with the IDs journaled before, its request would carry an ID the peer has already seen
        ctx.outputTakeoverState();
        return true;
    }

    /**
     * Answers the peer's sync request {@code m} of exchange {@code ex} outside the window ({@link #request}), and
     * journals the IDs it agreed: whoever resumes this IKE SA next must go on from these.
     */
    void answer(IkeMessage m, ExchangeType ex) {
        request(m).ifPresent(p -> {
            ctx.send(ctx.protect(IkeHeader.response(ctx.sa.spiI, ctx.sa.spiR, ex, 0, ctx.sa.initiatorRole), p));
            ctx.outputTakeoverState();
        });
    }

    /** True if {@code m} (decrypted) is a sync request. */
    static boolean isRequest(IkeHeader h, IkeMessage m) {
        return h.messageId() == 0 && h.exchangeType() == ExchangeType.Known.INFORMATIONAL
                && m.notify(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC).isPresent();
    }

    /**
     * The peer's sync request (it resumed the IKE SA): the payloads of our answer, with the window moved on; empty
     * (drop it) when it is malformed or stale.
     */
    Optional<List<Payload>> request(IkeMessage m) {
        Optional<long[]> values = values(m);
        if (values.isEmpty()) {
            ctx.drop("mid_sync_malformed");
            return Optional.empty();
        }
        if (answered != null && answeredNonce == values.get()[0]) {
            // its retransmission: the same answer (the window has moved on since, so it would look stale)
            ctx.count("mid_sync_retransmission_answered");
            return Optional.of(answered);
        }
        long m1 = values.get()[1];
        long p1 = values.get()[2];
        MessageWindow<IkeSa.Sent> w = ctx.sa.window;
        long expected = w.expectedPeerRequestId();
        if (m1 < expected) {
            ctx.drop("mid_sync_stale");
            return Optional.empty();
        }
        long m2 = Math.max(m1, expected);
        // our next request is already past one in flight, whose answer may still come
        long p2 = Math.max(p1, w.peekNextRequestId());
        w.resumeAt(p2, m2);
        ctx.sa.midSyncUsed = true;
        ctx.count("mid_sync_answered");
        answeredNonce = values.get()[0];
        answered = List.of(NotifyPayload.of(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC,
                Octets.of(data(nonceBytes(values.get()[0]), p2, m2))));
        return Optional.of(answered);
    }

    /** The nonce and the two message IDs of {@code m}'s sync notify (as unsigned values). */
    private static Optional<long[]> values(IkeMessage m) {
        Optional<NotifyPayload> n = m.notify(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC);
        if (n.isEmpty()) {
            return Optional.empty();
        }
        byte[] d = n.get().data().toByteArray();
        if (d.length != DATA_LENGTH) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(d);
        return Optional.of(new long[] {b.getInt(), Integer.toUnsignedLong(b.getInt()),
            Integer.toUnsignedLong(b.getInt())});
    }

    private static byte[] nonceBytes(long nonce) {
        return ByteBuffer.allocate(4).putInt((int) nonce).array();
    }

    private static byte[] data(byte[] nonce, long first, long second) {
        byte[] d = Arrays.copyOf(nonce, DATA_LENGTH);
        ByteBuffer.wrap(d).position(4).putInt((int) first).putInt((int) second);
        return d;
    }
}
