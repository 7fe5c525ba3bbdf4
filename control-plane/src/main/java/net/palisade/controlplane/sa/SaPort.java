package net.palisade.controlplane.sa;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Spi;

/**
 * Changes to the SAs of this node's dataplane, one tunnel label at a time. Each call is applied whole or not at
 * all. Failures are thrown: {@link IOException} when the routes cannot be changed, {@link IllegalArgumentException}
 * when the SA cannot be used here (unknown algorithm, wrong key length, an inbound SPI in use).
 */
public interface SaPort {
    /** Installs (or replaces in place) the static SA pair of a manual tunnel. */
    void installManual(ManualTunnel tunnel) throws IOException;

    /**
     * Installs a negotiated pair for its selectors, sending at once: the tunnel's pairs whose selectors overlap
     * these are replaced (the same flow negotiated again), pairs of other flows stay (a pair per flow: IKEv1 quick
     * modes, several IKEv2 Child SAs).
     */
    void install(SaKeys keys) throws IOException;

    /**
     * Many installs at once, in order, each as {@link #install} ({@code replace}) or {@link #add} sending: for a
     * takeover that resumes many tunnels, where the dataplane makes them in one round instead of one per pair.
     * Each is applied whole or not at all; one that fails does not stop the others.
     *
     * @return for each, in order, why it failed, or null
     */
    default List<Exception> installAll(List<Dataplane.Install> installs) {
        List<Exception> out = new ArrayList<>(installs.size());
        for (Dataplane.Install i : installs) {
            try {
                if (i.replace()) {
                    install(i.keys());
                } else {
                    add(i.keys(), true);
                }
                out.add(null);
            } catch (IOException | RuntimeException e) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Adds a rekey's pair beside the tunnel's others, which keep receiving. With {@code sending} the tunnel's
     * traffic leaves on the new pair at once (the rekey's initiator); without, the pair that sent so far keeps
     * sending until it is retired (the responder: the peer may not have its new inbound SA yet).
     */
    void add(SaKeys keys, boolean sending) throws IOException;

    /**
     * The pair of tunnel {@code label} receiving on {@code inbound} asks for a replacement once it has sent
     * {@code bytes} (a lifetime in kilobytes the peer negotiated); false if there is no such pair.
     */
    boolean limitBytes(String label, Spi inbound, long bytes) throws IOException;

    /**
     * Removes one pair of tunnel {@code label}, the one receiving on {@code inbound}; the newest remaining pair
     * takes over sending, and the last pair takes the tunnel's routes with it.
     *
     * @return false if the tunnel has no such pair
     */
    boolean retire(String label, Spi inbound) throws IOException;

    /**
     * Sends the traffic of tunnel {@code label} on its pair receiving on {@code inbound}; the others keep receiving.
     *
     * @return false if the tunnel has no such pair
     */
    boolean activate(String label, Spi inbound);

    /**
     * Removes every pair of tunnel {@code label} and its routes.
     *
     * @return false if nothing was installed under that label
     */
    boolean remove(String label) throws IOException;
}
