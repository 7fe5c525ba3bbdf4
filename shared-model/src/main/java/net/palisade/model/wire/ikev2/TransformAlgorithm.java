package net.palisade.model.wire.ikev2;

import java.util.OptionalInt;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * What a transform names, in terms of Palisade's algorithm tables: the open enum of transform IDs. A transform whose
 * type and ID (and key length) match a table entry maps to that entry; anything else is {@link Unknown}, which
 * keeps the numbers. Peers may legally propose algorithms Palisade does not implement; the engine skips those.
 */
public sealed interface TransformAlgorithm {

    /**
     * An encryption algorithm from {@link EncryptionAlgorithm}.
     *
     * @param algorithm the algorithm (ID and key length matched)
     */
    record Encryption(EncryptionAlgorithm algorithm) implements TransformAlgorithm {}

    /**
     * A PRF from {@link AuthAlgorithm}.
     *
     * @param algorithm the HMAC used as PRF
     */
    record Prf(AuthAlgorithm algorithm) implements TransformAlgorithm {}

    /**
     * An integrity algorithm from {@link AuthAlgorithm}.
     *
     * @param algorithm the truncated HMAC
     */
    record Integrity(AuthAlgorithm algorithm) implements TransformAlgorithm {}

    /** Integrity transform ID 0, NONE: allowed with AEAD ciphers. */
    record NoIntegrity() implements TransformAlgorithm {}

    /**
     * A key exchange method (KE or ADDKE transform) from {@link DhGroup}; {@link DhGroup#NONE} is ID 0.
     *
     * @param group the group
     */
    record KeyExchange(DhGroup group) implements TransformAlgorithm {}

    /**
     * The ESN transform.
     *
     * @param enabled ID 1 (true) or 0 (false)
     */
    record Esn(boolean enabled) implements TransformAlgorithm {}

    /**
     * A transform Palisade has no algorithm for: printed as {@code ENCR UNKNOWN(13)}.
     *
     * @param type      transform type
     * @param id        transform ID
     * @param keyLength Key Length attribute, if any
     */
    record Unknown(TransformType type, int id, OptionalInt keyLength) implements TransformAlgorithm {
        /** {@code TYPE UNKNOWN(id)}, with the key length when present. */
        @Override
        public String toString() {
            return type.name() + " UNKNOWN(" + id + ")" + (keyLength.isPresent() ? "/" + keyLength.getAsInt() : "");
        }
    }
}
