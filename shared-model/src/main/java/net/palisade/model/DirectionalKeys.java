package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.Objects;
import net.palisade.model.secret.Secret;

/**
 * Manual keys for both directions: {@code inbound} decrypts/verifies what the peer sends, {@code outbound}
 * protects what we send. Config text: {@code enckey KEY[:KEY]}; one key means the same key both ways.
 * JSON: {@code {"inbound":"0x..","outbound":"0x.."}} or one string for both; output shows {@code [redacted]}.
 */
@JsonPropertyOrder({"inbound", "outbound"})
@JsonDeserialize(using = ModelJson.DirectionalKeysDeserializer.class)
public record DirectionalKeys(Secret inbound, Secret outbound) {
    public DirectionalKeys {
        Objects.requireNonNull(inbound, "inbound");
        Objects.requireNonNull(outbound, "outbound");
    }

    /** The same key both ways. */
    public static DirectionalKeys both(Secret key) {
        return new DirectionalKeys(key, key);
    }

    /** True when both directions use the same key bytes. */
    public boolean symmetric() {
        return inbound.equals(outbound);
    }

    /** Wipes both keys. */
    public void wipe() {
        inbound.wipe();
        outbound.wipe();
    }
}
