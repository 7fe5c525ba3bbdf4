package net.palisade.controlplane.ike;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import net.palisade.model.crypto.DhGroup;

/**
 * Our request in flight for a Child SA, as the IKE SA's state written ahead of it names it ({@link IkeSaSnapshot}):
 * a CREATE_CHILD_SA rekeying a Child SA, or the INFORMATIONAL deleting one (the one our rekey replaced). A node
 * that resumes the IKE SA sends the same datagrams again with the same message ID: to a peer that answered them they
 * are a retransmission, answered from its cache (RFC 7296 section 2.1); with the journaled nonce and the key exchange
 * made again from its seed, the answer to a rekey gives the new node the same new Child SA as the peer's. Without
 * this the peer kept the Child SA it had made for the lost rekey, inbound only, until its lifetime ended.
 * {@link #toString()} shows no secret.
 *
 * @param kind      what the request does
 * @param oldSpiIn  our inbound SPI of the Child SA rekeyed or deleted
 * @param oldSpiOut the peer's inbound SPI of it
 * @param newSpiIn  our inbound SPI of the new Child SA (a rekey; 0 for a delete)
 * @param nonce     our nonce Ni (a rekey; empty for a delete)
 * @param group     the PFS key exchange's group; {@link DhGroup#NONE} without one
 * @param keySeed   the 32 random octets the key exchange's private value was drawn from (empty without PFS): the
 *                  private value itself is never kept
 * @param retried   the rekey is our second try (after INVALID_KE_PAYLOAD, or without PFS)
 * @param request   the request's datagrams as they left (ciphertext; several if fragmented); empty before it is
 *                  protected
 */
public record ChildRequestInFlight(Kind kind, long oldSpiIn, long oldSpiOut, long newSpiIn, byte[] nonce,
        DhGroup group, byte[] keySeed, boolean retried, List<byte[]> request) {
    /** What the request does. */
    public enum Kind {
        /** CREATE_CHILD_SA with N(REKEY_SA). */
        REKEY,
        /** INFORMATIONAL with a Delete payload for ESP. */
        DELETE
    }

    public ChildRequestInFlight {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(group, "group");
        nonce = nonce.clone();
        keySeed = keySeed.clone();
        request = request.stream().map(byte[]::clone).toList();
    }

    /** Our rekey of the Child SA {@code oldSpiIn}/{@code oldSpiOut}, before its request is protected. */
    static ChildRequestInFlight rekey(long oldSpiIn, long oldSpiOut, long newSpiIn, byte[] nonce, DhGroup group,
            byte[] keySeed, boolean retried) {
        return new ChildRequestInFlight(Kind.REKEY, oldSpiIn, oldSpiOut, newSpiIn, nonce, group, keySeed, retried,
                List.of());
    }

    /** Our Delete of the Child SA {@code spiIn}/{@code spiOut}, as it left. */
    static ChildRequestInFlight delete(long spiIn, long spiOut, List<byte[]> request) {
        return new ChildRequestInFlight(Kind.DELETE, spiIn, spiOut, 0, new byte[0], DhGroup.NONE, new byte[0], false,
                request);
    }

    /** The same, with its request as it leaves. */
    ChildRequestInFlight sentAs(List<byte[]> datagrams) {
        return new ChildRequestInFlight(kind, oldSpiIn, oldSpiOut, newSpiIn, nonce, group, keySeed, retried,
                datagrams);
    }

    /** True if the rekey has a key exchange (PFS). */
    boolean pfs() {
        return group != DhGroup.NONE;
    }

    @Override
    public List<byte[]> request() {
        return request.stream().map(byte[]::clone).toList();
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
    public ChildRequestInFlight copy() {
        return new ChildRequestInFlight(kind, oldSpiIn, oldSpiOut, newSpiIn, nonce, group, keySeed, retried, request);
    }

    /** Zeroes the seed. */
    public void wipe() {
        Arrays.fill(keySeed, (byte) 0);
    }

    @Override
    public String toString() {
        return "ChildRequestInFlight[" + kind + " of " + Long.toHexString(oldSpiIn) + "/"
                + Long.toHexString(oldSpiOut) + (kind == Kind.REKEY ? ", new SPI " + Long.toHexString(newSpiIn)
                + ", " + group + (pfs() ? ", seed [redacted]" : "") : "") + "]";
    }
}
