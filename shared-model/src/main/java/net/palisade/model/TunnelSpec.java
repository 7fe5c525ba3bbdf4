package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import net.palisade.model.config.ValidatingDeserializers;

/**
 * One tunnel: IKE-keyed or manually keyed. Every tunnel has a label (unique in a config) and flows: {@code from}
 * local networks to {@code to} remote networks, in the order written; they are the phase-2 IDs (traffic selectors).
 *
 * <p>JSON: an object with {@code "type": "ike"} or {@code "manual"}. Reading JSON into this type validates it
 * with the same rules as the config language (defaults applied; errors as
 * {@link net.palisade.model.config.InvalidConfigJsonException}).
 */
@JsonDeserialize(using = ValidatingDeserializers.TunnelDeserializer.class)
public sealed interface TunnelSpec permits IkeTunnel, ManualTunnel {
    /** The unique name of the tunnel. */
    String label();

    /** Local networks, in order. */
    List<Network> from();

    /** Remote networks, in order. */
    List<Network> to();

    /** {@code ike} or {@code manual}: the JSON type tag. */
    @JsonProperty(value = "type", index = 0)
    String type();
}
