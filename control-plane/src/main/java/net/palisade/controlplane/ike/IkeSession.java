package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.controlplane.ike.auth.CertificateAuth;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.controlplane.ike.auth.Credentials;
import net.palisade.controlplane.ike.auth.Outcome;
import net.palisade.controlplane.ike.auth.SignatureAuth;
import net.palisade.controlplane.ike.crypto.IkeKdf;
import net.palisade.controlplane.ike.crypto.IkeSaKeys;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.AuthMethod;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.CertPayload;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.DeletePayload;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.ProtocolId;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.SkfPayload;
import net.palisade.model.wire.ikev2.TrafficSelector;
import net.palisade.model.wire.ikev2.Transform;
import net.palisade.model.wire.ikev2.TsPayload;

/**
 * One IKE SA's protocol engine (RFC 7296): IKE_SA_INIT (with INVALID_KE_PAYLOAD both ways, no downgrade, and NAT
 * detection), IKE_AUTH with a pre-shared key and the first Child SA, Child SA rekeying with CREATE_CHILD_SA (with or
 * without PFS) and the delete of the old pair, INFORMATIONAL liveness checks (on demand, or every {@code dpd} of
 * silence) and Delete. A state machine over {@link IkeState}: every input gives a
 * {@link Step} (the new state and the outputs); every state change goes through {@link #transition}. The clock,
 * randomness and key exchange come from {@link IkeEnvironment}, so two sessions can talk in memory.
 *
 * <p>Reliability (section 2.1 and 2.3): a window of one request each way; our request is retransmitted after 1, 2,
 * 4, 8 and 16 seconds and given up (TIMEOUT) after the fifth (or as {@link IkeSettings#retransmit} says); a
 * retransmitted peer request is answered from the cached response and never processed twice. Every dropped input increments a named counter ({@link #counters()}).
 *
 * <p>Cookies (section 2.6): an IKE_SA_INIT response carrying N(COOKIE) makes the initiator send the same request
 * again with the cookie first, at most {@link #MAX_COOKIE_ROUNDS} times (the responder's side is in
 * {@link IkeManager}, which answers statelessly with {@link Cookies}). Fragmentation (RFC 7383): once both peers
 * announced IKEV2_FRAGMENTATION_SUPPORTED, an IKE_AUTH or later message larger than
 * {@link IkeSettings#fragmentPacketLimit()} goes out as SKF fragments ({@link Fragments}); a retransmission resends
 * every fragment, the cached response holds every fragment, and only fragment 1 of a retransmitted request makes us
 * resend it (section 2.6.1).
 *
 * <p>NAT traversal (section 2.23, RFC 3948): the NAT_DETECTION notifies of IKE_SA_INIT decide. No NAT: IKE stays on
 * port 500 and the Child SAs are plain ESP. A NAT on either side (or a peer that fakes its hash to force
 * encapsulation): IKE moves to port 4500 from IKE_AUTH on and the Child SAs are ESP-in-UDP. The tunnel's
 * {@code encap} (or {@link IkeSettings#forceUdpEncapsulation()}) makes us fake our source hash, forcing
 * encapsulation on both sides. When our own address is translated, a NAT-T keepalive
 * ({@link IkeOutput.Send#natKeepalive}) goes out after every {@link IkeSettings#natKeepalive()} in which we sent
 * nothing.
 *
 * <p>Authentication: the tunnel's pre-shared key, or its certificates ({@code cert ... key ... ca ...}): CERT,
 * CERTREQ and RFC 7427 signatures, with the checks of {@code ike.auth.CertificateAuth}. Certificate files are loaded
 * (and cached) when the session is created; if they cannot be used, the session fails on Start or on the first
 * IKE_SA_INIT request, with AUTHENTICATION_FAILED naming the file.
 *
 * <p>Not thread-safe: one driver feeds one session.
 */
public final class IkeSession {
    /** Retransmission timeouts, one per transmission; after the last one expires the exchange fails. */
    static final List<Duration> RETRANSMIT = IkeSettings.STANDARD_RETRANSMIT;
    /** How long a responder waits for IKE_AUTH after answering IKE_SA_INIT. */
    static final Duration HALF_OPEN = Duration.ofSeconds(30);
    private static final int NONCE_BYTES = 32;
    /** How many times an initiator answers N(COOKIE) before it gives up (RFC 7296 section 2.6). */
    static final int MAX_COOKIE_ROUNDS = 3;

    private final IkeTunnel tunnel;
    private final boolean originalInitiator;
    /** Our role in the current IKE SA: after an IKE SA rekey, whoever started the rekey is its initiator. */
    private boolean initiatorRole;
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private final IkeSettings settings;
    private boolean udpEncapsulation;
    /** Our NAT_DETECTION_DESTINATION_IP hash did not match: a NAT translates our address, keepalives are due. */
    private boolean behindNat;
    /** When we last sent anything (IKE or keepalive) toward the peer: keepalives fill silences only. */
    private Instant lastSent;
    private final IkeEnvironment env;
    private final Ikev2Codec codec;
    private final IkeCounters counters = new IkeCounters();

    private IkeState state = IkeState.IDLE;
    private String closeDetail = "deleted by us";
    private long spiI;
    private long spiR;
    private byte[] ni;
    private byte[] nr;
    private KeyExchange keyExchange;
    private boolean invalidKeRetried;
    private IkeSuite suite;
    private Prf prf;
    private IkeSaKeys keys;
    private SkCipher outbound;
    private SkCipher inbound;
    private byte[] initRequest;
    private byte[] initResponse;
    private long childSpiIn;
    private final List<Child> children = new ArrayList<>();
    private Rekey rekey;
    private AnsweredRekey answeredRekey;
    private IkeRekey ikeRekey;
    private NewSa answeredIkeRekey;
    private NewSa switchAfterResponse;
    private Instant ikeRekeyAt;
    private Instant ikeExpireAt;
    /** Earlier IKE SAs of this session (rekeyed, or redundant after a collision) until they are deleted. */
    private final List<OldSa> oldSas = new ArrayList<>();
    private List<TrafficSelector> offeredTsi = List.of();
    private List<TrafficSelector> offeredTsr = List.of();
    /** Certificate authentication, if configured and its files loaded. */
    private final CertificateAuth certAuth;
    /** Why the configured certificate files cannot be used, if they cannot. */
    private final String credentialError;
    /** The hashes of the peer's SIGNATURE_HASH_ALGORITHMS notify (RFC 7427); empty if it sent none. */
    private List<HashAlgorithm> peerHashes = List.of();

    private long nextRequestId;
    private Pending pending;
    private final Deque<Queued> queued = new ArrayDeque<>();
    private long expectedPeerRequestId;
    private byte[] cachedRequest;
    private List<byte[]> cachedResponse;
    private Instant halfOpenDeadline;
    private Instant lastInbound;
    private Instant timerSet;
    private DecodeResult.ProtectedError<List<Payload>> protectedError;
    private byte[] cookie;
    private int cookieRounds;
    private boolean peerFragmentation;
    private Fragments.Reassembler reassembler;
    private byte[] openedFrom;
    /** Whether our IKE_AUTH request carries N(INITIAL_CONTACT) (initiator), or the peer's carried it (responder). */
    private boolean initialContact;

    private List<IkeOutput> outputs = new ArrayList<>();

    private IkeSession(IkeTunnel tunnel, boolean originalInitiator, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.tunnel = Objects.requireNonNull(tunnel, "tunnel");
        this.originalInitiator = originalInitiator;
        this.initiatorRole = originalInitiator;
        this.local = Objects.requireNonNull(local, "local");
        this.remote = Objects.requireNonNull(remote, "remote");
        this.env = Objects.requireNonNull(env, "env");
        this.codec = env.codec();
        CertificateAuth loaded = null;
        String error = null;
        if (tunnel.authentication() instanceof IkeAuth.Certificates files) {
            try {
                loaded = new CertificateAuth(Credentials.cached(files));
            } catch (CredentialException e) {
                error = e.getMessage();
            }
        }
        this.certAuth = loaded;
        this.credentialError = error;
    }

    /** A session that initiates to {@code remote} on {@link IkeInput.Start}. */
    public static IkeSession initiator(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env) {
        return initiator(tunnel, local, remote, env, IkeSettings.DEFAULT);
    }

    /** A session that initiates to {@code remote} on {@link IkeInput.Start}, with {@code settings}. */
    public static IkeSession initiator(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new IkeSession(tunnel, true, local, remote, env, settings);
    }

    /** A session that answers an IKE_SA_INIT request from {@code remote}. */
    public static IkeSession responder(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env) {
        return responder(tunnel, local, remote, env, IkeSettings.DEFAULT);
    }

    /** A session that answers an IKE_SA_INIT request from {@code remote}, with {@code settings}. */
    public static IkeSession responder(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new IkeSession(tunnel, false, local, remote, env, settings);
    }

    /**
     * The result of one input.
     *
     * @param state   the state after the input
     * @param outputs what to do and report, in order
     */
    public record Step(IkeState state, List<IkeOutput> outputs) {
        /** Copies the list. */
        public Step {
            outputs = List.copyOf(outputs);
        }
    }

    /** Handles one input. */
    public Step handle(IkeInput input) {
        outputs = new ArrayList<>();
        switch (input) {
            case IkeInput.Start s -> start();
            case IkeInput.Received r -> received(r);
            case IkeInput.Tick t -> tick();
            case IkeInput.CheckLiveness c -> localRequest(LocalRequest.LIVENESS, null);
            case IkeInput.Close c -> localRequest(LocalRequest.DELETE, null);
            case IkeInput.InboundTraffic t -> lastInbound = now();
            case IkeInput.RekeyChild r -> {
                Optional<Child> newest = children.reversed().stream().filter(c -> !c.busy).findFirst();
                if (newest.isEmpty()) {
                    drop("rekey_without_child");
                } else {
                    newest.get().busy = true;
                    localRequest(LocalRequest.REKEY_CHILD, newest.get());
                }
            }
            case IkeInput.RekeyIke r -> {
                if (state != IkeState.ESTABLISHED || ikeRekey != null || queuedKind(LocalRequest.REKEY_IKE)) {
                    drop("rekey_ike_ignored");
                } else {
                    localRequest(LocalRequest.REKEY_IKE, null);
                }
            }
        }
        if (outputs.stream().anyMatch(o -> o instanceof IkeOutput.Send)) {
            lastSent = now();
        }
        Instant next = nextDeadline();
        if (next != null && !next.equals(timerSet)) {
            outputs.add(new IkeOutput.SetTimer(next));
        }
        timerSet = next;
        return new Step(state, outputs);
    }

    /** The current state. */
    public IkeState state() {
        return state;
    }

    /** The SPI pair (responder SPI 0 until known). */
    public IkeSaId id() {
        return new IkeSaId(spiI, spiR);
    }

    /**
     * The initiator SPIs of this session's IKE SAs: the current one, and earlier ones still being deleted after a
     * rekey. The driver routes messages with any of them here.
     */
    public java.util.Set<Long> initiatorSpis() {
        java.util.Set<Long> out = new java.util.LinkedHashSet<>();
        if (state != IkeState.CLOSED || spiI != 0) {
            out.add(spiI);
        }
        oldSas.forEach(o -> out.add(o.spiI));
        return out;
    }

    /** The negotiated IKE algorithms, once IKE_SA_INIT completed. */
    public Optional<IkeSuite> suite() {
        return Optional.ofNullable(suite);
    }

    /** This session's counters. */
    public IkeCounters counters() {
        return counters;
    }

    /** The cipher protecting what we send, once IKE_SA_INIT completed (for tests in this package). */
    SkCipher outboundCipher() {
        return outbound;
    }

    /** True if this side initiated the IKE SA. */
    public boolean originalInitiator() {
        return originalInitiator;
    }

    /**
     * Makes an initiator's IKE_AUTH request carry N(INITIAL_CONTACT) (RFC 7296 section 3.10.1: we hold no other IKE
     * SA with the peer, so it may delete any it still has with us). Call before {@link IkeInput.Start}.
     */
    public void sendInitialContact() {
        if (!originalInitiator) {
            throw new IllegalStateException("only the initiator sends INITIAL_CONTACT");
        }
        initialContact = true;
    }

