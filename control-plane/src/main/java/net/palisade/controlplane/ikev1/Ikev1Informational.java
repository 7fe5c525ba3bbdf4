package net.palisade.controlplane.ikev1;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1ExchangeType;
import net.palisade.model.wire.ikev1.Ikev1NotifyType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev1.Ikev1ProtocolId;

/**
 * Informational exchanges once phase 1 is up (RFC 2408 section 4.8, RFC 2409 section 5.7): one encrypted message
 * with HASH(1) = prf(SKEYID_a, M-ID | N/D), never answered as such. Deletes of the ISAKMP SA and of ESP SAs,
 * INITIAL-CONTACT, error notifies that refuse one of our quick modes, and dead peer detection (RFC 3706): after
 * {@code dpd} of silence an R-U-THERE with the next sequence number, resent on the retransmission schedule with a new
 * number each time; any R-U-THERE-ACK of an outstanding number proves the peer alive, and none after the last try is
 * {@code dpd-lost} (Phase1Down with TIMEOUT).
 */
final class Ikev1Informational {
    private static final Ikev1ExchangeType INFO = Ikev1ExchangeType.Known.INFORMATIONAL;

    private final Ikev1Context ctx;
    private final Ikev1Session session;
    /** Our next R-U-THERE sequence number (RFC 3706 section 5.4: random start). */
    private long sequence;
    /** The first sequence number of the R-U-THEREs outstanding, or -1. */
    private long dpdFirst = -1;
    private int dpdSends;
    private Instant dpdNext;

    Ikev1Informational(Ikev1Context ctx, Ikev1Session session) {
        this.ctx = ctx;
        this.session = session;
        this.sequence = ctx.env.random().nextLong() & 0x7fff_ffffL;
    }

    /** Our next R-U-THERE sequence number. */
    long sequence() {
        return sequence;
    }

    /** Goes on from {@code next} (a resumed ISAKMP SA: above every number the node before may have sent). */
    void resumeSequence(long next) {
        sequence = next & 0xffff_ffffL;
    }

    /** Sends {@code payloads} in a new encrypted informational exchange. */
    void send(List<Ikev1Payload> payloads) {
        long mid = ctx.newMessageId();
        byte[] hash = Ikev1Keymat.quickHash1(ctx.sa.suite.prf(), ctx.sa.skeyidA, mid,
                ctx.codec.encodePayloads(payloads));
        List<Ikev1Payload> all = new ArrayList<>();
        all.add(new Ikev1Payload.Hash(Octets.of(hash)));
        all.addAll(payloads);
        ctx.sendOnce(ctx.encrypted(INFO, mid, all));
        ctx.sa.forget(mid);
    }

    private Octets cookies() {
        return Octets.of(Ikev1Keymat.concat(Ikev1Keymat.u64(ctx.ckyI), Ikev1Keymat.u64(ctx.ckyR)));
    }

    /** Deletes the ISAKMP SA. */
    void sendDeleteIsakmp() {
        send(List.of(new Ikev1Payload.Delete(Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.ISAKMP, 16,
                List.of(cookies()))));
    }

    /** Deletes our inbound ESP SAs {@code spis}. */
    void sendDeleteEsp(List<Long> spis) {
        send(List.of(new Ikev1Payload.Delete(Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.IPSEC_ESP, 4,
                spis.stream().map(s -> Octets.ofUnsigned(s, 4)).toList())));
    }

    /**
     * A decrypted informational message. Returns false (drop, IV unchanged) unless its HASH(1) is right: an
     * unauthenticated message changes nothing.
     */
    boolean received(long messageId, Ikev1Payload.Hash hash, List<Ikev1Payload> payloads, byte[] rest) {
        byte[] expected = Ikev1Keymat.quickHash1(ctx.sa.suite.prf(), ctx.sa.skeyidA, messageId, rest);
        if (!MessageDigest.isEqual(expected, hash.data().toByteArray())) {
            ctx.drop("informational_bad_hash");
            return false;
        }
        for (Ikev1Payload p : payloads) {
            switch (p) {
                case Ikev1Payload.Delete d when d.protocol() == Ikev1ProtocolId.Known.ISAKMP -> {
                    if (d.spis().contains(cookies())) {
                        ctx.count("deleted_by_peer");
                        session.down(Optional.empty(), "deleted by the peer");
                        return true;
                    }
                    ctx.drop("delete_of_other_isakmp_sa");
                }
                case Ikev1Payload.Delete d when d.protocol() == Ikev1ProtocolId.Known.IPSEC_ESP ->
                        d.spis().forEach(s -> session.childDeletedByPeer(s.toUnsignedLong()));
                case Ikev1Payload.Notify n -> notify(n);
                default -> ctx.drop("informational_payload_ignored");
            }
        }
        return true;
    }

