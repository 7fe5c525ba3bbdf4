package net.palisade.model.wire.ikev2;

import java.util.List;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;

/**
 * Traffic Selector payload, TSi or TSr (RFC 7296 section 3.13): one or more selectors. The decoder checks the count
 * against the selectors present and each selector's length against its type (16 octets for IPv4, 40 for IPv6).
 *
 * @param initiator true for TSi, false for TSr
 * @param selectors 1-255 selectors
 */
public record TsPayload(boolean initiator, List<TrafficSelector> selectors) implements Payload {

    /** Copies the list; refuses an empty one or more than 255. */
    public TsPayload {
        selectors = List.copyOf(selectors);
        if (selectors.isEmpty() || selectors.size() > 255) {
            throw new IllegalArgumentException("a TS payload holds 1-255 selectors, not " + selectors.size());
        }
    }

    /** A TS payload of {@code selectors}. */
    public static TsPayload of(boolean initiator, TrafficSelector... selectors) {
        return new TsPayload(initiator, List.of(selectors));
    }

    /** A TS payload with one selector per config network ({@code any} as every address of {@code familyForAny}). */
    public static TsPayload ofNetworks(boolean initiator, List<Network> networks, IpFamily familyForAny) {
        return new TsPayload(initiator, networks.stream()
                .map(n -> (TrafficSelector) TrafficSelector.AddressRange.of(n, familyForAny)).toList());
    }

    @Override
    public PayloadType type() {
        return initiator ? PayloadType.Known.TSI : PayloadType.Known.TSR;
    }
}
