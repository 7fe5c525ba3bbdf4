package net.palisade.model.event;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Objects;

/**
 * State a node needs to take over a tunnel without renegotiating (IKE SA or Child SA keys, message IDs), sealed
 * with the gateway pair's key (AES-256-GCM; the control plane's {@code journal.TakeoverSealer} seals and opens it).
 * The model only carries it: it never sees the plain bytes.
 *
 * <p>Its ordinary JSON form and {@link #toString()} name the key and the length only ({@code "[sealed 412 bytes,
 * pair key 1a2b3c4d5e6f7081]"}), so the API's event view and logs never print the ciphertext; the journal writes
 * the fields through its own mapper.
 *
 * @param kid the id of the pair key that sealed it (not secret)
 * @param nonce the 12-byte GCM nonce
 * @param ct the ciphertext with its 16-byte tag
 */
public record SealedState(String kid, byte[] nonce, byte[] ct) {
    public SealedState {
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(ct, "ct");
        nonce = nonce.clone();
        ct = ct.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public byte[] ct() {
        return ct.clone();
    }

    /** What the API and logs show. */
    @JsonValue
    public String summary() {
        return "[sealed " + ct.length + " bytes, pair key " + kid + "]";
    }

    @Override
    public String toString() {
        return summary();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SealedState s && kid.equals(s.kid) && Arrays.equals(nonce, s.nonce)
                && Arrays.equals(ct, s.ct);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kid, Arrays.hashCode(nonce), Arrays.hashCode(ct));
    }
}
