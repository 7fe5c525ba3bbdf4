package net.palisade.controlplane.ikev1;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import net.palisade.controlplane.ike.IkeCounters;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSaId;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev1.Ikev1Codec;
import net.palisade.model.wire.ikev1.Ikev1ExchangeType;
import net.palisade.model.wire.ikev1.Ikev1Header;
import net.palisade.model.wire.ikev1.Ikev1Message;
import net.palisade.model.wire.ikev1.Ikev1Payload;

/**
 * What the procedures of one {@link Ikev1Session} share: tunnel, settings, environment, counters, the outputs of the
 * input being handled, addresses and NAT-T, the cookies and the {@link IsakmpSa} once keyed, and the last message
 * each way of every exchange (IKEv1 has no message window: each side resends its last message when it sees the
 * peer's previous one again, and the side that waits resends on a timer). It decides nothing itself.
 */
final class Ikev1Context {
    static final int NONCE_BYTES = 32;

    /**
     * The last messages of one exchange (by message ID; phase 1 is 0).
     */
    static final class Flight {
        byte[] lastSent;
        byte[] lastReceived;
        /** {@link #lastSent} answers {@link #lastReceived}: a copy of that message is answered with it again. */
        boolean replied;
        /** When {@link #lastSent} last went out. */
        Instant sentAt;
        /** We wait for the peer's next message and resend {@link #lastSent} on the schedule. */
        boolean awaiting;
        int sends;
        Instant next;
    }

    final IkeTunnel tunnel;
    final IkeSettings settings;
    final IkeEnvironment env;
    final boolean initiator;
    final Ikev1Codec codec = Ikev1Codec.standard();
    final IkeCounters counters;
    final Map<Long, Flight> flights = new HashMap<>();
    List<IkeOutput> outputs = new ArrayList<>();
    InetSocketAddress local;
    InetSocketAddress remote;
    long ckyI;
    long ckyR;
    /** Keys, once phase 1 has its shared secret. */
    IsakmpSa sa;
    VendorIds.NatT natT = VendorIds.NatT.NONE;
    boolean peerDpd;
    boolean udpEncapsulation;
    boolean behindNat;
    /** When we last sent anything toward the peer: NAT-T keepalives fill silences only. */
    Instant lastSent;
    /** When the peer last proved it is alive (an authenticated message, or ESP traffic). */
    Instant lastInbound;
    /** The peer sent INITIAL-CONTACT: the driver may delete its older SAs. */
    boolean peerInitialContact;
    /** We send INITIAL-CONTACT in our last phase-1 message. */
    boolean sendInitialContact;

    Ikev1Context(IkeTunnel tunnel, boolean initiator, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        this.tunnel = Objects.requireNonNull(tunnel, "tunnel");
        this.initiator = initiator;
        this.local = Objects.requireNonNull(local, "local");
        this.remote = Objects.requireNonNull(remote, "remote");
        this.env = Objects.requireNonNull(env, "env");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.counters = new IkeCounters(settings.counted());
    }

    Instant now() {
        return env.clock().instant();
    }

    IkeSaId id() {
        return new IkeSaId(ckyI, ckyR);
    }

    /** Counts a dropped input as {@code ikev1.engine.<counter>}. */
    void drop(String counter) {
        counters.increment("ikev1.engine." + counter);
    }

    /** Counts a notable branch as {@code ikev1.engine.<counter>}. */
    void count(String counter) {
        counters.increment("ikev1.engine." + counter);
    }

    void output(IkeOutput o) {
        outputs.add(o);
    }

    Flight flight(long messageId) {
        return flights.computeIfAbsent(messageId, m -> new Flight());
    }

    long nonZero() {
        return env.random().nonZeroLong();
    }

    /** A message ID for a new exchange: random, non-zero, not in use. */
    long newMessageId() {
        long m;
        do {
            m = env.random().nextLong() & 0xffff_ffffL;
        } while (m == 0 || flights.containsKey(m));
        return m;
    }

    long childSpi() {
        return env.childSpi();
    }

    byte[] nonce() {
        return env.random().bytes(NONCE_BYTES);
    }

    Ikev1Header header(Ikev1ExchangeType exchange, long messageId, boolean encrypted) {
        return new Ikev1Header(ckyI, ckyR, 0, exchange, encrypted ? Ikev1Header.FLAG_ENCRYPTION : 0, messageId);
    }

    /** A message in clear. */
    byte[] plain(Ikev1ExchangeType exchange, long messageId, List<Ikev1Payload> payloads) {
        return codec.encode(new Ikev1Message.Plain(header(exchange, messageId, false), payloads));
    }

    /** A message encrypted with the ISAKMP SA in exchange {@code messageId}; moves that exchange's IV. */
    byte[] encrypted(Ikev1ExchangeType exchange, long messageId, List<Ikev1Payload> payloads) {
        byte[] chain = codec.encodePayloads(payloads);
        byte[] ciphertext = sa.encrypt(messageId, chain);
        return codec.encode(new Ikev1Message.Encrypted(header(exchange, messageId, true), payloads.getFirst().type(),
                net.palisade.model.wire.Octets.of(ciphertext)));
    }

    /**
     * Sends {@code datagram} as the next message of exchange {@code messageId}; when {@code await}, resends it on
     * the retransmission schedule until the peer's next message arrives.
     */
    void send(long messageId, byte[] datagram, boolean await) {
        Flight f = flight(messageId);
        f.lastSent = datagram;
        f.awaiting = await;
        f.sends = 1;
        f.sentAt = now();
        f.next = await ? now().plus(settings.retransmit().getFirst()) : null;
        outputs.add(new IkeOutput.Send(datagram, local, remote));
    }

    /** Sends a message that belongs to no exchange we keep (an answer that is never retransmitted). */
    void sendOnce(byte[] datagram) {
        outputs.add(new IkeOutput.Send(datagram, local, remote));
    }

    /** Reports a failed quick mode; the ISAKMP SA stays. */
    void childFailed(FailureReason reason, String detail) {
        counters.increment("ikev1.engine.child_failed." + reason.name().toLowerCase(Locale.ROOT));
        outputs.add(new IkeOutput.NegotiationFailed(reason, detail));
    }

    /** How long a responder waits for the initiator's next message. */
    Duration halfOpen() {
        return settings.retransmit().stream().reduce(Duration.ZERO, Duration::plus).plusSeconds(5);
    }
}
