package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.auth.CertificateAuth;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.controlplane.ike.auth.Outcome;
import net.palisade.controlplane.ike.auth.PeerCertificates;
import net.palisade.controlplane.ike.auth.SignatureAuth;
import net.palisade.controlplane.ike.crypto.IkeKdf;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.AuthMethod;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.CertPayload;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.HashAlgorithm;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.TrafficSelector;
import net.palisade.model.wire.ikev2.TsPayload;

/**
 * IKE SA setup (RFC 7296 sections 1.2 and 2.6 to 2.23), both roles: IKE_SA_INIT with INVALID_KE_PAYLOAD both ways
 * (no downgrade), N(COOKIE) answered at most {@link #MAX_COOKIE_ROUNDS} times, NAT detection and the move to port
 * 4500; then IKE_AUTH with a pre-shared key or certificates (CERT, CERTREQ, RFC 7427 signatures) and the first
 * Child SA, handed to {@link ChildSas} once negotiated.
 *
 * <p>Owns what only setup needs: nonces, our key exchange, the two IKE_SA_INIT messages (AUTH signs them), the
 * cookie, what our IKE_AUTH request offered, the half-open deadline, INITIAL_CONTACT, and our certificate
 * credentials ({@link IkeEnvironment#credentials()} loads them when the session is made; if they cannot be used,
 * the session fails on Start or on the first IKE_SA_INIT request, with AUTHENTICATION_FAILED naming the file).
 */
final class IkeSetup {
    /** How a responder waits for IKE_AUTH after answering IKE_SA_INIT. */
    static final Duration HALF_OPEN = Duration.ofSeconds(30);
    /** How many times an initiator answers N(COOKIE) before it gives up (RFC 7296 section 2.6). */
    static final int MAX_COOKIE_ROUNDS = 3;

    private final EngineContext ctx;
    private final IkeSession session;
    private final ChildSas children;
    /** The tunnel; a responder with several candidates settles on one at IKE_AUTH ({@link #choose}). */
    private IkeTunnel tunnel;
    /** Certificate authentication, if configured and its credentials loaded. */
    private CertificateAuth certAuth;
    /** Why the configured certificate credentials cannot be used, if they cannot. */
    private String credentialError;

    private byte[] ni;
    private byte[] nr;
    private KeyExchange keyExchange;
    private boolean invalidKeRetried;
    private byte[] initRequest;
    private byte[] initResponse;
    private byte[] cookie;
    private int cookieRounds;
    /** The first Child SA our IKE_AUTH request offers: our SPI and selectors. */
    private long childSpiIn;
    private List<TrafficSelector> offeredTsi = List.of();
    private List<TrafficSelector> offeredTsr = List.of();
    /** The hashes of the peer's SIGNATURE_HASH_ALGORITHMS notify (RFC 7427); empty if it sent none. */
    private List<HashAlgorithm> peerHashes = List.of();
    private Instant halfOpenDeadline;
    /** A responder with several candidate tunnels: what NAT detection found, reported once one is chosen. */
    private IkeOutput.NatDetected heldNat;
    /** Whether our IKE_AUTH request carries N(INITIAL_CONTACT) (initiator), or the peer's carried it (responder). */
    private boolean initialContact;

    IkeSetup(EngineContext ctx, IkeSession session, ChildSas children) {
        this.ctx = ctx;
        this.session = session;
        this.children = children;
        use(ctx.tunnel);
    }

    /** Makes {@code t} the tunnel whose identity and credentials this IKE SA uses (its certificates loaded now). */
    private void use(IkeTunnel t) {
        CertificateAuth loaded = null;
        String error = null;
        if (t.authentication() instanceof IkeAuth.Certificates files) {
            try {
                loaded = new CertificateAuth(ctx.env.credentials().load(files));
            } catch (CredentialException e) {
                error = e.getMessage();
            }
        }
        this.tunnel = t;
        ctx.tunnel = t;
        this.certAuth = loaded;
        this.credentialError = error;
    }

    void sendInitialContact() {
        initialContact = true;
    }

    boolean initialContact() {
        return initialContact;
    }

