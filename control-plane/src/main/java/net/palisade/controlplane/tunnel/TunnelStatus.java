package net.palisade.controlplane.tunnel;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Operational state of a tunnel, derived from its events: {@code down} (not configured, or admin down),
 * {@code connecting} (admin up, IKE without a Child SA yet), {@code up} (a manual tunnel installed, or at least one
 * Child SA installed).
 */
public enum TunnelStatus {
    DOWN,
    CONNECTING,
    UP;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static TunnelStatus fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
