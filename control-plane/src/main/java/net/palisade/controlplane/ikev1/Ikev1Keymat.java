package net.palisade.controlplane.ikev1;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.model.crypto.AuthAlgorithm;

/**
 * IKEv1 key derivation (RFC 2409 section 5, 5.5 and Appendix B): plain functions of octets, so that a test can feed
 * them values from another implementation's debug log. {@code prf} is the HMAC of the negotiated hash algorithm;
 * the IVs use the hash itself. Nonces are the bodies of the Nonce payloads ({@code Ni_b}, {@code Nr_b}), cookies are
 * the eight octets of the header, DH shared secrets are padded to the group's length as the KE payload encodes them.
 */
public final class Ikev1Keymat {

    private Ikev1Keymat() {
    }

    /** SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b). */
    public static byte[] skeyidPsk(Prf prf, byte[] psk, byte[] ni, byte[] nr) {
        return prf.apply(psk, ni, nr);
    }

    /** SKEYID for signatures: prf(Ni_b | Nr_b, g^xy). */
    public static byte[] skeyidSignature(Prf prf, byte[] ni, byte[] nr, byte[] gxy) {
        return prf.apply(concat(ni, nr), gxy);
    }

    /** SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0). */
    public static byte[] skeyidD(Prf prf, byte[] skeyid, byte[] gxy, byte[] ckyI, byte[] ckyR) {
        return prf.apply(skeyid, gxy, ckyI, ckyR, new byte[] {0});
    }

    /** SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1). */
    public static byte[] skeyidA(Prf prf, byte[] skeyid, byte[] skeyidD, byte[] gxy, byte[] ckyI, byte[] ckyR) {
        return prf.apply(skeyid, skeyidD, gxy, ckyI, ckyR, new byte[] {1});
    }

    /** SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2). */
    public static byte[] skeyidE(Prf prf, byte[] skeyid, byte[] skeyidA, byte[] gxy, byte[] ckyI, byte[] ckyR) {
        return prf.apply(skeyid, skeyidA, gxy, ckyI, ckyR, new byte[] {2});
    }

    /**
     * The phase-1 encryption key of {@code length} octets (Appendix B): the first octets of SKEYID_e when it is long
     * enough, else Ka = K1 | K2 | ... where K1 = prf(SKEYID_e, 0) and Kn = prf(SKEYID_e, Kn-1).
     */
    public static byte[] encryptionKey(Prf prf, byte[] skeyidE, int length) {
        if (skeyidE.length >= length) {
            return Arrays.copyOf(skeyidE, length);
        }
        byte[] out = new byte[length];
        byte[] k = new byte[] {0};
        int done = 0;
        while (done < length) {
            k = prf.apply(skeyidE, k);
            int take = Math.min(k.length, length - done);
            System.arraycopy(k, 0, out, done, take);
            done += take;
        }
        return out;
    }

    /** The phase-1 IV (Appendix B): hash(g^xi | g^xr) truncated to the cipher's block. */
    public static byte[] phase1Iv(AuthAlgorithm hash, byte[] gxi, byte[] gxr, int blockSize) {
        return Arrays.copyOf(digest(hash, gxi, gxr), blockSize);
    }

    /**
     * The first IV of a quick mode or informational exchange: hash(last phase-1 CBC output block | M-ID), truncated
     * to the block.
     */
    public static byte[] phase2Iv(AuthAlgorithm hash, byte[] lastPhase1Block, long messageId, int blockSize) {
        return Arrays.copyOf(digest(hash, lastPhase1Block, u32(messageId)), blockSize);
    }

    /** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b). */
    public static byte[] hashI(Prf prf, byte[] skeyid, byte[] gxi, byte[] gxr, byte[] ckyI, byte[] ckyR, byte[] saiB,
            byte[] idiiB) {
        return prf.apply(skeyid, gxi, gxr, ckyI, ckyR, saiB, idiiB);
    }

    /** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). */
    public static byte[] hashR(Prf prf, byte[] skeyid, byte[] gxi, byte[] gxr, byte[] ckyI, byte[] ckyR, byte[] saiB,
            byte[] idirB) {
        return prf.apply(skeyid, gxr, gxi, ckyR, ckyI, saiB, idirB);
    }

    /**
     * Quick mode HASH(1) = prf(SKEYID_a, M-ID | rest), and the informational HASH of the same shape;
     * {@code rest} is the message after the HASH payload, generic headers included.
     */
    public static byte[] quickHash1(Prf prf, byte[] skeyidA, long messageId, byte[] rest) {
        return prf.apply(skeyidA, u32(messageId), rest);
    }

    /** Quick mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest). */
    public static byte[] quickHash2(Prf prf, byte[] skeyidA, long messageId, byte[] ni, byte[] rest) {
        return prf.apply(skeyidA, u32(messageId), ni, rest);
    }

    /** Quick mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
    public static byte[] quickHash3(Prf prf, byte[] skeyidA, long messageId, byte[] ni, byte[] nr) {
        return prf.apply(skeyidA, new byte[] {0}, u32(messageId), ni, nr);
    }

    /**
     * Quick mode KEYMAT of {@code length} octets (section 5.5): K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI |
     * Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), KEYMAT = K1 | K2 | ...
     *
     * @param protocol the IPsec DOI protocol (ESP 3)
     * @param spi      the SPI of the SA this KEYMAT is for: the one its receiver chose
     */
    public static byte[] keymat(Prf prf, byte[] skeyidD, Optional<byte[]> pfsSecret, int protocol, byte[] spi,
            byte[] ni, byte[] nr, int length) {
        byte[] seed = concat(pfsSecret.orElse(new byte[0]), new byte[] {(byte) protocol}, spi, ni, nr);
        byte[] out = new byte[length];
        byte[] k = new byte[0];
        int done = 0;
        while (done < length) {
            k = prf.apply(skeyidD, k, seed);
            int take = Math.min(k.length, length - done);
            System.arraycopy(k, 0, out, done, take);
            done += take;
        }
        return out;
    }

    /** NAT-D (RFC 3947 section 3.2): hash(CKY-I | CKY-R | IP | Port). */
    public static byte[] natD(AuthAlgorithm hash, byte[] ckyI, byte[] ckyR, byte[] ip, int port) {
        return digest(hash, ckyI, ckyR, ip, new byte[] {(byte) (port >>> 8), (byte) port});
    }

    /** The hash behind {@code algorithm}'s HMAC. */
    static byte[] digest(AuthAlgorithm algorithm, byte[]... parts) {
        try {
            MessageDigest md = net.palisade.controlplane.ike.crypto.Jca.digest(switch (algorithm) {
                case HMAC_SHA1 -> "SHA-1";
                case HMAC_SHA2_256 -> "SHA-256";
                case HMAC_SHA2_384 -> "SHA-384";
                case HMAC_SHA2_512 -> "SHA-512";
            });
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " has no digest here", e);
        }
    }

    static byte[] u32(long v) {
        return ByteBuffer.allocate(4).putInt((int) v).array();
    }

    static byte[] u64(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
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
}
