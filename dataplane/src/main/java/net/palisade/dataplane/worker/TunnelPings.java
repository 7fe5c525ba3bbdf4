package net.palisade.dataplane.worker;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import net.palisade.dataplane.packet.Checksum;
import net.palisade.dataplane.packet.IpPacket;

/**
 * The ICMP echoes of the tunnels' {@code ping}: built here with the tunnel's own inner addresses (a source inside
 * the local networks, which the gateway need not own), handed to a worker that seals them like any packet read from
 * the TUN device (same SPD lookup, same SA), and their replies recognised on the decrypt path after the selector
 * check, before the TUN write: a reply is ours when it is an echo reply (ICMP type 0, ICMPv6 type 129) with an
 * identifier given to a tunnel here and the payload {@link #MAGIC}; it never reaches the TUN device (counter
 * {@code ping_replies}). Any other echo reply, a LAN host's own, passes untouched.
 *
 * <p>One per dataplane, shared by its workers. {@link #echo} and {@link #identifier} may be called from any thread;
 * {@link #poll} and {@link #reply} run on workers and allocate nothing but the listener's own work.
 */
public final class TunnelPings {
    /** Told of every echo reply of a tunnel's ping. Called on a worker thread: hand work off at once. */
    @FunctionalInterface
    public interface Listener {
        void reply(String label, int sequence);
    }

    /** The echo payload: recognises our replies among a LAN host's own (16 octets). */
    static final byte[] MAGIC = "palisade ping  \n".getBytes(StandardCharsets.US_ASCII);
    private static final int ICMP_HEADER = 8;
    private static final int TTL = 64;

    private final Queue<byte[]> pending = new ConcurrentLinkedQueue<>();
    private final Map<String, Integer> identifiers = new ConcurrentHashMap<>();
    private final Map<Integer, String> labels = new ConcurrentHashMap<>();
    private final int base = ThreadLocalRandom.current().nextInt(1 << 16);
    private volatile Listener listener = (label, sequence) -> { };

    /** Where replies go (one listener; the last one set). */
    public void listener(Listener l) {
        this.listener = l == null ? (label, sequence) -> { } : l;
    }

    /** The ICMP identifier of {@code label}'s echoes: fixed for the dataplane's life, unique among its tunnels. */
    public int identifier(String label) {
        return identifiers.computeIfAbsent(label, l -> {
            for (int i = 0; ; i++) {
                int id = (base + identifiers.size() + i) & 0xffff;
                if (labels.putIfAbsent(id, l) == null) {
                    return id;
                }
            }
        });
    }

    /** Queues an echo request of {@code label} from {@code from} to {@code to} (one family) for a worker. */
    public void echo(String label, InetAddress from, InetAddress to, int sequence) {
        pending.add(echoRequest(from, to, identifier(label), sequence));
    }

    /** The next queued echo request, or null. */
    byte[] poll() {
        return pending.poll();
    }

    /**
     * Whether the decrypted packet {@code p} (in {@code b}) is the reply to one of our echoes; if so the listener
     * has been told and the packet must not go to the TUN device.
     */
    boolean reply(IpPacket p, byte[] b) {
        int proto = p.protocol();
        if (proto != IpPacket.PROTO_ICMP && proto != IpPacket.PROTO_ICMPV6 || p.fragment()) {
            return false;
        }
        int t = p.transportOffset();
        int end = p.offset() + p.totalLength();
        if (t < 0 || end - t != ICMP_HEADER + MAGIC.length
                || (b[t] & 0xff) != (p.isIpv6() ? 129 : 0) || b[t + 1] != 0
                || !Arrays.equals(b, t + ICMP_HEADER, end, MAGIC, 0, MAGIC.length)) {
            return false;
        }
        String label = labels.get(u16(b, t + 4));
        if (label == null) {
            return false;
        }
        listener.reply(label, u16(b, t + 6));
        return true;
    }

    /** An IPv4 ICMP or IPv6 ICMPv6 echo request carrying {@link #MAGIC}. */
    static byte[] echoRequest(InetAddress from, InetAddress to, int identifier, int sequence) {
        boolean v4 = from instanceof Inet4Address;
        if (v4 != to instanceof Inet4Address) {
            throw new IllegalArgumentException("ping from " + from + " to " + to + ": two address families");
        }
        int ip = v4 ? 20 : 40;
        int icmpLength = ICMP_HEADER + MAGIC.length;
        byte[] b = new byte[ip + icmpLength];
        byte[] src = from.getAddress();
        byte[] dst = to.getAddress();
        if (v4) {
            b[0] = 0x45;
            put16(b, 2, b.length);
            b[8] = (byte) TTL;
            b[9] = (byte) IpPacket.PROTO_ICMP;
            System.arraycopy(src, 0, b, 12, 4);
            System.arraycopy(dst, 0, b, 16, 4);
            put16(b, 10, Checksum.compute(b, 0, 20));
        } else {
            b[0] = 0x60;
            put16(b, 4, icmpLength);
            b[6] = (byte) IpPacket.PROTO_ICMPV6;
            b[7] = (byte) TTL;
            System.arraycopy(src, 0, b, 8, 16);
            System.arraycopy(dst, 0, b, 24, 16);
        }
        b[ip] = (byte) (v4 ? 8 : 128);
        put16(b, ip + 4, identifier);
        put16(b, ip + 6, sequence & 0xffff);
        System.arraycopy(MAGIC, 0, b, ip + ICMP_HEADER, MAGIC.length);
        long initial = v4 ? 0 : Checksum.pseudoHeader6(b, 0, IpPacket.PROTO_ICMPV6, icmpLength);
        put16(b, ip + 2, Checksum.finish(Checksum.sum(b, ip, icmpLength, initial)));
        return b;
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
