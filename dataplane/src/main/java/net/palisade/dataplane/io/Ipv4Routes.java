package net.palisade.dataplane.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where an IPv4 packet to a peer leaves, from the calling thread's network namespace: the interface and the next
 * hop's MAC address, read from {@code /proc/thread-self/net/route} (the main table: longest prefix, then lowest
 * metric) and {@code /proc/thread-self/net/arp} (complete entries only). Prototype: policy routing, multipath and
 * IPv6 are not looked at.
 */
public final class Ipv4Routes {
    private Ipv4Routes() {}

    /** The interface a packet to {@code dst} leaves by and the next hop's MAC. */
    public record NextHop(String device, int nextHop, byte[] mac) {}

    private static final Path ROUTE = Path.of("/proc/thread-self/net/route");
    private static final Path ARP = Path.of("/proc/thread-self/net/arp");

    /** The next hop for {@code dst} (host-order IPv4), or empty when there is no route or no complete ARP entry. */
    public static Optional<NextHop> lookup(int dst) throws IOException {
        return lookup(dst, Files.readAllLines(ROUTE), Files.readAllLines(ARP));
    }

    static Optional<NextHop> lookup(int dst, List<String> routeLines, List<String> arpLines) {
        String device = null;
        int gateway = 0;
        int bestMaskLen = -1;
        long bestMetric = Long.MAX_VALUE;
        for (int i = 1; i < routeLines.size(); i++) {
            String[] f = routeLines.get(i).trim().split("\\s+");
            if (f.length < 8) {
                continue;
            }
            int flags = Integer.parseInt(f[3], 16);
            if ((flags & 0x1) == 0) { // RTF_UP
                continue;
            }
            int net = Integer.reverseBytes((int) Long.parseLong(f[1], 16));
            int gw = Integer.reverseBytes((int) Long.parseLong(f[2], 16));
            int mask = Integer.reverseBytes((int) Long.parseLong(f[7], 16));
            long metric = Long.parseLong(f[6]);
            if ((dst & mask) != net) {
                continue;
            }
            int len = Integer.bitCount(mask);
            if (len > bestMaskLen || (len == bestMaskLen && metric < bestMetric)) {
                bestMaskLen = len;
                bestMetric = metric;
                device = f[0];
                gateway = (flags & 0x2) != 0 ? gw : 0; // RTF_GATEWAY
            }
        }
        if (device == null) {
            return Optional.empty();
        }
        int hop = gateway != 0 ? gateway : dst;
        for (int i = 1; i < arpLines.size(); i++) {
            String[] f = arpLines.get(i).trim().split("\\s+");
            if (f.length < 6 || !f[5].equals(device)) {
                continue;
            }
            if ((Integer.decode(f[2]) & 0x2) == 0) { // ATF_COM
                continue;
            }
            if (parseIpv4(f[0]) != hop) {
                continue;
            }
            String[] b = f[3].split(":");
            if (b.length != 6) {
                continue;
            }
            byte[] mac = new byte[6];
            for (int k = 0; k < 6; k++) {
                mac[k] = (byte) Integer.parseInt(b[k], 16);
            }
            return Optional.of(new NextHop(device, hop, mac));
        }
        return Optional.empty();
    }

    static int parseIpv4(String s) {
        String[] p = s.split("\\.");
        if (p.length != 4) {
            return 0;
        }
        int v = 0;
        for (String x : p) {
            v = (v << 8) | Integer.parseInt(x);
        }
        return v;
    }
}
