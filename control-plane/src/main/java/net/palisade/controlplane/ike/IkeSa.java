package net.palisade.controlplane.ike;

import net.palisade.controlplane.ike.crypto.IkeSaKeys;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.wire.ikev2.ExchangeType;

/**
 * One IKE SA's identity, keys and message window: the session's current one (filled in during IKE_SA_INIT), or one
 * made by a rekey. After a rekey the replaced one lives on in an {@link OldIkeSa}, with its own window.
 */
final class IkeSa {
    long spiI;
    long spiR;
    /** Our role in this IKE SA: after an IKE SA rekey, whoever started the rekey is its initiator. */
    boolean initiatorRole;
    IkeSuite suite;
    Prf prf;
    IkeSaKeys keys;
    /**
     * Message ID 0 has carried an RFC 6311 sync on these keys. A second sync would need the peer to answer with
     * message ID 0 again: strongSwan derives its AES-GCM IV from the message ID and refuses (it drops the IKE SA,
     * silently), so a node resuming this IKE SA again rekeys it instead. A rekeyed IKE SA starts without it.
     */
    boolean midSyncUsed;
    SkCipher outbound;
    SkCipher inbound;
    final MessageWindow<Sent> window;

    IkeSa(boolean initiatorRole, MessageWindow<Sent> window) {
        this.initiatorRole = initiatorRole;
        this.window = window;
    }

    /** A rekeyed IKE SA (RFC 7296 section 2.18), with a fresh window: its message IDs start at 0. */
    IkeSa(NewSa n, MessageWindow<Sent> window) {
        this(n.initiatorRole(), window);
        spiI = n.spiI();
        spiR = n.spiR();
        suite = n.suite();
        prf = n.prf();
        keys = n.keys();
        outbound = n.outbound();
        inbound = n.inbound();
    }

    /**
     * Zeroes the keys and the ciphers' copies of them (the IKE SA ended, or was replaced and forgotten). The
     * nonces, which an IKE SA rekey mixes into nothing secret, are left.
     */
    void wipe() {
        if (keys != null) {
            keys.wipe();
        }
        if (outbound != null) {
            outbound.wipe();
        }
        if (inbound != null) {
            inbound.wipe();
        }
    }

    IkeSaId id() {
        return new IkeSaId(spiI, spiR);
    }

    /** True if {@code initiatorSpi}/{@code responderSpi} name this IKE SA. */
    boolean owns(long initiatorSpi, long responderSpi) {
        return initiatorSpi == spiI && responderSpi == spiR;
    }

    /** Our request in flight on an IKE SA's window: its exchange (a response must match it) and what it is for. */
    record Sent(ExchangeType exchange, Request request) {}

    /**
     * A new IKE SA's parameters, from a rekey (section 2.18).
     *
     * @param nonceI the rekey exchange's initiator nonce (a collision is judged by the four nonces, section 2.8.2)
     */
    record NewSa(long spiI, long spiR, boolean initiatorRole, IkeSuite suite, Prf prf, IkeSaKeys keys,
            SkCipher outbound, SkCipher inbound, byte[] nonceI, byte[] nonceR) {}
}