    /** The identity the peer authenticated with (responder), once IKE_AUTH did (kept in the takeover state). */
    Optional<IdPayload> peerId() {
        return Optional.ofNullable(ctx.peerId);
    }

    /** The responder's wait for IKE_AUTH, while it lasts. */
    Optional<Instant> halfOpenDeadline() {
        return Optional.ofNullable(halfOpenDeadline);
    }

    void stopHalfOpenTimer() {
        halfOpenDeadline = null;
    }

    // ------------------------------------------------------------------------------------------ IKE_SA_INIT, out

    void start() {
        if (credentialError != null) {
            session.fail(FailureReason.AUTHENTICATION_FAILED, "cannot use our certificate: " + credentialError);
            return;
        }
        ctx.sa.spiI = ctx.nonZeroSpi();
        ni = ctx.nonce();
        sendInitRequest(tunnel.ikeSa().groups().getFirst());
        session.transition(IkeState.SETUP_LOCAL_INIT);
    }

    private void sendInitRequest(DhGroup group) {
        keyExchange = ctx.env.keyExchange().generate(group, ctx.env.random());
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
        IkeHeader header = IkeHeader.request(ctx.sa.spiI, 0, ExchangeType.Known.IKE_SA_INIT, 0, true);
        ctx.trace(true, header, p);
        initRequest = ctx.codec.encode(new IkeMessage(header, p));
        ctx.send(List.of(initRequest));
        ctx.sa.window.sentFirst(List.of(initRequest),
                new IkeSa.Sent(ExchangeType.Known.IKE_SA_INIT, Request.of(Request.Kind.SETUP)), ctx.now());
    }

    /** The responder's IKE_SA_INIT answer (the window already took our request out of flight). */
    void initResponse(IkeMessage m, byte[] datagram) {
        Optional<NotifyPayload> demanded = m.notify(NotifyType.Known.COOKIE);
        if (demanded.isPresent()) {
            // RFC 7296 section 2.6: the same request again (SPI, nonce, KE), with the cookie as its first payload
            if (cookieRounds >= MAX_COOKIE_ROUNDS) {
                session.fail(FailureReason.PROTOCOL_ERROR, "the responder demanded a cookie " + (cookieRounds + 1)
                        + " times");
                return;
            }
            cookieRounds++;
            cookie = demanded.get().data().toByteArray();
            ctx.count("cookie_retry");
            sendInitRequest();
            return;
        }
        Optional<NotifyPayload> invalidKe = m.notify(NotifyType.Known.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent()) {
            int wanted = invalidKe.get().acceptedGroup().orElse(-1);
            Optional<DhGroup> g = DhGroup.fromIkev2(wanted).filter(tunnel.ikeSa().groups()::contains)
                    .filter(x -> x != keyExchange.group());
            if (invalidKeRetried || g.isEmpty()) {
                session.fail(FailureReason.INVALID_KE_PAYLOAD, "peer wants group " + wanted
                        + (invalidKeRetried ? " after a retry" : ", which we do not offer"));
                return;
            }
            invalidKeRetried = true;
            ctx.count("invalid_ke_retry");
            sendInitRequest(g.get());
            return;
        }
        Optional<NotifyPayload> error = EngineContext.error(m);
        if (error.isPresent()) {
            failOnNotify(error.get());
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || m.header().responderSpi() == 0) {
            ctx.drop("missing_payload");
            return;
        }
        Optional<IkeSuite> chosen = ProposalPolicy.checkIkeAnswer(sa.get().proposals(), tunnel.ikeSa(),
                keyExchange.group());
        if (chosen.isEmpty() || ke.get().group() != keyExchange.group().ikev2Id()) {
            session.fail(FailureReason.NO_PROPOSAL_CHOSEN, "the responder chose a proposal we did not offer");
            return;
        }
        ctx.sa.spiR = m.header().responderSpi();
        nr = nonce.get().nonce().toByteArray();
        initResponse = datagram;
        peerHashes = peerHashes(m);
        if (!deriveIkeKeys(chosen.get(), ke.get())) {
            return;
        }
        natDetection(m);
        ctx.peerFragmentation = m.notify(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED).isPresent();
        floatTo4500();
        sendAuthRequest();
        session.transition(IkeState.SETUP_LOCAL_AUTH);
    }

