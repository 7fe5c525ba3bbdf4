package net.palisade.controlplane.ikev1;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeSaId;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.ikev1.Ikev1Payload;

/**
 * An established ISAKMP SA as a node needs it to go on without a new phase 1 or quick mode (docs/ha.md, "IKEv1"):
 * the cookies, our role, the phase-1 suite, SKEYID_d, SKEYID_a and the CBC key derived from SKEYID_e, the phase-1 IV
 * every later exchange's IV is derived from (RFC 2409 appendix B: hash(last phase-1 block | M-ID)), where it runs
 * (addresses, ports, NAT-T), the peer's authenticated ID, its lifetimes, the next R-U-THERE sequence number, and the
 * ESP SA pairs its quick modes made (SPIs, flows, lifetimes and what each is doing; their keys are journaled with
 * each Child SA). The engine emits one when phase 1 comes up and whenever its pairs change, ahead of the quick-mode
 * message that commits the peer to a new pair ({@link net.palisade.controlplane.ike.IkeOutput.IsakmpSaState}); the
 * journal keeps it sealed with the pair key ({@link Ikev1SnapshotCodec}). SKEYID itself is not kept: nothing after
 * phase 1 uses it. {@link #toString()} never shows key material.
 *
 * @param ckyI initiator cookie
 * @param ckyR responder cookie
 * @param initiator we initiated phase 1 (we re-authenticate it)
 * @param aggressive it came up in aggressive mode
 * @param encryption phase-1 cipher
 * @param hash phase-1 hash (its HMAC is the PRF)
 * @param group phase-1 DH group
 * @param lifetime the negotiated phase-1 lifetime, seconds
 * @param skeyidD SKEYID_d (quick-mode keying material)
 * @param skeyidA SKEYID_a (the HASH of every later message)
 * @param key the CBC key (from SKEYID_e)
 * @param phase1Iv the last CBC block of phase 1
 * @param local our address and IKE port
 * @param remote the peer's address and IKE port
 * @param natT which NAT-T the peer announced ({@code NONE}, {@code DRAFT}, {@code RFC})
 * @param peerDpd the peer announced RFC 3706
 * @param udpEncapsulation ESP in UDP, IKE on port 4500
 * @param behindNat our address is translated (keepalives are due)
 * @param peerId the ID the peer authenticated with
 * @param expiresAt when phase 1 ends (epoch milliseconds)
 * @param reauthAt when we re-authenticate (epoch milliseconds; 0: not ours to do)
 * @param dpdSequence our next R-U-THERE sequence number
 * @param pairs the ESP SA pairs, oldest first
 */
public record Ikev1Snapshot(long ckyI, long ckyR, boolean initiator, boolean aggressive,
        EncryptionAlgorithm encryption, AuthAlgorithm hash, DhGroup group, long lifetime, byte[] skeyidD,
        byte[] skeyidA, byte[] key, byte[] phase1Iv, InetSocketAddress local, InetSocketAddress remote, String natT,
        boolean peerDpd, boolean udpEncapsulation, boolean behindNat, Optional<Ikev1Payload.Id> peerId,
        long expiresAt, long reauthAt, long dpdSequence, List<Pair> pairs) {

    /** What an ESP SA pair was doing when the state was taken. */
    public enum Status {
        /** In use both ways. */
        SENDING,
        /**
         * Made by the peer's quick mode: installed with our message 2, receiving; it sends once the peer's message 3
         * comes (the peer may never have had message 2).
         */
        RECEIVING,
        /**
         * Made by our quick mode just now: our message 3 leaves after this state is journaled, and the peer may
         * never have it. Settles ({@link #SENDING}) {@link Ikev1Session#SWITCH_GRACE} later.
         */
        OURS_UNSETTLED,
        /** Replaced by our quick mode: sends until {@code deleteAt}, then deleted. */
        RETIRING
    }

    /**
     * One ESP SA pair.
     *
     * @param spiIn our inbound SPI
     * @param spiOut the peer's (our outbound)
     * @param localBase our side's flow: its first address
     * @param localPrefix its prefix length
     * @param remoteBase the peer's side's flow
     * @param remotePrefix its prefix length
     * @param expiresAt when it expires (epoch ms)
     * @param rekeyAt when we replace it (epoch ms; 0: not ours to)
     * @param status what it was doing
     * @param deleteAt a retiring pair: when it is deleted (epoch ms); else 0
     */
    public record Pair(long spiIn, long spiOut, InetAddress localBase, int localPrefix, InetAddress remoteBase,
            int remotePrefix, long expiresAt, long rekeyAt, Status status, long deleteAt) {
        public Pair {
            Objects.requireNonNull(status, "status");
        }

        Flow local() {
            return new Flow(localBase, localPrefix);
        }

        Flow remote() {
            return new Flow(remoteBase, remotePrefix);
        }
    }

    public Ikev1Snapshot {
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        peerId = peerId == null ? Optional.empty() : peerId;
        pairs = List.copyOf(pairs);
    }

    /** The cookie pair, as the journal names the ISAKMP SA. */
    public IkeSaId id() {
        return new IkeSaId(ckyI, ckyR);
    }

    /** Zeroes the keys and the IV. */
    public void wipe() {
        for (byte[] b : new byte[][] {skeyidD, skeyidA, key, phase1Iv}) {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Everything but key material. */
    @Override
    public String toString() {
        return "Ikev1Snapshot[" + id() + (initiator ? " initiator" : " responder") + (aggressive ? " aggressive" : "")
                + " " + encryption + "/" + hash + "/" + group + " " + local + " -> " + remote + " natT=" + natT
                + (udpEncapsulation ? " udp" : "") + " dpdSequence=" + dpdSequence + " pairs=" + pairs.stream()
                        .map(p -> Long.toHexString(p.spiIn()) + ":" + p.status()).toList() + "]";
    }
}
