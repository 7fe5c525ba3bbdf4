package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;

/**
 * What the procedures of one {@link IkeSession} share: the tunnel, settings and environment, the counters, the
 * outputs of the input being handled, the addresses and encapsulation in use, and the current {@link IkeSa}; and
 * the small helpers every procedure sends and counts with. It decides nothing itself.
 */
final class EngineContext {
    static final int NONCE_BYTES = 32;

    /**
     * The tunnel this IKE SA belongs to. A responder with several {@link #candidates} starts with the first and
     * settles on one at IKE_AUTH ({@link TunnelChoice}); it does not change after that.
     */
    IkeTunnel tunnel;
    /**
     * The tunnels a responder may turn out to serve (all that accept the peer's address); just {@link #tunnel} for
     * an initiator, or a responder with one candidate.
     */
    final List<IkeTunnel> candidates;
    final IkeSettings settings;
    final IkeEnvironment env;
    final Ikev2Codec codec;
    final IkeCounters counters;
    /** What the input being handled produced so far, in order. */
    List<IkeOutput> outputs = new ArrayList<>();
    InetSocketAddress local;
    InetSocketAddress remote;
    /** ESP-in-UDP for the Child SAs, and IKE on port 4500 (NAT, or forced). */
    boolean udpEncapsulation;
    /** Our NAT_DETECTION_DESTINATION_IP hash did not match: a NAT translates our address, keepalives are due. */
    boolean behindNat;
    /** Both peers announced IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383). */
    boolean peerFragmentation;
    /** The peer announced IKEV2_MESSAGE_ID_SYNC_SUPPORTED in IKE_AUTH (RFC 6311); we always do. */
    boolean peerMidSync;
    /** When the peer last proved it is alive (an authenticated message, or ESP traffic). */
    Instant lastInbound;
    /** When we last sent anything (IKE or keepalive) toward the peer: keepalives fill silences only. */
    Instant lastSent;
    /** The IKE SA in use: its SPIs, keys and message window. */
    IkeSa sa;
    /** Our rekey of the current IKE SA in flight, as its journaled state names it ({@link IkeRekeying}). */
    Optional<IkeSaSnapshot.RekeyInFlight> rekeyInFlight = Optional.empty();
    /** The rekey in flight in the state this IKE SA was resumed from, until {@link IkeRekeying#resendInFlight}. */
    Optional<IkeSaSnapshot.RekeyInFlight> resumedRekey = Optional.empty();
    /**
     * Our request in flight for a Child SA, as the journaled state names it ({@link ChildSas}): set for each of our
     * requests by {@link #transmit} (a rekey's before it is protected, by {@link ChildSas}), and in the state only
     * while a request is in flight.
     */
    Optional<ChildRequestInFlight> childInFlight = Optional.empty();
    /** The Child SA request in the state this IKE SA was resumed from, until {@link ChildSas#resendInFlight}. */
    Optional<ChildRequestInFlight> resumedChild = Optional.empty();
    /** Its state is due for the journal at the end of this input ({@link #outputTakeoverState}). */
    private boolean takeoverDue;
    /** The peer's identity as IKE_AUTH authenticated it (we as responder); null until then, or when we initiated. */
    net.palisade.model.wire.ikev2.IdPayload peerId;

    EngineContext(IkeTunnel tunnel, boolean initiator, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        this(List.of(tunnel), initiator, local, remote, env, settings);
    }

    EngineContext(List<IkeTunnel> candidates, boolean initiator, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        this.candidates = List.copyOf(candidates);
        if (this.candidates.isEmpty()) {
            throw new IllegalArgumentException("candidates: none");
        }
        this.tunnel = this.candidates.getFirst();
        this.settings = Objects.requireNonNull(settings, "settings");
        this.counters = new IkeCounters(settings.counted());
        this.env = Objects.requireNonNull(env, "env");
        this.codec = env.codec();
        this.local = Objects.requireNonNull(local, "local");
        this.remote = Objects.requireNonNull(remote, "remote");
        this.sa = new IkeSa(initiator, newWindow());
    }

    /** A message window with our retransmission schedule; it reassembles fragments with our counters. */
    MessageWindow<IkeSa.Sent> newWindow() {
        return new MessageWindow<>(settings.retransmit(),
                () -> new Fragments.Reassembler(codec, env.clock(), counters, Fragments.Limits.DEFAULT));
    }

