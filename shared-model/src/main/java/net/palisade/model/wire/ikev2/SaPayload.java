package net.palisade.model.wire.ikev2;

import java.util.List;

/**
 * Security Association payload (RFC 7296 section 3.3): proposals in order of preference. A request numbers its
 * proposals 1, 2, 3...; a response carries exactly one, numbered like the proposal it accepts. The decoder checks
 * both rules, the substructure lengths and markers, SPI sizes per protocol, and the transform counts.
 *
 * @param proposals at least one
 */
public record SaPayload(List<Proposal> proposals) implements Payload {

    /** Copies the list; refuses an empty one or more than 255 proposals. */
    public SaPayload {
        proposals = List.copyOf(proposals);
        if (proposals.isEmpty() || proposals.size() > 255) {
            throw new IllegalArgumentException("an SA payload holds 1-255 proposals, not " + proposals.size());
        }
    }

    /** An SA payload of {@code proposals}. */
    public static SaPayload of(Proposal... proposals) {
        return new SaPayload(List.of(proposals));
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.SA;
    }
}
