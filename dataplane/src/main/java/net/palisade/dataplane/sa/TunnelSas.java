package net.palisade.dataplane.sa;

import java.util.List;

/**
 * Everything the workers share about one tunnel: its outbound and inbound SA and its outbound policies, in config
 * order (each {@code from} network with each {@code to} network of the same family).
 */
public record TunnelSas(String label, OutboundSa outbound, InboundSa inbound, List<FlowPair> policies) {
    public TunnelSas {
        policies = List.copyOf(policies);
        if (!outbound.label().equals(label) || !inbound.label().equals(label)) {
            throw new IllegalArgumentException("SAs of another tunnel");
        }
    }
}
