package net.palisade.controlplane.ikev1;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1ExchangeType;
import net.palisade.model.wire.ikev1.Ikev1Header;
import net.palisade.model.wire.ikev1.Ikev1NotifyType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev1.Ikev1Proposal;
import net.palisade.model.wire.ikev1.Ikev1ProtocolId;

/**
 * Quick mode (RFC 2409 section 5.5), both roles: HASH(1), SA, Ni [, KE] [, IDci, IDcr]; HASH(2), SA, Nr [, KE]
 * [, IDci, IDcr] [, RESPONDER-LIFETIME]; HASH(3). One quick mode negotiates one flow pair (one ESP SA each way); a
 * tunnel {@code from A B to C} runs two. PFS when the {@code quick} settings have groups. The commit bit is tolerated
 * (the SA is installed on message 3 either way, which is what the bit protects). The ESP keys go out as
 * {@link IkeOutput.ChildSaInstalled}, the same output the IKEv2 engine gives.
 *
 * <p>When the two sides install matters, because the initiator installs both directions on message 2 and may send
 * on its new outbound SA at once: as initiator we install before message 3 leaves; as responder to a quick mode that
 * replaces a pair of ours (strongSwan's rekey), the new pair receives from before message 2 leaves and sends once
 * message 3 came, and the old pair receives until the peer deletes it. Installed on message 3 alone, an ESP packet
 * the initiator sent right after message 3 could arrive before it and be dropped as an unknown SPI.
 */
final class QuickMode {
    private static final Ikev1ExchangeType QUICK = Ikev1ExchangeType.Known.QUICK_MODE;
    private static final int ESP = Ikev1ProtocolId.Known.IPSEC_ESP.value();

    /** One quick mode in progress. */
    static final class Exchange {
        final long messageId;
        final boolean initiator;
        Flow local;
        Flow remote;
        long spiIn;
        long spiOut;
        KeyExchange ke;
        byte[] ni;
        byte[] nr;
        byte[] peerKe;
        Ikev1Proposals.QuickSuite suite;
        /** Our inbound SPI of the SA this one replaces, or 0. */
        long replaces;
        /** As responder: the new pair receives already (installed with message 2), waiting for message 3 to send. */
        boolean receiving;

        Exchange(long messageId, boolean initiator) {
            this.messageId = messageId;
            this.initiator = initiator;
        }
    }

    private final Ikev1Context ctx;
    private final Ikev1Session session;
    private final Map<Long, Exchange> active = new HashMap<>();
    /**
     * Our quick modes waiting for the one in flight. Ours go one at a time: strongSwan refuses a quick mode without
     * naming its SA (NO_PROPOSAL_CHOSEN with ESP SPI 0), and with one in flight the refusal can only be about that
     * one; a tunnel {@code from A B to C} then starts its second flow once the first is done.
     */
    private final java.util.ArrayDeque<Queued> queued = new java.util.ArrayDeque<>();

    private record Queued(Flow local, Flow remote, long replaces) {}

    QuickMode(Ikev1Context ctx, Ikev1Session session) {
        this.ctx = ctx;
        this.session = session;
    }

    boolean busy(long messageId) {
        return active.containsKey(messageId);
    }

    /** True if any quick mode of ours is in flight or waiting. */
    boolean anyInitiated() {
        return !queued.isEmpty() || oursInFlight();
    }

    /** True if a quick mode of ours for this flow pair is in flight or waiting. */
    boolean inFlight(Flow local, Flow remote) {
        return queued.stream().anyMatch(q -> q.local().equals(local) && q.remote().equals(remote))
                || active.values().stream().anyMatch(e -> e.initiator && e.local.equals(local)
                        && e.remote.equals(remote));
    }

    private ChildSaSpec spec() {
        return ctx.tunnel.childSa();
    }

    /**
     * Our quick modes' PFS group: the tunnel's, until a peer refused one with NO_PROPOSAL_CHOSEN and the groups were
     * not written in the config (strongSwan's default ESP proposals have no PFS): then none, as IKEv2 does.
     */
    private DhGroup pfsGroup() {
        return spec().pfs() && !peerDeclinesPfs ? spec().groups().getFirst() : DhGroup.NONE;
    }

