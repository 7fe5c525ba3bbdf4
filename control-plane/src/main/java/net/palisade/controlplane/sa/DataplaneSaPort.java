package net.palisade.controlplane.sa;

import java.io.IOException;
import java.util.Objects;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Spi;

/**
 * The {@link SaPort} of this node's dataplane. The dataplane serialises its own changes (they hold its lock while
 * its control thread changes routes), so callers should not call from a thread that must not wait.
 */
public final class DataplaneSaPort implements SaPort {
    private final Dataplane dataplane;

    public DataplaneSaPort(Dataplane dataplane) {
        this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
    }

    @Override
    public void installManual(ManualTunnel tunnel) throws IOException {
        dataplane.install(tunnel);
    }

    @Override
    public void install(SaKeys keys) throws IOException {
        dataplane.installFlow(keys);
    }

    @Override
    public java.util.List<Exception> installAll(java.util.List<Dataplane.Install> installs) {
        try {
            return dataplane.installAll(installs);
        } catch (IOException | RuntimeException e) {
            return installs.stream().map(i -> (Exception) e).toList();
        }
    }

    @Override
    public void add(SaKeys keys, boolean sending) throws IOException {
        dataplane.rekey(keys, sending);
    }

    @Override
    public boolean limitBytes(String label, Spi inbound, long bytes) {
        return dataplane.limitOutboundBytes(label, inbound.toInt(), bytes);
    }

    @Override
    public boolean retire(String label, Spi inbound) throws IOException {
        return dataplane.removePair(label, inbound.toInt());
    }

    @Override
    public boolean activate(String label, Spi inbound) {
        return dataplane.activateOutbound(label, inbound.toInt());
    }

    @Override
    public boolean remove(String label) throws IOException {
        return dataplane.remove(label);
    }
}
