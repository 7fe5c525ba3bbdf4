package net.palisade.controlplane.tunnel;

import net.palisade.model.event.CborSerializable;

/** The answer to every {@link TunnelCommand}. */
public sealed interface TunnelReply extends CborSerializable {

    /** Accepted (persisted, or nothing to persist); the state after it. */
    record Ok(TunnelView tunnel) implements TunnelReply {}

    /** Refused; nothing was persisted. */
    record Rejected(String label, String error) implements TunnelReply {}
}
