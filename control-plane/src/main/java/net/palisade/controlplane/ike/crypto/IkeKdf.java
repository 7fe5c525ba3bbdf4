package net.palisade.controlplane.ike.crypto;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * IKEv2 key derivation: SKEYSEED and the IKE SA keys (RFC 7296 section 2.14), Child SA key material (section 2.17)
 * and AUTH data for a pre-shared key (section 2.15). Pure functions of their inputs.
 */
public final class IkeKdf {
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private IkeKdf() {
    }

    /** SKEYSEED = prf(Ni | Nr, g^ir). */
    public static byte[] skeyseed(Prf prf, byte[] ni, byte[] nr, byte[] sharedSecret) {
        return prf.apply(concat(ni, nr), sharedSecret);
    }

    /**
     * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
     *
     * @param integrity the integrity algorithm; empty for an AEAD {@code encryption}
     */
    public static IkeSaKeys ikeSaKeys(Prf prf, EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity,
            byte[] skeyseed, byte[] ni, byte[] nr, long spiI, long spiR) {
        int d = prf.outputBytes();
        int a = integrity.map(AuthAlgorithm::keyBytes).orElse(0);
        int e = encryption.keyMaterialBytes();
        byte[] seed = concat(ni, nr, ByteBuffer.allocate(16).putLong(spiI).putLong(spiR).array());
        byte[] km = prf.plus(skeyseed, seed, d + 2 * a + 2 * e + 2 * d);
        int[] at = {0};
        IkeSaKeys keys = new IkeSaKeys(take(km, at, d), take(km, at, a), take(km, at, a), take(km, at, e),
                take(km, at, e), take(km, at, d), take(km, at, d));
        Arrays.fill(km, (byte) 0);
        return keys;
    }

    /**
     * Child SA key material, KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 sections 2.17 and 1.3.1), of
     * {@code length} octets. With PFS, {@code pfsSecret} is the new Diffie-Hellman shared secret.
     */
    public static byte[] childKeyMaterial(Prf prf, byte[] skD, Optional<byte[]> pfsSecret, byte[] ni, byte[] nr,
            int length) {
        byte[] seed = pfsSecret.isPresent() ? concat(pfsSecret.get(), ni, nr) : concat(ni, nr);
        return prf.plus(skD, seed, length);
    }

    /** SKEYSEED for a rekeyed IKE SA: prf(SK_d (old), g^ir (new) | Ni | Nr) (RFC 7296 section 2.18). */
    public static byte[] rekeySkeyseed(Prf prf, byte[] oldSkD, byte[] newSharedSecret, byte[] ni, byte[] nr) {
        return prf.apply(oldSkD, newSharedSecret, ni, nr);
    }

    /**
     * The octets an AUTH payload covers (RFC 7296 section 2.15): the sender's first message (IKE_SA_INIT request or
     * response, as sent), the peer's nonce, and prf(SK_p, RestOf...IDPayload) of the sender's ID payload body.
     */
    public static byte[] signedOctets(Prf prf, byte[] firstMessage, byte[] peerNonce, byte[] skP, byte[] idBody) {
        return concat(firstMessage, peerNonce, prf.apply(skP, idBody));
    }

    /** AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), signed octets) (RFC 7296 section 2.15). */
    public static byte[] pskAuth(Prf prf, byte[] psk, byte[] signedOctets) {
        byte[] padKey = prf.apply(psk, KEY_PAD);
        byte[] auth = prf.apply(padKey, signedOctets);
        Arrays.fill(padKey, (byte) 0);
        return auth;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] take(byte[] km, int[] at, int n) {
        byte[] out = Arrays.copyOfRange(km, at[0], at[0] + n);
        at[0] += n;
        return out;
    }
}