    /**
     * The current IKE SA's state is due for the journal (it came up, or was rekeyed): output at the end of the input
     * ({@link #flushTakeoverState}), once its response is recorded and the message IDs are those that follow it.
     */
    void outputTakeoverState() {
        takeoverDue = settings.takeoverState();
    }

    /** Outputs the IKE SA's state if due; {@code established}: it still is (not closed by the same input). */
    void flushTakeoverState(boolean established) {
        boolean due = takeoverDue;
        takeoverDue = false;
        if (!due || !established || sa.keys == null) {
            return;
        }
        output(new IkeOutput.IkeSaState(snapshot()));
    }

    /** The current IKE SA's state, keys copied, with the message IDs as they stand. */
    private IkeSaSnapshot snapshot() {
        IkeSuite suite = sa.suite;
        return new IkeSaSnapshot(sa.spiI, sa.spiR, sa.initiatorRole, suite.encryption(), suite.integrity(),
                suite.prf(), suite.group(), copy(sa.keys), local, remote, udpEncapsulation, behindNat,
                peerFragmentation, peerMidSync, sa.window.peekNextRequestId(), sa.window.expectedPeerRequestId(),
                sa.midSyncUsed, rekeyInFlight.map(IkeSaSnapshot.RekeyInFlight::copy),
                childInFlight.filter(c -> sa.window.outstanding().isPresent()).map(ChildRequestInFlight::copy),
                Optional.ofNullable(peerId));
    }

    /** The keys copied: the snapshot outlives this IKE SA, whose keys are wiped when it closes. */
    private static net.palisade.controlplane.ike.crypto.IkeSaKeys copy(
            net.palisade.controlplane.ike.crypto.IkeSaKeys k) {
        return new net.palisade.controlplane.ike.crypto.IkeSaKeys(k.skD().clone(), k.skAi().clone(),
                k.skAr().clone(), k.skEi().clone(), k.skEr().clone(), k.skPi().clone(), k.skPr().clone());
    }

    /**
     * Makes the IKE SA of {@code s} the current one (a node resuming it): SPIs, role, algorithms and keys, where it
     * runs, and its message IDs as journaled.
     */
    void restore(IkeSaSnapshot s) {
        IkeSuite suite = new IkeSuite(s.encryption(), s.integrity(), s.prf(), s.group());
        sa.spiI = s.spiI();
        sa.spiR = s.spiR();
        sa.initiatorRole = s.initiatorRole();
        sa.suite = suite;
        sa.prf = new net.palisade.controlplane.ike.crypto.Prf(s.prf());
        sa.keys = s.keys();
        peerId = s.peerId().orElse(null);
        net.palisade.controlplane.ike.crypto.SkCipher i2r = new net.palisade.controlplane.ike.crypto.SkCipher(
                s.encryption(), s.integrity(), s.keys().skEi(), s.keys().skAi());
        net.palisade.controlplane.ike.crypto.SkCipher r2i = new net.palisade.controlplane.ike.crypto.SkCipher(
                s.encryption(), s.integrity(), s.keys().skEr(), s.keys().skAr());
        sa.outbound = (s.initiatorRole() ? i2r : r2i).resumed(env.random());
        sa.inbound = s.initiatorRole() ? r2i : i2r;
        sa.window.resumeAt(s.nextRequestId(), s.expectedPeerRequestId());
        local = s.local();
        remote = s.remote();
        udpEncapsulation = s.udpEncapsulation();
        behindNat = s.behindNat();
        peerFragmentation = s.peerFragmentation();
        peerMidSync = s.peerMidSync();
        sa.midSyncUsed = s.midSyncUsed();
        resumedRekey = s.rekey();
        resumedChild = s.child();
        lastInbound = now();
    }

    /**
     * Whether a resumed IKE SA may be synchronised with the peer (RFC 6311) rather than rekeyed. A sync is answered
     * with message ID 0: impossible for a peer that already answered our request 0 under these keys (as the IKE SA's
     * responder our request 0 is encrypted; as its initiator it was IKE_SA_INIT), and a second sync is not made.
     */
    boolean midSyncPossible() {
        return peerMidSync && !sa.midSyncUsed && (sa.initiatorRole || sa.window.peekNextRequestId() == 0);
    }

    /** What re-synchronises a resumed IKE SA's message IDs with the peer: a sync if possible, else a rekey. */
    Request resync() {
        return Request.of(midSyncPossible() ? Request.Kind.MID_SYNC : Request.Kind.REKEY_IKE);
    }

