package net.palisade.dataplane.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.PacketSocket;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.model.Network;

/**
 * The node's cleartext captures: each one a packet socket on the TUN device for as long as it runs, at most
 * {@link #MAX_ACTIVE} at once (each is a copy of every packet of the device), with the node's counters of them.
 */
public final class Captures {
    /** Captures running at once; a further one is refused until one ends. */
    public static final int MAX_ACTIVE = 4;

    private final String device;
    private final Optional<Path> netns;
    private final Clock clock;
    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder started = new LongAdder();
    private final LongAdder packets = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder kernelDrops = new LongAdder();

    /**
     * @param device the TUN device
     * @param netns  its network namespace; empty: the caller's
     */
    public Captures(String device, Optional<Path> netns, Clock clock) {
        this.device = device;
        this.netns = netns;
        this.clock = clock;
    }

    /** The captures of {@code dp}'s TUN device. */
    public static Captures of(Dataplane dp) {
        return new Captures(dp.tunName(), dp.settings().netns(), Clock.systemUTC());
    }

    /** Too many captures run already. */
    public static final class BusyException extends IOException {
        private static final long serialVersionUID = 1L;

        BusyException() {
            super(MAX_ACTIVE + " captures are running; wait for one to end");
        }
    }

    /**
     * Starts capturing the traffic between {@code local} and {@code remote} networks (a tunnel's {@code from} and
     * {@code to}).
     *
     * @throws BusyException when {@link #MAX_ACTIVE} captures run
     * @throws IOException   when the packet socket cannot be opened (CAP_NET_RAW)
     */
    public TunnelCapture open(List<Network> local, List<Network> remote, long maxPackets, Duration maxDuration)
            throws IOException {
        if (active.incrementAndGet() > MAX_ACTIVE) {
            active.decrementAndGet();
            throw new BusyException();
        }
        PacketSocket socket;
        try {
            socket = PacketSocket.open(device, netns);
        } catch (IOException | RuntimeException e) {
            active.decrementAndGet();
            throw e;
        }
        started.increment();
        TunnelCapture[] self = new TunnelCapture[1];
        self[0] = new TunnelCapture(socket, prefixes(local), prefixes(remote), maxPackets, maxDuration, clock, () -> {
            active.decrementAndGet();
            TunnelCapture.Summary s = self[0].summary();
            packets.add(s.packets());
            skipped.add(s.skipped());
            kernelDrops.add(s.kernelDrops());
        });
        return self[0];
    }

    private static List<Prefix> prefixes(List<Network> networks) {
        return networks.stream().flatMap(n -> Prefix.of(n).stream()).toList();
    }

    /**
     * The node's counters: captures started and running, packets written, packets of other tunnels skipped, packets
     * the kernel dropped because a capture read too slowly (counted when it ends).
     */
    public Map<String, Long> counters() {
        return Map.of("started", started.sum(), "active", (long) active.get(), "packets", packets.sum(),
                "skipped", skipped.sum(), "kernel-drops", kernelDrops.sum());
    }
}
