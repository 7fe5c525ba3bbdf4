package net.palisade.model.wire.ikev2;

import java.util.Optional;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.Octets;

/**
 * Key Exchange payload (RFC 7296 section 3.4): group number and public value. For groups in {@link DhGroup} the
 * decoder checks that the data has the group's public value length.
 *
 * @param group the Key Exchange Method transform ID, 0-65535
 * @param data  the public value
 */
public record KePayload(int group, Octets data) implements Payload {

    /** Validates the group range. */
    public KePayload {
        if (group < 0 || group > 0xffff) {
            throw new IllegalArgumentException("group " + group + " does not fit 16 bits");
        }
        java.util.Objects.requireNonNull(data, "data");
    }

    /** A KE payload for a group from Palisade's table. */
    public static KePayload of(DhGroup group, Octets publicValue) {
        return new KePayload(group.ikev2Id(), publicValue);
    }

    /** The group in Palisade's table, if it is one. */
    public Optional<DhGroup> dhGroup() {
        return DhGroup.fromIkev2(group);
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.KE;
    }
}
