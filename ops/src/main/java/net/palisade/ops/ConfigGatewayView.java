package net.palisade.ops;

import java.util.List;
import java.util.Optional;
import net.palisade.api.GatewayView;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.ConfigPrinter;

/** The API's view of a node that runs one fixed configuration. */
final class ConfigGatewayView implements GatewayView {
    private final IpsecConfig config;

    ConfigGatewayView(IpsecConfig config) {
        this.config = config;
    }

    @Override
    public String runningConfigRedacted() {
        return ConfigPrinter.printRedacted(config);
    }

    @Override
    public List<TunnelSpec> tunnels() {
        return config.tunnels();
    }

    @Override
    public Optional<TunnelSpec> tunnel(String label) {
        return config.tunnel(label);
    }
}
