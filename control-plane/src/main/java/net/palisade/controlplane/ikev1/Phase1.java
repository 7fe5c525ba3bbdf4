package net.palisade.controlplane.ikev1;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.controlplane.ike.auth.Credentials;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.model.IkeAuth;
import net.palisade.model.Identity;
import net.palisade.model.IpAddresses;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1DecodeResult;
import net.palisade.model.wire.ikev1.Ikev1ExchangeType;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Message;
import net.palisade.model.wire.ikev1.Ikev1NotifyType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev1.Ikev1PayloadType;
import net.palisade.model.wire.ikev1.Ikev1ProtocolId;
import org.bouncycastle.asn1.x500.X500Name;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Phase 1 (RFC 2409 sections 5 and 5.4): main mode (six messages) and aggressive mode (three), both roles, with a
 * pre-shared key; NAT-D (RFC 3947, or the drafts' payload 130) in messages 3 and 4 of main mode and 2 and 3 of
 * aggressive mode, and the float to port 4500 right after; vendor IDs for NAT-T and DPD. Aggressive mode's message 3
 * is sent encrypted (as strongSwan and libreswan do) and accepted in clear as well.
 */
final class Phase1 {
    private static final Logger LOG = LoggerFactory.getLogger(Phase1.class);
    private static final Ikev1ExchangeType MAIN = Ikev1ExchangeType.Known.IDENTITY_PROTECTION;
    private static final Ikev1ExchangeType AGGRESSIVE = Ikev1ExchangeType.Known.AGGRESSIVE;

    private final Ikev1Context ctx;
    private final Ikev1Session session;
    private boolean aggressive;
    /** The last message of ours or the peer's handled: 1 to 6. */
    private int step;
    private Ikev1Payload.Sa ourSa;
    /** The body of the initiator's SA payload, as sent. */
    private byte[] saiB;
    private KeyExchange ke;
    private byte[] ni;
    private byte[] nr;
    private byte[] gxi;
    private byte[] gxr;
    /** Main mode: the suite chosen in messages 1 and 2, keyed in messages 3 and 4. */
    private IsakmpSa.Suite pendingSuite;
    /** Aggressive mode responder: the body of the initiator's ID payload, for HASH_I in message 3. */
    private byte[] peerIdB;
    /** The peer's ID payload once accepted; authenticated once phase 1 is up. */
    private Ikev1Payload.Id peerId;
    /** Pre-shared key or RSA signatures (RFC 2409 Appendix A). */
    private int authMethod = Ikev1Proposals.AUTH_PSK;
    /** Our certificate, key and CAs when the tunnel authenticates with certificates. */
    private Credentials creds;

    Phase1(Ikev1Context ctx, Ikev1Session session) {
        this.ctx = ctx;
        this.session = session;
    }

    boolean aggressive() {
        return aggressive;
    }

    /** A resumed ISAKMP SA: how it came up, and whom it authenticated. */
    void resumed(boolean aggressiveMode, Optional<Ikev1Payload.Id> authenticated) {
        aggressive = aggressiveMode;
        peerId = authenticated.orElse(null);
        step = 6;
    }

    // ------------------------------------------------------------------------------------------------ initiator

    /** Message 1 of main or aggressive mode. */
    void start(boolean aggressiveMode) {
        aggressive = aggressiveMode;
        ctx.ckyI = ctx.nonZero();
        if (!prepareAuthentication()) {
            return;
        }
        ourSa = Ikev1Proposals.phase1(ctx.tunnel.ikeSa(), aggressive
                ? Optional.of(ctx.tunnel.ikeSa().groups().getFirst()) : Optional.empty(), authMethod);
        saiB = body(ourSa);
        List<Ikev1Payload> p = new ArrayList<>();
        p.add(ourSa);
        if (aggressive) {
            // aggressive mode offers one group: the KE goes out before the peer chose
            ke = ctx.env.keyExchange().generate(ctx.tunnel.ikeSa().groups().getFirst(), ctx.env.random());
            gxi = ke.publicValue();
            ni = ctx.nonce();
            p.add(new Ikev1Payload.Ke(Octets.of(gxi)));
            p.add(new Ikev1Payload.Nonce(Octets.of(ni)));
            p.add(ourId());
        }
        VendorIds.OURS.forEach(v -> p.add(new Ikev1Payload.VendorId(v)));
        step = 1;
        ctx.send(0, ctx.plain(aggressive ? AGGRESSIVE : MAIN, 0, p), true);
    }

    /** The peer's answer in phase 1 (plain messages 2 and 4, encrypted 6; aggressive message 2). */
    void initiatorReceived(Ikev1Message m, byte[] datagram) {
        if (m instanceof Ikev1Message.Plain plain && step == 1) {
            message2(plain, datagram);
        } else if (m instanceof Ikev1Message.Plain plain && step == 3 && !aggressive) {
            mainMessage4(plain);
        } else if (m instanceof Ikev1Message.Encrypted enc && step == 5 && !aggressive) {
            mainMessage6(enc);
        } else {
            ctx.drop("phase1_unexpected");
        }
    }

    private void message2(Ikev1Message.Plain m, byte[] datagram) {
        if (m.header().responderCookie() == 0) {
            ctx.drop("phase1_zero_responder_cookie");
            return;
        }
        if (refusedByNotify(m)) {
            return;
        }
        Optional<Ikev1Payload.Sa> sa = m.first(Ikev1Payload.Sa.class);
        Optional<IsakmpSa.Suite> suite = sa.filter(s -> s.proposals().size() == 1
                && s.proposals().getFirst().transforms().size() == 1)
                .flatMap(s -> Ikev1Proposals.phase1Suite(s.proposals().getFirst().transforms().getFirst(),
                        ctx.tunnel.ikeSa(), authMethod));
        if (suite.isEmpty()) {
            session.fail(FailureReason.NO_PROPOSAL_CHOSEN, "the peer's phase-1 SA is none of the transforms we "
                    + "proposed");
            return;
        }
        ctx.ckyR = m.header().responderCookie();
        vendorIds(m);
        if (!aggressive) {
            ke = ctx.env.keyExchange().generate(suite.get().group(), ctx.env.random());
            gxi = ke.publicValue();
            ni = ctx.nonce();
            List<Ikev1Payload> p = new ArrayList<>(List.of(new Ikev1Payload.Ke(Octets.of(gxi)),
                    new Ikev1Payload.Nonce(Octets.of(ni))));
            p.addAll(certRequests());
            p.addAll(natD(suite.get()));
            step = 3;
            ctx.send(0, ctx.plain(MAIN, 0, p), true);
            pendingSuite = suite.get();
            return;
        }
        if (suite.get().group() != ke.group()) {
            session.fail(FailureReason.NO_PROPOSAL_CHOSEN, "the peer chose group " + suite.get().group()
                    + " in aggressive mode; we sent a key exchange of " + ke.group());
            return;
        }
        Optional<byte[]> keyed = keyed(m, suite.get());
        if (keyed.isEmpty()) {
            return;
        }
        byte[] raw = datagram;
        List<Ikev1Raw.Slot> chain = Ikev1Raw.walk(raw, 28, raw[16] & 0xff);
        byte[] idrB = Ikev1Raw.body(raw, chain, Ikev1PayloadType.Known.ID.value()).orElse(null);
        Optional<Ikev1Payload.Hash> hash = m.first(Ikev1Payload.Hash.class);
        if (idrB == null || hash.isEmpty()) {
            session.fail(FailureReason.PROTOCOL_ERROR, "aggressive mode message 2 without ID or HASH_R");
            return;
        }
        if (!authenticated(hash.get(), false, idrB) || !peerIdAccepted(m.first(Ikev1Payload.Id.class).get())) {
            return;
        }
        natDetection(m.all(Ikev1Payload.NatD.class));
        floatPorts();
        List<Ikev1Payload> p = new ArrayList<>();
        p.add(new Ikev1Payload.Hash(Octets.of(ourHash(body(ourId())))));
        p.addAll(natD(ctx.sa.suite));
        initialContact(p);
        step = 3;
        ctx.send(0, ctx.encrypted(AGGRESSIVE, 0, p), false);
        session.established(ctx.sa.suite);
    }

    private void mainMessage4(Ikev1Message.Plain m) {
        if (keyed(m, pendingSuite).isEmpty()) {
            return;
        }
        natDetection(m.all(Ikev1Payload.NatD.class));
        floatPorts();
        List<Ikev1Payload> p = proof();
        initialContact(p);
        step = 5;
        ctx.send(0, ctx.encrypted(MAIN, 0, p), true);
    }

    private void mainMessage6(Ikev1Message.Encrypted m) {
        Optional<Decrypted> d = decrypt(m);
        if (d.isEmpty()) {
            return;
        }
        byte[] idB = Ikev1Raw.body(d.get().plain, d.get().chain, Ikev1PayloadType.Known.ID.value()).orElse(null);
        if (idB == null) {
            session.fail(FailureReason.PROTOCOL_ERROR, "main mode message 6 without ID");
            return;
        }
        if (!proven(d.get().payloads, false, idB)
                || !peerIdAccepted(first(d.get().payloads, Ikev1Payload.Id.class).get())) {
            return;
        }
        ctx.sa.commit(0, d.get().nextIv);
        step = 6;
        session.established(ctx.sa.suite);
    }

    // ------------------------------------------------------------------------------------------------ responder

    /** The initiator's message 1 (the session is new), 3 or 5 of main mode, or 1 or 3 of aggressive mode. */
    void responderReceived(Ikev1Message m, byte[] datagram) {
        if (step == 0 && m instanceof Ikev1Message.Plain plain) {
            aggressive = m.header().exchangeType() == AGGRESSIVE;
            message1(plain, datagram);
        } else if (!aggressive && step == 2 && m instanceof Ikev1Message.Plain plain) {
            mainMessage3(plain);
        } else if (!aggressive && step == 4 && m instanceof Ikev1Message.Encrypted enc) {
            mainMessage5(enc);
        } else if (aggressive && step == 2) {
            aggressiveMessage3(m, datagram);
        } else {
            ctx.drop("phase1_unexpected");
        }
    }

    private void message1(Ikev1Message.Plain m, byte[] datagram) {
        ctx.ckyI = m.header().initiatorCookie();
        if (!prepareAuthentication()) {
            return;
        }
        Optional<Ikev1Payload.Sa> sa = m.first(Ikev1Payload.Sa.class);
        Optional<Ikev1Proposals.Chosen<IsakmpSa.Suite>> chosen = sa.flatMap(s -> Ikev1Proposals.choosePhase1(s,
                ctx.tunnel.ikeSa(), authMethod));
        if (chosen.isPresent() && aggressive) {
            // the initiator's KE is of one group: the transform we take must be of that group
            int keLength = m.first(Ikev1Payload.Ke.class).map(k -> k.data().length()).orElse(-1);
            if (chosen.get().suite().group().publicValueBytes() != keLength) {
                chosen = Optional.empty();
            }
        }
        if (chosen.isEmpty()) {
            ctx.ckyR = ctx.nonZero();
            ctx.sendOnce(ctx.plain(Ikev1ExchangeType.Known.INFORMATIONAL, 0, List.of(new Ikev1Payload.Notify(
                    Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.ISAKMP, Octets.empty(),
                    Ikev1NotifyType.Known.NO_PROPOSAL_CHOSEN, Octets.empty()))));
            session.fail(FailureReason.NO_PROPOSAL_CHOSEN, "none of the peer's phase-1 transforms is allowed by "
                    + "our " + (aggressive ? "aggressive" : "main") + " settings");
            return;
        }
        List<Ikev1Raw.Slot> chain = Ikev1Raw.walk(datagram, 28, datagram[16] & 0xff);
        saiB = Ikev1Raw.body(datagram, chain, Ikev1PayloadType.Known.SA.value()).orElseThrow();
        ctx.ckyR = ctx.nonZero();
        vendorIds(m);
        session.enter(aggressive ? Ikev1State.SETUP_REMOTE_AGGRESSIVE : Ikev1State.SETUP_REMOTE_MAIN);
        IsakmpSa.Suite suite = chosen.get().suite();
        ourSa = new Ikev1Payload.Sa(Ikev1Payload.IPSEC_DOI, Ikev1Payload.SIT_IDENTITY_ONLY, List.of(
                new net.palisade.model.wire.ikev1.Ikev1Proposal(sa.get().proposals().getFirst().number(),
                        Ikev1ProtocolId.Known.ISAKMP, Octets.empty(), List.of(chosen.get().transform()))));
        List<Ikev1Payload> p = new ArrayList<>();
        p.add(ourSa);
        if (!aggressive) {
            VendorIds.OURS.forEach(v -> p.add(new Ikev1Payload.VendorId(v)));
            pendingSuite = suite;
            step = 2;
            ctx.send(0, ctx.plain(MAIN, 0, p), false);
            return;
        }
        Optional<Ikev1Payload.Id> peerId = m.first(Ikev1Payload.Id.class);
        byte[] idiB = Ikev1Raw.body(datagram, chain, Ikev1PayloadType.Known.ID.value()).orElse(null);
        if (peerId.isEmpty() || idiB == null || !peerIdAccepted(peerId.get())) {
            if (peerId.isEmpty()) {
                session.fail(FailureReason.PROTOCOL_ERROR, "aggressive mode message 1 without ID");
            }
            return;
        }
        peerIdB = idiB;
        ke = ctx.env.keyExchange().generate(suite.group(), ctx.env.random());
        gxr = ke.publicValue();
        nr = ctx.nonce();
        if (keyed(m, suite).isEmpty()) {
            return;
        }
        Ikev1Payload.Id id = ourId();
        p.add(new Ikev1Payload.Ke(Octets.of(gxr)));
        p.add(new Ikev1Payload.Nonce(Octets.of(nr)));
        p.add(id);
        p.add(new Ikev1Payload.Hash(Octets.of(ourHash(body(id)))));
        VendorIds.OURS.forEach(v -> p.add(new Ikev1Payload.VendorId(v)));
        p.addAll(natD(suite));
        step = 2;
        ctx.send(0, ctx.plain(AGGRESSIVE, 0, p), true);
    }

    private void mainMessage3(Ikev1Message.Plain m) {
        ke = ctx.env.keyExchange().generate(pendingSuite.group(), ctx.env.random());
        gxr = ke.publicValue();
        nr = ctx.nonce();
        if (keyed(m, pendingSuite).isEmpty()) {
            return;
        }
        natDetection(m.all(Ikev1Payload.NatD.class));
        List<Ikev1Payload> p = new ArrayList<>(List.of(new Ikev1Payload.Ke(Octets.of(gxr)),
                new Ikev1Payload.Nonce(Octets.of(nr))));
        p.addAll(certRequests());
        p.addAll(natD(pendingSuite));
        step = 4;
        ctx.send(0, ctx.plain(MAIN, 0, p), false);
    }

    private void mainMessage5(Ikev1Message.Encrypted m) {
        Optional<Decrypted> d = decrypt(m);
        if (d.isEmpty()) {
            return;
        }
        byte[] idB = Ikev1Raw.body(d.get().plain, d.get().chain, Ikev1PayloadType.Known.ID.value()).orElse(null);
        if (idB == null) {
            session.fail(FailureReason.PROTOCOL_ERROR, "main mode message 5 without ID");
            return;
        }
        if (!proven(d.get().payloads, true, idB)
                || !peerIdAccepted(first(d.get().payloads, Ikev1Payload.Id.class).get())) {
            return;
        }
        ctx.sa.commit(0, d.get().nextIv);
        notifies(d.get().payloads);
        step = 6;
        ctx.send(0, ctx.encrypted(MAIN, 0, proof()), false);
        session.established(ctx.sa.suite);
    }

    private void aggressiveMessage3(Ikev1Message m, byte[] datagram) {
        List<Ikev1Payload> payloads;
        Optional<byte[]> nextIv = Optional.empty();
        if (m instanceof Ikev1Message.Encrypted enc) {
            Optional<Decrypted> d = decrypt(enc);
            if (d.isEmpty()) {
                return;
            }
            payloads = d.get().payloads;
            nextIv = Optional.of(d.get().nextIv);
        } else {
            ctx.count("aggressive_message3_in_clear");
            payloads = ((Ikev1Message.Plain) m).payloads();
        }
        Optional<Ikev1Payload.Hash> hash = first(payloads, Ikev1Payload.Hash.class);
        if (hash.isEmpty()) {
            session.fail(FailureReason.PROTOCOL_ERROR, "aggressive mode message 3 without HASH_I");
            return;
        }
        if (!authenticated(hash.get(), true, peerIdB)) {
            return;
        }
        nextIv.ifPresent(iv -> ctx.sa.commit(0, iv));
        natDetection(payloads.stream().filter(Ikev1Payload.NatD.class::isInstance).map(Ikev1Payload.NatD.class::cast)
                .toList());
        notifies(payloads);
        ctx.flight(0).awaiting = false;
        step = 3;
        session.established(ctx.sa.suite);
    }

    // ------------------------------------------------------------------------------------------------ shared

    /** KE and nonce of the peer's message: the shared secret and the ISAKMP SA's keys. Empty (failed) if invalid. */
    private Optional<byte[]> keyed(Ikev1Message.Plain m, IsakmpSa.Suite suite) {
        Optional<Ikev1Payload.Ke> peerKe = m.first(Ikev1Payload.Ke.class);
        Optional<Ikev1Payload.Nonce> peerNonce = m.first(Ikev1Payload.Nonce.class);
        if (peerKe.isEmpty() || peerNonce.isEmpty()) {
            session.fail(FailureReason.PROTOCOL_ERROR, "phase-1 message without KE or nonce");
            return Optional.empty();
        }
        byte[] gxy;
        try {
            gxy = ke.sharedSecret(peerKe.get().data().toByteArray());
        } catch (KeyExchange.KeyExchangeException e) {
            session.fail(FailureReason.KEY_EXCHANGE_FAILED, e.getMessage());
            return Optional.empty();
        }
        if (ctx.initiator) {
            gxr = peerKe.get().data().toByteArray();
            nr = peerNonce.get().data().toByteArray();
        } else {
            gxi = peerKe.get().data().toByteArray();
            ni = peerNonce.get().data().toByteArray();
        }
        byte[] skeyid = ctx.tunnel.authentication() instanceof IkeAuth.Psk psk
                ? Ikev1Keymat.skeyidPsk(suite.prf(), psk.psk().revealBytes(), ni, nr)
                : Ikev1Keymat.skeyidSignature(suite.prf(), ni, nr, gxy);
        ctx.sa = new IsakmpSa(suite, skeyid, gxy, Ikev1Keymat.u64(ctx.ckyI), Ikev1Keymat.u64(ctx.ckyR), gxi, gxr);
        return Optional.of(gxy);
    }

    /** HASH_I when we are the initiator, HASH_R when we respond, over our ID payload's body. */
    private byte[] ourHash(byte[] idB) {
        return hash(ctx.initiator, idB);
    }

    private byte[] hash(boolean ofInitiator, byte[] idB) {
        byte[] ci = Ikev1Keymat.u64(ctx.ckyI);
        byte[] cr = Ikev1Keymat.u64(ctx.ckyR);
        return ofInitiator ? Ikev1Keymat.hashI(ctx.sa.suite.prf(), ctx.sa.skeyid, gxi, gxr, ci, cr, saiB, idB)
                : Ikev1Keymat.hashR(ctx.sa.suite.prf(), ctx.sa.skeyid, gxi, gxr, ci, cr, saiB, idB);
    }

    /** True if the peer's HASH is right; else the negotiation fails (a wrong pre-shared key, most likely). */
    private boolean authenticated(Ikev1Payload.Hash received, boolean ofInitiator, byte[] peerIdB) {
        if (MessageDigest.isEqual(hash(ofInitiator, peerIdB), received.data().toByteArray())) {
            return true;
        }
        ctx.drop("phase1_hash_mismatch");
        session.fail(FailureReason.AUTHENTICATION_FAILED, "the peer's " + (ofInitiator ? "HASH_I" : "HASH_R")
                + " does not match: the pre-shared keys differ");
        return false;
    }

    private record Decrypted(byte[] plain, List<Ikev1Raw.Slot> chain, List<Ikev1Payload> payloads, byte[] nextIv) {}

    /** The payloads of an encrypted phase-1 message; garbage after decryption means the keys (the PSK) differ. */
    private Optional<Decrypted> decrypt(Ikev1Message.Encrypted m) {
        Optional<IsakmpSa.Opened> opened = ctx.sa.decrypt(0, m.ciphertext().toByteArray());
        Ikev1DecodeResult<List<Ikev1Payload>> payloads = opened.isEmpty()
                ? new Ikev1DecodeResult.Rejected<>(net.palisade.model.wire.ikev1.Ikev1RejectReason.TRAILING_BYTES,
                "not whole blocks")
                : ctx.codec.decodePayloads(m.firstPayload(), opened.get().plaintext());
        if (!(payloads instanceof Ikev1DecodeResult.Ok<List<Ikev1Payload>> ok)) {
            ctx.drop("phase1_undecryptable");
            session.fail(FailureReason.AUTHENTICATION_FAILED, "the peer's encrypted phase-1 message does not "
                    + "decrypt to payloads: the pre-shared keys differ");
            return Optional.empty();
        }
        byte[] plain = opened.get().plaintext();
        return Optional.of(new Decrypted(plain, Ikev1Raw.walk(plain, 0, m.firstPayload().value()), ok.value(),
                opened.get().nextIv()));
    }

    private static <P extends Ikev1Payload> Optional<P> first(List<Ikev1Payload> payloads, Class<P> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    /** A notify refusing our message 1 (NO_PROPOSAL_CHOSEN...) arrives as an informational in clear. */
    private boolean refusedByNotify(Ikev1Message.Plain m) {
        Optional<Ikev1Payload.Notify> n = m.first(Ikev1Payload.Notify.class).filter(x -> x.notifyType().isError());
        if (n.isEmpty()) {
            return false;
        }
        session.fail(n.get().notifyType() == Ikev1NotifyType.Known.NO_PROPOSAL_CHOSEN
                ? FailureReason.NO_PROPOSAL_CHOSEN : FailureReason.PROTOCOL_ERROR,
                "the peer answered " + n.get().notifyType().name());
        return true;
    }

    private void vendorIds(Ikev1Message.Plain m) {
        List<Octets> ids = m.all(Ikev1Payload.VendorId.class).stream().map(Ikev1Payload.VendorId::id).toList();
        ctx.natT = VendorIds.natT(ids);
        ctx.peerDpd = ids.contains(VendorIds.DPD);
        for (Octets id : ids) {
            if (VendorIds.known(id).isEmpty()) {
                LOG.debug("{}: unknown vendor ID {}", ctx.tunnel.label(), id.hex());
                ctx.count("unknown_vendor_id");
            }
        }
    }

    private void notifies(List<Ikev1Payload> payloads) {
        if (payloads.stream().anyMatch(p -> p instanceof Ikev1Payload.Notify n
                && n.notifyType() == Ikev1NotifyType.Known.INITIAL_CONTACT)) {
            ctx.peerInitialContact = true;
            ctx.count("initial_contact_received");
        }
    }

    private void initialContact(List<Ikev1Payload> p) {
        if (ctx.sendInitialContact) {
            p.add(new Ikev1Payload.Notify(Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.ISAKMP,
                    Octets.of(Ikev1Keymat.concat(Ikev1Keymat.u64(ctx.ckyI), Ikev1Keymat.u64(ctx.ckyR))),
                    Ikev1NotifyType.Known.INITIAL_CONTACT, Octets.empty()));
        }
    }

    // ------------------------------------------------------------------------------------------------ NAT-T

    /**
     * Our NAT-D payloads: the peer's address as we send to it, then ours (deliberately wrong when encapsulation is
     * forced, so that the peer encapsulates too, as strongSwan's {@code encap = yes} does).
     */
    private List<Ikev1Payload> natD(IsakmpSa.Suite suite) {
        if (ctx.natT == VendorIds.NatT.NONE) {
            return List.of();
        }
        boolean draft = ctx.natT == VendorIds.NatT.DRAFT;
        byte[] ours = forced() ? ctx.env.random().bytes(suite.hash().keyBytes()) : natHash(suite, ctx.local);
        return List.of(new Ikev1Payload.NatD(draft, Octets.of(natHash(suite, ctx.remote))),
                new Ikev1Payload.NatD(draft, Octets.of(ours)));
    }

    private byte[] natHash(IsakmpSa.Suite suite, InetSocketAddress a) {
        return Ikev1Keymat.natD(suite.hash(), Ikev1Keymat.u64(ctx.ckyI), Ikev1Keymat.u64(ctx.ckyR),
                a.getAddress().getAddress(), a.getPort());
    }

    private boolean forced() {
        return ctx.tunnel.encap() || ctx.settings.forceUdpEncapsulation();
    }

    private void natDetection(List<Ikev1Payload.NatD> natDs) {
        if (ctx.natT == VendorIds.NatT.NONE) {
            if (ctx.tunnel.encap()) {
                // `encap` works by NAT-D; a peer without NAT-T would get plain ESP, not what the config says
                session.fail(FailureReason.NO_PROPOSAL_CHOSEN, "the tunnel says encap, but the peer announced no NAT"
                        + " traversal (no RFC 3947 or draft vendor ID), so ESP cannot be forced into UDP");
            }
            return;
        }
        if (natDs.size() < 2) {
            ctx.drop("nat_d_missing");
            return;
        }
        IsakmpSa.Suite suite = ctx.sa.suite;
        boolean localNat = !natDs.getFirst().hash().equals(Octets.of(natHash(suite, ctx.local)));
        Octets remote = Octets.of(natHash(suite, ctx.remote));
        boolean remoteNat = natDs.subList(1, natDs.size()).stream().noneMatch(n -> n.hash().equals(remote));
        ctx.behindNat = localNat;
        ctx.udpEncapsulation = localNat || remoteNat || forced();
        ctx.output(new IkeOutput.NatDetected(localNat, remoteNat));
    }

    /** The initiator moves to port 4500 once NAT-D asked for encapsulation (RFC 3947 section 4). */
    private void floatPorts() {
        if (ctx.udpEncapsulation && ctx.remote.getPort() == 500) {
            ctx.local = new InetSocketAddress(ctx.local.getAddress(), 4500);
            ctx.remote = new InetSocketAddress(ctx.remote.getAddress(), 4500);
        }
    }

    // ------------------------------------------------------------------------------------------------ identities

    /** Our ID: {@code srcid}, else our address. */
    private Ikev1Payload.Id ourId() {
        if (ctx.tunnel.srcId().isEmpty() && creds != null) {
            return new Ikev1Payload.Id(Ikev1IdType.Known.ID_DER_ASN1_DN, 0, 0, Octets.of(creds.subject().getEncoded()));
        }
        return id(ctx.tunnel.srcId(), ctx.local.getAddress());
    }

    static Ikev1Payload.Id id(Optional<Identity> identity, InetAddress address) {
        if (identity.isEmpty()) {
            return addressId(address);
        }
        Identity id = identity.get();
        return switch (id.type()) {
            case IPV4, IPV6 -> addressId(IpAddresses.parse(id.value()).orElseThrow());
            case FQDN -> new Ikev1Payload.Id(Ikev1IdType.Known.ID_FQDN, 0, 0,
                    Octets.of(id.value().getBytes(StandardCharsets.US_ASCII)));
            case USER_FQDN -> new Ikev1Payload.Id(Ikev1IdType.Known.ID_USER_FQDN, 0, 0,
                    Octets.of(id.value().getBytes(StandardCharsets.US_ASCII)));
            case DN -> {
                try {
                    yield new Ikev1Payload.Id(Ikev1IdType.Known.ID_DER_ASN1_DN, 0, 0,
                            Octets.of(new X500Name(id.value()).getEncoded()));
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot encode DN identity", e);
                }
            }
        };
    }

    private static Ikev1Payload.Id addressId(InetAddress a) {
        byte[] b = a.getAddress();
        return new Ikev1Payload.Id(b.length == 4 ? Ikev1IdType.Known.ID_IPV4_ADDR : Ikev1IdType.Known.ID_IPV6_ADDR,
                0, 0, Octets.of(b));
    }

    /**
     * True if the peer's ID is the one {@code dstid} requires (type and data; protocol and port are not compared:
     * peers send 0/0 or UDP/500); without {@code dstid} whoever the pre-shared key authenticates.
     */
    private boolean peerIdAccepted(Ikev1Payload.Id received) {
        if (ctx.tunnel.dstId().isEmpty()) {
            peerId = received;
            return true;
        }
        Ikev1Payload.Id want = id(ctx.tunnel.dstId(), ctx.remote.getAddress());
        if (want.idType().value() == received.idType().value() && (want.data().equals(received.data())
                || want.idType() == Ikev1IdType.Known.ID_DER_ASN1_DN && Ikev1Signatures.sameDn(want, received))) {
            peerId = received;
            return true;
        }
        ctx.drop("phase1_peer_id_refused");
        session.fail(FailureReason.AUTHENTICATION_FAILED, "the peer's ID " + received.idType().name()
                + " is not the dstid " + ctx.tunnel.dstId().get().value());
        return false;
    }

    /** The peer's ID, once accepted (authenticated once phase 1 is up). */
    Optional<Ikev1Payload.Id> peerId() {
        return Optional.ofNullable(peerId);
    }

    // ------------------------------------------------------------------------------------------------ proofs

    /** Loads our certificate credentials for a certificate tunnel; false (failed) if they cannot be used. */
    private boolean prepareAuthentication() {
        if (!(ctx.tunnel.authentication() instanceof IkeAuth.Certificates files)) {
            return true;
        }
        Optional<String> refused = aggressive ? Optional.of("IKEv1 aggressive mode with certificates is not "
                + "supported; use main mode") : Optional.empty();
        if (refused.isEmpty()) {
            try {
                creds = ctx.env.credentials().load(files);
                refused = Ikev1Signatures.unsupported(creds);
            } catch (CredentialException e) {
                refused = Optional.of(e.getMessage());
            }
        }
        if (refused.isPresent()) {
            session.fail(FailureReason.AUTHENTICATION_FAILED, refused.get());
            return false;
        }
        authMethod = Ikev1Proposals.AUTH_RSA_SIG;
        return true;
    }

    /** CR payloads naming our CAs (so that a peer sending its certificate only when asked sends it). */
    private List<Ikev1Payload> certRequests() {
        return creds == null ? List.of() : Ikev1Signatures.certRequests(creds);
    }

    /** Our ID and its proof: HASH with a pre-shared key; our certificates and SIG with certificates. */
    private List<Ikev1Payload> proof() {
        Ikev1Payload.Id id = ourId();
        byte[] h = ourHash(body(id));
        List<Ikev1Payload> p = new ArrayList<>(List.of(id));
        if (creds == null) {
            p.add(new Ikev1Payload.Hash(Octets.of(h)));
        } else {
            p.addAll(Ikev1Signatures.certificates(creds));
            p.add(Ikev1Signatures.sign(creds, h));
        }
        return p;
    }

    /** True if the peer proved its ID {@code idB} (HASH, or certificate and SIG); else the negotiation fails. */
    private boolean proven(List<Ikev1Payload> payloads, boolean ofInitiator, byte[] idB) {
        if (creds == null) {
            Optional<Ikev1Payload.Hash> hash = first(payloads, Ikev1Payload.Hash.class);
            if (hash.isEmpty()) {
                session.fail(FailureReason.PROTOCOL_ERROR, "phase-1 message without HASH");
                return false;
            }
            return authenticated(hash.get(), ofInitiator, idB);
        }
        Optional<String> failed = Ikev1Signatures.verify(creds, payloads, ofInitiator, hash(ofInitiator, idB),
                ctx.now());
        if (failed.isPresent()) {
            ctx.drop("phase1_signature_refused");
            session.fail(FailureReason.AUTHENTICATION_FAILED, failed.get());
            return false;
        }
        return true;
    }

    /** The body of a payload as we encode it (for our own SA and ID). */
    private byte[] body(Ikev1Payload p) {
        byte[] whole = ctx.codec.encodePayloads(List.of(p));
        return java.util.Arrays.copyOfRange(whole, 4, whole.length);
    }
}
