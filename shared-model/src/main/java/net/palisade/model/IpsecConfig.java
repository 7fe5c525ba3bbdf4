package net.palisade.model;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.util.List;
import java.util.Optional;
import net.palisade.model.config.ValidatingDeserializers;

/**
 * A whole configuration: the tunnels in file order. Produced by
 * {@link net.palisade.model.config.ConfigParser#parse(String, String)} or
 * {@link net.palisade.model.config.ConfigJson#read(String, String)}; printed by
 * {@link net.palisade.model.config.ConfigPrinter}.
 */
@JsonDeserialize(using = ValidatingDeserializers.ConfigDeserializer.class)
public record IpsecConfig(List<TunnelSpec> tunnels) {
    public IpsecConfig {
        tunnels = List.copyOf(tunnels);
    }

    /** The tunnel labelled {@code label}. */
    public Optional<TunnelSpec> tunnel(String label) {
        return tunnels.stream().filter(t -> t.label().equals(label)).findFirst();
    }
}
