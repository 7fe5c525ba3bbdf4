package net.palisade.controlplane.bench;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.dataplane.esp.EspOpenResult;
import net.palisade.dataplane.esp.EspOutcome;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.esp.EspTransforms;
import net.palisade.dataplane.packet.Checksum;

/**
 * Traffic through some of the hub's tunnels ({@link IkeHubGenerator} {@code --traffic K}): each of the first K peers
 * seals ICMP echo requests from the first address of its own network to a host behind the hub into its Child SA
 * (ESP in UDP 4500, the dataplane's own {@link EspTransform} with the keys the engine negotiated), and opens the
 * hub's ESP answers. The hub decrypts, forwards to the host, encrypts the reply into the same tunnel: a round trip
 * through the hub's dataplane for each echo, counted and timed from the time stamp carried in the echo.
 *
 * <p>One instance per peer, used by its event loop thread only; the totals are shared.
 */
final class SpokeTraffic {
    private static final int IP_HEADER = 20;
    private static final int ICMP_HEADER = 8;

    /** Totals over all peers: echoes sent, replies opened, bad packets, round-trip times in microseconds. */
    static final class Totals {
        final LongAdder sent = new LongAdder();
        final LongAdder replies = new LongAdder();
        final LongAdder bad = new LongAdder();
        final LongAdder bytesSent = new LongAdder();
        private final long[] rttMicros = new long[1 << 20];
        private int rtts;

        synchronized void rtt(long micros) {
            if (rtts < rttMicros.length) {
                rttMicros[rtts++] = micros;
            }
        }

        /** A summary line; clears nothing. */
        synchronized String line(double seconds) {
            long[] sorted = Arrays.copyOf(rttMicros, rtts);
            Arrays.sort(sorted);
            long s = sent.sum();
            long r = replies.sum();
            return String.format(Locale.ROOT, "ike-hub: traffic sent=%d replies=%d lost_pct=%.2f bad=%d"
                    + " rtt_p50_ms=%.2f rtt_p99_ms=%.2f rtt_max_ms=%.2f seconds=%.1f mbit_s_each_way=%.1f", s, r,
                    s == 0 ? 0.0 : 100.0 * (s - r) / s, bad.sum(), pct(sorted, 50), pct(sorted, 99),
                    sorted.length == 0 ? 0.0 : sorted[sorted.length - 1] / 1e3, seconds,
                    bytesSent.sum() * 8 / seconds / 1e6);
        }

        private static double pct(long[] sorted, int p) {
            if (sorted.length == 0) {
                return 0;
            }
            int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e3;
        }
    }

    private final Totals totals;
    private final byte[] source;
    private final byte[] target;
    private final int id;
    private final int payload;
    private EspTransform out;
    private EspTransform in;
    private int outSpi;
    private long outSeq;
    private int echoSeq;
    private final byte[] inner;
    private final byte[] opened = new byte[65536];
    private final EspOpenResult result = new EspOpenResult();

    /**
     * @param source  the echo's source (inside the peer's own network)
     * @param target  the host behind the hub
     * @param id      the ICMP identifier (the peer's index)
     * @param payload ICMP data octets (at least 8: the time stamp)
     */
    SpokeTraffic(Totals totals, InetAddress source, InetAddress target, int id, int payload) {
        this.totals = totals;
        this.source = source.getAddress();
        this.target = target.getAddress();
        this.id = id & 0xffff;
        this.payload = Math.max(8, payload);
        this.inner = new byte[IP_HEADER + ICMP_HEADER + this.payload];
    }

    /** A new Child SA: its transforms replace the old ones. Only UDP-encapsulated SAs can be driven from here. */
    boolean installed(IkeOutput.ChildSaInstalled c) {
        if (!c.udpEncapsulation()) {
            return false;
        }
        out = EspTransforms.create(c.encryption(), c.integrity(), c.outbound().encryption().revealBytes(),
                c.outbound().integrity().map(s -> s.revealBytes()).orElse(null), c.esn());
        in = EspTransforms.create(c.encryption(), c.integrity(), c.inbound().encryption().revealBytes(),
                c.inbound().integrity().map(s -> s.revealBytes()).orElse(null), c.esn());
        outSpi = (int) c.outboundSpi();
        outSeq = 0;
        return true;
    }

    /** The SA went: nothing is sent until the next one. */
    void down() {
        out = null;
        in = null;
    }

    /** One echo request sealed into the Child SA, ready to send on port 4500; null without an SA. */
    ByteBuffer echo() {
        if (out == null) {
            return null;
        }
        int total = inner.length;
        Arrays.fill(inner, (byte) 0);
        inner[0] = 0x45;
        inner[2] = (byte) (total >>> 8);
        inner[3] = (byte) total;
        inner[8] = 64;
        inner[9] = 1; // ICMP
        System.arraycopy(source, 0, inner, 12, 4);
        System.arraycopy(target, 0, inner, 16, 4);
        int ipSum = Checksum.compute(inner, 0, IP_HEADER);
        inner[10] = (byte) (ipSum >>> 8);
        inner[11] = (byte) ipSum;
        int icmp = IP_HEADER;
        inner[icmp] = 8; // echo request
        inner[icmp + 4] = (byte) (id >>> 8);
        inner[icmp + 5] = (byte) id;
        echoSeq++;
        inner[icmp + 6] = (byte) (echoSeq >>> 8);
        inner[icmp + 7] = (byte) echoSeq;
        ByteBuffer.wrap(inner, icmp + ICMP_HEADER, 8).putLong(System.nanoTime());
        int icmpSum = Checksum.compute(inner, icmp, total - icmp);
        inner[icmp + 2] = (byte) (icmpSum >>> 8);
        inner[icmp + 3] = (byte) icmpSum;
        byte[] packet = new byte[out.sealedLength(total)];
        int n = out.sealTunnel(outSpi, ++outSeq, inner, 0, total, packet, 0);
        totals.sent.increment();
        totals.bytesSent.add(total);
        return ByteBuffer.wrap(packet, 0, n);
    }

    /** An ESP packet from the hub (port 4500, no non-ESP marker): an echo reply counts with its round trip. */
    void inbound(byte[] packet) {
        if (in == null || packet.length < 8 || in.openedLength(packet.length) == 0) {
            totals.bad.increment();
            return;
        }
        long seq = ByteBuffer.wrap(packet, 4, 4).getInt() & 0xffffffffL;
        if (in.open(packet, 0, packet.length, seq, opened, 0, result) != EspOutcome.OK) {
            totals.bad.increment();
            return;
        }
        int o = result.payloadOffset();
        int icmp = o + (opened[o] & 0x0f) * 4;
        if (result.payloadLength() < icmp - o + ICMP_HEADER + 8 || opened[o + 9] != 1 || opened[icmp] != 0) {
            totals.bad.increment();
            return;
        }
        long sentAt = ByteBuffer.wrap(opened, icmp + ICMP_HEADER, 8).getLong();
        totals.replies.increment();
        totals.rtt((System.nanoTime() - sentAt) / 1000);
    }
}
