package net.palisade.controlplane.tunnel;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What the operator wants: {@code up} (the default for a configured tunnel) or {@code down}. */
public enum AdminState {
    UP,
    DOWN;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static AdminState fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
