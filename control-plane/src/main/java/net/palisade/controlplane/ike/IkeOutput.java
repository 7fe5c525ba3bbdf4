package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.FailureReason;
import net.palisade.model.secret.Secret;
import net.palisade.model.wire.ikev2.TrafficSelector;

/** What an {@link IkeSession} asks its driver to do, and what it reports. */
public sealed interface IkeOutput {

    /**
     * Send {@code datagram} from {@code from} to {@code to} (port 4500 adds the non-ESP marker in the transport), or,
     * when {@link #isNatKeepalive()}, a NAT-T keepalive: the single octet 0xFF from port 4500, without the marker
     * (RFC 3948 section 2.3).
     *
     * @param datagram the IKE message, or the one octet 0xFF of a keepalive
     * @param from     our address and port
     * @param to       the peer's address and port
     */
    record Send(byte[] datagram, InetSocketAddress from, InetSocketAddress to) implements IkeOutput {
        /** Checks the parts are present. */
        public Send {
            Objects.requireNonNull(datagram, "datagram");
        }

        /** A NAT-T keepalive from {@code from} (port 4500) to {@code to} (RFC 3948 section 2.3). */
        public static Send natKeepalive(InetSocketAddress from, InetSocketAddress to) {
            return new Send(new byte[] {(byte) 0xff}, from, to);
        }

        /**
         * True for a NAT-T keepalive: the transport sends the one octet as it is, never behind the non-ESP marker.
         * No IKE message is one octet long (its header alone has 28), so the two cannot be confused.
         */
        public boolean isNatKeepalive() {
            return datagram.length == 1 && datagram[0] == (byte) 0xff;
        }
    }

    /**
     * Deliver an {@link IkeInput.Tick} at (or after) {@code at}; replaces any earlier request.
     *
     * @param at when
     */
    record SetTimer(Instant at) implements IkeOutput {}

    /** An outcome the tunnel entity turns into a journal event. */
    sealed interface Event extends IkeOutput {}

    /**
     * The IKE SA is authenticated.
     *
     * @param peer       the peer's address
     * @param id         SPI pair
     * @param encryption negotiated IKE encryption
     * @param integrity  negotiated IKE integrity (empty for AEAD)
     * @param prf        negotiated PRF
     * @param group      negotiated key exchange group
     */
    record Phase1Up(InetSocketAddress peer, IkeSaId id, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, AuthAlgorithm prf, DhGroup group) implements Event {}

    /**
     * A Child SA (ESP) is negotiated and ready to install.
     *
     * @param inboundSpi     SPI the peer sends to (chosen by us)
     * @param outboundSpi    SPI we send to (chosen by the peer)
     * @param encryption     ESP encryption
     * @param integrity      ESP integrity (empty for AEAD)
     * @param inbound        keys for traffic from the peer
     * @param outbound       keys for traffic to the peer
     * @param localSelectors our side's traffic selectors
     * @param remoteSelectors the peer's side's traffic selectors
     * @param local           our address (and port 4500 when encapsulating)
     * @param remote          the peer's address (and its NAT-T port when encapsulating)
     * @param udpEncapsulation ESP-in-UDP (RFC 3948) to {@code remote}, else plain ESP
     * @param pfs              the CREATE_CHILD_SA's key exchange group, {@code NONE} when it had none (a peer
     *                         rekeying without PFS); empty for the first Child SA (IKE_AUTH, keys from the IKE SA)
     * @param esn              64-bit extended sequence numbers were negotiated (ESN transform ID 1)
     * @param lifetimeKilobytes a lifetime in kilobytes negotiated for the SA (IKEv1 quick mode only): it is replaced
     *                          once its outbound SA has carried most of it
     */
    record ChildSaInstalled(long inboundSpi, long outboundSpi, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, ChildKeys inbound, ChildKeys outbound,
            List<TrafficSelector> localSelectors, List<TrafficSelector> remoteSelectors, InetSocketAddress local,
            InetSocketAddress remote, boolean udpEncapsulation, Optional<DhGroup> pfs, boolean esn,
            java.util.OptionalLong lifetimeKilobytes) implements Event {
        /** Copies the lists. */
        public ChildSaInstalled {
            localSelectors = List.copyOf(localSelectors);
            remoteSelectors = List.copyOf(remoteSelectors);
            java.util.Objects.requireNonNull(lifetimeKilobytes, "lifetimeKilobytes");
        }

        /**
         * Zeroes the keys of both directions: once the dataplane has built its transforms from them and the pair
         * key (if any) has sealed them, nothing needs them again.
         */
        public void wipeKeys() {
            inbound.wipe();
            outbound.wipe();
        }

        /** Without a lifetime in kilobytes (IKEv2 has none; an IKEv1 quick mode may negotiate one). */
        public ChildSaInstalled(long inboundSpi, long outboundSpi, EncryptionAlgorithm encryption,
                Optional<AuthAlgorithm> integrity, ChildKeys inbound, ChildKeys outbound,
                List<TrafficSelector> localSelectors, List<TrafficSelector> remoteSelectors, InetSocketAddress local,
                InetSocketAddress remote, boolean udpEncapsulation, Optional<DhGroup> pfs, boolean esn) {
            this(inboundSpi, outboundSpi, encryption, integrity, inbound, outbound, localSelectors, remoteSelectors,
                    local, remote, udpEncapsulation, pfs, esn, java.util.OptionalLong.empty());
        }
    }