    /** A peer refused our PFS quick mode with NO_PROPOSAL_CHOSEN and PFS is not required: offer none from now. */
    private boolean peerDeclinesPfs;

    private int encapsulation() {
        if (!ctx.udpEncapsulation) {
            return Ikev1Proposals.ENCAP_TUNNEL;
        }
        return ctx.natT == VendorIds.NatT.DRAFT ? Ikev1Proposals.ENCAP_UDP_TUNNEL_DRAFT
                : Ikev1Proposals.ENCAP_UDP_TUNNEL;
    }

    // ------------------------------------------------------------------------------------------------ initiator

    /**
     * Message 1 for the flow pair {@code local}/{@code remote}, or once the quick mode of ours in flight is done;
     * {@code replaces} is the SA it replaces, or 0.
     */
    void initiate(Flow local, Flow remote, long replaces) {
        if (oursInFlight()) {
            queued.add(new Queued(local, remote, replaces));
            ctx.count("quick_mode_queued");
            return;
        }
        start(local, remote, replaces);
    }

    private boolean oursInFlight() {
        return active.values().stream().anyMatch(e -> e.initiator);
    }

    /** The next waiting quick mode of ours, if none is in flight. */
    private void startNext() {
        if (!queued.isEmpty() && !oursInFlight()) {
            Queued q = queued.poll();
            start(q.local(), q.remote(), q.replaces());
        }
    }

    private void start(Flow local, Flow remote, long replaces) {
        Exchange e = new Exchange(ctx.newMessageId(), true);
        e.local = local;
        e.remote = remote;
        e.replaces = replaces;
        e.spiIn = ctx.childSpi();
        e.ni = ctx.nonce();
        DhGroup group = pfsGroup();
        List<Ikev1Payload> rest = new ArrayList<>();
        rest.add(Ikev1Proposals.quick(spec(), e.spiIn, group, encapsulation()));
        rest.add(new Ikev1Payload.Nonce(Octets.of(e.ni)));
        if (group != DhGroup.NONE) {
            e.ke = ctx.env.keyExchange().generate(group, ctx.env.random());
            rest.add(new Ikev1Payload.Ke(Octets.of(e.ke.publicValue())));
        }
        rest.add(local.id());
        rest.add(remote.id());
        byte[] hash = Ikev1Keymat.quickHash1(prf(), ctx.sa.skeyidA, e.messageId, ctx.codec.encodePayloads(rest));
        active.put(e.messageId, e);
        ctx.count("quick_mode_started");
        ctx.send(e.messageId, ctx.encrypted(QUICK, e.messageId, withHash(hash, rest)), true);
    }

    // ------------------------------------------------------------------------------------------------ receiving

    /**
     * A decrypted quick mode message whose first payload is HASH; {@code rest} is the octets after it. Returns true
     * if the message was authentic (the caller then commits the IV).
     */
    boolean received(Ikev1Header h, Ikev1Payload.Hash hash, List<Ikev1Payload> payloads, byte[] rest) {
        Exchange e = active.get(h.messageId());
        if (e == null) {
            return message1(h, hash, payloads, rest);
        }
        if (e.initiator) {
            return message2(e, h, hash, payloads, rest);
        }
        return message3(e, hash);
    }

