package net.palisade.controlplane.tunnel;

import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.event.ChildSa;

/**
 * The tunnel entity's only way to the outside world: the dataplane (manual SAs) and the IKE engines. The entity
 * calls these after the event that decides them is persisted, and again after recovery (a configured, admin-up
 * tunnel is re-installed or restarted), so every method must be idempotent: installing what is installed replaces
 * it, stopping what is not running does nothing. Calls run on the entity's thread: hand long work off.
 *
 * <p>The engines report back by sending the engine commands ({@link TunnelCommand.Phase1Up} etc.) to the entity,
 * e.g. through {@code ControlPlane.report}.
 */
public interface TunnelPorts {
    /** Installs (or replaces) the static SA pair and policy of a manual tunnel. */
    void installManual(ManualTunnel tunnel);

    /** Removes a manual tunnel's SAs and policy. */
    void removeManual(String label);

    /**
     * Starts (or restarts with this spec) the IKE session of a tunnel; from now until {@link #stopIke}, traffic for
     * its configured remote networks goes nowhere but into its SAs (none: dropped).
     */
    void startIke(IkeTunnel tunnel);

    /** Stops a tunnel's IKE session and removes its SAs. */
    void stopIke(String label);

    /**
     * {@link #stopIke} then {@link #startIke} with {@code tunnel} (a reset, or another spec of the same label), as one
     * change: what both specs have in common (the routes held to their remote networks) stays in place throughout.
     */
    default void restartIke(IkeTunnel tunnel) {
        stopIke(tunnel.label());
        startIke(tunnel);
    }

    /**
     * Removes an IKE Child SA that the engine installed before reporting it (see {@code ike.IkeOutcomes}) and that
     * the entity refused: the journal says why ({@code negotiation-failed}), the dataplane must not keep it. Nothing
     * if it is not installed.
     */
    void retireSa(String label, ChildSa sa);

    /**
     * The tunnel's journal was replayed (node start, or the entity moved): {@code reserved} holds the highest
     * outbound sequence number reserved per outbound SPI, for SAs installed from now on to start above. Called
     * before the tunnel is started again.
     */
    default void recovered(String label, java.util.Map<Long, Long> reserved) {}

    /**
     * The tunnel's journal was replayed: its inbound SAs installed from now on start their replay windows at the
     * high-water marks the node recorded for them (a restart, a takeover). Called first on recovery, before
     * {@link #recovered}, for every tunnel.
     */
    default void replayMarks(String label) {}

    /**
     * Opens the tunnel's established IKE SAs and Child SAs from their journaled, sealed state, to go on with them
     * instead of starting its IKE session afresh (called on recovery instead of {@link #startIke}). False when they
     * cannot be resumed (no pair key, another key, unreadable state): the caller then starts the tunnel afresh. Nothing
     * is installed or sent before {@link #startResumed}.
     */
    default boolean resumeIke(IkeTunnel tunnel, Takeover takeover) {
        return false;
    }

    /**
     * The tunnel journaled {@code resumed} and, in the same write, the first window of each resumed Child SA's
     * outbound sequence numbers ({@code reserved}: the reservation's top by outbound SPI): the SAs that
     * {@link #resumeIke} opened go on, installed holding those windows, so that their first packets wait for no
     * journal write.
     */
    default void startResumed(IkeTunnel tunnel, java.util.Map<Long, Long> reserved) {}

    /** Ports that do nothing (a control plane without a dataplane, e.g. for API development). */
    TunnelPorts NONE = new TunnelPorts() {
        @Override
        public void installManual(ManualTunnel tunnel) {}

        @Override
        public void removeManual(String label) {}

        @Override
        public void startIke(IkeTunnel tunnel) {}

        @Override
        public void stopIke(String label) {}

        @Override
        public void retireSa(String label, ChildSa sa) {}
    };
}
