package net.palisade.model.wire.ikev2;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.DataAttribute;

/**
 * A transform substructure (RFC 7296 section 3.3.2): type, transform ID, attributes. The only attribute RFC 7296
 * defines is Key Length (type 14, TV, in bits).
 *
 * <p>Transform IDs stay numbers here; {@link #algorithm()} maps them to the algorithm tables the rest of Palisade
 * uses ({@link EncryptionAlgorithm}, {@link AuthAlgorithm}, {@link DhGroup}), which hold the IANA IDs, or to an
 * explicit unknown value.
 *
 * @param type       transform type
 * @param id         transform ID, 0-65535
 * @param attributes in wire order
 */
public record Transform(TransformType type, int id, List<DataAttribute> attributes) {

    /** The Key Length attribute type. */
    public static final int KEY_LENGTH_ATTRIBUTE = 14;

    /** Validates the ID range and copies the attributes. */
    public Transform {
        Objects.requireNonNull(type, "type");
        if (id < 0 || id > 0xffff) {
            throw new IllegalArgumentException("transform ID " + id + " does not fit 16 bits");
        }
        attributes = List.copyOf(attributes);
    }

    /** A transform without attributes. */
    public static Transform of(TransformType type, int id) {
        return new Transform(type, id, List.of());
    }

    /** An encryption transform, with the Key Length attribute where the algorithm takes one. */
    public static Transform encryption(EncryptionAlgorithm algorithm) {
        List<DataAttribute> attrs = new ArrayList<>();
        algorithm.keyLengthAttribute().ifPresent(bits -> attrs.add(DataAttribute.tv(KEY_LENGTH_ATTRIBUTE, bits)));
        return new Transform(TransformType.Known.ENCR, algorithm.ikev2Id(), attrs);
    }

    /** A PRF transform. */
    public static Transform prf(AuthAlgorithm algorithm) {
        return of(TransformType.Known.PRF, algorithm.ikev2PrfId());
    }

    /** An integrity transform. */
    public static Transform integrity(AuthAlgorithm algorithm) {
        return of(TransformType.Known.INTEG, algorithm.ikev2IntegrityId());
    }

    /** A key exchange (Diffie-Hellman group) transform. */
    public static Transform keyExchange(DhGroup group) {
        return of(TransformType.Known.KE, group.ikev2Id());
    }

    /** An Extended Sequence Numbers transform: ID 1 with ESN, 0 without. */
    public static Transform esn(boolean enabled) {
        return of(TransformType.Known.ESN, enabled ? 1 : 0);
    }

    /** The Key Length attribute in bits, if present in TV form. */
    public OptionalInt keyLength() {
        for (DataAttribute a : attributes) {
            if (a.type() == KEY_LENGTH_ATTRIBUTE && a instanceof DataAttribute.Tv tv) {
                return OptionalInt.of(tv.value());
            }
        }
        return OptionalInt.empty();
    }

    /** The algorithm this transform names in Palisade's tables, or {@link TransformAlgorithm.Unknown}. */
    public TransformAlgorithm algorithm() {
        Optional<? extends TransformAlgorithm> known = switch (type) {
            case TransformType.Known k -> switch (k) {
                case ENCR -> EncryptionAlgorithm.fromIkev2(id, keyLength()).map(TransformAlgorithm.Encryption::new);
                case PRF -> AuthAlgorithm.fromIkev2Prf(id).map(TransformAlgorithm.Prf::new);
                case INTEG -> id == 0 ? Optional.of(new TransformAlgorithm.NoIntegrity())
                        : AuthAlgorithm.fromIkev2Integrity(id).map(TransformAlgorithm.Integrity::new);
                case KE, ADDKE1, ADDKE2, ADDKE3, ADDKE4, ADDKE5, ADDKE6, ADDKE7 ->
                        DhGroup.fromIkev2(id).map(TransformAlgorithm.KeyExchange::new);
                case ESN -> id <= 1 ? Optional.of(new TransformAlgorithm.Esn(id == 1)) : Optional.empty();
            };
            case TransformType.Unknown u -> Optional.empty();
        };
        return known.isPresent() ? known.get() : new TransformAlgorithm.Unknown(type, id, keyLength());
    }

    /** Type, ID and key length, e.g. {@code ENCR 20/128}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type.name()).append(' ').append(id);
        keyLength().ifPresent(k -> sb.append('/').append(k));
        if (attributes.size() > (keyLength().isPresent() ? 1 : 0)) {
            sb.append(' ').append(attributes);
        }
        return sb.toString();
    }
}
