package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.IkeSaKeys;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * An established IKE SA as a node needs it to go on without renegotiating: its SPIs, our role in it, the negotiated
 * algorithms and the seven keys, where it runs (addresses, ports, NAT), and its message IDs as of the moment it
 * was taken. The engine emits one when the IKE SA comes up, after each IKE SA rekey, and ahead of each request of
 * ours ({@link IkeOutput.IkeSaState}); the journal keeps it sealed with the pair key ({@link SnapshotCodec}).
 *
 * <p>Message IDs move on after the snapshot (DPD, Child SA rekeys): a node resuming from it does not know the
 * current ones, which is what RFC 6311's message ID sync is for. The nonces of IKE_SA_INIT are not kept: nothing
 * after IKE_AUTH needs them (a rekey brings new ones). Our identity is not kept either: it comes from the tunnel's
 * config. The peer's is, as IKE_AUTH authenticated it (never asked again): a resumed IKE SA of an any-peer tunnel goes
 * to the session of that site ({@link SessionKeys#identity}).
 *
 * <p>{@link #toString()} never shows key material.
 *
 * @param spiI initiator SPI
 * @param spiR responder SPI
 * @param initiatorRole we are this IKE SA's initiator (after a rekey: whoever started the rekey)
 * @param encryption IKE encryption
 * @param integrity IKE integrity; empty for AEAD
 * @param prf pseudo-random function
 * @param group key exchange group
 * @param keys SK_d, SK_ai/ar, SK_ei/er, SK_pi/pr
 * @param local our address and IKE port
 * @param remote the peer's address and IKE port
 * @param udpEncapsulation ESP-in-UDP and IKE on port 4500
 * @param behindNat our address is translated (keepalives are due)
 * @param peerFragmentation both sides announced IKE fragmentation (RFC 7383)
 * @param peerMidSync the peer announced IKEV2_MESSAGE_ID_SYNC_SUPPORTED in IKE_AUTH (RFC 6311)
 * @param nextRequestId the message ID of our next request
 * @param expectedPeerRequestId the message ID we expect on the peer's next request
 * @param midSyncUsed a message ID sync has been made on this IKE SA already: whoever resumes it rekeys it instead
 *     of a second sync (see {@code IkeSa#midSyncUsed})
 * @param rekey our rekey of this IKE SA in flight (its request is {@code nextRequestId - 1}): whoever resumes the IKE
 *     SA sends that request again, and the peer, which may have answered it and moved on to the new IKE SA, answers
 *     again
 * @param child our request in flight for a Child SA (a rekey, or the Delete of the one a rekey replaced; its request
 *     is {@code nextRequestId - 1}): whoever resumes the IKE SA sends it again ({@link ChildRequestInFlight})
 * @param peerId the peer's identity as IKE_AUTH authenticated it (its IDi; we as responder); empty when we
 *     initiated, or in a state written before it was kept
 */
public record IkeSaSnapshot(long spiI, long spiR, boolean initiatorRole, EncryptionAlgorithm encryption,
        Optional<AuthAlgorithm> integrity, AuthAlgorithm prf, DhGroup group, IkeSaKeys keys, InetSocketAddress local,
        InetSocketAddress remote, boolean udpEncapsulation, boolean behindNat, boolean peerFragmentation,
        boolean peerMidSync, long nextRequestId, long expectedPeerRequestId, boolean midSyncUsed,
        Optional<RekeyInFlight> rekey, Optional<ChildRequestInFlight> child,
        Optional<net.palisade.model.wire.ikev2.IdPayload> peerId) {
    /** A state without the peer's identity. */
    public IkeSaSnapshot(long spiI, long spiR, boolean initiatorRole, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, AuthAlgorithm prf, DhGroup group, IkeSaKeys keys,
            InetSocketAddress local, InetSocketAddress remote, boolean udpEncapsulation, boolean behindNat,
            boolean peerFragmentation, boolean peerMidSync, long nextRequestId, long expectedPeerRequestId,
            boolean midSyncUsed, Optional<RekeyInFlight> rekey, Optional<ChildRequestInFlight> child) {
        this(spiI, spiR, initiatorRole, encryption, integrity, prf, group, keys, local, remote, udpEncapsulation,
                behindNat, peerFragmentation, peerMidSync, nextRequestId, expectedPeerRequestId, midSyncUsed, rekey,
                child, Optional.empty());
    }

    /**
     * Our CREATE_CHILD_SA rekeying the IKE SA as it left: what makes the same request again and reads its answer.
     * The key exchange's private value is not kept, but the seed it was drawn from ({@code KeyExchanges#fromSeed}).
     * {@link #toString()} shows no secret.
     *
     * @param newSpiI our SPI of the new IKE SA
     * @param nonce   our nonce Ni
     * @param group   the key exchange's group
     * @param keySeed the 32 random octets the key exchange's private value was derived from
     * @param retried the request is our second try, after INVALID_KE_PAYLOAD
     * @param request the request's datagrams as they left (ciphertext; several if fragmented): sent again as they
     *     are, it is a retransmission to any peer, also one that compares the bytes (RFC 7296 section 2.1)
     */
    public record RekeyInFlight(long newSpiI, byte[] nonce, DhGroup group, byte[] keySeed, boolean retried,
            java.util.List<byte[]> request) {
        public RekeyInFlight {
            Objects.requireNonNull(group, "group");
            nonce = nonce.clone();
            keySeed = keySeed.clone();
            request = request.stream().map(byte[]::clone).toList();
        }

        /** Before its request is protected. */
        public RekeyInFlight(long newSpiI, byte[] nonce, DhGroup group, byte[] keySeed, boolean retried) {
            this(newSpiI, nonce, group, keySeed, retried, java.util.List.of());
        }

        @Override
        public java.util.List<byte[]> request() {
            return request.stream().map(byte[]::clone).toList();
        }

        /** The same, with its request as it leaves. */
        public RekeyInFlight sentAs(java.util.List<byte[]> datagrams) {
            return new RekeyInFlight(newSpiI, nonce, group, keySeed, retried, datagrams);
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public byte[] keySeed() {
            return keySeed.clone();
        }

        /** A copy of its own (the journal's copy is wiped once sealed, the engine's lives on). */
        public RekeyInFlight copy() {
            return new RekeyInFlight(newSpiI, nonce, group, keySeed, retried, request);
        }

        /** Zeroes the seed. */
        public void wipe() {
            java.util.Arrays.fill(keySeed, (byte) 0);
        }

        @Override
        public String toString() {
            return "RekeyInFlight[new SPI " + Long.toHexString(newSpiI) + ", " + group + ", seed [redacted]]";
        }
    }

    /** A state without a rekey in flight. */
    public IkeSaSnapshot(long spiI, long spiR, boolean initiatorRole, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, AuthAlgorithm prf, DhGroup group, IkeSaKeys keys,
            InetSocketAddress local, InetSocketAddress remote, boolean udpEncapsulation, boolean behindNat,
            boolean peerFragmentation, boolean peerMidSync, long nextRequestId, long expectedPeerRequestId,
            boolean midSyncUsed) {
        this(spiI, spiR, initiatorRole, encryption, integrity, prf, group, keys, local, remote, udpEncapsulation,
                behindNat, peerFragmentation, peerMidSync, nextRequestId, expectedPeerRequestId, midSyncUsed,
                Optional.empty(), Optional.empty());
    }

    /** A state without a Child SA request in flight. */
    public IkeSaSnapshot(long spiI, long spiR, boolean initiatorRole, EncryptionAlgorithm encryption,
            Optional<AuthAlgorithm> integrity, AuthAlgorithm prf, DhGroup group, IkeSaKeys keys,
            InetSocketAddress local, InetSocketAddress remote, boolean udpEncapsulation, boolean behindNat,
            boolean peerFragmentation, boolean peerMidSync, long nextRequestId, long expectedPeerRequestId,
            boolean midSyncUsed, Optional<RekeyInFlight> rekey) {
        this(spiI, spiR, initiatorRole, encryption, integrity, prf, group, keys, local, remote, udpEncapsulation,
                behindNat, peerFragmentation, peerMidSync, nextRequestId, expectedPeerRequestId, midSyncUsed, rekey,
                Optional.empty());
    }

    public IkeSaSnapshot {
        peerId = peerId == null ? Optional.empty() : peerId;
        Objects.requireNonNull(rekey, "rekey");
        Objects.requireNonNull(child, "child");
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(integrity, "integrity");
        Objects.requireNonNull(prf, "prf");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
    }

    /** The SPI pair. */
    public IkeSaId id() {
        return new IkeSaId(spiI, spiR);
    }

    @Override
    public String toString() {
        return "IkeSaSnapshot[" + id() + ", " + (initiatorRole ? "initiator" : "responder") + ", "
                + encryption.keyword() + ", " + keys + ", " + local + " -> " + remote
                + (udpEncapsulation ? " (UDP)" : "") + ", next request " + nextRequestId + ", expected "
                + expectedPeerRequestId + rekey.map(r -> ", " + r).orElse("") + child.map(c -> ", " + c).orElse("")
                + "]";
    }
}
