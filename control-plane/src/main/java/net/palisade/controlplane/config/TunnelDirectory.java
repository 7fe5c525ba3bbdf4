package net.palisade.controlplane.config;

import net.palisade.controlplane.tunnel.TunnelCommand;
import org.apache.pekko.actor.typed.RecipientRef;

/** How the reconciler reaches a tunnel entity (cluster sharding or the pair's tunnel host in a node; a probe in tests). */
@FunctionalInterface
public interface TunnelDirectory {
    /** The entity of tunnel {@code label}. */
    RecipientRef<TunnelCommand> tunnel(String label);
}