    /**
     * ESP keys of one direction: encryption key (with salt appended for AEAD, as the dataplane takes it) and
     * integrity key.
     *
     * @param encryption key material of {@code EncryptionAlgorithm.keyMaterialBytes()} octets
     * @param integrity  integrity key; empty for AEAD
     */
    record ChildKeys(Secret encryption, Optional<Secret> integrity) {
        /** Zeroes both keys. */
        public void wipe() {
            encryption.wipe();
            integrity.ifPresent(Secret::wipe);
        }
    }

    /**
     * The IKE SA's state as a resuming node needs it (keys included), after {@link Phase1Up} and after each
     * {@link IkeSaRekeyed}; only when {@link IkeSettings#takeoverState()} is on. The driver journals it sealed with
     * the pair key, or drops it.
     *
     * @param snapshot      the state
     * @param beforeRequest the state as one of our requests leaves, its message ID counted: the driver holds that
     *                      request (and the session's later datagrams) until the state is journaled, so that a node
     *                      taking over knows of every request the peer may have answered
     */
    record IkeSaState(IkeSaSnapshot snapshot, boolean beforeRequest) implements Event {
        /** The state after an exchange completed (it came up, was rekeyed or synchronised). */
        public IkeSaState(IkeSaSnapshot snapshot) {
            this(snapshot, false);
        }
    }

    /**
     * An IKEv1 ISAKMP SA's takeover state, keys included ({@link net.palisade.controlplane.ikev1.Ikev1Snapshot}):
     * when phase 1 comes up and whenever its ESP SA pairs change; only when {@link IkeSettings#takeoverState()} is
     * on. The driver journals it sealed with the pair key, and the session's next datagrams wait until the journal
     * has it ({@link JournalFirst}). The receiver wipes its keys.
     */
    record IsakmpSaState(net.palisade.controlplane.ikev1.Ikev1Snapshot snapshot) implements Event {}

    /**
     * A negotiation failed (IKE SA or Child SA).
     *
     * @param reason why
     * @param detail for the log; never key material
     */
    record NegotiationFailed(FailureReason reason, String detail) implements Event {}

    /**
     * NAT detection result (RFC 7296 section 2.23).
     *
     * @param localBehindNat  our address was translated
     * @param remoteBehindNat the peer's address was translated
     */
    record NatDetected(boolean localBehindNat, boolean remoteBehindNat) implements Event {}

    /** A liveness check was answered. */
    record PeerAlive() implements Event {}