    private boolean deriveIkeKeys(IkeSuite chosen, KePayload peerKe) {
        byte[] shared;
        try {
            shared = keyExchange.sharedSecret(peerKe.data().toByteArray());
        } catch (KeyExchange.KeyExchangeException e) {
            session.fail(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
            return false;
        }
        IkeSa sa = ctx.sa;
        sa.suite = chosen;
        sa.prf = new Prf(chosen.prf());
        byte[] skeyseed = IkeKdf.skeyseed(sa.prf, ni, nr, shared);
        sa.keys = IkeKdf.ikeSaKeys(sa.prf, chosen.encryption(), chosen.integrity(), skeyseed, ni, nr, sa.spiI,
                sa.spiR);
        Arrays.fill(shared, (byte) 0);
        Arrays.fill(skeyseed, (byte) 0);
        SkCipher i2r = new SkCipher(chosen.encryption(), chosen.integrity(), sa.keys.skEi(), sa.keys.skAi());
        SkCipher r2i = new SkCipher(chosen.encryption(), chosen.integrity(), sa.keys.skEr(), sa.keys.skAr());
        sa.outbound = sa.initiatorRole ? i2r : r2i;
        sa.inbound = sa.initiatorRole ? r2i : i2r;
        return true;
    }

    /**
     * Encapsulation forced (RFC 3948 ESP-in-UDP and IKE on port 4500 whether or not there is a NAT): by the tunnel's
     * {@code encap}, or for every tunnel by {@link IkeSettings#forceUdpEncapsulation()}.
     */
    private boolean forcedEncapsulation() {
        return tunnel.encap() || ctx.settings.forceUdpEncapsulation();
    }

    /** Our NAT-D notifies; with forced encapsulation the source hash is random, so the peer sees a NAT. */
    private List<NotifyPayload> natNotifies(long r) {
        NotifyPayload[] n = NatDetection.notifies(ctx.sa.spiI, r, ctx.local, ctx.remote);
        if (forcedEncapsulation()) {
            n[0] = NotifyPayload.of(NotifyType.Known.NAT_DETECTION_SOURCE_IP, Octets.of(ctx.env.random().bytes(20)));
        }
        return List.of(n);
    }

    /** Moves IKE to port 4500 (RFC 7296 section 2.23) when encapsulating. */
    private void floatTo4500() {
        if (ctx.udpEncapsulation && ctx.remote.getPort() == 500) {
            ctx.remote = new InetSocketAddress(ctx.remote.getAddress(), 4500);
            ctx.local = new InetSocketAddress(ctx.local.getAddress(),
                    ctx.local.getPort() == 500 ? 4500 : ctx.local.getPort());
        }
    }

    /**
     * RFC 7296 section 2.23 on the peer's IKE_SA_INIT message: its source hash against the address it came from
     * (a mismatch: the peer is behind a NAT, or forces encapsulation), its destination hash against our address (a
     * mismatch: we are behind a NAT, and keep its mapping alive). Either one, or our own forcing, means ESP-in-UDP.
     */
    private void natDetection(IkeMessage m) {
        ctx.udpEncapsulation = forcedEncapsulation();
        ctx.behindNat = false;
        Optional<NotifyPayload> src = m.notify(NotifyType.Known.NAT_DETECTION_SOURCE_IP);
        Optional<NotifyPayload> dst = m.notify(NotifyType.Known.NAT_DETECTION_DESTINATION_IP);
        if (src.isEmpty() || dst.isEmpty()) {
            return;
        }
        long r = m.header().response() ? ctx.sa.spiR : 0;
        boolean remoteNat = !src.get().data().equals(NatDetection.hash(ctx.sa.spiI, r, ctx.remote));
        boolean localNat = !dst.get().data().equals(NatDetection.hash(ctx.sa.spiI, r, ctx.local));
        ctx.behindNat = localNat;
        if (remoteNat || localNat) {
            ctx.udpEncapsulation = true;
            ctx.count("nat_detected");
            IkeOutput.NatDetected found = new IkeOutput.NatDetected(localNat, remoteNat);
            if (ctx.candidates.size() > 1) {
                heldNat = found; // the tunnel it is reported on is chosen at IKE_AUTH
            } else {
                ctx.output(found);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- IKE_SA_INIT, in

    /** The initiator's IKE_SA_INIT request, in state IDLE (the coordinator has taken its addresses). */
    void initRequest(IkeMessage m, byte[] datagram) {
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<KePayload> ke = m.first(KePayload.class);
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (sa.isEmpty() || ke.isEmpty() || nonce.isEmpty() || m.header().responderSpi() != 0
                || m.header().messageId() != 0) {
            ctx.drop("missing_payload");
            return;
        }
        IkeHeader h = m.header();
        if (credentialError != null) {
            ctx.sa.spiI = h.initiatorSpi();
            session.fail(FailureReason.AUTHENTICATION_FAILED, "cannot use our certificate: " + credentialError);
            return;
        }
        Optional<ProposalPolicy.IkeChoice> choice = ProposalPolicy.chooseIke(sa.get().proposals(), tunnel.ikeSa());
        if (choice.isEmpty()) {
            ctx.sendClear(IkeHeader.response(h.initiatorSpi(), 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                    List.of(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN)));
            ctx.sa.spiI = h.initiatorSpi();
            session.fail(FailureReason.NO_PROPOSAL_CHOSEN, "no IKE proposal of the initiator is acceptable");
            return;
        }
        Optional<DhGroup> theirs = ke.get().dhGroup().filter(choice.get().groups()::contains);
        if (theirs.isEmpty()) {
            DhGroup preferred = tunnel.ikeSa().groups().stream().filter(choice.get().groups()::contains)
                    .findFirst().orElseThrow();
            ctx.count("invalid_ke_sent");
            ctx.sendClear(IkeHeader.response(h.initiatorSpi(), 0, ExchangeType.Known.IKE_SA_INIT, 0, false),
                    List.of(NotifyPayload.invalidKe(preferred)));
            return;
        }
        IkeSuite s = choice.get().suite();
        IkeSuite chosen = new IkeSuite(s.encryption(), s.integrity(), s.prf(), theirs.get());
        ctx.sa.spiI = h.initiatorSpi();
        ctx.sa.spiR = ctx.nonZeroSpi();
        ni = nonce.get().nonce().toByteArray();
        nr = ctx.nonce();
        keyExchange = ctx.env.keyExchange().generate(chosen.group(), ctx.env.random());
        if (!deriveIkeKeys(chosen, ke.get())) {
            return;
        }
        natDetection(m);
        ctx.peerFragmentation = m.notify(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED).isPresent();
        List<Payload> p = new ArrayList<>();
        p.add(SaPayload.of(ProposalPolicy.ikeResponse(choice.get().selected().number(), chosen)));
        p.add(KePayload.of(chosen.group(), Octets.of(keyExchange.publicValue())));
        p.add(new NoncePayload(Octets.of(nr)));
        p.addAll(natNotifies(ctx.sa.spiR));
        p.add(NotifyPayload.of(NotifyType.Known.IKEV2_FRAGMENTATION_SUPPORTED));
        if (certAuth != null) {
            p.add(SignatureAuth.hashNotify());
            p.add(certAuth.certRequest());
        }
        peerHashes = peerHashes(m);
        initRequest = datagram;
        IkeHeader header = IkeHeader.response(ctx.sa.spiI, ctx.sa.spiR, ExchangeType.Known.IKE_SA_INIT, 0, false);
        ctx.trace(true, header, p);
        initResponse = ctx.codec.encode(new IkeMessage(header, p));
        ctx.send(List.of(initResponse));
        ctx.sa.window.answered(0, datagram, List.of(initResponse));
        halfOpenDeadline = ctx.now().plus(HALF_OPEN);
        session.transition(IkeState.SETUP_REMOTE_INIT);
    }

    // ---------------------------------------------------------------------------------------------- IKE_AUTH, out

    private void sendAuthRequest() {
        IdPayload idi = ourId(true);
        childSpiIn = ctx.nonZeroChildSpi();
        IpFamily family = IpAddresses.family(ctx.remote.getAddress());
        // with sa-per-flow the first from/to pair; ChildCreation creates the others once the IKE SA is up
        SelectorPolicy.Offer first = SelectorPolicy.offers(tunnel, family).getFirst();
        offeredTsi = first.tsi();
        offeredTsr = first.tsr();
        List<Payload> p = new ArrayList<>();
        p.add(idi);
        if (certAuth != null) {
            p.addAll(certAuth.certificates());
            p.add(certAuth.certRequest());
        }
        if (initialContact) {
            p.add(NotifyPayload.of(NotifyType.Known.INITIAL_CONTACT));
        }
        tunnel.dstId().ifPresent(d -> p.add(Identities.payload(false, tunnel.dstId(), ctx.remote.getAddress())));
        p.add(auth(true, idi));
        p.add(new SaPayload(ProposalPolicy.espOffer(tunnel.childSa(), childSpiIn)));
        p.add(new TsPayload(true, offeredTsi));
        p.add(new TsPayload(false, offeredTsr));
        // RFC 6311: a node resuming this IKE SA may re-synchronise message IDs with the peer
        p.add(NotifyPayload.of(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC_SUPPORTED));
        ctx.request(ExchangeType.Known.IKE_AUTH, p, Request.of(Request.Kind.SETUP));
    }

    /**
     * Our identity: {@code srcid}; without it, our certificate's subject (certificates) or our address (PSK). A
     * {@code srcid} naming our certificate's subject is sent in the certificate's own encoding.
     */
    private IdPayload ourId(boolean initiator) {
        IdPayload configured = Identities.payload(initiator, tunnel.srcId(), ctx.local.getAddress());
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
        byte[] skP = initiatorSide ? ctx.sa.keys.skPi() : ctx.sa.keys.skPr();
        return IkeKdf.signedOctets(ctx.sa.prf, firstMessage, peerNonce, skP, id.authBody().toByteArray());
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
            return IkeKdf.pskAuth(ctx.sa.prf, psk, octets);
        } finally {
            Arrays.fill(psk, (byte) 0);
        }
    }

    /**
     * Checks the peer's identity and AUTH payload in {@code m}: with a PSK, the identity is {@code dstid} if
     * configured and the MAC verifies; with certificates, the certificate chains to our CA at our clock, the identity
     * is in it and equals {@code dstid} if configured, and the signature verifies. Without {@code dstid} any identity
     * the PSK or the certificate authenticates is accepted, as strongSwan's {@code id = %any}: a dynamic peer names
     * itself by host name, not by the address it happens to come from.
     *
     * @return empty if the peer is authenticated, else which check failed
     */
    private Optional<String> verifyAuth(boolean initiatorSide, IdPayload id, IkeMessage m) {
        Optional<AuthPayload> received = m.first(AuthPayload.class);
        if (certAuth == null) {
            if (tunnel.dstId().isPresent() && !Identities.matches(id, tunnel.dstId(), ctx.remote.getAddress())) {
                return Optional.of("the peer's identity " + PeerCertificates.describe(id)
                        + " is not the configured dstid " + tunnel.dstId().get().value());
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
        if (tunnel.dstId().isPresent() && !Identities.matches(id, tunnel.dstId(), ctx.remote.getAddress())) {
            return Optional.of("the peer's identity " + PeerCertificates.describe(id)
                    + " is not the configured dstid " + tunnel.dstId().get().value());
        }
        Outcome<?> peer = certAuth.verifyPeer(m.all(CertPayload.class), id, received,
                signedOctets(initiatorSide, id), ctx.now());
        return peer instanceof Outcome.Failed<?> f ? Optional.of(f.detail()) : Optional.empty();
    }

    /** The responder's IKE_AUTH answer: the peer authenticated, then the first Child SA. */
    void authResponse(IkeMessage m) {
        if (m.notify(NotifyType.Known.AUTHENTICATION_FAILED).isPresent()) {
            session.fail(FailureReason.AUTHENTICATION_FAILED, "the peer refused our authentication");
            return;
        }
        Optional<IdPayload> idr = m.all(IdPayload.class).stream().filter(i -> !i.initiator()).findFirst();
        if (idr.isEmpty()) {
            Optional<NotifyPayload> error = EngineContext.error(m);
            if (error.isPresent()) {
                failOnNotify(error.get());
            } else {
                session.fail(FailureReason.PROTOCOL_ERROR, "IKE_AUTH response without IDr");
            }
            return;
        }
        Optional<String> authProblem = verifyAuth(false, idr.get(), m);
        if (authProblem.isPresent()) {
            // RFC 7296 section 2.21.2: tell the responder in a new INFORMATIONAL exchange, sent once
            ctx.send(ctx.protect(IkeHeader.request(ctx.sa.spiI, ctx.sa.spiR, ExchangeType.Known.INFORMATIONAL,
                    ctx.sa.window.nextRequestId(), true),
                    List.of(NotifyPayload.of(NotifyType.Known.AUTHENTICATION_FAILED))));
            session.fail(FailureReason.AUTHENTICATION_FAILED, authProblem.get());
            return;
        }
        ctx.peerMidSync = m.notify(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC_SUPPORTED).isPresent();
        session.established();
        Optional<NotifyPayload> error = EngineContext.error(m);
        if (error.isPresent()) {
            ctx.childFailed(EngineContext.reasonOf(error.get()), "the peer answered " + error.get().notifyType().name());
            return;
        }
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (sa.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            ctx.childFailed(FailureReason.PROTOCOL_ERROR, "IKE_AUTH response without SA, TSi or TSr");
            return;
        }
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.checkEspAnswer(sa.get().proposals(),
                tunnel.childSa(), childSpiIn);
        if (esp.isEmpty()) {
            ctx.childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "the responder chose an ESP proposal we did not offer");
            return;
        }
        if (!SelectorPolicy.within(tsi.get().selectors(), offeredTsi)
                || !SelectorPolicy.within(tsr.get().selectors(), offeredTsr)) {
            ctx.childFailed(FailureReason.TS_UNACCEPTABLE, "the responder's selectors are wider than ours, or name"
                    + " a protocol or ports (this gateway's SAs carry whole networks)");
            return;
        }
        ctx.output(children.install(esp.get().suite(), childSpiIn, esp.get().peerSpi(), tsi.get().selectors(),
                tsr.get().selectors(), true, ni, nr, Optional.empty(), Optional.empty()));
        session.startQueued();
    }

    /**
     * A responder that several tunnels accept: the tunnel whose identity, algorithms and selectors fit the peer's
     * IKE_AUTH request best ({@link TunnelChoice}) and whose PSK or certificate authenticates it becomes this IKE
     * SA's. Empty if one did; else why none did (the first tunnel stays, and the IKE SA fails).
     */
    private Optional<String> choose(IdPayload idi, IkeMessage m) {
        Optional<IdPayload> idr = m.all(IdPayload.class).stream().filter(i -> !i.initiator()).findFirst();
        List<TrafficSelector> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst()
                .map(TsPayload::selectors).orElse(List.of());
        List<TrafficSelector> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst()
                .map(TsPayload::selectors).orElse(List.of());
        IkeSuite suite = ctx.sa.suite;
        List<IkeTunnel> ranked = TunnelChoice.rank(ctx.candidates, idi, idr, tsi, tsr,
                t -> ProposalPolicy.chooseIke(List.of(ProposalPolicy.ikeResponse(1, suite)), t.ikeSa()).isPresent(),
                ctx.local.getAddress(), ctx.remote.getAddress());
        if (ranked.isEmpty()) {
            ctx.count("tunnel_choice_none");
            return Optional.of("no tunnel of " + TunnelChoice.labels(ctx.candidates) + " accepts the peer's identity "
                    + PeerCertificates.describe(idi) + " with the IKE algorithms negotiated");
        }
        IkeTunnel first = tunnel;
        Optional<String> firstProblem = Optional.empty();
        for (IkeTunnel t : ranked) {
            use(t);
            Optional<String> problem = credentialError != null ? Optional.of("cannot use our certificate: "
                    + credentialError) : verifyAuth(true, idi, m);
            if (problem.isEmpty()) {
                ctx.count(t == first ? "tunnel_choice_first" : "tunnel_choice_other");
                return problem;
            }
            firstProblem = firstProblem.or(() -> problem.map(p -> "tunnel " + t.label() + ": " + p));
        }
        use(first);
        ctx.count("tunnel_choice_unauthenticated");
        return firstProblem;
    }

    private void failOnNotify(NotifyPayload n) {
        session.fail(EngineContext.reasonOf(n), "the peer answered " + n.notifyType().name());
    }

    // ----------------------------------------------------------------------------------------------- IKE_AUTH, in

    /** The initiator's IKE_AUTH request: our answer's payloads (the peer authenticated, then the first Child SA). */
    List<Payload> authRequest(IkeMessage m) {
        halfOpenDeadline = null;
        Optional<IdPayload> idi = m.all(IdPayload.class).stream().filter(IdPayload::initiator).findFirst();
        Optional<String> authProblem = idi.isEmpty() ? Optional.of("IKE_AUTH request without IDi")
                : ctx.candidates.size() == 1 ? verifyAuth(true, idi.get(), m) : choose(idi.get(), m);
        if (authProblem.isPresent()) {
            session.fail(FailureReason.AUTHENTICATION_FAILED, authProblem.get());
            return List.of(NotifyPayload.of(NotifyType.Known.AUTHENTICATION_FAILED));
        }
        initialContact = m.notify(NotifyType.Known.INITIAL_CONTACT).isPresent();
        ctx.peerId = idi.get();
        ctx.peerMidSync = m.notify(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC_SUPPORTED).isPresent();
        if (heldNat != null) {
            ctx.output(heldNat);
            heldNat = null;
        }
        session.established();
        IdPayload idr = ourId(false);
        List<Payload> p = new ArrayList<>();
        p.add(idr);
        if (certAuth != null) {
            p.addAll(certAuth.certificates());
        }
        p.add(auth(false, idr));
        p.add(NotifyPayload.of(NotifyType.Known.IKEV2_MESSAGE_ID_SYNC_SUPPORTED));
        Optional<SaPayload> sa = m.first(SaPayload.class);
        Optional<TsPayload> tsi = m.all(TsPayload.class).stream().filter(TsPayload::initiator).findFirst();
        Optional<TsPayload> tsr = m.all(TsPayload.class).stream().filter(t -> !t.initiator()).findFirst();
        if (sa.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            ctx.childFailed(FailureReason.PROTOCOL_ERROR, "IKE_AUTH request without SA, TSi or TSr");
            p.add(NotifyPayload.of(NotifyType.Known.INVALID_SYNTAX));
            return p;
        }
        long spiIn = ctx.nonZeroChildSpi();
        Optional<ProposalPolicy.EspChoice> esp = ProposalPolicy.chooseEsp(sa.get().proposals(), tunnel.childSa(),
                spiIn);
        if (esp.isEmpty()) {
            ctx.childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "no ESP proposal of the initiator is acceptable");
            p.add(NotifyPayload.of(NotifyType.Known.NO_PROPOSAL_CHOSEN));
            return p;
        }
        IpFamily family = IpAddresses.family(ctx.remote.getAddress());
        List<TrafficSelector> narrowedI = SelectorPolicy.narrow(tsi.get().selectors(),
                SelectorPolicy.of(tunnel.to(), family));
        List<TrafficSelector> narrowedR = SelectorPolicy.narrow(tsr.get().selectors(),
                SelectorPolicy.of(tunnel.from(), family));
        Optional<String> unanswerable = SelectorPolicy.unanswerable(tsi.get().selectors(),
                tsr.get().selectors(), narrowedI, narrowedR, "IKE_AUTH");
        if (unanswerable.isPresent()) {
            ctx.childFailed(FailureReason.TS_UNACCEPTABLE, unanswerable.get());
            p.add(NotifyPayload.of(NotifyType.Known.TS_UNACCEPTABLE));
            return p;
        }
        p.add(SaPayload.of(esp.get().selected()));
        p.add(new TsPayload(true, narrowedI));
        p.add(new TsPayload(false, narrowedR));
        childSpiIn = spiIn;
        ctx.output(children.install(esp.get().suite(), spiIn, esp.get().peerSpi(), narrowedI, narrowedR, false, ni,
                nr, Optional.empty(), Optional.empty()));
        return p;
    }
}
