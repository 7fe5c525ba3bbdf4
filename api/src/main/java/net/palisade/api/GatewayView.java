package net.palisade.api;

import java.util.List;
import java.util.Optional;

/** What the API reads from the running gateway. Implementations never return secrets in clear. */
public interface GatewayView {
    /** The running configuration in canonical text, secrets shown as {@code [redacted]}. */
    String runningConfigRedacted();

    /** The tunnels as JSON-serializable objects (secrets serialize as {@code "[redacted]"}). */
    List<?> tunnels();

    Optional<?> tunnel(String label);
}