    private void notify(Ikev1Payload.Notify n) {
        if (n.notifyType() == Ikev1NotifyType.Known.R_U_THERE && n.data().length() == 4) {
            ctx.count("dpd_answered");
            send(List.of(new Ikev1Payload.Notify(Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.ISAKMP, cookies(),
                    Ikev1NotifyType.Known.R_U_THERE_ACK, n.data())));
        } else if (n.notifyType() == Ikev1NotifyType.Known.R_U_THERE_ACK && n.data().length() == 4) {
            long seq = n.data().toUnsignedLong();
            if (seq >= sequence) {
                ctx.drop("dpd_ack_unexpected");
            }
            // an ACK of an earlier R-U-THERE is one the peer's own message (which proved it alive) overtook
        } else if (n.notifyType() == Ikev1NotifyType.Known.INITIAL_CONTACT) {
            ctx.peerInitialContact = true;
            ctx.count("initial_contact_received");
        } else if (n.notifyType().isError() && (n.spi().length() != 4 || n.spi().toUnsignedLong() == 0)
                && session.quickModesInitiatedInFlight() == 1) {
            // strongSwan refuses a quick mode it found no proposal for without naming the SA (ESP with SPI 0): with
            // one of ours in flight, it is about that one (authenticated by its HASH like any notify here)
            session.quickModeRefused(QuickMode.ANY, n.notifyType());
        } else if (n.notifyType().isError() && n.protocol() == Ikev1ProtocolId.Known.IPSEC_ESP
                && n.spi().length() == 4) {
            session.quickModeRefused(n.spi().toUnsignedLong(), n.notifyType());
        } else {
            ctx.count("notify_ignored");
        }
    }

    /** A notify in its own informational exchange (answers we refuse a quick mode with). */
    void sendNotify(Ikev1ProtocolId protocol, Octets spi, Ikev1NotifyType type) {
        send(List.of(new Ikev1Payload.Notify(Ikev1Payload.IPSEC_DOI, protocol, spi, type, Octets.empty())));
    }

    // ------------------------------------------------------------------------------------------------ DPD

    /** True if DPD runs: {@code dpd} configured and the peer announced RFC 3706. */
    boolean dpdEnabled() {
        return ctx.tunnel.dpd().isPresent() && ctx.peerDpd;
    }

    /** When DPD next wants the clock: a retry of our R-U-THERE, or the end of {@code dpd} of silence. */
    Optional<Instant> dpdDue() {
        if (!dpdEnabled() || ctx.lastInbound == null) {
            return Optional.empty();
        }
        return Optional.of(dpdFirst >= 0 ? dpdNext : ctx.lastInbound.plus(ctx.tunnel.dpd().get()));
    }

    /** Sends an R-U-THERE if one is due at {@code now}; reports the peer dead after the last try. */
    void tick(Instant now) {
        Optional<Instant> due = dpdDue();
        if (due.isEmpty() || now.isBefore(due.get())) {
            return;
        }
        if (dpdFirst < 0) {
            dpdFirst = sequence;
            dpdSends = 0;
        } else if (dpdSends >= ctx.settings.retransmit().size()) {
            ctx.count("dpd_lost");
            session.down(Optional.of(FailureReason.TIMEOUT), "dead peer detection: no R-U-THERE-ACK to "
                    + dpdSends + " R-U-THEREs");
            return;
        }
        dpdNext = now.plus(ctx.settings.retransmit().get(dpdSends));
        dpdSends++;
        ctx.count("dpd_sent");
        send(List.of(new Ikev1Payload.Notify(Ikev1Payload.IPSEC_DOI, Ikev1ProtocolId.Known.ISAKMP, cookies(),
                Ikev1NotifyType.Known.R_U_THERE, Octets.ofUnsigned(sequence++ & 0xffff_ffffL, 4))));
    }

    /** Traffic or an authenticated message proved the peer alive: no R-U-THERE is outstanding any more. */
    void alive() {
        if (dpdFirst >= 0) {
            dpdFirst = -1;
            ctx.count("peer_alive");
            ctx.output(new IkeOutput.PeerAlive());
        }
    }
}
