package net.palisade.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.controlplane.tunnel.TunnelStatus;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.dataplane.DataplaneCounters;
import net.palisade.dataplane.TunnelCounters;
import net.palisade.dataplane.worker.Counter;

/** Prometheus text exposition (format 0.0.4) of tunnel states and dataplane counters. */
final class Metrics {
    private Metrics() {}

    static String render(List<TunnelView> tunnels, Optional<DataplaneCounters> counters) {
        return render(tunnels, counters, Optional.empty());
    }

    /**
     * The pair's figures: whether this node is active (a node alone always is), the active lease's epoch as this
     * node knows it, and the engine reports it refused while not active.
     */
    record Pair(boolean active, long epoch, long fencedReports) {}

    static String render(List<TunnelView> tunnels, Optional<DataplaneCounters> counters, Optional<Pair> pair) {
        StringBuilder sb = new StringBuilder();
        if (pair.isPresent()) {
            Pair p = pair.get();
            sb.append("# HELP palisade_ha_active 1 while this node runs the tunnels (active, or alone), 0 on a standby.\n")
                    .append("# TYPE palisade_ha_active gauge\npalisade_ha_active ").append(p.active() ? 1 : 0).append('\n');
            sb.append("# HELP palisade_ha_lease_epoch The active lease's epoch as this node last saw it (0: none).\n")
                    .append("# TYPE palisade_ha_lease_epoch gauge\npalisade_ha_lease_epoch ").append(p.epoch()).append('\n');
            sb.append("# HELP palisade_ha_fenced_reports_total Engine reports refused because this node was not active.\n")
                    .append("# TYPE palisade_ha_fenced_reports_total counter\npalisade_ha_fenced_reports_total ")
                    .append(p.fencedReports()).append('\n');
        }
        sb.append("# HELP palisade_tunnel_up 1 when the tunnel is up, 0 otherwise.\n# TYPE palisade_tunnel_up gauge\n");
        for (TunnelView t : tunnels) {
            sb.append("palisade_tunnel_up{label=\"").append(escape(t.label())).append("\"} ")
                    .append(t.status() == TunnelStatus.UP ? 1 : 0).append('\n');
        }
        if (counters.isPresent()) {
            DataplaneCounters c = counters.get();
            sb.append("# HELP palisade_sa_packets_total ESP packets through the tunnel's SAs.\n# TYPE palisade_sa_packets_total counter\n");
            for (TunnelCounters t : c.tunnels()) {
                sb.append("palisade_sa_packets_total{label=\"").append(escape(t.label())).append("\",direction=\"in\"} ")
                        .append(t.in().packets()).append('\n');
                sb.append("palisade_sa_packets_total{label=\"").append(escape(t.label())).append("\",direction=\"out\"} ")
                        .append(t.out().packets()).append('\n');
            }
            sb.append("# HELP palisade_sa_bytes_total Bytes of inner packets through the tunnel's SAs.\n# TYPE palisade_sa_bytes_total counter\n");
            for (TunnelCounters t : c.tunnels()) {
                sb.append("palisade_sa_bytes_total{label=\"").append(escape(t.label())).append("\",direction=\"in\"} ")
                        .append(t.in().bytes()).append('\n');
                sb.append("palisade_sa_bytes_total{label=\"").append(escape(t.label())).append("\",direction=\"out\"} ")
                        .append(t.out().bytes()).append('\n');
            }
            sb.append("# HELP palisade_drops_total Packets dropped by the dataplane, by reason, all workers.\n# TYPE palisade_drops_total counter\n");
            for (Counter k : Counter.values()) {
                if (k.drop()) {
                    sb.append("palisade_drops_total{reason=\"").append(k.key()).append("\"} ").append(c.total(k)).append('\n');
                }
            }
            sb.append("# HELP palisade_dataplane_total Other dataplane packet counts, all workers.\n# TYPE palisade_dataplane_total counter\n");
            for (Counter k : Counter.values()) {
                if (!k.drop()) {
                    sb.append("palisade_dataplane_total{counter=\"").append(k.key()).append("\"} ").append(c.total(k)).append('\n');
                }
            }
        }
        return sb.toString();
    }

    /**
     * The IKE counters as {@code palisade_ike_total{counter="ikev2.dispatch.cookie-drop"}}, sorted by name; nothing
     * when there are none (a node without IKE).
     */
    static String renderIke(Map<String, Long> counters) {
        if (counters.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("# HELP palisade_ike_total IKE messages counted by the node, by counter"
                + " (drops by cause, cookies).\n# TYPE palisade_ike_total counter\n");
        new java.util.TreeMap<>(counters).forEach((k, v) -> sb.append("palisade_ike_total{counter=\"").append(escape(k))
                .append("\"} ").append(v).append('\n'));
        return sb.toString();
    }

    /** IKE SAs started by peers and not yet authenticated, now: what the cookie threshold is held against. */
    static String renderHalfOpen(int count) {
        return "# HELP palisade_ike_half_open IKE SAs started by peers and not yet authenticated.\n"
                + "# TYPE palisade_ike_half_open gauge\npalisade_ike_half_open " + count + "\n";
    }

    /**
     * The cleartext captures ({@code palisade capture}): started, running, and their packets by fate; nothing on a
     * node without a dataplane.
     */
    static String renderCaptures(Map<String, Long> c) {
        if (c.isEmpty()) {
            return "";
        }
        return "# HELP palisade_captures_total Cleartext captures started (palisade capture).\n"
                + "# TYPE palisade_captures_total counter\n"
                + "palisade_captures_total " + c.getOrDefault("started", 0L) + "\n"
                + "# HELP palisade_captures_active Cleartext captures running now.\n"
                + "# TYPE palisade_captures_active gauge\n"
                + "palisade_captures_active " + c.getOrDefault("active", 0L) + "\n"
                + "# HELP palisade_capture_packets_total Packets of ended captures: written, skipped (other tunnels),"
                + " kernel-dropped (the capture read too slowly).\n"
                + "# TYPE palisade_capture_packets_total counter\n"
                + "palisade_capture_packets_total{result=\"written\"} " + c.getOrDefault("packets", 0L) + "\n"
                + "palisade_capture_packets_total{result=\"skipped\"} " + c.getOrDefault("skipped", 0L) + "\n"
                + "palisade_capture_packets_total{result=\"kernel-dropped\"} " + c.getOrDefault("kernel-drops", 0L)
                + "\n";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