    private boolean message1(Ikev1Header h, Ikev1Payload.Hash hash, List<Ikev1Payload> payloads, byte[] rest) {
        if (!matches(hash, Ikev1Keymat.quickHash1(prf(), ctx.sa.skeyidA, h.messageId(), rest))) {
            return false;
        }
        Exchange e = new Exchange(h.messageId(), false);
        Optional<Ikev1Payload.Sa> sa = first(payloads, Ikev1Payload.Sa.class);
        Optional<Ikev1Payload.Nonce> nonce = first(payloads, Ikev1Payload.Nonce.class);
        if (sa.isEmpty() || nonce.isEmpty()) {
            refuse(e, 0, Ikev1NotifyType.Known.PAYLOAD_MALFORMED, FailureReason.PROTOCOL_ERROR,
                    "quick mode message 1 without SA or nonce");
            return true;
        }
        e.ni = nonce.get().data().toByteArray();
        Ikev1Proposal proposal = sa.get().proposals().getFirst();
        long peerSpi = proposal.spi().length() == 4 ? proposal.spi().toUnsignedLong() : 0;
        Optional<Ikev1Proposals.Chosen<Ikev1Proposals.QuickSuite>> chosen = sa.get().proposals().stream()
                .map(p -> Ikev1Proposals.chooseQuick(p, spec())).flatMap(Optional::stream).findFirst();
        if (chosen.isEmpty()) {
            refuse(e, peerSpi, Ikev1NotifyType.Known.NO_PROPOSAL_CHOSEN, FailureReason.NO_PROPOSAL_CHOSEN,
                    "none of the peer's quick mode transforms is allowed by our quick settings");
            return true;
        }
        Ikev1Proposal taken = sa.get().proposals().stream().filter(p -> p.transforms().contains(
                chosen.get().transform())).findFirst().orElseThrow();
        e.spiOut = taken.spi().toUnsignedLong();
        e.suite = chosen.get().suite();
        List<Ikev1Payload.Id> ids = all(payloads, Ikev1Payload.Id.class);
        Optional<Flow> peerLocal = ids.size() == 2 ? Flow.of(ids.get(0)) : Optional.of(host(ctx.remote));
        Optional<Flow> peerRemote = ids.size() == 2 ? Flow.of(ids.get(1)) : Optional.of(host(ctx.local));
        if (peerLocal.isEmpty() || peerRemote.isEmpty() || !session.flowAllowed(peerRemote.get(), peerLocal.get())) {
            refuse(e, e.spiOut, Ikev1NotifyType.Known.INVALID_ID_INFORMATION, FailureReason.TS_UNACCEPTABLE,
                    "the peer's quick mode IDs " + peerLocal.map(Flow::toString).orElse("?") + " to "
                            + peerRemote.map(Flow::toString).orElse("?") + " are not a flow of this tunnel");
            return true;
        }
        e.local = peerRemote.get();
        e.remote = peerLocal.get();
        Optional<Ikev1Payload.Ke> ke = first(payloads, Ikev1Payload.Ke.class);
        if (e.suite.group() != DhGroup.NONE) {
            if (ke.isEmpty()) {
                refuse(e, e.spiOut, Ikev1NotifyType.Known.INVALID_KEY_INFORMATION, FailureReason.INVALID_KE_PAYLOAD,
                        "quick mode with PFS but no KE payload");
                return true;
            }
            e.ke = ctx.env.keyExchange().generate(e.suite.group(), ctx.env.random());
            e.peerKe = ke.get().data().toByteArray();
        }
        e.spiIn = ctx.childSpi();
        e.nr = ctx.nonce();
        List<Ikev1Payload> out = new ArrayList<>();
        out.add(new Ikev1Payload.Sa(Ikev1Payload.IPSEC_DOI, Ikev1Payload.SIT_IDENTITY_ONLY, List.of(new Ikev1Proposal(
                taken.number(), Ikev1ProtocolId.Known.IPSEC_ESP, Octets.ofUnsigned(e.spiIn, 4),
                List.of(chosen.get().transform())))));
        out.add(new Ikev1Payload.Nonce(Octets.of(e.nr)));
        if (e.ke != null) {
            out.add(new Ikev1Payload.Ke(Octets.of(e.ke.publicValue())));
        }
        if (ids.size() == 2) {
            out.add(ids.get(0));
            out.add(ids.get(1));
        }
        long ours = spec().lifetime().toSeconds();
        if (e.suite.lifetime() > ours) {
            // RFC 2407 section 4.6.3.1: we keep the SA for less than the peer proposed, and say so
            out.add(new Ikev1Payload.Notify(Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.IPSEC_ESP,
                    Octets.ofUnsigned(e.spiOut, 4), Ikev1NotifyType.Known.RESPONDER_LIFETIME,
                    Octets.of(Ikev1Proposals.responderLifetime(ours))));
            e.suite = withLifetime(e.suite, ours);
        }
        if ((h.flags() & Ikev1Header.FLAG_COMMIT) != 0) {
            ctx.count("quick_mode_commit_bit");
        }
        byte[] hash2 = Ikev1Keymat.quickHash2(prf(), ctx.sa.skeyidA, e.messageId, e.ni, ctx.codec.encodePayloads(out));
        byte[] message2 = ctx.encrypted(QUICK, e.messageId, withHash(hash2, out));
        Optional<long[]> replaced = session.pairFor(e.local, e.remote);
        if (replaced.isPresent()) {
            // the peer replaces our pair for these flows: the new one receives before message 2 leaves
            IkeOutput.ChildSaInstalled pair = derive(e);
            if (pair == null) {
                return true;
            }
            e.receiving = true;
            ctx.count("quick_mode_receiving_before_message_3");
            session.receiving(pair, e.local, e.remote, Duration.ofSeconds(e.suite.lifetime()), replaced.get());
        }
        active.put(e.messageId, e);
        ctx.send(e.messageId, message2, true);
        return true;
    }