    /**
     * A key exchange in {@code group} whose private value is drawn from {@code seed} ({@link
     * net.palisade.controlplane.ike.crypto.Randomness#fromSeed}), not the random source directly: a node taking over
     * inside the exchange makes the same one again from the journaled seed. The seed is zeroed.
     */
    net.palisade.controlplane.ike.crypto.KeyExchange seededKeyExchange(net.palisade.model.crypto.DhGroup group,
            byte[] seed) {
        try {
            return env.keyExchange().generate(group,
                    net.palisade.controlplane.ike.crypto.Randomness.fromSeed(seed));
        } finally {
            java.util.Arrays.fill(seed, (byte) 0);
        }
    }

    Instant now() {
        return env.clock().instant();
    }

    IkeSaId id() {
        return sa.id();
    }

    /** Counts a dropped input or refused action as {@code ikev2.engine.<counter>}. */
    void drop(String counter) {
        counters.increment("ikev2.engine." + counter);
    }

    /** Counts a notable branch as {@code ikev2.engine.<counter>}. */
    void count(String counter) {
        counters.increment("ikev2.engine." + counter);
    }

    /**
     * Whether {@code from} is this SA's peer, by address (any port: a NAT in front of the peer may move its port).
     * A retransmitted request is answered from the response cache without being opened, so anyone who captured it
     * can replay it; answering only the peer's address keeps that from reflecting our responses onto a third host.
     */
    boolean fromPeer(java.net.InetSocketAddress from) {
        return remote != null && remote.getAddress().equals(from.getAddress());
    }

    void output(IkeOutput o) {
        outputs.add(o);
    }

    /** Sends {@code datagrams} to the peer from our current address. */
    void send(List<byte[]> datagrams) {
        for (byte[] d : datagrams) {
            outputs.add(new IkeOutput.Send(d, local, remote));
        }
    }

    /** Tells the settings' {@link MessageTrace} of a message sent or accepted. */
    void trace(boolean sent, IkeHeader header, List<Payload> payloads) {
        settings.trace().message(tunnel.label(), sent, remote, header, payloads);
    }

    /** Sends an unencrypted message (IKE_SA_INIT). */
    void sendClear(IkeHeader header, List<Payload> payloads) {
        trace(true, header, payloads);
        outputs.add(new IkeOutput.Send(codec.encode(new IkeMessage(header, payloads)), local, remote));
    }

    /**
     * {@code payloads} sealed under {@code header} with the current IKE SA: one SK message, or SKF fragments (RFC
     * 7383) when both peers announced fragmentation and the message exceeds {@link IkeSettings#fragmentPacketLimit()}.
     */
    List<byte[]> protect(IkeHeader header, List<Payload> payloads) {
        trace(true, header, payloads);
        byte[] whole = sa.outbound.seal(codec, header, payloads, env.random());
        int limit = Fragments.messageLimit(settings.fragmentPacketLimit(), remote.getAddress(),
                local.getPort() != 500);
        if (!peerFragmentation || whole.length <= limit) {
            return List.of(whole);
        }
        if (sa.outbound.fragmentCapacity(limit) < 1) {
            // a limit this small leaves no room once this suite's IV and ICV are in: send it whole
            drop("fragment_limit_too_small");
            return List.of(whole);
        }
        List<byte[]> fragments = Fragments.split(sa.outbound, codec, header, payloads, limit, env.random());
        counters.increment("ikev2.engine.fragmented");
        for (int i = 0; i < fragments.size(); i++) {
            counters.increment("ikev2.fragment.sent");
        }
        return fragments;
    }

    /**
     * Sends our request {@code payloads} in a new {@code exchange} of the current IKE SA and waits for its answer. On
     * an established IKE SA its state goes to the journal first, with the message ID counted as used, and the driver
     * holds the request until that state is durable ({@link IkeOutput.IkeSaState#beforeRequest}): a node that
     * resumes the IKE SA after a takeover must know every message ID of ours the peer may have answered — to rekey
     * with the next one, and because a peer that answered our request 0 cannot answer a message ID sync, which is
     * message ID 0 again (strongSwan derives its AES-GCM IV from the message ID and refuses a second one). Written
     * after the request, the state lost that race when the node died within the journal's round trip of the send.
     */
    void request(ExchangeType exchange, List<Payload> payloads, Request purpose) {
        long id = sa.window.nextRequestId();
        transmit(id, exchange, protect(IkeHeader.request(sa.spiI, sa.spiR, exchange, id, sa.initiatorRole),
                payloads), purpose);
    }