    /**
     * True if the IKE_AUTH request that set up this IKE SA carried N(INITIAL_CONTACT): ours (as initiator, after
     * {@link #sendInitialContact()}), or the peer's (as responder, once that request was accepted).
     */
    public boolean initialContact() {
        return initialContact;
    }

    // ------------------------------------------------------------------------------------------------ transitions

    private void transition(IkeState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("IKE SA " + id() + ": " + state + " -> " + next + " is not allowed");
        }
        state = next;
        if (next == IkeState.CLOSED) {
            pending = null;
            queued.clear();
            halfOpenDeadline = null;
            if (keys != null) {
                keys.wipe();
            }
        }
    }

    private void fail(FailureReason reason, String detail) {
        counters.increment("ikev2.engine.failed." + reason.name().toLowerCase(java.util.Locale.ROOT));
        outputs.add(new IkeOutput.NegotiationFailed(reason, detail));
        transition(IkeState.CLOSED);
    }

    private void drop(String counter) {
        counters.increment("ikev2.engine." + counter);
    }

    private Instant now() {
        return env.clock().instant();
    }

    // ------------------------------------------------------------------------------------------ IKE_SA_INIT, out

    private void start() {
        if (!originalInitiator || state != IkeState.IDLE) {
            drop("start_ignored");
            return;
        }
        if (credentialError != null) {
            fail(FailureReason.AUTHENTICATION_FAILED, "cannot use our certificate: " + credentialError);
            return;
        }
        spiI = nonZeroSpi();
        ni = env.random().bytes(NONCE_BYTES);
        sendInitRequest(tunnel.ikeSa().groups().getFirst());
        transition(IkeState.SETUP_LOCAL_INIT);
    }

    private void sendInitRequest(DhGroup group) {
        keyExchange = env.keyExchange().generate(group, env.random());
        sendInitRequest();
    }

    /** IKE_SA_INIT with our SPI, nonce and key exchange; N(COOKIE) first once the responder demanded one. */
    private void sendInitRequest() {
        List<Payload> p = new ArrayList<>();
        if (cookie != null) {
            p.add(NotifyPayload.of(NotifyType.Known.COOKIE, Octets.of(cookie)));
        }
        p.add(new SaPayload(ProposalPolicy.ikeOffer(tunnel.ikeSa())));
        p.add(KePayload.of(keyExchange.group(), Octets.of(keyExchange.publicValue())));
        p.add(new NoncePayload(Octets.of(ni)));
        p.addAll(natNotifies(0));
        p.add(NotifyPayload.of(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED));
        if (tunnel.authentication() instanceof IkeAuth.Certificates) {
            p.add(SignatureAuth.hashNotify());
        }
        initRequest = codec.encode(new IkeMessage(
                IkeHeader.request(spiI, 0, ExchangeType.Known.IKE_SA_INIT, 0, true), p));
        nextRequestId = 1;
        sendRequest(0, ExchangeType.Known.IKE_SA_INIT, List.of(initRequest), LocalRequest.SETUP);
    }

    private void initResponse(IkeMessage m, byte[] datagram) {
        if (state != IkeState.SETUP_LOCAL_INIT) {
            drop("unexpected_response");
            return;
        }
        Optional<NotifyPayload> demanded = m.notify(NotifyType.Known.COOKIE);
        if (demanded.isPresent()) {
            // RFC 7296 section 2.6: the same request again (SPI, nonce, KE), with the cookie as its first payload
            if (cookieRounds >= MAX_COOKIE_ROUNDS) {
                fail(FailureReason.PROTOCOL_ERROR, "the responder demanded a cookie " + (cookieRounds + 1)
                        + " times");
                return;
            }
            cookieRounds++;
            cookie = demanded.get().data().toByteArray();
            counters.increment("ikev2.engine.cookie_retry");
            sendInitRequest();
            return;
        }
        Optional<NotifyPayload> invalidKe = m.notify(NotifyType.Known.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent()) {
            int wanted = invalidKe.get().acceptedGroup().orElse(-1);
            Optional<DhGroup> g = DhGroup.fromIkev2(wanted).filter(tunnel.ikeSa().groups()::contains)
                    .filter(x -> x != keyExchange.group());
            if (invalidKeRetried || g.isEmpty()) {
                fail(FailureReason.INVALID_KE_PAYLOAD, "peer wants group " + wanted
                        + (invalidKeRetried ? " after a retry" : ", which we do not offer"));
                return;
            }
            invalidKeRetried = true;
            counters.increment("ikev2.engine.invalid_ke_retry");
            sendInitRequest(g.get());
            return;
        }
        Optional<NotifyPayload> error = m.notifies().stream().filter(NotifyPayload::isError).findFirst();
        if (error.isPresent()) {
            failOnNotify(error.get());
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || m.header().responderSpi() == 0) {
            drop("missing_payload");
            return;
        }
        Optional<IkeSuite> chosen = ProposalPolicy.checkIkeAnswer(sa.get().proposals(), tunnel.ikeSa(),
                keyExchange.group());
        if (chosen.isEmpty() || ke.get().group() != keyExchange.group().ikev2Id()) {
            fail(FailureReason.NO_PROPOSAL_CHOSEN, "the responder chose a proposal we did not offer");
            return;
        }
        spiR = m.header().responderSpi();
        nr = nonce.get().nonce().toByteArray();
        initResponse = datagram;
        peerHashes = peerHashes(m);
        if (!deriveIkeKeys(chosen.get(), ke.get())) {
            return;
        }
        natDetection(m);
        peerFragmentation = m.notify(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED).isPresent();
        floatTo4500();
        sendAuthRequest();
        transition(IkeState.SETUP_LOCAL_AUTH);
    }

    private boolean deriveIkeKeys(IkeSuite chosen, KePayload peerKe) {
        byte[] shared;
        try {
            shared = keyExchange.sharedSecret(peerKe.data().toByteArray());
        } catch (KeyExchange.KeyExchangeException e) {
            fail(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
            return false;
        }
        suite = chosen;
        prf = new Prf(chosen.prf());
        byte[] skeyseed = IkeKdf.skeyseed(prf, ni, nr, shared);
        keys = IkeKdf.ikeSaKeys(prf, chosen.encryption(), chosen.integrity(), skeyseed, ni, nr, spiI, spiR);
        Arrays.fill(shared, (byte) 0);
        Arrays.fill(skeyseed, (byte) 0);
        SkCipher i2r = new SkCipher(chosen.encryption(), chosen.integrity(), keys.skEi(), keys.skAi());
        SkCipher r2i = new SkCipher(chosen.encryption(), chosen.integrity(), keys.skEr(), keys.skAr());
        outbound = initiatorRole ? i2r : r2i;
        inbound = initiatorRole ? r2i : i2r;
        return true;
    }

    /**
     * Encapsulation forced (RFC 3948 ESP-in-UDP and IKE on port 4500 whether or not there is a NAT): by the tunnel's
     * {@code encap}, or for every tunnel by {@link IkeSettings#forceUdpEncapsulation()}.
     */
    private boolean forcedEncapsulation() {
        return tunnel.encap() || settings.forceUdpEncapsulation();
    }

    /** Our NAT-D notifies; with forced encapsulation the source hash is random, so the peer sees a NAT. */
    private List<NotifyPayload> natNotifies(long r) {
        NotifyPayload[] n = NatDetection.notifies(spiI, r, local, remote);
        if (forcedEncapsulation()) {
            n[0] = NotifyPayload.of(NotifyType.Known.NAT_DETECTION_SOURCE_IP, Octets.of(env.random().bytes(20)));
        }
        return List.of(n);
    }

    /** Moves IKE to port 4500 (RFC 7296 section 2.23) when encapsulating. */
    private void floatTo4500() {
        if (udpEncapsulation && remote.getPort() == 500) {
            remote = new InetSocketAddress(remote.getAddress(), 4500);
            local = new InetSocketAddress(local.getAddress(), local.getPort() == 500 ? 4500 : local.getPort());
        }
    }

    /**
     * RFC 7296 section 2.23 on the peer's IKE_SA_INIT message: its source hash against the address it came from
     * (a mismatch: the peer is behind a NAT, or forces encapsulation), its destination hash against our address (a
     * mismatch: we are behind a NAT, and keep its mapping alive). Either one, or our own forcing, means ESP-in-UDP.
     */
    private void natDetection(IkeMessage m) {
        udpEncapsulation = forcedEncapsulation();
        behindNat = false;
        Optional<NotifyPayload> src = m.notify(NotifyType.Known.NAT_DETECTION_SOURCE_IP);
        Optional<NotifyPayload> dst = m.notify(NotifyType.Known.NAT_DETECTION_DESTINATION_IP);
        if (src.isEmpty() || dst.isEmpty()) {
            return;
        }
        long r = m.header().response() ? spiR : 0;
        boolean remoteNat = !src.get().data().equals(NatDetection.hash(spiI, r, remote));
        boolean localNat = !dst.get().data().equals(NatDetection.hash(spiI, r, local));
        behindNat = localNat;
        if (remoteNat || localNat) {
            udpEncapsulation = true;
            counters.increment("ikev2.engine.nat_detected");
            outputs.add(new IkeOutput.NatDetected(localNat, remoteNat));
        }
    }

    // ------------------------------------------------------------------------------------------- IKE_SA_INIT, in

    private void initRequest(IkeMessage m, byte[] datagram) {
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || m.header().responderSpi() != 0
                || m.header().messageId() != 0) {
            drop("missing_payload");
            return;
        }
        IkeHeader h = m.header();
        if (credentialError != null) {
            spiI = h.initiatorSpi();
            fail(FailureReason.AUTHENTICATION_FAILED, "cannot use our certificate: " + credentialError);
            return;
        }
        Optional<ProposalPolicy.IkeChoice> choice = ProposalPolicy.chooseIke(sa.get().proposals(), tunnel.ikeSa());
        if (choice.isEmpty()) {
            sendClear(IkeHeader.response(h.initiatorSpi(), 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                    List.of(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN)));
            spiI = h.initiatorSpi();
            fail(FailureReason.NO_PROPOSAL_CHOSEN, "no IKE proposal of the initiator is acceptable");
            return;
        }
        Optional<DhGroup> theirs = ke.get().dhGroup().filter(choice.get().groups()::contains);
        if (theirs.isEmpty()) {
            DhGroup preferred = tunnel.ikeSa().groups().stream().filter(choice.get().groups()::contains)
                    .findFirst().orElseThrow();
            counters.increment("ikev2.engine.invalid_ke_sent");
            sendClear(IkeHeader.response(h.initiatorSpi(), 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                    List.of(NotifyPayload.invalidKe(preferred)));
            return;
        }
        IkeSuite s = choice.get().suite();
        IkeSuite chosen = new IkeSuite(s.encryption(), s.integrity(), s.prf(), theirs.get());
        spiI = h.initiatorSpi();
        spiR = nonZeroSpi();
        ni = nonce.get().nonce().toByteArray();
        nr = env.random().bytes(NONCE_BYTES);
        keyExchange = env.keyExchange().generate(chosen.group(), env.random());
        if (!deriveIkeKeys(chosen, ke.get())) {
            return;
        }
        natDetection(m);
        peerFragmentation = m.notify(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED).isPresent();
        List<Payload> p = new ArrayList<>();
        p.add(SaPayload.of(ProposalPolicy.ikeResponse(choice.get().selected().number(), chosen)));
        p.add(KePayload.of(chosen.group(), Octets.of(keyExchange.publicValue())));
        p.add(new NoncePayload(Octets.of(nr)));
        p.addAll(natNotifies(spiR));
        p.add(NotifyPayload.of(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED));
        if (certAuth != null) {
            p.add(SignatureAuth.hashNotify());
            p.add(certAuth.certRequest());
        }
        peerHashes = peerHashes(m);
        initRequest = datagram;
        initResponse = codec.encode(new IkeMessage(
                IkeHeader.response(spiI, spiR, ExchangeType.Known.IKE_SA_INIT, 0, false), p));
        cacheAndSend(datagram, List.of(initResponse));
        expectedPeerRequestId = 1;
        nextRequestId = 0;
        halfOpenDeadline = now().plus(HALF_OPEN);
        transition(IkeState.SETUP_REMOTE_INIT);
    }

    // ---------------------------------------------------------------------------------------------- IKE_AUTH, out

    private void sendAuthRequest() {
        IkeTunnel t = tunnel;
        IdPayload idi = ourId(true);
        childSpiIn = nonZeroChildSpi();
        IpFamily family = IpAddresses.family(remote.getAddress());
        offeredTsi = SelectorPolicy.of(t.from(), family);
        offeredTsr = SelectorPolicy.of(t.to(), family);
        List<Payload> p = new ArrayList<>();
        p.add(idi);
        if (certAuth != null) {
            p.addAll(certAuth.certificates());
            p.add(certAuth.certRequest());
        }
        if (initialContact) {
            p.add(NotifyPayload.of(NotifyType.Known.INITIAL_CONTACT));
        }
        t.dstId().ifPresent(d -> p.add(Identities.payload(false, t.dstId(), remote.getAddress())));
        p.add(auth(true, idi));
        p.add(new SaPayload(ProposalPolicy.espOffer(t.childSa(), childSpiIn)));
        p.add(new TsPayload(true, offeredTsi));
        p.add(new TsPayload(false, offeredTsr));
        long id = nextRequestId++;
        List<byte[]> d = protect(IkeHeader.request(spiI, spiR, ExchangeType.Known.IKE_AUTH, id, true), p);
        sendRequest(id, ExchangeType.Known.IKE_AUTH, d, LocalRequest.SETUP);
    }

    /**
     * Our identity: {@code srcid}; without it, our certificate's subject (certificates) or our address (PSK). A
     * {@code srcid} naming our certificate's subject is sent in the certificate's own encoding.
     */
    private IdPayload ourId(boolean initiator) {
        IdPayload configured = Identities.payload(initiator, tunnel.srcId(), local.getAddress());
        if (certAuth == null) {
            return configured;
        }
        IdPayload subject = Identities.dn(initiator, certAuth.credentials().subject());
        return tunnel.srcId().isEmpty() || Identities.sameDn(configured, subject) ? subject : configured;
    }

    /** The hash algorithms of the peer's SIGNATURE_HASH_ALGORITHMS notify in {@code m}, if any. */
    private static List<HashAlgorithm> peerHashes(IkeMessage m) {
        return m.notify(NotifyType.Known.SIGNATURE_HASH_ALGORITHMS).flatMap(NotifyPayload::hashAlgorithms)
                .orElse(List.of());
    }

    /**
     * The octets an AUTH payload covers (section 2.15): the initiator's are its IKE_SA_INIT request and Nr, the
     * responder's its response and Ni, each followed by prf(SK_p, ID').
     */
    private byte[] signedOctets(boolean initiatorSide, IdPayload id) {
        byte[] firstMessage = initiatorSide ? initRequest : initResponse;
        byte[] peerNonce = initiatorSide ? nr : ni;
        byte[] skP = initiatorSide ? keys.skPi() : keys.skPr();
        return IkeKdf.signedOctets(prf, firstMessage, peerNonce, skP, id.authBody().toByteArray());
    }

    /** Our AUTH payload: a signature with our certificate's key, or the PSK MAC. */
    private AuthPayload auth(boolean initiatorSide, IdPayload id) {
        byte[] octets = signedOctets(initiatorSide, id);
        if (certAuth != null) {
            return certAuth.sign(octets, peerHashes);
        }
        return new AuthPayload(AuthMethod.Known.SHARED_KEY_MIC, Octets.of(pskMac(octets)));
    }

    private byte[] pskMac(byte[] octets) {
        byte[] psk = ((IkeAuth.Psk) tunnel.authentication()).psk().revealBytes();
        try {
            return IkeKdf.pskAuth(prf, psk, octets);
        } finally {
            Arrays.fill(psk, (byte) 0);
        }
    }

    /**
     * Checks the peer's identity and AUTH payload in {@code m}: with a PSK, the identity is {@code dstid} (or the
     * peer's address) and the MAC verifies; with certificates, the certificate chains to our CA at our clock, the
     * identity is in it and equals {@code dstid} if configured, and the signature verifies.
     *
     * @return empty if the peer is authenticated, else which check failed
     */
    private Optional<String> verifyAuth(boolean initiatorSide, IdPayload id, IkeMessage m) {
        Optional<AuthPayload> received = m.first(AuthPayload.class);
        if (certAuth == null) {
            if (!Identities.matches(id, tunnel.dstId(), remote.getAddress())) {
                return Optional.of("the peer's identity is not the one configured");
            }
            if (received.isEmpty() || received.get().method() != AuthMethod.Known.SHARED_KEY_MIC
                    || !MessageDigest.isEqual(pskMac(signedOctets(initiatorSide, id)),
                            received.get().data().toByteArray())) {
                return Optional.of("the peer's AUTH payload does not verify"
                        + received.map(a -> a.method() == AuthMethod.Known.SHARED_KEY_MIC ? ""
                                : " (method " + a.method().name() + ", we use a pre-shared key)").orElse(""));
            }
            return Optional.empty();
        }
        if (tunnel.dstId().isPresent() && !Identities.matches(id, tunnel.dstId(), remote.getAddress())) {
            return Optional.of("the peer's identity " + net.palisade.controlplane.ike.auth.PeerCertificates.describe(id)
                    + " is not the configured dstid " + tunnel.dstId().get().value());
        }
        Outcome<?> peer = certAuth.verifyPeer(m.all(CertPayload.class), id, received,
                signedOctets(initiatorSide, id), now());
        return peer instanceof Outcome.Failed<?> f ? Optional.of(f.detail()) : Optional.empty();
    }

    private void authResponse(IkeMessage m) {
        if (state != IkeState.SETUP_LOCAL_AUTH) {
            drop("unexpected_response");
            return;
        }
        if (m.notify(NotifyType.Known.AUTHENTICATION_FAILED).isPresent()) {
            fail(FailureReason.AUTHENTICATION_FAILED, "the peer refused our authentication");
            return;
        }
        Optional<IdPayload> idr = m.all(IdPayload.class).stream().filter(i -> !i.initiator()).findFirst();
        if (idr.isEmpty()) {
            Optional<NotifyPayload> error = m.notifies().stream().filter(NotifyPayload::isError).findFirst();
            if (error.isPresent()) {
                failOnNotify(error.get());
            } else {
                fail(FailureReason.PROTOCOL_ERROR, "IKE_AUTH response without IDr");
            }
            return;
        }
        Optional<String> authProblem = verifyAuth(false, idr.get(), m);
        if (authProblem.isPresent()) {
            // RFC 7296 section 2.21.2: tell the responder in a new INFORMATIONAL exchange, sent once
            for (byte[] d : protect(IkeHeader.request(spiI, spiR, ExchangeType.Known.INFORMATIONAL,
                    nextRequestId++, true), List.of(NotifyPayload.of(NotifyType.Known.AUTHENTICATION_FAILED)))) {
                outputs.add(new IkeOutput.Send(d, local, remote));
            }
            fail(FailureReason.AUTHENTICATION_FAILED, authProblem.get());
            return;
        }
        transition(IkeState.ESTABLISHED);
        phase1Up();
        Optional<NotifyPayload> error = m.notifies().stream().filter(NotifyPayload::isError).findFirst();
        if (error.isPresent()) {
            childFailedByNotify(error.get());
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (sa.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            childFailed(FailureReason.PROTOCOL_ERROR, "IKE_AUTH response without SA, TSi or TSr");
            return;
        }
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.checkEspAnswer(sa.get().proposals(),
                tunnel.childSa(), childSpiIn);
        if (esp.isEmpty()) {
            childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "the responder chose an ESP proposal we did not offer");
            return;
        }
        if (!SelectorPolicy.within(tsi.get().selectors(), offeredTsi)
                || !SelectorPolicy.within(tsr.get().selectors(), offeredTsr)) {
            childFailed(FailureReason.TS_UNACCEPTABLE, "the responder's selectors are wider than ours");
            return;
        }
        outputs.add(installChild(esp.get().suite(), childSpiIn, esp.get().peerSpi(), tsi.get().selectors(),
                tsr.get().selectors(), true, ni, nr, Optional.empty()));
        startQueued();
    }

    private void phase1Up() {
        scheduleIkeLifetime();
        counters.increment("ikev2.engine.established");
        outputs.add(new IkeOutput.Phase1Up(remote, id(), suite.encryption(), suite.integrity(), suite.prf(),
                suite.group()));
    }

    private void childFailedByNotify(NotifyPayload n) {
        FailureReason r = reasonOf(n);
        childFailed(r, "the peer answered " + n.notifyType().name());
    }

    private void childFailed(FailureReason reason, String detail) {
        counters.increment("ikev2.engine.child_failed." + reason.name().toLowerCase(java.util.Locale.ROOT));
        outputs.add(new IkeOutput.NegotiationFailed(reason, detail));
    }

    private static FailureReason reasonOf(NotifyPayload n) {
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

    private void failOnNotify(NotifyPayload n) {
        fail(reasonOf(n), "the peer answered " + n.notifyType().name());
    }

    /**
     * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) with the nonces of the exchange that creates the Child SA:
     * encryption then integrity key from that exchange's initiator to its responder, then the other direction
     * (RFC 7296 section 2.17). Records the Child SA and returns the event.
     *
     * @param exchangeInitiator we initiated the exchange (IKE_AUTH or CREATE_CHILD_SA); TSi is then ours
     */
    private IkeOutput.ChildSaInstalled installChild(ChildSuite child, long spiIn, long spiOut,
            List<TrafficSelector> tsi, List<TrafficSelector> tsr, boolean exchangeInitiator, byte[] nonceI,
            byte[] nonceR, Optional<byte[]> pfs) {
        int e = child.encryption().keyMaterialBytes();
        int a = child.integrity().map(x -> x.keyBytes()).orElse(0);
        byte[] km = IkeKdf.childKeyMaterial(prf, keys.skD(), pfs, nonceI, nonceR, 2 * (e + a));
        pfs.ifPresent(x -> Arrays.fill(x, (byte) 0));
        IkeOutput.ChildKeys i2r = new IkeOutput.ChildKeys(Secret.adopt(Arrays.copyOfRange(km, 0, e)),
                a == 0 ? Optional.empty() : Optional.of(Secret.adopt(Arrays.copyOfRange(km, e, e + a))));
        IkeOutput.ChildKeys r2i = new IkeOutput.ChildKeys(Secret.adopt(Arrays.copyOfRange(km, e + a, 2 * e + a)),
                a == 0 ? Optional.empty() : Optional.of(Secret.adopt(Arrays.copyOfRange(km, 2 * e + a, km.length))));
        Arrays.fill(km, (byte) 0);
        counters.increment("ikev2.engine.child_installed");
        List<TrafficSelector> mine = exchangeInitiator ? tsi : tsr;
        List<TrafficSelector> theirs = exchangeInitiator ? tsr : tsi;
        Instant now = now();
        Duration life = tunnel.childSa().lifetime();
        children.add(new Child(spiIn, spiOut, child, mine, theirs, now, softDeadline(now, life), now.plus(life)));
        return new IkeOutput.ChildSaInstalled(spiIn, spiOut, child.encryption(), child.integrity(),
                exchangeInitiator ? r2i : i2r, exchangeInitiator ? i2r : r2i, mine, theirs, local, remote,
                udpEncapsulation);
    }

    // ----------------------------------------------------------------------------------------------- IKE_AUTH, in

    private List<Payload> authRequest(IkeMessage m) {
        halfOpenDeadline = null;
        Optional<IdPayload> idi = m.all(IdPayload.class).stream().filter(IdPayload::initiator).findFirst();
        Optional<String> authProblem = idi.isEmpty() ? Optional.of("IKE_AUTH request without IDi")
                : verifyAuth(true, idi.get(), m);
        if (authProblem.isPresent()) {
            fail(FailureReason.AUTHENTICATION_FAILED, authProblem.get());
            return List.of(NotifyPayload.of(NotifyType.Known.AUTHENTICATION_FAILED));
        }
        initialContact = m.notify(NotifyType.Known.INITIAL_CONTACT).isPresent();
        transition(IkeState.ESTABLISHED);
        phase1Up();
        IdPayload idr = ourId(false);
        List<Payload> p = new ArrayList<>();
        p.add(idr);
        if (certAuth != null) {
            p.addAll(certAuth.certificates());
        }
        p.add(auth(false, idr));
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (sa.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            childFailed(FailureReason.PROTOCOL_ERROR, "IKE_AUTH request without SA, TSi or TSr");
            p.add(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
            return p;
        }
        long spiIn = nonZeroChildSpi();
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.chooseEsp(sa.get().proposals(), tunnel.childSa(),
                spiIn);
        if (esp.isEmpty()) {
            childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "no ESP proposal of the initiator is acceptable");
            p.add(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
            return p;
        }
        IpFamily family = IpAddresses.family(remote.getAddress());
        List<TrafficSelector> narrowedI = SelectorPolicy.narrow(tsi.get().selectors(),
                SelectorPolicy.of(tunnel.to(), family));
        List<TrafficSelector> narrowedR = SelectorPolicy.narrow(tsr.get().selectors(),
                SelectorPolicy.of(tunnel.from(), family));
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            childFailed(FailureReason.TS_UNACCEPTABLE, "the initiator's selectors are outside our networks");
            p.add(NotifyPayload.of(NotifyType.Known.TS_UNACCEPTABLE));
            return p;
        }
        p.add(SaPayload.of(esp.get().selected()));
        p.add(new TsPayload(true, narrowedI));
        p.add(new TsPayload(false, narrowedR));
        childSpiIn = spiIn;
        outputs.add(installChild(esp.get().suite(), spiIn, esp.get().peerSpi(), narrowedI, narrowedR, false, ni, nr,
                Optional.empty()));
        return p;
    }

    // ------------------------------------------------------------------------------------------------ INFORMATIONAL

    private List<Payload> informationalRequest(IkeMessage m) {
        if (m.notify(NotifyType.Known.AUTHENTICATION_FAILED).isPresent()) {
            counters.increment("ikev2.engine.peer_refused_auth");
            outputs.add(new IkeOutput.Phase1Down(id(), Optional.of(FailureReason.AUTHENTICATION_FAILED),
                    "the peer refused our authentication"));
            transition(IkeState.CLOSED);
            return List.of();
        }
        List<DeletePayload> deletes = m.all(DeletePayload.class);
        if (deletes.stream().anyMatch(d -> d.protocol() == ProtocolId.Known.IKE) && answeredIkeRekey != null) {
            // we answered the peer's IKE SA rekey while ours was in flight, and the peer (which never saw ours)
            // deletes the old SA: its new IKE SA is the one; ours is abandoned
            counters.increment("ikev2.engine.ike_rekey_superseded");
            switchAfterResponse = answeredIkeRekey;
            answeredIkeRekey = null;
            ikeRekey = null;
            pending = null;
            return List.of();
        }
        if (deletes.stream().anyMatch(d -> d.protocol() == ProtocolId.Known.IKE)) {
            counters.increment("ikev2.engine.deleted_by_peer");
            outputs.add(new IkeOutput.Phase1Down(id(), Optional.empty(), "deleted by the peer"));
            transition(IkeState.CLOSED);
            return List.of();
        }
        List<Payload> answer = new ArrayList<>();
        for (DeletePayload d : deletes) {
            if (d.protocol() != ProtocolId.Known.ESP) {
                continue;
            }
            for (long spi : d.spiValues()) {
                Optional<Child> c = children.stream().filter(x -> x.spiOut() == spi).findFirst();
                if (c.isEmpty()) {
                    drop("delete_unknown_child");
                    continue;
                }
                children.remove(c.get());
                counters.increment("ikev2.engine.child_deleted");
                outputs.add(new IkeOutput.ChildSaDeleted(c.get().spiIn(), c.get().spiOut()));
                answer.add(DeletePayload.childSas(ProtocolId.Known.ESP, c.get().spiIn()));
            }
        }
        if (deletes.isEmpty()) {
            counters.increment("ikev2.engine.liveness_answered");
        }
        return answer;
    }

    private void informationalResponse(IkeMessage m) {
        LocalRequest kind = pending.kind();
        Child old = pending.child();
        pending = null;
        if (kind == LocalRequest.DELETE) {
            outputs.add(new IkeOutput.Phase1Down(id(), Optional.empty(), closeDetail));
            transition(IkeState.CLOSED);
            return;
        }
        if (kind == LocalRequest.DELETE_CHILD) {
            if (children.remove(old)) {
                counters.increment("ikev2.engine.child_deleted");
                outputs.add(new IkeOutput.ChildSaDeleted(old.spiIn(), old.spiOut()));
            }
            startQueued();
            return;
        }
        counters.increment("ikev2.engine.peer_alive");
        outputs.add(new IkeOutput.PeerAlive());
        startQueued();
    }

    private void localRequest(LocalRequest kind, Child child) {
        if (state == IkeState.CLOSED || state == IkeState.DELETE_LOCAL_INFO) {
            drop("request_after_close");
            return;
        }
        if (kind == LocalRequest.DELETE && (state != IkeState.ESTABLISHED)) {
            outputs.add(new IkeOutput.Phase1Down(id(), Optional.empty(), "closed before established"));
            transition(IkeState.CLOSED);
            return;
        }
        queued.add(new Queued(kind, child));
        startQueued();
    }

    private boolean queuedKind(LocalRequest kind) {
        return queued.stream().anyMatch(q -> q.kind() == kind)
                || (pending != null && pending.kind() == kind);
    }

    private void startQueued() {
        if (initiatorRole && state == IkeState.ESTABLISHED && pending == null && queued.isEmpty()
                && rekey == null && ikeRekey == null) {
            queueRedundantChildDeletes();
        }
        while (state == IkeState.ESTABLISHED && pending == null && !queued.isEmpty()) {
            Queued q = queued.poll();
            LocalRequest kind = q.kind();
            if (q.child() != null && kind != LocalRequest.DELETE_EXPIRED && !children.contains(q.child())) {
                drop("request_for_gone_child");
                continue;
            }
            if (kind == LocalRequest.REKEY_CHILD) {
                sendRekeyChild(q.child(), tunnel.childSa().pfs()
                        ? Optional.of(tunnel.childSa().groups().getFirst()) : Optional.empty(), false);
                return;
            }
            if (kind == LocalRequest.REKEY_IKE) {
                sendRekeyIke(suite.group(), false);
                return;
            }
            List<Payload> p = switch (kind) {
                case DELETE -> List.of(DeletePayload.ikeSa());
                case DELETE_CHILD, DELETE_EXPIRED -> List.of(DeletePayload.childSas(ProtocolId.Known.ESP,
                        q.child().spiIn()));
                default -> List.of();
            };
            long id = nextRequestId++;
            List<byte[]> d = protect(IkeHeader.request(spiI, spiR, ExchangeType.Known.INFORMATIONAL, id,
                    initiatorRole), p);
            sendRequest(id, ExchangeType.Known.INFORMATIONAL, d, kind, q.child());
            if (kind == LocalRequest.DELETE) {
                transition(IkeState.DELETE_LOCAL_INFO);
            }
            return;
        }
    }

    /**
     * Two Child SAs with the same selectors are redundant: what remains of a rekey collision that one side judged
     * differently (messages were lost, section 2.8.1 could not apply). The current IKE SA's initiator, and only it
     * (so the two sides never delete both), deletes all but the newest, once both are older than the peer's
     * retransmissions: a collision's own deletes must have had their chance first.
     */
    private void queueRedundantChildDeletes() {
        Instant settled = now().minus(forgetAfter());
        java.util.Map<List<List<TrafficSelector>>, Child> newest = new java.util.HashMap<>();
        for (Child c : children) {
            if (c.busy || c.createdAt.isAfter(settled)) {
                continue;
            }
            Child other = newest.putIfAbsent(List.of(c.local(), c.remote()), c);
            if (other != null) {
                Child older = other.expireAt.isBefore(c.expireAt) ? other : c;
                newest.put(List.of(c.local(), c.remote()), older == other ? c : other);
                counters.increment("ikev2.engine.child_redundant");
                older.busy = true;
                queued.add(new Queued(LocalRequest.DELETE_CHILD, older));
            }
        }
    }

    /** When {@link #queueRedundantChildDeletes} may act: two Child SAs share selectors and one is still young. */
    private Optional<Instant> redundancyDue() {
        java.util.Map<List<List<TrafficSelector>>, Child> seen = new java.util.HashMap<>();
        Instant due = null;
        for (Child c : children) {
            Child other = seen.putIfAbsent(List.of(c.local(), c.remote()), c);
            if (other != null) {
                Instant t = (c.createdAt.isAfter(other.createdAt) ? c.createdAt : other.createdAt)
                        .plus(forgetAfter());
                due = due == null ? t : earliest(due, t);
            }
        }
        return Optional.ofNullable(due);
    }

    // --------------------------------------------------------------------------------------- Child SA rekeying

    /** CREATE_CHILD_SA rekeying {@code old} (RFC 7296 section 1.3.3), with PFS when {@code group} is present. */
    private void sendRekeyChild(Child old, Optional<DhGroup> group, boolean retry) {
        long spiIn = nonZeroChildSpi();
        byte[] nonce = env.random().bytes(NONCE_BYTES);
        Optional<KeyExchange> kex = group.map(g -> env.keyExchange().generate(g, env.random()));
        List<Payload> p = new ArrayList<>();
        p.add(NotifyPayload.childSa(NotifyType.Known.REKEY_SA, ProtocolId.Known.ESP, old.spiIn(), Octets.empty()));
        p.add(new SaPayload(ProposalPolicy.espOffer(tunnel.childSa(), spiIn, group.isPresent())));
        p.add(new NoncePayload(Octets.of(nonce)));
        kex.ifPresent(k -> p.add(KePayload.of(k.group(), Octets.of(k.publicValue()))));
        p.add(new TsPayload(true, old.local()));
        p.add(new TsPayload(false, old.remote()));
        rekey = new Rekey(old, spiIn, nonce, kex, retry);
        long id = nextRequestId++;
        List<byte[]> d = protect(IkeHeader.request(spiI, spiR, ExchangeType.Known.CREATE_CHILD_SA, id,
                initiatorRole), p);
        counters.increment("ikev2.engine.child_rekey_sent");
        sendRequest(id, ExchangeType.Known.CREATE_CHILD_SA, d, LocalRequest.REKEY_CHILD, old);
    }

    private void rekeyResponse(IkeMessage m) {
        Rekey r = rekey;
        rekey = null;
        AnsweredRekey collision = answeredRekey != null && answeredRekey.old() == r.old() ? answeredRekey : null;
        answeredRekey = null;
        Optional<NotifyPayload> error = m.notifies().stream().filter(NotifyPayload::isError).findFirst();
        if (error.isPresent() && error.get().notifyType() == NotifyType.Known.INVALID_KE_PAYLOAD && !r.retried()
                && r.keyExchange().isPresent()) {
            // the peer wants another PFS group: retry once, only with one of ours (no downgrade)
            Optional<DhGroup> g = DhGroup.fromIkev2(error.get().acceptedGroup().orElse(-1))
                    .filter(tunnel.childSa().groups()::contains).filter(x -> x != r.keyExchange().get().group());
            if (g.isPresent()) {
                counters.increment("ikev2.engine.invalid_ke_retry");
                sendRekeyChild(r.old(), g, true);
                return;
            }
        }
        r.old().busy = false;
        if (error.isPresent() && (error.get().notifyType() == NotifyType.Known.TEMPORARY_FAILURE
                || error.get().notifyType() == NotifyType.Known.CHILD_SA_NOT_FOUND)) {
            // section 2.25: the peer is busy with this SA (or it is gone); not a failure, try again later
            counters.increment("ikev2.engine.child_rekey_deferred");
            r.old().rekeyAt = now().plus(retryPause());
            startQueued();
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (error.isPresent() || sa.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            childFailed(error.map(IkeSession::reasonOf).orElse(FailureReason.PROTOCOL_ERROR),
                    "Child SA rekey refused: " + error.map(n -> n.notifyType().name()).orElse("payloads missing"));
            r.old().rekeyAt = now().plus(retryPause().multipliedBy(6));
            startQueued();
            return;
        }
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.checkEspAnswer(sa.get().proposals(),
                tunnel.childSa(), r.newSpiIn());
        if (esp.isEmpty() || !SelectorPolicy.within(tsi.get().selectors(), r.old().local())
                || !SelectorPolicy.within(tsr.get().selectors(), r.old().remote())) {
            childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "the rekey answer is not what we offered");
            r.old().rekeyAt = now().plus(retryPause().multipliedBy(6));
            startQueued();
            return;
        }
        Optional<byte[]> pfs = Optional.empty();
        if (r.keyExchange().isPresent()) {
            Optional<KePayload> ke = m.first(KePayload.class);
            try {
                if (ke.isEmpty() || ke.get().group() != r.keyExchange().get().group().ikev2Id()) {
                    throw new KeyExchange.KeyExchangeException("no KE payload of our group in the rekey answer");
                }
                pfs = Optional.of(r.keyExchange().get().sharedSecret(ke.get().data().toByteArray()));
            } catch (KeyExchange.KeyExchangeException e) {
                childFailed(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
                r.old().rekeyAt = now().plus(retryPause().multipliedBy(6));
                startQueued();
                return;
            }
        }
        byte[] nr = nonce.get().nonce().toByteArray();
        IkeOutput.ChildSaInstalled fresh = installChild(esp.get().suite(), r.newSpiIn(), esp.get().peerSpi(),
                tsi.get().selectors(), tsr.get().selectors(), true, r.nonce(), nr, pfs);
        counters.increment("ikev2.engine.child_rekeyed");
        outputs.add(new IkeOutput.ChildSaRekeyed(r.old().spiIn(), r.old().spiOut(), fresh, true));
        Child mine = children.getLast();
        if (collision != null && lowest(r.nonce(), nr, collision.nonceI(), collision.nonceR()) < 2) {
            // section 2.8.1: both sides rekeyed the same Child SA; the lowest nonce is in our exchange, so our new
            // Child SA is the redundant one and we delete it; the peer deletes the old one
            counters.increment("ikev2.engine.child_rekey_collision_lost");
            mine.busy = true;
            r.old().busy = true;
            queued.addFirst(new Queued(LocalRequest.DELETE_CHILD, mine));
        } else {
            if (collision != null) {
                counters.increment("ikev2.engine.child_rekey_collision_won");
            }
            if (children.contains(r.old())) {
                r.old().busy = true;
                r.old().rekeyedByUs = new AnsweredRekey(r.old(), mine, r.nonce(), nr);
                queued.addFirst(new Queued(LocalRequest.DELETE_CHILD, r.old()));
            }
        }
        startQueued();
    }

    /**
     * The peer's CREATE_CHILD_SA: rekeying one of our Child SAs or the IKE SA is answered; a new Child SA is refused
     * (one per tunnel).
     */
    private List<Payload> createChildRequest(IkeMessage m) {
        Optional<NotifyPayload> rekeyNotify = m.notify(NotifyType.Known.REKEY_SA);
        Optional<SaPayload> saOffer = m.first(SaPayload.class);
        if (rekeyNotify.isEmpty() && saOffer.isPresent() && !saOffer.get().proposals().isEmpty()
                && saOffer.get().proposals().getFirst().protocol() == ProtocolId.Known.IKE) {
            return ikeRekeyRequest(m, saOffer.get());
        }
        if (rekeyNotify.isEmpty() || rekeyNotify.get().protocol() != ProtocolId.Known.ESP) {
            counters.increment("ikev2.engine.create_child_sa_refused");
            return List.of(NotifyPayload.of(NotifyType.Known.NO_ADDITIONAL_SAS));
        }
        long theirOld = rekeyNotify.get().spiValue();
        Optional<Child> old = children.stream().filter(c -> c.spiOut() == theirOld).findFirst();
        if (old.isEmpty()) {
            drop("rekey_unknown_child");
            return List.of(NotifyPayload.childSa(NotifyType.Known.CHILD_SA_NOT_FOUND, ProtocolId.Known.ESP, theirOld,
                    Octets.empty()));
        }
        boolean weRekeyIt = rekey != null && rekey.old() == old.get();
        boolean weDeleteIt = pending != null && pending.kind() == LocalRequest.DELETE_CHILD
                && pending.child() == old.get();
        if (weDeleteIt || ikeRekey != null) {
            // section 2.25.1 and 2.25.2: closing this Child SA, or rekeying the IKE SA
            counters.increment("ikev2.engine.temporary_failure_sent");
            return List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
        }
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (saOffer.isEmpty() || nonce.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            return List.of(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
        }
        long spiIn = nonZeroChildSpi();
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.chooseEsp(saOffer.get().proposals(),
                tunnel.childSa(), spiIn);
        if (esp.isEmpty()) {
            childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "no ESP proposal of the rekey is acceptable");
            return List.of(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
        }
        Optional<KeyExchange> kex = Optional.empty();
        Optional<byte[]> pfs = Optional.empty();
        Optional<KePayload> ke = m.first(KePayload.class);
        if (tunnel.childSa().pfs()) {
            Optional<DhGroup> g = ke.flatMap(KePayload::dhGroup).filter(tunnel.childSa().groups()::contains);
            if (g.isEmpty()) {
                counters.increment("ikev2.engine.invalid_ke_sent");
                return List.of(NotifyPayload.invalidKe(tunnel.childSa().groups().getFirst()));
            }
            kex = Optional.of(env.keyExchange().generate(g.get(), env.random()));
            try {
                pfs = Optional.of(kex.get().sharedSecret(ke.get().data().toByteArray()));
            } catch (KeyExchange.KeyExchangeException e) {
                childFailed(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
                return List.of(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
            }
        }
        List<TrafficSelector> narrowedI = SelectorPolicy.narrow(tsi.get().selectors(), old.get().remote());
        List<TrafficSelector> narrowedR = SelectorPolicy.narrow(tsr.get().selectors(), old.get().local());
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            childFailed(FailureReason.TS_UNACCEPTABLE, "the rekey's selectors are outside the Child SA's");
            return List.of(NotifyPayload.of(NotifyType.Known.TS_UNACCEPTABLE));
        }
        byte[] ours = env.random().bytes(NONCE_BYTES);
        Proposal selected = esp.get().selected();
        if (kex.isPresent()) {
            List<Transform> t = new ArrayList<>(selected.transforms());
            t.add(Transform.keyExchange(kex.get().group()));
            selected = new Proposal(selected.number(), selected.protocol(), selected.spi(), t);
        }
        List<Payload> p = new ArrayList<>();
        p.add(SaPayload.of(selected));
        p.add(new NoncePayload(Octets.of(ours)));
        kex.ifPresent(k -> p.add(KePayload.of(k.group(), Octets.of(k.publicValue()))));
        p.add(new TsPayload(true, narrowedI));
        p.add(new TsPayload(false, narrowedR));
        byte[] theirNonce = nonce.get().nonce().toByteArray();
        IkeOutput.ChildSaInstalled fresh = installChild(esp.get().suite(), spiIn, esp.get().peerSpi(), narrowedI,
                narrowedR, false, theirNonce, ours, pfs);
        counters.increment("ikev2.engine.child_rekey_answered");
        outputs.add(new IkeOutput.ChildSaRekeyed(old.get().spiIn(), old.get().spiOut(), fresh, false));
        if (weRekeyIt) {
            // a simultaneous rekey (section 2.8.1): decided when our own exchange completes
            counters.increment("ikev2.engine.child_rekey_collision");
            answeredRekey = new AnsweredRekey(old.get(), children.getLast(), theirNonce, ours);
        } else if (old.get().rekeyedByUs != null) {
            // the same collision, seen late: our rekey of this Child SA completed before the peer's request came
            // (the peer saw ours while its own was in flight, and judges by the same four nonces)
            AnsweredRekey mine = old.get().rekeyedByUs;
            counters.increment("ikev2.engine.child_rekey_collision");
            if (lowest(mine.nonceI(), mine.nonceR(), theirNonce, ours) < 2) {
                // our new Child SA is the redundant one: delete it; the peer deletes the old one, not us
                counters.increment("ikev2.engine.child_rekey_collision_lost");
                queued.removeIf(q -> q.kind() == LocalRequest.DELETE_CHILD && q.child() == old.get());
                old.get().rekeyedByUs = null;
                if (children.contains(mine.fresh()) && !mine.fresh().busy) {
                    mine.fresh().busy = true;
                    queued.add(new Queued(LocalRequest.DELETE_CHILD, mine.fresh()));
                }
            } else {
                counters.increment("ikev2.engine.child_rekey_collision_won");
            }
        }
        return p;
    }

    // ------------------------------------------------------------------------------------------- IKE SA rekeying

    /** CREATE_CHILD_SA rekeying the IKE SA (RFC 7296 sections 1.3.2 and 2.18), key exchange with {@code group}. */
    private void sendRekeyIke(DhGroup group, boolean retried) {
        long newSpi = nonZeroSpi();
        byte[] nonce = env.random().bytes(NONCE_BYTES);
        KeyExchange kex = env.keyExchange().generate(group, env.random());
        List<DhGroup> groups = new ArrayList<>(tunnel.ikeSa().groups());
        groups.remove(group);
        groups.addFirst(group);
        IkeSaSpec spec = new IkeSaSpec(tunnel.ikeSa().enc(), tunnel.ikeSa().auth(), tunnel.ikeSa().prf(), groups,
                tunnel.ikeSa().lifetime());
        List<Proposal> offer = ProposalPolicy.ikeOffer(spec).stream()
                .map(x -> x.withSpi(Octets.ofUnsigned(newSpi, 8))).toList();
        List<Payload> p = new ArrayList<>();
        p.add(new SaPayload(offer));
        p.add(new NoncePayload(Octets.of(nonce)));
        p.add(KePayload.of(group, Octets.of(kex.publicValue())));
        ikeRekey = new IkeRekey(newSpi, nonce, kex, retried);
        long id = nextRequestId++;
        List<byte[]> d = protect(IkeHeader.request(spiI, spiR, ExchangeType.Known.CREATE_CHILD_SA, id,
                initiatorRole), p);
        counters.increment("ikev2.engine.ike_rekey_sent");
        sendRequest(id, ExchangeType.Known.CREATE_CHILD_SA, d, LocalRequest.REKEY_IKE);
    }

    private void ikeRekeyResponse(IkeMessage m) {
        IkeRekey r = ikeRekey;
        ikeRekey = null;
        NewSa collision = answeredIkeRekey;
        answeredIkeRekey = null;
        Optional<NotifyPayload> error = m.notifies().stream().filter(NotifyPayload::isError).findFirst();
        if (error.isPresent() && error.get().notifyType() == NotifyType.Known.INVALID_KE_PAYLOAD && !r.retried()
                && collision == null) {
            Optional<DhGroup> g = DhGroup.fromIkev2(error.get().acceptedGroup().orElse(-1))
                    .filter(tunnel.ikeSa().groups()::contains).filter(x -> x != r.keyExchange().group());
            if (g.isPresent()) {
                counters.increment("ikev2.engine.invalid_ke_retry");
                sendRekeyIke(g.get(), true);
                return;
            }
        }
        Optional<NewSa> fresh = error.isPresent() ? Optional.empty() : rekeyedSa(m, r);
        if (fresh.isEmpty()) {
            if (error.isPresent() && error.get().notifyType() == NotifyType.Known.TEMPORARY_FAILURE) {
                counters.increment("ikev2.engine.ike_rekey_deferred");
                ikeRekeyAt = earliest(ikeExpireAt, now().plus(retryPause()));
            } else {
                childFailed(error.map(IkeSession::reasonOf).orElse(FailureReason.PROTOCOL_ERROR),
                        "IKE SA rekey refused: " + error.map(n -> n.notifyType().name()).orElse("invalid answer"));
                ikeRekeyAt = earliest(ikeExpireAt, now().plus(retryPause().multipliedBy(6)));
            }
            if (collision != null) {
                switchTo(collision, false);
            }
            startQueued();
            return;
        }
        NewSa a = fresh.get();
        if (collision == null) {
            switchTo(a, true);
        } else if (lowest(a.nonceI(), a.nonceR(), collision.nonceI(), collision.nonceR()) < 2) {
            // section 2.8.2: the lowest nonce is in our exchange: our new IKE SA is redundant, we delete it; the
            // peer's survives and the peer deletes the old one
            counters.increment("ikev2.engine.ike_rekey_collision_lost");
            switchTo(collision, false);
            OldSa redundant = new OldSa(a);
            oldSas.add(redundant);
            redundant.sendDelete();
        } else {
            counters.increment("ikev2.engine.ike_rekey_collision_won");
            switchTo(a, true);
            OldSa redundant = new OldSa(collision);
            redundant.forgetAt = now().plus(forgetAfter());
            oldSas.add(redundant);
        }
        startQueued();
    }

    /** The new IKE SA our rekey request and {@code m} (its answer) define, if the answer is acceptable. */
    private Optional<NewSa> rekeyedSa(IkeMessage m, IkeRekey r) {
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || sa.get().proposals().size() != 1) {
            return Optional.empty();
        }
        Proposal answer = sa.get().proposals().getFirst();
        Optional<IkeSuite> chosen = ProposalPolicy.checkIkeRekeyAnswer(answer, tunnel.ikeSa(),
                r.keyExchange().group());
        if (chosen.isEmpty() || ke.get().group() != r.keyExchange().group().ikev2Id() || answer.spiValue() == 0) {
            return Optional.empty();
        }
        return newSa(chosen.get(), r.keyExchange(), ke.get(), r.nonce(), nonce.get().nonce().toByteArray(),
                r.newSpiI(), answer.spiValue(), true);
    }

    /** The peer rekeys the IKE SA (section 1.3.2): answered, and the new IKE SA replaces this one once sent. */
    private List<Payload> ikeRekeyRequest(IkeMessage m, SaPayload offer) {
        if (pending != null && pending.kind() != LocalRequest.LIVENESS && pending.kind() != LocalRequest.REKEY_IKE
                || rekey != null) {
            // section 2.25.2: a Child SA of this IKE SA is being created, rekeyed or closed
            counters.increment("ikev2.engine.temporary_failure_sent");
            return List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
        }
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (ke.isEmpty() || nonce.isEmpty()) {
            return List.of(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
        }
        Optional<ProposalPolicy.IkeChoice> choice = ProposalPolicy.chooseIkeRekey(offer.proposals(),
                tunnel.ikeSa());
        if (choice.isEmpty()) {
            counters.increment("ikev2.engine.ike_rekey_refused");
            return List.of(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
        }
        Optional<DhGroup> theirs = ke.get().dhGroup().filter(choice.get().groups()::contains);
        if (theirs.isEmpty()) {
            counters.increment("ikev2.engine.invalid_ke_sent");
            return List.of(NotifyPayload.invalidKe(tunnel.ikeSa().groups().stream()
                    .filter(choice.get().groups()::contains).findFirst().orElseThrow()));
        }
        IkeSuite s = choice.get().suite();
        IkeSuite chosen = new IkeSuite(s.encryption(), s.integrity(), s.prf(), theirs.get());
        long peerSpi = choice.get().selected().spiValue();
        long ourSpi = nonZeroSpi();
        byte[] ours = env.random().bytes(NONCE_BYTES);
        KeyExchange kex = env.keyExchange().generate(chosen.group(), env.random());
        Optional<NewSa> fresh = newSa(chosen, kex, ke.get(), nonce.get().nonce().toByteArray(), ours, peerSpi, ourSpi,
                false);
        if (fresh.isEmpty()) {
            return List.of(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
        }
        counters.increment("ikev2.engine.ike_rekey_answered");
        if (ikeRekey != null) {
            // a simultaneous IKE SA rekey (section 2.8.2): decided when our own exchange completes
            counters.increment("ikev2.engine.ike_rekey_collision");
            answeredIkeRekey = fresh.get();
        } else {
            switchAfterResponse = fresh.get();
        }
        List<Payload> p = new ArrayList<>();
        p.add(SaPayload.of(ProposalPolicy.ikeResponse(choice.get().selected().number(), chosen)
                .withSpi(Octets.ofUnsigned(ourSpi, 8))));
        p.add(new NoncePayload(Octets.of(ours)));
        p.add(KePayload.of(chosen.group(), Octets.of(kex.publicValue())));
        return p;
    }

    /**
     * Keys of a rekeyed IKE SA (section 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old IKE
     * SA's PRF, then prf+ of the new PRF over Ni | Nr | SPIi | SPIr.
     */
    private Optional<NewSa> newSa(IkeSuite chosen, KeyExchange kex, KePayload peerKe, byte[] nonceI, byte[] nonceR,
            long newSpiI, long newSpiR, boolean weInitiate) {
        byte[] shared;
        try {
            shared = kex.sharedSecret(peerKe.data().toByteArray());
        } catch (KeyExchange.KeyExchangeException e) {
            childFailed(FailureReason.KEY_EXCHANGE_FAILED, "IKE SA rekey: " + e.getMessage());
            return Optional.empty();
        }
        byte[] skeyseed = IkeKdf.rekeySkeyseed(prf, keys.skD(), shared, nonceI, nonceR);
        Prf newPrf = new Prf(chosen.prf());
        IkeSaKeys k = IkeKdf.ikeSaKeys(newPrf, chosen.encryption(), chosen.integrity(), skeyseed, nonceI, nonceR,
                newSpiI, newSpiR);
        Arrays.fill(shared, (byte) 0);
        Arrays.fill(skeyseed, (byte) 0);
        SkCipher i2r = new SkCipher(chosen.encryption(), chosen.integrity(), k.skEi(), k.skAi());
        SkCipher r2i = new SkCipher(chosen.encryption(), chosen.integrity(), k.skEr(), k.skAr());
        return Optional.of(new NewSa(newSpiI, newSpiR, weInitiate, chosen, newPrf, k, weInitiate ? i2r : r2i,
                weInitiate ? r2i : i2r, nonceI, nonceR));
    }

    /**
     * Makes {@code n} the IKE SA of this session: the Child SAs move to it (section 2.18), the current one is kept
     * as an {@link OldSa} until deleted: by us ({@code deleteOld}) or by the peer.
     */
    private void switchTo(NewSa n, boolean deleteOld) {
        IkeSaId before = id();
        OldSa old = new OldSa(spiI, spiR, initiatorRole, outbound, inbound, keys);
        old.nextRequestId = nextRequestId;
        old.expectedPeerRequestId = expectedPeerRequestId;
        old.cachedRequest = cachedRequest;
        old.cachedResponse = cachedResponse;
        if (pending != null) {
            old.pending = pending;
            pending = null;
        }
        oldSas.add(old);
        if (deleteOld) {
            old.sendDelete();
        } else {
            old.forgetAt = now().plus(forgetAfter());
        }
        spiI = n.spiI();
        spiR = n.spiR();
        initiatorRole = n.initiatorRole();
        suite = n.suite();
        prf = n.prf();
        keys = n.keys();
        outbound = n.outbound();
        inbound = n.inbound();
        nextRequestId = 0;
        expectedPeerRequestId = 0;
        cachedRequest = null;
        cachedResponse = null;
        scheduleIkeLifetime();
        counters.increment("ikev2.engine.ike_rekeyed");
        outputs.add(new IkeOutput.IkeSaRekeyed(before, id(), initiatorRole));
    }

    /** Index (0..3) of the lowest of four nonces, compared as unsigned big-endian numbers (section 2.8.1). */
    static int lowest(byte[]... nonces) {
        int best = 0;
        for (int i = 1; i < nonces.length; i++) {
            if (compareNonces(nonces[i], nonces[best]) < 0) {
                best = i;
            }
        }
        return best;
    }

    private static int compareNonces(byte[] a, byte[] b) {
        return new java.math.BigInteger(1, a).compareTo(new java.math.BigInteger(1, b));
    }

    /** A pause before trying a deferred rekey again: 2 to 5 seconds (TEMPORARY_FAILURE must not be retried at once). */
    private Duration retryPause() {
        return Duration.ofMillis(2000 + (env.random().nextLong() & 0x7fffffffL) % 3000);
    }

    /** How long an old IKE SA waits for the peer's Delete: the peer's retransmissions of it. */
    private Duration forgetAfter() {
        return settings.retransmit().stream().reduce(Duration.ZERO, Duration::plus).plusSeconds(5);
    }

    /** Rekey at 80 to 90 % of {@code lifetime} (jitter keeps two peers from colliding), expire at 100 %. */
    private Instant softDeadline(Instant from, Duration lifetime) {
        long ms = lifetime.toMillis();
        long jitter = (env.random().nextLong() & 0x7fffffffL) % Math.max(1, ms / 10);
        return from.plus(Duration.ofMillis(ms * 8 / 10 + jitter));
    }

    private void scheduleIkeLifetime() {
        Instant now = now();
        ikeRekeyAt = softDeadline(now, tunnel.ikeSa().lifetime());
        ikeExpireAt = now.plus(tunnel.ikeSa().lifetime());
    }

    // -------------------------------------------------------------------------------------------------- old IKE SAs

    /**
     * An IKE SA replaced by a rekey (or made redundant by a collision): it still answers the peer's requests (its
     * Delete above all) and carries our Delete, until either completes or it is forgotten.
     */
    private final class OldSa {
        final long spiI;
        final long spiR;
        final boolean initiatorRole;
        final SkCipher outbound;
        final SkCipher inbound;
        final IkeSaKeys keys;
        long nextRequestId;
        long expectedPeerRequestId;
        byte[] cachedRequest;
        List<byte[]> cachedResponse;
        Pending pending;
        boolean deleteWanted;
        Instant forgetAt;

        OldSa(long spiI, long spiR, boolean initiatorRole, SkCipher outbound, SkCipher inbound, IkeSaKeys keys) {
            this.spiI = spiI;
            this.spiR = spiR;
            this.initiatorRole = initiatorRole;
            this.outbound = outbound;
            this.inbound = inbound;
            this.keys = keys;
        }

        OldSa(NewSa n) {
            this(n.spiI(), n.spiR(), n.initiatorRole(), n.outbound(), n.inbound(), n.keys());
        }

        boolean owns(IkeHeader h) {
            return h.initiatorSpi() == spiI && h.responderSpi() == spiR;
        }

        /** Sends our Delete of this IKE SA (after any request still outstanding on it). */
        void sendDelete() {
            deleteWanted = true;
            forgetAt = null;
            if (pending != null) {
                return;
            }
            long id = nextRequestId++;
            byte[] d = outbound.seal(codec, IkeHeader.request(spiI, spiR, ExchangeType.Known.INFORMATIONAL, id,
                    initiatorRole), List.of(DeletePayload.ikeSa()), env.random());
            pending = new Pending(id, ExchangeType.Known.INFORMATIONAL, List.of(d), 1,
                    now().plus(settings.retransmit().getFirst()), LocalRequest.DELETE, null);
            outputs.add(new IkeOutput.Send(d, local, remote));
        }

        void received(IkeMessage m, byte[] d, InetSocketAddress from, InetSocketAddress to) {
            IkeHeader h = m.header();
            if (h.response()) {
                if (pending == null || h.messageId() != pending.messageId() || h.initiator() == initiatorRole
                        || inbound.open(codec, d).isEmpty()) {
                    drop("old_sa_unexpected_response");
                    return;
                }
                boolean wasDelete = pending.kind() == LocalRequest.DELETE;
                pending = null;
                if (wasDelete) {
                    forget("old_sa_deleted");
                } else if (deleteWanted) {
                    sendDelete();
                }
                return;
            }
            if (cachedResponse != null && h.messageId() == expectedPeerRequestId - 1) {
                if (Arrays.equals(d, cachedRequest)) {
                    counters.increment("ikev2.engine.retransmission_answered");
                    cachedResponse.forEach(x -> outputs.add(new IkeOutput.Send(x, to, from)));
                }
                return;
            }
            if (h.messageId() != expectedPeerRequestId || h.initiator() == initiatorRole) {
                drop("old_sa_message_id_out_of_window");
                return;
            }
            Optional<SkCipher.Opened> opened = inbound.open(codec, d);
            if (opened.isEmpty()) {
                drop("integrity_failed");
                return;
            }
            DecodeResult<List<Payload>> inner = codec.decodeInner(h, opened.get().firstInner(),
                    opened.get().plaintext());
            boolean deleteIke = inner instanceof DecodeResult.Ok<List<Payload>> ok && ok.value().stream()
                    .anyMatch(p -> p instanceof DeletePayload del && del.protocol() == ProtocolId.Known.IKE);
            List<Payload> answer = h.exchangeType() == ExchangeType.Known.INFORMATIONAL ? List.of()
                    : List.of(NotifyPayload.of(NotifyType.Known.TEMPORARY_FAILURE));
            byte[] response = outbound.seal(codec, IkeHeader.response(spiI, spiR, h.exchangeType(), h.messageId(),
                    initiatorRole), answer, env.random());
            cachedRequest = d;
            cachedResponse = List.of(response);
            expectedPeerRequestId = h.messageId() + 1;
            outputs.add(new IkeOutput.Send(response, to, from));
            if (deleteIke) {
                forget("old_sa_deleted_by_peer");
            }
        }

        Instant deadline() {
            Instant t = pending == null ? null : pending.deadline();
            return forgetAt == null ? t : earliest(t, forgetAt);
        }

        void tick(Instant now) {
            if (forgetAt != null && !now.isBefore(forgetAt)) {
                forget("old_sa_forgotten");
                return;
            }
            if (pending == null || now.isBefore(pending.deadline())) {
                return;
            }
            if (pending.transmissions() >= settings.retransmit().size()) {
                forget("old_sa_delete_unanswered");
                return;
            }
            pending = pending.next(now.plus(settings.retransmit().get(pending.transmissions())));
            pending.datagrams().forEach(x -> outputs.add(new IkeOutput.Send(x, local, remote)));
        }

        private void forget(String counter) {
            counters.increment("ikev2.engine." + counter);
            oldSas.remove(this);
            keys.wipe();
        }
    }

    // ---------------------------------------------------------------------------------------------- receive path

    private void received(IkeInput.Received r) {
        byte[] d = r.datagram();
        DecodeResult<IkeMessage> decoded = codec.decode(d);
        if (!(decoded instanceof DecodeResult.Ok<IkeMessage> ok)) {
            counters.increment(((DecodeResult.Rejected<IkeMessage>) decoded).counter());
            if (decoded instanceof DecodeResult.ProtectedError<IkeMessage> pe && state == IkeState.IDLE
                    && !originalInitiator) {
                // only an unencrypted request gets here (RFC 7296 sections 2.5, 2.21.1): answer in clear, keep no state
                codec.decodeHeader(d).toOptional().filter(h -> !h.response()
                        && h.exchangeType() == ExchangeType.Known.IKE_SA_INIT && h.messageId() == 0)
                        .ifPresent(h -> outputs.add(new IkeOutput.Send(codec.encode(IkeMessage.of(IkeHeader.response(
                                h.initiatorSpi(), 0, ExchangeType.Known.IKE_SA_INIT, 0, false), pe.answer())),
                                r.to(), r.from())));
            }
            return;
        }
        IkeMessage m = ok.value();
        IkeHeader h = m.header();
        for (OldSa old : oldSas) {
            if (old.owns(h)) {
                old.received(m, d, r.from(), r.to());
                return;
            }
        }
        if (state != IkeState.IDLE && h.initiatorSpi() != spiI) {
            drop("unknown_spi");
            return;
        }
        if (h.response()) {
            response(m, d);
        } else {
            request(m, d, r.from(), r.to());
        }
    }

    private void request(IkeMessage m, byte[] d, InetSocketAddress from, InetSocketAddress to) {
        IkeHeader h = m.header();
        if (h.initiator() == initiatorRole) {
            drop("wrong_initiator_flag");
            return;
        }
        if (cachedResponse != null && h.messageId() == expectedPeerRequestId - 1) {
            if (fragment(m).filter(f -> f.fragmentNumber() != 1).isPresent()) {
                // RFC 7383 section 2.6.1: only fragment 1 of a retransmitted request makes us resend the response
                drop("fragment_retransmission_ignored");
                return;
            }
            if (Arrays.equals(d, cachedRequest)) {
                counters.increment("ikev2.engine.retransmission_answered");
                for (byte[] x : cachedResponse) {
                    outputs.add(new IkeOutput.Send(x, to, from));
                }
            } else {
                drop("retransmission_differs");
            }
            return;
        }
        if (state == IkeState.IDLE) {
            if (originalInitiator || h.exchangeType() != ExchangeType.Known.IKE_SA_INIT || m.encrypted()) {
                drop("unexpected_request");
                return;
            }
            remote = from;
            local = to;
            initRequest(m, d);
            return;
        }
        if (state == IkeState.CLOSED || inbound == null || h.messageId() != expectedPeerRequestId
                || h.responderSpi() != spiR) {
            drop(state == IkeState.CLOSED ? "after_close" : "message_id_out_of_window");
            return;
        }
        protectedError = null;
        Optional<IkeMessage> inner = open(m, d);
        if (inner.isEmpty()) {
            if (protectedError != null) {
                // the integrity check passed but the inner payloads are invalid: answer with the notify
                List<byte[]> response = protect(IkeHeader.response(spiI, spiR, h.exchangeType(),
                        h.messageId(), initiatorRole), List.of(protectedError.answer()));
                cacheAndSend(openedFrom, response);
                expectedPeerRequestId = h.messageId() + 1;
                if (state == IkeState.SETUP_REMOTE_INIT) {
                    fail(FailureReason.PROTOCOL_ERROR, "invalid IKE_AUTH request: " + protectedError.detail());
                }
            }
            return;
        }
        IkeMessage in = inner.get();
        if (!from.equals(remote) || !to.equals(local)) {
            // an authenticated request from a new address or port: answer there (NAT traversal, RFC 7296 section 2.23)
            counters.increment("ikev2.engine.peer_address_updated");
            remote = from;
            local = to;
        }
        ExchangeType ex = h.exchangeType();
        List<Payload> answer;
        if (ex == ExchangeType.Known.IKE_AUTH && state == IkeState.SETUP_REMOTE_INIT) {
            answer = authRequest(in);
        } else if (ex == ExchangeType.Known.INFORMATIONAL && state != IkeState.SETUP_REMOTE_INIT) {
            answer = informationalRequest(in);
        } else if (ex == ExchangeType.Known.CREATE_CHILD_SA && state == IkeState.ESTABLISHED) {
            answer = createChildRequest(in);
        } else {
            drop("unexpected_exchange");
            return;
        }
        List<byte[]> response = protect(IkeHeader.response(spiI, spiR, ex, h.messageId(), initiatorRole),
                answer);
        cacheAndSend(openedFrom, response);
        expectedPeerRequestId = h.messageId() + 1;
        if (switchAfterResponse != null) {
            // we answered the peer's IKE SA rekey: the new IKE SA takes over; the peer deletes this one
            NewSa n = switchAfterResponse;
            switchAfterResponse = null;
            switchTo(n, false);
            startQueued();
        }
    }

    private void response(IkeMessage m, byte[] d) {
        IkeHeader h = m.header();
        if (pending == null || h.messageId() != pending.messageId() || !h.exchangeType().equals(pending.exchange())
                || h.initiator() == initiatorRole) {
            drop("unexpected_response");
            return;
        }
        if (h.exchangeType() == ExchangeType.Known.IKE_SA_INIT) {
            if (m.encrypted()) {
                drop("unexpected_response");
                return;
            }
            Pending was = pending;
            pending = null;
            initResponse(m, d);
            if (state == IkeState.SETUP_LOCAL_INIT && pending == null) {
                pending = was;
            }
            return;
        }
        if (h.responderSpi() != spiR) {
            drop("unknown_spi");
            return;
        }
        Optional<IkeMessage> inner = open(m, d);
        if (inner.isEmpty()) {
            return;
        }
        if (h.exchangeType() == ExchangeType.Known.IKE_AUTH) {
            pending = null;
            authResponse(inner.get());
        } else if (h.exchangeType() == ExchangeType.Known.INFORMATIONAL) {
            informationalResponse(inner.get());
        } else if (h.exchangeType() == ExchangeType.Known.CREATE_CHILD_SA) {
            LocalRequest kind = pending.kind();
            pending = null;
            if (kind == LocalRequest.REKEY_IKE) {
                ikeRekeyResponse(inner.get());
            } else {
                rekeyResponse(inner.get());
            }
        } else {
            drop("unexpected_response");
        }
    }

    /** Verifies and decrypts; counts and drops what fails. */
    private Optional<IkeMessage> open(IkeMessage m, byte[] d) {
        if (!m.encrypted() || inbound == null) {
            drop("not_encrypted");
            return Optional.empty();
        }
        openedFrom = d;
        if (fragment(m).isPresent()) {
            return reassemble(m, d);
        }
        Optional<SkCipher.Opened> opened = inbound.open(codec, d);
        if (opened.isEmpty()) {
            drop("integrity_failed");
            return Optional.empty();
        }
        lastInbound = now();
        return inner(m, codec.decodeInner(m.header(), opened.get().firstInner(), opened.get().plaintext()));
    }

    /** One SKF fragment (RFC 7383): kept once verified; the whole message once every fragment is in. */
    private Optional<IkeMessage> reassemble(IkeMessage m, byte[] d) {
        if (!peerFragmentation) {
            drop("fragment_not_negotiated");
            return Optional.empty();
        }
        if (reassembler == null) {
            reassembler = new Fragments.Reassembler(codec, env.clock(), counters, Fragments.Limits.DEFAULT);
        }
        if (!(reassembler.offer(d, m.header(), inbound) instanceof Fragments.Offer.Complete whole)) {
            return Optional.empty();
        }
        lastInbound = now();
        openedFrom = whole.firstFragment();
        return inner(m, whole.inner());
    }

    private static Optional<SkfPayload> fragment(IkeMessage m) {
        return m.payloads().isEmpty() || !(m.payloads().getLast() instanceof SkfPayload f) ? Optional.empty()
                : Optional.of(f);
    }

    /** The decoded inner payloads; a decoding error is counted (and kept, for a request, to be answered). */
    private Optional<IkeMessage> inner(IkeMessage m, DecodeResult<List<Payload>> inner) {
        if (!(inner instanceof DecodeResult.Ok<List<Payload>> ok)) {
            counters.increment(((DecodeResult.Rejected<List<Payload>>) inner).counter());
            if (inner instanceof DecodeResult.ProtectedError<List<Payload>> pe && !m.header().response()) {
                protectedError = pe;
            }
            return Optional.empty();
        }
        return Optional.of(m.withPayloads(ok.value()));
    }

    // --------------------------------------------------------------------------------------------- send and timers

    private void sendClear(IkeHeader header, List<Payload> payloads) {
        outputs.add(new IkeOutput.Send(codec.encode(new IkeMessage(header, payloads)), local, remote));
    }

    /**
     * {@code payloads} sealed under {@code header}: one SK message, or SKF fragments (RFC 7383) when both peers
     * announced fragmentation and the message exceeds {@link IkeSettings#fragmentPacketLimit()}.
     */
    private List<byte[]> protect(IkeHeader header, List<Payload> payloads) {
        byte[] whole = outbound.seal(codec, header, payloads, env.random());
        int limit = Fragments.messageLimit(settings.fragmentPacketLimit(), remote.getAddress(),
                local.getPort() != 500);
        if (!peerFragmentation || whole.length <= limit) {
            return List.of(whole);
        }
        if (outbound.fragmentCapacity(limit) < 1) {
            // a limit this small leaves no room once this suite's IV and ICV are in: send it whole
            drop("fragment_limit_too_small");
            return List.of(whole);
        }
        List<byte[]> fragments = Fragments.split(outbound, codec, header, payloads, limit, env.random());
        counters.increment("ikev2.engine.fragmented");
        for (int i = 0; i < fragments.size(); i++) {
            counters.increment("ikev2.fragment.sent");
        }
        return fragments;
    }

    /** Answers a request; {@code request} (its fragment 1 if fragmented) recognises a retransmission. */
    private void cacheAndSend(byte[] request, List<byte[]> response) {
        cachedRequest = request;
        cachedResponse = List.copyOf(response);
        for (byte[] d : response) {
            outputs.add(new IkeOutput.Send(d, local, remote));
        }
    }

    private void sendRequest(long messageId, ExchangeType exchange, List<byte[]> datagrams, LocalRequest kind) {
        sendRequest(messageId, exchange, datagrams, kind, null);
    }

    private void sendRequest(long messageId, ExchangeType exchange, List<byte[]> datagrams, LocalRequest kind,
            Child child) {
        Instant deadline = now().plus(settings.retransmit().getFirst());
        pending = new Pending(messageId, exchange, List.copyOf(datagrams), 1, deadline, kind, child);
        for (byte[] d : datagrams) {
            outputs.add(new IkeOutput.Send(d, local, remote));
        }
    }

    /**
     * The earliest of: retransmission, half-open limit, liveness check due (when {@code dpd} is configured), the
     * next rekey or expiry of the IKE SA or a Child SA, and the old IKE SAs' retransmissions.
     */
    private Instant nextDeadline() {
        Instant next = null;
        if (pending != null) {
            next = pending.deadline();
        }
        if (halfOpenDeadline != null && state == IkeState.SETUP_REMOTE_INIT) {
            next = earliest(next, halfOpenDeadline);
        }
        Optional<Instant> dpd = dpdDue();
        if (dpd.isPresent() && pending == null) {
            next = earliest(next, dpd.get());
        }
        Optional<Instant> keepalive = keepaliveDue();
        if (keepalive.isPresent()) {
            next = earliest(next, keepalive.get());
        }
        if (state == IkeState.ESTABLISHED) {
            if (ikeExpireAt != null) {
                next = earliest(next, ikeExpireAt);
                if (ikeRekeyAt != null && ikeRekey == null) {
                    next = earliest(next, ikeRekeyAt);
                }
            }
            Optional<Instant> redundancy = redundancyDue();
            if (redundancy.isPresent() && initiatorRole) {
                next = earliest(next, redundancy.get());
            }
            for (Child c : children) {
                next = earliest(next, c.expireAt);
                if (!c.busy) {
                    next = earliest(next, c.rekeyAt);
                }
            }
        }
        for (OldSa o : oldSas) {
            Instant t = o.deadline();
            if (t != null) {
                next = earliest(next, t);
            }
        }
        return next;
    }

    private static Instant earliest(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    /** When the next liveness check is due: {@code dpd} after the last authenticated message or ESP traffic. */
    private Optional<Instant> dpdDue() {
        if (state != IkeState.ESTABLISHED || tunnel.dpd().isEmpty() || lastInbound == null) {
            return Optional.empty();
        }
        return Optional.of(lastInbound.plus(tunnel.dpd().get()));
    }

    /**
     * When the next NAT-T keepalive is due (RFC 3948 section 4): {@link IkeSettings#natKeepalive()} after we last
     * sent, while the IKE SA is up, encapsulated, and our address is translated. Only IKE and keepalives count as
     * sent: the engine does not see outbound ESP, so a busy tunnel still gets one octet per interval.
     */
    private Optional<Instant> keepaliveDue() {
        if (!behindNat || !udpEncapsulation || settings.natKeepalive().isZero() || lastSent == null
                || (state != IkeState.ESTABLISHED && state != IkeState.DELETE_LOCAL_INFO)) {
            return Optional.empty();
        }
        return Optional.of(lastSent.plus(settings.natKeepalive()));
    }

    private void tick() {
        tickProtocol();
        Optional<Instant> keepalive = keepaliveDue();
        if (keepalive.isPresent() && !now().isBefore(keepalive.get())
                && outputs.stream().noneMatch(o -> o instanceof IkeOutput.Send)) {
            counters.increment("ikev2.engine.nat_keepalive_sent");
            outputs.add(IkeOutput.Send.natKeepalive(local, remote));
        }
    }

    private void tickProtocol() {
        Instant now = now();
        for (OldSa o : List.copyOf(oldSas)) {
            o.tick(now);
        }
        if (halfOpenDeadline != null && state == IkeState.SETUP_REMOTE_INIT && !now.isBefore(halfOpenDeadline)) {
            fail(FailureReason.TIMEOUT, "no IKE_AUTH request within " + HALF_OPEN.toSeconds() + " s");
            return;
        }
        if (pending != null && !now.isBefore(pending.deadline())) {
            if (pending.transmissions() >= settings.retransmit().size()) {
                String what = pending.exchange().name() + " request #" + pending.messageId() + " unanswered after "
                        + pending.transmissions() + " transmissions";
                if (state == IkeState.ESTABLISHED || state == IkeState.DELETE_LOCAL_INFO) {
                    counters.increment("ikev2.engine.peer_dead");
                    outputs.add(new IkeOutput.Phase1Down(id(), Optional.of(FailureReason.TIMEOUT), what));
                    transition(IkeState.CLOSED);
                } else {
                    fail(FailureReason.TIMEOUT, what);
                }
                return;
            }
            counters.increment("ikev2.engine.retransmitted");
            pending = pending.next(now.plus(settings.retransmit().get(pending.transmissions())));
            pending.datagrams().forEach(x -> outputs.add(new IkeOutput.Send(x, local, remote)));
        }
        if (state != IkeState.ESTABLISHED) {
            return;
        }
        if (ikeExpireAt != null && !now.isBefore(ikeExpireAt)) {
            // not rekeyed in time (the peer refused, or did not answer): the IKE SA and its Child SAs end
            counters.increment("ikev2.engine.ike_expired");
            closeDetail = "IKE SA lifetime expired";
            queued.clear();
            if (pending != null) {
                outputs.add(new IkeOutput.Phase1Down(id(), Optional.empty(), closeDetail));
                transition(IkeState.CLOSED);
                return;
            }
            localRequest(LocalRequest.DELETE, null);
            return;
        }
        for (Child c : List.copyOf(children)) {
            if (!now.isBefore(c.expireAt)) {
                // hard lifetime: stop using it (the peer is told), whether or not a rekey is in flight
                counters.increment("ikev2.engine.child_expired");
                children.remove(c);
                outputs.add(new IkeOutput.ChildSaDeleted(c.spiIn(), c.spiOut()));
                sendChildDeleteNow(c);
            } else if (!c.busy && !now.isBefore(c.rekeyAt)) {
                c.busy = true;
                queued.add(new Queued(LocalRequest.REKEY_CHILD, c));
            }
        }
        if (ikeRekeyAt != null && ikeRekey == null && !now.isBefore(ikeRekeyAt)
                && !queuedKind(LocalRequest.REKEY_IKE)) {
            ikeRekeyAt = null;
            queued.add(new Queued(LocalRequest.REKEY_IKE, null));
        }
        Optional<Instant> dpd = dpdDue();
        if (dpd.isPresent() && pending == null && queued.isEmpty() && !now.isBefore(dpd.get())) {
            counters.increment("ikev2.engine.liveness_sent");
            lastInbound = now;
            queued.add(new Queued(LocalRequest.LIVENESS, null));
        }
        startQueued();
    }

    /** Tells the peer an expired Child SA is gone, queued behind any request in flight. */
    private void sendChildDeleteNow(Child gone) {
        // the Child SA is no longer in children: a plain INFORMATIONAL with its SPI, not tied to a Child
        queued.add(new Queued(LocalRequest.DELETE_EXPIRED, new Child(gone.spiIn(), gone.spiOut(), gone.suite,
                gone.local(), gone.remote(), gone.createdAt, gone.rekeyAt, gone.expireAt)));
    }

    private long nonZeroSpi() {
        long spi;
        do {
            spi = env.random().nextLong();
        } while (spi == 0);
        return spi;
    }

    private long nonZeroChildSpi() {
        long spi;
        do {
            spi = env.random().nextLong() & 0xffff_ffffL;
        } while (spi < 256);
        return spi;
    }

    /** What one of our requests is for. */
    private enum LocalRequest { SETUP, LIVENESS, DELETE, REKEY_CHILD, DELETE_CHILD, REKEY_IKE, DELETE_EXPIRED }

    /** A local request waiting for the window; {@code child} for REKEY_CHILD and DELETE_CHILD. */
    private record Queued(LocalRequest kind, Child child) {}

    /**
     * A Child SA of this IKE SA: our SPI, the peer's, algorithms and selectors (ours, the peer's), and when it is
     * due for rekeying and when it expires (our {@code childsa lifetime}).
     */
    private static final class Child {
        final long spiIn;
        final long spiOut;
        final ChildSuite suite;
        final List<TrafficSelector> local;
        final List<TrafficSelector> remote;
        Instant rekeyAt;
        final Instant expireAt;
        final Instant createdAt;
        /** A rekey or delete of this Child SA is queued or in flight. */
        boolean busy;
        /** Our completed rekey of this Child SA, while it waits for its delete (a late collision is judged by it). */
        AnsweredRekey rekeyedByUs;

        Child(long spiIn, long spiOut, ChildSuite suite, List<TrafficSelector> local, List<TrafficSelector> remote,
                Instant createdAt, Instant rekeyAt, Instant expireAt) {
            this.spiIn = spiIn;
            this.spiOut = spiOut;
            this.suite = suite;
            this.local = local;
            this.remote = remote;
            this.rekeyAt = rekeyAt;
            this.expireAt = expireAt;
            this.createdAt = createdAt;
        }

        long spiIn() {
            return spiIn;
        }

        long spiOut() {
            return spiOut;
        }

        List<TrafficSelector> local() {
            return local;
        }

        List<TrafficSelector> remote() {
            return remote;
        }
    }

    /** Our CREATE_CHILD_SA request rekeying a Child SA, in flight. */
    private record Rekey(Child old, long newSpiIn, byte[] nonce, Optional<KeyExchange> keyExchange,
            boolean retried) {}

    /** A peer's rekey of {@code old} that we answered while our own rekey of it was in flight (section 2.8.1). */
    private record AnsweredRekey(Child old, Child fresh, byte[] nonceI, byte[] nonceR) {}

    /** Our CREATE_CHILD_SA request rekeying the IKE SA, in flight. */
    private record IkeRekey(long newSpiI, byte[] nonce, KeyExchange keyExchange, boolean retried) {}

    /** A new IKE SA's parameters, from a rekey (section 2.18). */
    private record NewSa(long spiI, long spiR, boolean initiatorRole, IkeSuite suite, Prf prf, IkeSaKeys keys,
            SkCipher outbound, SkCipher inbound, byte[] nonceI, byte[] nonceR) {}

    /** Our outstanding request (window of one), every fragment of it. */
    private record Pending(long messageId, ExchangeType exchange, List<byte[]> datagrams, int transmissions,
            Instant deadline, LocalRequest kind, Child child) {
        Pending next(Instant deadline) {
            return new Pending(messageId, exchange, datagrams, transmissions + 1, deadline, kind, child);
        }
    }
}
