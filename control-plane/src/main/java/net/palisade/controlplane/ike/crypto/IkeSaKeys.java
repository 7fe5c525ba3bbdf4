package net.palisade.controlplane.ike.crypto;

import java.util.Arrays;

/**
 * The seven keys of an IKE SA (RFC 7296 section 2.14), in the order prf+ produces them. For an AEAD suite SK_ai and
 * SK_ar are empty and SK_ei/SK_er hold key then salt. The arrays are the only copies; {@link #wipe()} zeroes them.
 * {@link #toString()} never shows key material.
 *
 * @param skD  key for deriving Child SA keys
 * @param skAi integrity key, initiator to responder
 * @param skAr integrity key, responder to initiator
 * @param skEi encryption key (and salt), initiator to responder
 * @param skEr encryption key (and salt), responder to initiator
 * @param skPi key for the initiator's AUTH payload
 * @param skPr key for the responder's AUTH payload
 */
public record IkeSaKeys(byte[] skD, byte[] skAi, byte[] skAr, byte[] skEi, byte[] skEr, byte[] skPi, byte[] skPr) {

    /** Zeroes every key. */
    public void wipe() {
        for (byte[] k : new byte[][] {skD, skAi, skAr, skEi, skEr, skPi, skPr}) {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** Lengths only. */
    @Override
    public String toString() {
        return "IkeSaKeys[d=" + skD.length + ", a=" + skAi.length + ", e=" + skEi.length + ", p=" + skPi.length
                + " octets]";
    }
}
