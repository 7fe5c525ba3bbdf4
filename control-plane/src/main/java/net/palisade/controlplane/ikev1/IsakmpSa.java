package net.palisade.controlplane.ikev1;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * The keys of one ISAKMP SA once phase 1 has its shared secret: SKEYID_d and SKEYID_a, the CBC key, and the CBC IV of
 * every exchange (RFC 2409 Appendix B: phase 1 chains from hash(g^xi | g^xr); each quick mode or informational
 * exchange starts from hash(last phase-1 block | M-ID) and chains within itself). A decryption only moves an IV when
 * the caller {@link #commit commits} it, after the message's HASH checked out, so a forged message cannot
 * desynchronise the exchange.
 *
 * <p>Key arrays are never printed; JCE keeps expanded keys that Java cannot wipe.
 */
final class IsakmpSa {

    /**
     * The negotiated phase-1 suite.
     *
     * @param encryption AES-CBC or 3DES
     * @param hash       the hash, whose HMAC is the PRF
     * @param group      the DH group
     * @param lifetime   seconds
     */
    record Suite(EncryptionAlgorithm encryption, AuthAlgorithm hash, DhGroup group, long lifetime) {
        Prf prf() {
            return new Prf(hash);
        }
    }

    /**
     * A decrypted message and the IV its exchange moves to if it is accepted.
     *
     * @param plaintext the payload chain and padding
     * @param nextIv    the last ciphertext block
     */
    record Opened(byte[] plaintext, byte[] nextIv) {}

    final Suite suite;
    final byte[] skeyid;
    final byte[] skeyidD;
    final byte[] skeyidA;
    private final byte[] key;
    /** The phase-1 chain (message ID 0) until phase 1 ends; then its last block, the seed of phase-2 IVs. */
    private byte[] phase1Iv;
    private final Map<Long, byte[]> ivs = new HashMap<>();

    IsakmpSa(Suite suite, byte[] skeyid, byte[] gxy, byte[] ckyI, byte[] ckyR, byte[] gxi, byte[] gxr) {
        this.suite = suite;
        Prf prf = suite.prf();
        this.skeyid = skeyid;
        this.skeyidD = Ikev1Keymat.skeyidD(prf, skeyid, gxy, ckyI, ckyR);
        this.skeyidA = Ikev1Keymat.skeyidA(prf, skeyid, skeyidD, gxy, ckyI, ckyR);
        byte[] skeyidE = Ikev1Keymat.skeyidE(prf, skeyid, skeyidA, gxy, ckyI, ckyR);
        this.key = Ikev1Keymat.encryptionKey(prf, skeyidE, suite.encryption().keyBytes());
        this.phase1Iv = Ikev1Keymat.phase1Iv(suite.hash(), gxi, gxr, block());
    }

    /**
     * An ISAKMP SA resumed from its takeover state ({@link Ikev1Snapshot}): SKEYID_d, SKEYID_a, the CBC key and the
     * last phase-1 block, copied. SKEYID itself is not kept (nothing after phase 1 uses it).
     */
    IsakmpSa(Suite suite, byte[] skeyidD, byte[] skeyidA, byte[] key, byte[] phase1Iv) {
        this.suite = suite;
        this.skeyid = new byte[0];
        this.skeyidD = skeyidD.clone();
        this.skeyidA = skeyidA.clone();
        this.key = key.clone();
        this.phase1Iv = phase1Iv.clone();
    }

    /** A copy of the last phase-1 block, from which each later exchange's IV is derived. */
    byte[] phase1Iv() {
        return phase1Iv.clone();
    }

    int block() {
        return suite.encryption().blockBytes();
    }

    private byte[] iv(long messageId) {
        if (messageId == 0) {
            return phase1Iv;
        }
        return ivs.computeIfAbsent(messageId, m -> Ikev1Keymat.phase2Iv(suite.hash(), phase1Iv, m, block()));
    }

    /** Encrypts {@code chain} (padded with zeros to the block) in exchange {@code messageId}; moves its IV. */
    byte[] encrypt(long messageId, byte[] chain) {
        int pad = (block() - chain.length % block()) % block();
        byte[] plain = Arrays.copyOf(chain, chain.length + pad);
        byte[] out = cbc(Cipher.ENCRYPT_MODE, iv(messageId), plain);
        commit(messageId, Arrays.copyOfRange(out, out.length - block(), out.length));
        return out;
    }

    /** Decrypts {@code ciphertext} of exchange {@code messageId} without moving its IV; empty if not whole blocks. */
    Optional<Opened> decrypt(long messageId, byte[] ciphertext) {
        if (ciphertext.length == 0 || ciphertext.length % block() != 0) {
            return Optional.empty();
        }
        byte[] plain = cbc(Cipher.DECRYPT_MODE, iv(messageId), ciphertext);
        return Optional.of(new Opened(plain, Arrays.copyOfRange(ciphertext, ciphertext.length - block(),
                ciphertext.length)));
    }

    /** Moves exchange {@code messageId}'s IV to {@code nextIv} (the last block of an accepted message). */
    void commit(long messageId, byte[] nextIv) {
        if (messageId == 0) {
            phase1Iv = nextIv;
        } else {
            ivs.put(messageId, nextIv);
        }
    }

    /** The current IV of exchange {@code messageId} (to restore it if a message turns out forged). */
    byte[] currentIv(long messageId) {
        return iv(messageId).clone();
    }

    /** Forgets an exchange's IV once it is over. */
    void forget(long messageId) {
        ivs.remove(messageId);
    }

    private byte[] cbc(int mode, byte[] iv, byte[] data) {
        EncryptionAlgorithm e = suite.encryption();
        try {
            Cipher c = net.palisade.controlplane.ike.crypto.Jca.cipher(e.jceTransformation());
            c.init(mode, new SecretKeySpec(key, e.jceKeyAlgorithm()), new IvParameterSpec(iv));
            return c.doFinal(data);
        } catch (GeneralSecurityException x) {
            throw new IllegalStateException("ISAKMP " + e + " failed", x);
        }
    }

    /**
     * Zeroes SKEYID, SKEYID_d, SKEYID_a and the encryption key once the ISAKMP SA is closed (as the IKEv2 engine does
     * with its SK_* keys): a heap dump or core file taken later holds none of them. Retransmissions of the last
     * answers are cached ciphertext, so nothing needs them afterwards.
     */
    void wipe() {
        for (byte[] k : new byte[][] {skeyid, skeyidD, skeyidA, key}) {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** The encryption key, for tests in this package. */
    byte[] encryptionKey() {
        return key;
    }

    /** Algorithms only. */
    @Override
    public String toString() {
        return "IsakmpSa[" + suite.encryption() + "/" + suite.hash() + "/" + suite.group() + "]";
    }
}
