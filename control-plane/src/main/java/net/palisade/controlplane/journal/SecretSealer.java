package net.palisade.controlplane.journal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals secret bytes with the {@link NodeKey}: AES-256-GCM, a random 12-byte nonce per value, 128-bit tag, and as
 * associated data the key id, the secret's kind and its {@link Place} (the tunnel and the field that hold it). A
 * sealed PSK cannot be replayed as a hex key, nor moved under another key id, to another tunnel, or to another field
 * of the same tunnel (the inbound key as the outbound one).
 *
 * <p>Format 1, written before the place was bound, named only the key id and the kind. Such values still open (a
 * journal is history and its old events are never rewritten), with one warning per process; everything written is
 * format 2. docs/security.md says what a database writer can still do with format-1 values.
 */
public final class SecretSealer {
    private static final Logger LOG = LoggerFactory.getLogger(SecretSealer.class);

    /** Nonce length in bytes. */
    public static final int NONCE_LENGTH = 12;
    /** The format written: key id, kind, tunnel and field in the associated data. */
    public static final int FORMAT = 2;
    /** The format of values sealed before the place was bound: key id and kind only. */
    public static final int LEGACY_FORMAT = 1;
    private static final int TAG_BITS = 128;

    private final NodeKey key;
    private final SecureRandom random = new SecureRandom();
    private final AtomicBoolean warnedLegacy = new AtomicBoolean();

    public SecretSealer(NodeKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /**
     * Where a sealed secret belongs: the label of the tunnel whose spec holds it and the path of its field in that
     * spec ({@code authentication.psk}, {@code encKey.inbound}). A secret outside any tunnel spec (config text in a
     * commit on its way to the store, never persisted) has the place {@link #NONE}.
     */
    public record Place(String tunnel, String field) {
        /** Outside any tunnel spec. */
        public static final Place NONE = new Place("", "");

        public Place {
            Objects.requireNonNull(tunnel, "tunnel");
            Objects.requireNonNull(field, "field");
        }

        @Override
        public String toString() {
            return this.equals(NONE) ? "(outside any tunnel)" : "tunnel " + tunnel + " field " + field;
        }
    }

    /**
     * A sealed value as stored.
     *
     * @param format {@link #FORMAT}, or {@link #LEGACY_FORMAT} for a value read from an older journal
     * @param kid the id of the key that sealed it
     * @param text true when the secret was given as text (a PSK), false for bytes
     * @param nonce 12 random bytes
     * @param ct ciphertext with the GCM tag appended
     */
    public record Sealed(int format, String kid, boolean text, byte[] nonce, byte[] ct) {
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

    /** Seals {@code plain} for {@code place}; the caller wipes its array. */
    public Sealed seal(byte[] plain, boolean text, Place place) {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(FORMAT, key.keyId(), text, place));
            return new Sealed(FORMAT, key.keyId(), text, nonce, c.doFinal(plain));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Opens a value sealed for {@code place} (where it was read); the caller owns (and should wipe) the result. The
     * errors name the place and never the secret.
     *
     * @throws IllegalStateException when the value was sealed with another key, for another place, or was altered
     */
    public byte[] unseal(Sealed s, Place place) {
        if (s.format() != FORMAT && s.format() != LEGACY_FORMAT) {
            throw new IllegalStateException("sealed secret of " + place + " has format " + s.format()
                    + ", which this version does not read (formats " + LEGACY_FORMAT + " and " + FORMAT + ")");
        }
        if (!s.kid().equals(key.keyId())) {
            throw new IllegalStateException("secret of " + place + " sealed with node key " + s.kid()
                    + ", but this node's key is " + key.keyId()
                    + " (copy the node.key of the node that wrote the journal)");
        }
        if (s.nonce().length != NONCE_LENGTH) {
            throw new IllegalStateException("sealed secret of " + place + " has a " + s.nonce().length
                    + "-byte nonce");
        }
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, s.nonce()));
            c.updateAAD(aad(s.format(), s.kid(), s.text(), place));
            plain = c.doFinal(s.ct());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealed secret of " + place + " failed authentication: altered, moved "
                    + "there from another tunnel or field, or sealed with another key", e);
        }
        if (s.format() == LEGACY_FORMAT && warnedLegacy.compareAndSet(false, true)) {
            LOG.warn("the journal holds secrets sealed before they were bound to their tunnel and field (format 1, "
                    + "first: {}); they are read as before and sealed bound when next written (commit the config to "
                    + "rewrite them). Until then a database writer can move a format-1 value to another tunnel or "
                    + "field.", place);
        }
        return plain;
    }

    private static byte[] aad(int format, String kid, boolean text, Place place) {
        String kind = text ? "text" : "bytes";
        if (format == LEGACY_FORMAT) {
            return ("palisade-secret-v1|" + kid + "|" + kind).getBytes(StandardCharsets.US_ASCII);
        }
        // lengths first, so no label or field name can be read as another split of the same bytes
        byte[] tunnel = place.tunnel().getBytes(StandardCharsets.UTF_8);
        byte[] field = place.field().getBytes(StandardCharsets.UTF_8);
        String head = "palisade-secret-v2|" + kid + "|" + kind + "|" + tunnel.length + ":";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] mid = ("|" + field.length + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + tunnel.length + mid.length + field.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(tunnel, 0, out, h.length, tunnel.length);
        System.arraycopy(mid, 0, out, h.length + tunnel.length, mid.length);
        System.arraycopy(field, 0, out, h.length + tunnel.length + mid.length, field.length);
        return out;
    }
}
