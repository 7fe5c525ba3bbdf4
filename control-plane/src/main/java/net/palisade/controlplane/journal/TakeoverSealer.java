package net.palisade.controlplane.journal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import net.palisade.model.event.SealedState;

/**
 * Seals takeover state with the {@link PairKey}: AES-256-GCM, a random 12-byte nonce per value, 128-bit tag. The key
 * id, the tunnel's label, the scope ({@code ike-sa}/{@code child-sa}) and the SA's name are bound as associated
 * data, so a sealed state cannot be moved to another tunnel, SA or scope by editing the journal.
 */
public final class TakeoverSealer {
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;

    private final PairKey key;
    private final SecureRandom random = new SecureRandom();

    public TakeoverSealer(PairKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /** The id of the pair key. */
    public String keyId() {
        return key.keyId();
    }

    /** Seals {@code plain} for {@code label}'s SA {@code sa}; the caller wipes its array. */
    public SealedState seal(String label, String scope, String sa, byte[] plain) {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(key.keyId(), label, scope, sa));
            return new SealedState(key.keyId(), nonce, c.doFinal(plain));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing takeover state failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Opens a sealed state; the caller owns (and should wipe) the result.
     *
     * @throws IllegalStateException when it was sealed with another pair key, for another tunnel or SA, or altered
     */
    public byte[] open(String label, String scope, String sa, SealedState s) {
        if (!s.kid().equals(key.keyId())) {
            throw new IllegalStateException("takeover state of tunnel " + label + " sealed with pair key " + s.kid()
                    + ", but this node's pair key is " + key.keyId()
                    + " (copy pair.key from the node that made it with palisade ha init)");
        }
        byte[] nonce = s.nonce();
        if (nonce.length != NONCE_LENGTH) {
            throw new IllegalStateException("takeover state of tunnel " + label + " has a " + nonce.length
                    + "-byte nonce");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(s.kid(), label, scope, sa));
            return c.doFinal(s.ct());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("takeover state of tunnel " + label + " failed authentication "
                    + "(altered, or not this tunnel's " + scope + " " + sa + ")", e);
        }
    }

    private static byte[] aad(String kid, String label, String scope, String sa) {
        return ("palisade-takeover-v1|" + kid + "|" + label + "|" + scope + "|" + sa)
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "TakeoverSealer[" + key.keyId() + "]";
    }
}