    private boolean message2(Exchange e, Ikev1Header h, Ikev1Payload.Hash hash, List<Ikev1Payload> payloads,
            byte[] rest) {
        if (!matches(hash, Ikev1Keymat.quickHash2(prf(), ctx.sa.skeyidA, e.messageId, e.ni, rest))) {
            return false;
        }
        Optional<Ikev1Payload.Sa> sa = first(payloads, Ikev1Payload.Sa.class);
        Optional<Ikev1Payload.Nonce> nonce = first(payloads, Ikev1Payload.Nonce.class);
        Optional<Ikev1Proposals.QuickSuite> suite = sa.filter(s -> s.proposals().size() == 1
                && s.proposals().getFirst().transforms().size() == 1
                && s.proposals().getFirst().spi().length() == 4)
                .flatMap(s -> Ikev1Proposals.quickSuite(s.proposals().getFirst().transforms().getFirst(), spec()))
                .filter(s -> s.group() == pfsGroup());
        if (suite.isEmpty() || nonce.isEmpty()) {
            finish(e);
            ctx.childFailed(FailureReason.NO_PROPOSAL_CHOSEN, "the peer's quick mode answer is none of our "
                    + "transforms");
            return true;
        }
        List<Ikev1Payload.Id> ids = all(payloads, Ikev1Payload.Id.class);
        if (ids.size() == 2 && (!Flow.of(ids.get(0)).equals(Optional.of(e.local))
                || !Flow.of(ids.get(1)).equals(Optional.of(e.remote)))) {
            finish(e);
            ctx.childFailed(FailureReason.TS_UNACCEPTABLE, "the peer answered quick mode with other IDs");
            return true;
        }
        e.suite = suite.get();
        e.spiOut = sa.get().proposals().getFirst().spi().toUnsignedLong();
        e.nr = nonce.get().data().toByteArray();
        if (e.ke != null) {
            Optional<Ikev1Payload.Ke> ke = first(payloads, Ikev1Payload.Ke.class);
            if (ke.isEmpty()) {
                finish(e);
                ctx.childFailed(FailureReason.INVALID_KE_PAYLOAD, "quick mode answer without KE despite PFS");
                return true;
            }
            e.peerKe = ke.get().data().toByteArray();
        }
        for (Ikev1Payload.Notify n : all(payloads, Ikev1Payload.Notify.class)) {
            if (n.notifyType() == Ikev1NotifyType.Known.RESPONDER_LIFETIME) {
                OptionalLong s = Ikev1Proposals.responderLifetimeSeconds(n.data().toByteArray());
                if (s.isPresent() && s.getAsLong() > 0 && s.getAsLong() < e.suite.lifetime()) {
                    e.suite = withLifetime(e.suite, s.getAsLong());
                    ctx.count("responder_lifetime_adopted");
                }
            }
        }
        if ((h.flags() & Ikev1Header.FLAG_COMMIT) != 0) {
            ctx.count("quick_mode_commit_bit");
        }
        byte[] hash3 = Ikev1Keymat.quickHash3(prf(), ctx.sa.skeyidA, e.messageId, e.ni, e.nr);
        byte[] message3 = ctx.encrypted(QUICK, e.messageId, List.of(new Ikev1Payload.Hash(Octets.of(hash3))));
        // installed before message 3 leaves: the responder may send on the new pair as soon as it reads it
        install(e, () -> ctx.send(e.messageId, message3, false));
        return true;
    }

