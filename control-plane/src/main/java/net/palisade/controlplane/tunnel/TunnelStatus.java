package net.palisade.controlplane.tunnel;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Operational state of a tunnel, derived from its events: {@code down} (not configured, or admin down),
 * {@code connecting} (admin up, no IKE SA yet), {@code no-child-sa} (the IKE SA is up but no Child SA is installed:
 * the peer deleted it, it expired, a rekey or creation failed — no packet crosses until one is), {@code up} (a
 * manual tunnel installed, or at least one Child SA installed).
 */
public enum TunnelStatus {
    DOWN,
    CONNECTING,
    NO_CHILD_SA,
    UP;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static TunnelStatus fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
