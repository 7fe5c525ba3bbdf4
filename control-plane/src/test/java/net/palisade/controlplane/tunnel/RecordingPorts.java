package net.palisade.controlplane.tunnel;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.event.ChildSa;

/** A fake dataplane and IKE engine: records each call as {@code "verb label"}. */
public final class RecordingPorts implements TunnelPorts {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void installManual(ManualTunnel tunnel) {
        calls.add("installManual " + tunnel.label());
    }

    @Override
    public void removeManual(String label) {
        calls.add("removeManual " + label);
    }

    @Override
    public void startIke(IkeTunnel tunnel) {
        calls.add("startIke " + tunnel.label());
    }

    @Override
    public void stopIke(String label) {
        calls.add("stopIke " + label);
    }

    @Override
    public void retireSa(String label, ChildSa sa) {
        calls.add("retireSa " + label + " " + sa.id());
    }

    @Override
    public void recovered(String label, java.util.Map<Long, Long> reserved) {
        calls.add("recovered " + label + " " + new java.util.TreeMap<>(reserved));
    }

    /** What {@link #resumeIke} answers. */
    public volatile boolean resumable;

    @Override
    public boolean resumeIke(IkeTunnel tunnel, Takeover takeover) {
        calls.add("resumeIke " + tunnel.label() + " " + takeover.ikeSa().orElse("-"));
        return resumable;
    }

    /** Run at {@link #startResumed}, before it returns (a test looks at the journal at that moment). */
    public volatile Runnable onStartResumed = () -> {};

    @Override
    public void startResumed(IkeTunnel tunnel, java.util.Map<Long, Long> reserved) {
        calls.add("startResumed " + tunnel.label() + " " + new java.util.TreeMap<>(reserved));
        onStartResumed.run();
    }

    /** The calls so far, in order. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** Forgets the calls so far. */
    public void clear() {
        calls.clear();
    }
}
