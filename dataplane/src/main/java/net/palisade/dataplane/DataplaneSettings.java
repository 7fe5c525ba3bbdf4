package net.palisade.dataplane;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.dataplane.io.CpuAffinity;
import net.palisade.dataplane.io.TunDevice;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.EspOverhead;
import net.palisade.dataplane.sa.SaEvents;
import net.palisade.dataplane.sa.SequenceReservations;
import net.palisade.dataplane.worker.IkeSink;

/**
 * How to start a dataplane. Start from {@link #defaults()} and change what differs.
 *
 * @param tunName the TUN device (e.g. {@code pal0})
 * @param workers number of workers; 0 means one per online CPU
 * @param underlayMtu MTU of the path to the peers (1500)
 * @param tunMtu the TUN device's MTU; 0 means {@code underlayMtu - }{@link EspOverhead#WORST_CASE} (121, the
 *     worst any transform here adds: AES-CBC + HMAC-SHA2-512 in UDP over IPv6); see {@link #tunMtuFor}
 * @param bindAddresses local addresses for the UDP sockets (and raw ESP sockets); wildcards by default
 * @param udpPort the ESP-in-UDP port to listen on (4500)
 * @param replayWindow anti-replay window size in packets ({@value ReplayWindow#DEFAULT_SIZE})
 * @param netns the network namespace to run in, e.g. {@code /var/run/netns/gw}
 * @param rawEsp whether to open raw ESP (IP protocol 50) sockets for tunnels without {@code udpencap}
 * @param cpus CPUs to pin worker i to ({@code cpus[i % size]}); empty: CPU i modulo the online CPUs
 * @param pinWorkers whether to pin workers to CPUs at all
 * @param batch packets per recvmmsg/sendmmsg and per TUN drain
 * @param udpGso send runs of ESP packets to one peer as UDP GSO datagrams (UDP_SEGMENT, Linux 4.18+)
 * @param udpGro let the kernel coalesce received ESP-in-UDP datagrams (UDP_GRO, Linux 5.0+)
 * @param tunOffloads open the TUN device with the virtio-net header and TCP offloads: read TCP super-packets
 *     and cut them here, write coalesced ones (one TUN read or write for dozens of packets)
 * @param ikeSink where IKE messages arriving on port 4500 go
 * @param events where SA sequence limits are reported
 * @param sequences where outbound sequence numbers are reserved durably ({@link SequenceReservations#NONE}: not)
 */
public record DataplaneSettings(String tunName, int workers, int underlayMtu, int tunMtu, List<InetAddress> bindAddresses,
        int udpPort, int replayWindow, Optional<Path> netns, boolean rawEsp, List<Integer> cpus,
        boolean pinWorkers, int batch, boolean udpGso, boolean udpGro, boolean tunOffloads, IkeSink ikeSink,
        SaEvents events, SequenceReservations sequences) {
    public DataplaneSettings {
        Objects.requireNonNull(tunName);
        bindAddresses = List.copyOf(bindAddresses);
        cpus = List.copyOf(cpus);
        Objects.requireNonNull(netns);
        if (workers < 0 || workers > TunDevice.MAX_QUEUES) {
            throw new IllegalArgumentException("workers must be 0.." + TunDevice.MAX_QUEUES);
        }
        if (underlayMtu < 576 || underlayMtu > 65535) {
            throw new IllegalArgumentException("underlay MTU must be 576..65535: " + underlayMtu);
        }
        if (tunMtu != 0 && (tunMtu < 576 || tunMtu > 65535)) {
            throw new IllegalArgumentException("TUN MTU must be 576..65535 (or 0 for automatic): " + tunMtu);
        }
        if (udpPort < 1 || udpPort > 65535) {
            throw new IllegalArgumentException("UDP port must be 1..65535: " + udpPort);
        }
        ikeSink = ikeSink == null ? IkeSink.DISCARD : ikeSink;
        events = events == null ? SaEvents.NONE : events;
        sequences = sequences == null ? SequenceReservations.NONE : sequences;
    }

    /** {@code pal0}, a worker per CPU, underlay MTU 1500, wildcard IPv4 and IPv6 sockets on 4500, raw ESP on. */
    public static DataplaneSettings defaults() {
        return new DataplaneSettings("pal0", 0, 1500, 0,
                List.of(InetAddress.ofLiteral("0.0.0.0"), InetAddress.ofLiteral("::")), 4500,
                ReplayWindow.DEFAULT_SIZE, Optional.empty(), true, List.of(), true, 64, true, true, true,
                IkeSink.DISCARD, SaEvents.NONE, SequenceReservations.NONE);
    }

    public DataplaneSettings withTunName(String name) {
        return new DataplaneSettings(name, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withWorkers(int n) {
        return new DataplaneSettings(tunName, n, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns, rawEsp,
                cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withUnderlayMtu(int mtu) {
        return new DataplaneSettings(tunName, workers, mtu, tunMtu, bindAddresses, udpPort, replayWindow, netns, rawEsp,
                cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withTunMtu(int mtu) {
        return new DataplaneSettings(tunName, workers, underlayMtu, mtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withBindAddresses(List<InetAddress> addresses) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, addresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withUdpPort(int port) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, port, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withReplayWindow(int size) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, size, netns, rawEsp,
                cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withNetns(Path path) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow,
                Optional.of(path), rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withRawEsp(boolean enabled) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                enabled, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withCpus(List<Integer> list) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, list, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withPinWorkers(boolean pin) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pin, batch, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withBatch(int size) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, size, udpGso, udpGro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withUdpOffloads(boolean gso, boolean gro) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, gso, gro, tunOffloads, ikeSink, events, sequences);
    }

    public DataplaneSettings withTunOffloads(boolean enabled) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, enabled, ikeSink, events, sequences);
    }

    public DataplaneSettings withIkeSink(IkeSink sink) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, sink, events, sequences);
    }

    /**
     * Where outbound sequence numbers are reserved durably, so that a restarted node never reuses one under the
     * same key (with AES-GCM the sequence number is the IV) and the peer's replay window accepts what follows.
     */
    public DataplaneSettings withSequenceReservations(SequenceReservations store) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, events, store);
    }

    public DataplaneSettings withEvents(SaEvents sink) {
        return new DataplaneSettings(tunName, workers, underlayMtu, tunMtu, bindAddresses, udpPort, replayWindow, netns,
                rawEsp, cpus, pinWorkers, batch, udpGso, udpGro, tunOffloads, ikeSink, sink, sequences);
    }

    /** The worker count after applying the default. */
    public int effectiveWorkers() {
        return workers > 0 ? workers : Math.max(1, CpuAffinity.onlineCpus());
    }

    /** The TUN MTU after applying the default. */
    public int effectiveTunMtu() {
        return tunMtu > 0 ? tunMtu : underlayMtu - EspOverhead.WORST_CASE;
    }
}

