package net.palisade.dataplane.worker;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.Inet4Address;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import net.palisade.dataplane.io.Ipv4Routes;
import net.palisade.dataplane.io.PacketTxRing;
import net.palisade.dataplane.sa.OutboundSa;

/**
 * Prototype (issue 14): plain IPv4 ESP sent through an AF_PACKET TX ring per egress interface instead of the raw
 * socket. One per worker, used by the worker's thread only. A peer whose next hop has no complete ARP entry (or an
 * IPv6 SA, or a wildcard local address) is answered false and goes by the raw socket, which makes the kernel resolve
 * it; the lookup is repeated after {@link #RECHECK_NANOS}.
 */
final class RingSender {
    static final boolean ENABLED = Boolean.getBoolean("palisade.espTxRing");
    private static final long RECHECK_NANOS = 1_000_000_000L;
    /** "copy": sendmmsg on the packet socket instead of the PACKET_MMAP ring. */
    private static final boolean COPY = "copy".equals(System.getProperty("palisade.espTxRingMode"));
    private static final int FRAMES = Integer.getInteger("palisade.espTxRingFrames", 4096);
    /** Frames per send() at most (0: everything queued since the last flush). */
    private static final int BATCH = Integer.getInteger("palisade.espTxRingBatch", 64);
    private static final System.Logger LOG = System.getLogger(RingSender.class.getName());

    private final Arena arena;
    private final Map<String, PacketTxRing> rings = new HashMap<>();
    private final Map<Integer, Path> paths = new HashMap<>();
    private OutboundSa lastSa;
    private Path lastPath;

    private static final class Path {
        PacketTxRing ring;
        byte[] mac;
        int src;
        int dst;
        long checkedAt;
    }

    RingSender(Arena arena) {
        this.arena = arena;
    }

    /** Queues the ESP packet on a ring; false when it has to go by the raw socket. */
    boolean queue(OutboundSa sa, byte[] buf, int off, int len) throws IOException {
        Path p;
        long now = System.nanoTime();
        if (sa == lastSa && now - lastPath.checkedAt < RECHECK_NANOS) {
            p = lastPath;
        } else {
            p = path(sa, now);
            if (p == null) {
                return false;
            }
            lastSa = sa;
            lastPath = p;
        }
        if (p.ring == null) {
            return false;
        }
        if (!p.ring.queue(p.mac, p.src, p.dst, buf, off, len)) {
            return false;
        }
        if (BATCH > 0 && p.ring.pending() >= BATCH) {
            p.ring.flush();
        }
        return true;
    }

    private Path path(OutboundSa sa, long now) throws IOException {
        if (!(sa.local() instanceof Inet4Address local) || !(sa.peer().getAddress() instanceof Inet4Address peer)
                || local.isAnyLocalAddress()) {
            return null;
        }
        int dst = toInt(peer.getAddress());
        Path p = paths.get(dst);
        if (p != null && now - p.checkedAt < RECHECK_NANOS) {
            return p;
        }
        if (p == null) {
            p = new Path();
            paths.put(dst, p);
        }
        p.checkedAt = now;
        p.src = toInt(local.getAddress());
        p.dst = dst;
        Optional<Ipv4Routes.NextHop> hop = Ipv4Routes.lookup(dst);
        if (hop.isEmpty()) {
            p.ring = null;
            return p;
        }
        PacketTxRing ring = rings.get(hop.get().device());
        if (ring == null) {
            try {
                ring = PacketTxRing.open(hop.get().device(), FRAMES, arena, !COPY);
                LOG.log(System.Logger.Level.INFO, "plain ESP to " + peer.getHostAddress() + " through " + ring);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "no TX ring on " + hop.get().device() + ": " + e.getMessage());
                p.ring = null;
                return p;
            }
            rings.put(hop.get().device(), ring);
        }
        p.ring = ring;
        p.mac = hop.get().mac();
        return p;
    }

    void flush() throws IOException {
        for (PacketTxRing r : rings.values()) {
            r.flush();
        }
    }

    void close() {
        rings.values().forEach(r -> LOG.log(System.Logger.Level.INFO, r + ": " + r.framesSent() + " frames in "
                + r.sendCalls() + " sends, next slot busy " + r.busy() + " times"));
        rings.values().forEach(PacketTxRing::close);
    }

    private static int toInt(byte[] a) {
        return ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
    }
}