    /**
     * A Child SA was rekeyed: install {@code replacement} beside the old pair, which a {@link ChildSaDeleted}
     * removes later (RFC 7296 section 2.8: keep receiving on the old SA until then). Make-before-break: the side that
     * initiated the rekey sends on the new SA at once ({@code switchOutbound}); the responder keeps sending on the
     * old one until it is deleted, since the initiator installs its new inbound SA only when our answer arrives.
     *
     * @param oldInboundSpi  our SPI of the old pair
     * @param oldOutboundSpi the peer's SPI of the old pair
     * @param replacement    the new Child SA
     * @param switchOutbound send on the new SA at once (we initiated the rekey)
     * @param sequenceNumbers we rekeyed because the dataplane reported the old outbound SA near the end of its
     *                        sequence numbers ({@link IkeInput.SequenceSoftLimit}), not at its soft lifetime
     * @param byUs           we initiated the rekey (an IKEv1 quick mode initiator does, yet keeps sending on the
     *                       old SA a moment: the peer installs its new inbound SA only when our message 3 arrives)
     * @param resent         the answer to our rekey request sent again after a takeover (docs/ha.md, "Resumption",
     *                       item 10): the node before may have had this same answer, derived the same keys and sent
     *                       with them before it died, so the new SA's sequence numbers start as a resumed SA's do
     */
    record ChildSaRekeyed(long oldInboundSpi, long oldOutboundSpi, ChildSaInstalled replacement,
            boolean switchOutbound, boolean sequenceNumbers, boolean byUs, boolean resent) implements Event {
        public ChildSaRekeyed(long oldInboundSpi, long oldOutboundSpi, ChildSaInstalled replacement,
                boolean switchOutbound, boolean sequenceNumbers, boolean byUs) {
            this(oldInboundSpi, oldOutboundSpi, replacement, switchOutbound, sequenceNumbers, byUs, false);
        }

        /** The initiator of the rekey switches at once, the responder does not (IKEv2). */
        public ChildSaRekeyed(long oldInboundSpi, long oldOutboundSpi, ChildSaInstalled replacement,
                boolean switchOutbound, boolean sequenceNumbers) {
            this(oldInboundSpi, oldOutboundSpi, replacement, switchOutbound, sequenceNumbers, switchOutbound);
        }
    }

    /**
     * The IKE SA was rekeyed (RFC 7296 section 2.18): {@code replacement} carries the Child SAs from now on; the old
     * one is deleted in the background. The driver routes messages of both to the session until then
     * ({@link IkeSession#initiatorSpis()}).
     *
     * @param replaced    the old SPI pair
     * @param replacement the new SPI pair
     * @param byUs        we initiated the rekey that made {@code replacement}
     * @param peer        where {@code replacement} came up with the peer, when that may differ from the replaced
     *                    one's (an IKEv1 phase 1 the peer started again, from another NAT port); empty: the same
     */
    record IkeSaRekeyed(IkeSaId replaced, IkeSaId replacement, boolean byUs, Optional<InetSocketAddress> peer)
            implements Event {
        /** A rekey within the IKE SA: the peer stays where it was. */
        public IkeSaRekeyed(IkeSaId replaced, IkeSaId replacement, boolean byUs) {
            this(replaced, replacement, byUs, Optional.empty());
        }
    }

    /**
     * A Child SA pair is gone (deleted by the peer, or by us after a rekey).
     *
     * @param inboundSpi  our SPI of the pair
     * @param outboundSpi the peer's SPI of the pair
     */
    record ChildSaDeleted(long inboundSpi, long outboundSpi) implements Event {}

    /**
     * The tunnel's traffic leaves on the pair receiving on {@code inboundSpi} from now on; the pair that sent so far
     * keeps receiving until it is deleted. An IKEv1 quick mode responder replacing a pair installs the new one to
     * receive when it sends message 2 (the initiator may send on it as soon as it reads that message) and sends on it
     * once message 3 shows the initiator has it.
     *
     * @param inboundSpi our SPI of the pair
     */
    record ChildSaSending(long inboundSpi) implements Event {}

    /**
     * The IKE SA is gone (deleted by either side, or the peer stopped answering), and with it every Child SA it
     * negotiated that was not deleted before: the driver removes them from the dataplane.
     *
     * @param id     SPI pair
     * @param reason TIMEOUT when the peer stopped answering; empty for a delete
     * @param detail for the log
     */
    record Phase1Down(IkeSaId id, Optional<FailureReason> reason, String detail) implements Event {}
}