    private boolean message3(Exchange e, Ikev1Payload.Hash hash) {
        if (e.nr == null || !matches(hash, Ikev1Keymat.quickHash3(prf(), ctx.sa.skeyidA, e.messageId, e.ni, e.nr))) {
            return false;
        }
        ctx.flight(e.messageId).awaiting = false;
        if (e.receiving) {
            // the initiator has the new pair: ours sends on it from now (the old one receives until deleted)
            finish(e);
            session.sendingOn(e.spiIn);
            return true;
        }
        install(e, () -> { });
        return true;
    }

    // ------------------------------------------------------------------------------------------------ results

    /**
     * Installs the pair of {@code e}, then runs {@code thenSend} (our message 3, as initiator), then lets the next
     * quick mode of ours start.
     */
    private void install(Exchange e, Runnable thenSend) {
        IkeOutput.ChildSaInstalled installed = derive(e);
        if (installed == null) {
            return;
        }
        ctx.count("quick_mode_installed");
        session.installed(installed, e.local, e.remote, Duration.ofSeconds(e.suite.lifetime()), e.replaces,
                e.initiator);
        thenSend.run();
        finish(e);
    }

    /** The ESP keys of {@code e}; null (the exchange finished, the failure reported) if the PFS exchange failed. */
    private IkeOutput.ChildSaInstalled derive(Exchange e) {
        Optional<byte[]> pfs = Optional.empty();
        if (e.ke != null) {
            try {
                pfs = Optional.of(e.ke.sharedSecret(e.peerKe));
            } catch (KeyExchange.KeyExchangeException x) {
                finish(e);
                ctx.childFailed(FailureReason.KEY_EXCHANGE_FAILED, x.getMessage());
                return null;
            }
        }
        int encBytes = e.suite.encryption().keyMaterialBytes();
        int length = encBytes + e.suite.integrity().map(a -> a.keyBytes()).orElse(0);
        byte[] in = Ikev1Keymat.keymat(prf(), ctx.sa.skeyidD, pfs, ESP, Ikev1Keymat.u32(e.spiIn), e.ni, e.nr, length);
        byte[] out = Ikev1Keymat.keymat(prf(), ctx.sa.skeyidD, pfs, ESP, Ikev1Keymat.u32(e.spiOut), e.ni, e.nr, length);
        IkeOutput.ChildSaInstalled installed = new IkeOutput.ChildSaInstalled(e.spiIn, e.spiOut,
                e.suite.encryption(), e.suite.integrity(), keys(in, encBytes, e), keys(out, encBytes, e),
                List.of(e.local.selector()), List.of(e.remote.selector()), ctx.local, ctx.remote,
                ctx.udpEncapsulation, Optional.of(e.suite.group()), false, // no ESN in IKEv1 (RFC 4304 not done)
                e.suite.kilobytes());
        java.util.Arrays.fill(in, (byte) 0);
        java.util.Arrays.fill(out, (byte) 0);
        return installed;
    }

    private static IkeOutput.ChildKeys keys(byte[] km, int encBytes, Exchange e) {
        Secret enc = Secret.ofBytes(java.util.Arrays.copyOf(km, encBytes));
        Optional<Secret> integ = e.suite.integrity().map(a -> Secret.ofBytes(java.util.Arrays.copyOfRange(km,
                encBytes, km.length)));
        return new IkeOutput.ChildKeys(enc, integ);
    }

