package net.palisade.controlplane.journal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals secret bytes with the {@link NodeKey}: AES-256-GCM, a random 12-byte nonce per value, 128-bit tag, and the
 * key id and the secret's kind bound as associated data (a sealed PSK cannot be replayed as a hex key, nor a value
 * moved under another key id).
 */
public final class SecretSealer {
    /** Nonce length in bytes. */
    public static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;

    private final NodeKey key;
    private final SecureRandom random = new SecureRandom();

    public SecretSealer(NodeKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /**
     * A sealed value as stored.
     *
     * @param kid the id of the key that sealed it
     * @param text true when the secret was given as text (a PSK), false for bytes
     * @param nonce 12 random bytes
     * @param ct ciphertext with the GCM tag appended
     */
    public record Sealed(String kid, boolean text, byte[] nonce, byte[] ct) {
        public Sealed {
            Objects.requireNonNull(kid, "kid");
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(ct, "ct");
        }
    }

    /** The id of the key this sealer uses. */
    public String keyId() {
        return key.keyId();
    }

    /** Seals {@code plain}; the caller wipes its array. */
    public Sealed seal(byte[] plain, boolean text) {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(key.keyId(), text));
            return new Sealed(key.keyId(), text, nonce, c.doFinal(plain));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Opens a sealed value; the caller owns (and should wipe) the result.
     *
     * @throws IllegalStateException when the value was sealed with another key or was altered
     */
    public byte[] unseal(Sealed s) {
        if (!s.kid().equals(key.keyId())) {
            throw new IllegalStateException("secret sealed with node key " + s.kid() + ", but this node's key is "
                    + key.keyId() + " (copy the node.key of the node that wrote the journal)");
        }
        if (s.nonce().length != NONCE_LENGTH) {
            throw new IllegalStateException("sealed secret has a " + s.nonce().length + "-byte nonce");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, s.nonce()));
            c.updateAAD(aad(s.kid(), s.text()));
            return c.doFinal(s.ct());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealed secret failed authentication (altered, or wrong key)", e);
        }
    }

    private static byte[] aad(String kid, boolean text) {
        return ("palisade-secret-v1|" + kid + "|" + (text ? "text" : "bytes")).getBytes(StandardCharsets.US_ASCII);
    }
}