    /**
     * Sends our request {@code d} (protected, message ID {@code id}) and waits for its answer; an IKE SA rekey's
     * journaled state carries the datagrams ({@link IkeSaSnapshot.RekeyInFlight#request}).
     */
    void transmit(long id, ExchangeType exchange, List<byte[]> d, Request purpose) {
        sa.window.sent(id, d, new IkeSa.Sent(exchange, purpose), now());
        if (purpose.kind() == Request.Kind.REKEY_IKE) {
            rekeyInFlight = rekeyInFlight.map(r -> r.sentAs(d));
        }
        Optional<ChildRequestInFlight> child = switch (purpose.kind()) {
            case REKEY_CHILD -> childInFlight.map(c -> c.sentAs(d));
            case DELETE_CHILD, DELETE_EXPIRED -> Optional.of(ChildRequestInFlight.delete(purpose.child().spiIn,
                    purpose.child().spiOut, d));
            default -> Optional.empty();
        };
        childInFlight.ifPresent(ChildRequestInFlight::wipe);
        childInFlight = child;
        if (settings.takeoverState() && exchange != ExchangeType.Known.IKE_AUTH && sa.keys != null) {
            output(new IkeOutput.IkeSaState(snapshot(), true));
        }
        send(d);
    }

    /** Our request in flight on the current IKE SA, if any. */
    Optional<Request> inFlight() {
        return sa.window.outstanding().map(o -> o.purpose().request());
    }

    /** True if our request in flight is of {@code kind}. */
    boolean inFlight(Request.Kind kind) {
        return inFlight().filter(r -> r.kind() == kind).isPresent();
    }

    long nonZeroSpi() {
        return env.random().nonZeroLong();
    }

    long nonZeroChildSpi() {
        return env.childSpi();
    }

    byte[] nonce() {
        return env.random().bytes(NONCE_BYTES);
    }

    /** Reports a failed Child SA (or rekey) procedure; the IKE SA stays. */
    void childFailed(FailureReason reason, String detail) {
        counters.increment("ikev2.engine.child_failed." + reason.name().toLowerCase(Locale.ROOT));
        outputs.add(new IkeOutput.NegotiationFailed(reason, detail));
    }

    /** The first error notify of {@code m}, if any. */
    static Optional<NotifyPayload> error(IkeMessage m) {
        return m.notifies().stream().filter(NotifyPayload::isError).findFirst();
    }

    static FailureReason reasonOf(NotifyPayload n) {
        if (n.notifyType() == NotifyType.Known.NO_PROPOSAL_CHOSEN) {
            return FailureReason.NO_PROPOSAL_CHOSEN;
        }
        if (n.notifyType() == NotifyType.Known.TS_UNACCEPTABLE) {
            return FailureReason.TS_UNACCEPTABLE;
        }
        if (n.notifyType() == NotifyType.Known.AUTHENTICATION_FAILED) {
            return FailureReason.AUTHENTICATION_FAILED;
        }
        if (n.notifyType() == NotifyType.Known.INVALID_KE_PAYLOAD) {
            return FailureReason.INVALID_KE_PAYLOAD;
        }
        return FailureReason.PROTOCOL_ERROR;
    }

    /** A pause before trying a deferred rekey again: 2 to 5 seconds (TEMPORARY_FAILURE must not be retried at once). */
    Duration retryPause() {
        return Duration.ofMillis(2000 + (env.random().nextLong() & 0x7fffffffL) % 3000);
    }

    /** How long an old IKE SA (or a rekey collision) waits for the peer: the peer's retransmissions, and 5 s. */
    Duration forgetAfter() {
        return settings.retransmit().stream().reduce(Duration.ZERO, Duration::plus).plusSeconds(5);
    }

    /** Rekey at 80 to 90 % of {@code lifetime} (jitter keeps two peers from colliding), expire at 100 %. */
    Instant softDeadline(Instant from, Duration lifetime) {
        long ms = lifetime.toMillis();
        long jitter = (env.random().nextLong() & 0x7fffffffL) % Math.max(1, ms / 10);
        return from.plus(Duration.ofMillis(ms * 8 / 10 + jitter));
    }

    /** The earlier of two instants; {@code a} may be null (none yet). */
    static Instant earliest(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    /** Index (0..3) of the lowest of four nonces, compared as unsigned big-endian numbers (section 2.8.1). */
    static int lowest(byte[]... nonces) {
        // min keeps the first of equal elements
        return java.util.stream.IntStream.range(0, nonces.length).boxed()
                .min(java.util.Comparator.comparing((Integer i) -> new java.math.BigInteger(1, nonces[i])))
                .orElseThrow();
    }
}