    /** Forgets an exchange whose last message is out (its flight stays, to answer a retransmission). */
    private void finish(Exchange e) {
        active.remove(e.messageId);
        ctx.sa.forget(e.messageId);
        if (e.initiator) {
            startNext();
        }
    }

    /** A quick mode of ours that ran out of retransmissions. */
    void timedOut(long messageId) {
        Exchange e = active.remove(messageId);
        if (e != null) {
            if (e.receiving) {
                // message 3 never came: the pair installed with message 2 goes, the old one sends on
                session.withdraw(e.spiIn, e.spiOut);
            }
            ctx.childFailed(FailureReason.TIMEOUT, "no answer to quick mode for " + e.local + " to " + e.remote);
            startNext();
        }
    }

    /** The peer refused our quick mode with an authenticated notify naming our SPI. */
    void refusedByPeer(long ourSpi, Ikev1NotifyType type) {
        for (Exchange e : List.copyOf(active.values())) {
            if (e.initiator && (e.spiIn == ourSpi || ourSpi == ANY)) {
                if (type == Ikev1NotifyType.Known.NO_PROPOSAL_CHOSEN && e.ke != null && !spec().pfsRequired()
                        && !peerDeclinesPfs) {
                    // the peer may not do PFS (its default): once more without, as the config did not insist on it,
                    // before the ones waiting (which then go without PFS too)
                    peerDeclinesPfs = true;
                    ctx.count("quick_mode_retried_without_pfs");
                    queued.addFirst(new Queued(e.local, e.remote, e.replaces));
                    finish(e);
                    ctx.flight(e.messageId).awaiting = false;
                    return;
                }
                finish(e);
                ctx.flight(e.messageId).awaiting = false;
                ctx.childFailed(type == Ikev1NotifyType.Known.NO_PROPOSAL_CHOSEN ? FailureReason.NO_PROPOSAL_CHOSEN
                        : type == Ikev1NotifyType.Known.INVALID_ID_INFORMATION ? FailureReason.TS_UNACCEPTABLE
                        : FailureReason.PROTOCOL_ERROR, "the peer refused quick mode: " + type.name());
            }
        }
    }

    /** {@link #refusedByPeer}'s SPI for a refusal that names none: it is the answer to our quick mode in flight. */
    static final long ANY = -1;

    /** Our quick modes in flight (a refusal without SPI can only be about one of them). */
    long initiatedInFlight() {
        return active.values().stream().filter(e -> e.initiator).count();
    }

    private void refuse(Exchange e, long peerSpi, Ikev1NotifyType type, FailureReason reason, String detail) {
        session.notifyPeer(Ikev1ProtocolId.Known.IPSEC_ESP, Octets.ofUnsigned(peerSpi, 4), type);
        ctx.childFailed(reason, detail);
    }

    private static Ikev1Proposals.QuickSuite withLifetime(Ikev1Proposals.QuickSuite s, long seconds) {
        return new Ikev1Proposals.QuickSuite(s.encryption(), s.integrity(), s.group(), seconds, s.kilobytes(),
                s.encapsulation());
    }

    private static Flow host(java.net.InetSocketAddress a) {
        return new Flow(a.getAddress(), a.getAddress().getAddress().length * 8);
    }

    private Prf prf() {
        return ctx.sa.suite.prf();
    }

    private boolean matches(Ikev1Payload.Hash received, byte[] expected) {
        if (MessageDigest.isEqual(expected, received.data().toByteArray())) {
            return true;
        }
        ctx.drop("quick_mode_bad_hash");
        return false;
    }

    private static List<Ikev1Payload> withHash(byte[] hash, List<Ikev1Payload> rest) {
        List<Ikev1Payload> all = new ArrayList<>();
        all.add(new Ikev1Payload.Hash(Octets.of(hash)));
        all.addAll(rest);
        return all;
    }

    static <P extends Ikev1Payload> Optional<P> first(List<Ikev1Payload> payloads, Class<P> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    static <P extends Ikev1Payload> List<P> all(List<Ikev1Payload> payloads, Class<P> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
