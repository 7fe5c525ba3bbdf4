package net.palisade.ops.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Tunnel objects of the API ({@code GET /v1/tunnels}) as text: the status table, SAs and counters, a state. */
public final class Tunnels {
    private Tunnels() {}

    /**
     * LABEL, KIND, STATUS, ADMIN, PEER, SINCE, LAST FAILURE: one row per tunnel. PEER is the peer in use, else the
     * configured one(s).
     */
    public static String statusTable(JsonNode tunnels) {
        Table t = new Table("LABEL", "KIND", "STATUS", "ADMIN", "PEER", "SINCE", "LAST FAILURE");
        for (JsonNode v : tunnels) {
            t.row(text(v, "label"), text(v, "kind"), status(v), text(v, "admin"), peer(v),
                    Timeline.time(text(v, "since")), text(v, "lastFailure"));
        }
        return t.render();
    }

    /** Per tunnel: a heading line, its SAs, and the dataplane counters when this node has them. */
    public static List<String> sas(JsonNode tunnels) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : tunnels) {
            StringBuilder head = new StringBuilder(text(v, "label"));
            for (String f : new String[] {"kind", "status"}) {
                if (!text(v, f).isEmpty()) {
                    head.append("  ").append(text(v, f));
                }
            }
            if (!peer(v).isEmpty()) {
                head.append("  peer ").append(peer(v));
            }
            if (v.path("ikeSas").size() > 1) {
                head.append("  ").append(v.path("ikeSas").size()).append(" IKE SAs");
            } else if (!text(v, "ikeSa").isEmpty()) {
                head.append("  IKE SA ").append(text(v, "ikeSa"));
            }
            out.add(head.toString());
            List<String> sas = saList(v.path("sas"));
            if (sas.isEmpty()) {
                out.add("  no SAs");
            }
            sas.forEach(s -> out.add("  SA " + s));
            JsonNode c = v.path("counters");
            if (c.isObject()) {
                out.add("  " + counters(c));
            } else if (!sas.isEmpty()) {
                out.add("  no dataplane counters (the dataplane is off on this node, or the SAs are on another node)");
            }
        }
        return out;
    }

    /** The peer in use; when none is (an IKE tunnel still connecting), the configured peer(s). */
    static String peer(JsonNode v) {
        String inUse = text(v, "peer");
        if (!inUse.isEmpty()) {
            return inUse;
        }
        JsonNode config = v.path("config");
        JsonNode peers = config.has("peers") ? config.get("peers") : config.path("peer");
        if (peers.isArray()) {
            List<String> all = new ArrayList<>();
            peers.forEach(p -> all.add(p.asText()));
            return String.join(",", all);
        }
        return peers.isValueNode() ? peers.asText() : "";
    }

    /** {@code packets in N out N  bytes in N out N  drops reason=N ...}. */
    static String counters(JsonNode c) {
        long pin = number(c, "packetsIn", "in", "packets");
        long pout = number(c, "packetsOut", "out", "packets");
        long bin = number(c, "bytesIn", "in", "bytes");
        long bout = number(c, "bytesOut", "out", "bytes");
        StringBuilder sb = new StringBuilder()
                .append("packets in ").append(pin).append(" out ").append(pout)
                .append("  bytes in ").append(bin).append(" out ").append(bout);
        JsonNode drops = c.path("drops");
        if (drops.isObject()) {
            List<String> d = new ArrayList<>();
            long total = 0;
            for (var f : drops.properties()) {
                total += f.getValue().asLong();
                if (f.getValue().asLong() != 0) {
                    d.add(f.getKey() + "=" + f.getValue().asLong());
                }
            }
            sb.append("  drops ").append(total == 0 ? "0" : String.join(" ", d));
        } else if (drops.isNumber()) {
            sb.append("  drops ").append(drops.asLong());
        }
        return sb.toString();
    }

    /** A flat field ({@code packetsIn}) or its nested twin ({@code in.packets}); 0 when neither is there. */
    private static long number(JsonNode c, String flat, String direction, String field) {
        if (c.has(flat)) {
            return c.get(flat).asLong();
        }
        return c.path(direction).path(field).asLong(0);
    }

    /** Each SA as {@code NAME in 0x.. out 0x..}, from {@code {id, spi: {inbound, outbound}}} or {@code {name, inboundSpi, outboundSpi}}. */
    static List<String> saList(JsonNode sas) {
        List<String> out = new ArrayList<>();
        if (!sas.isArray()) {
            return out;
        }
        for (JsonNode sa : sas) {
            String name = sa.has("id") ? sa.path("id").asText() : sa.path("name").asText();
            JsonNode in = sa.has("spi") ? sa.path("spi").path("inbound") : sa.path("inboundSpi");
            JsonNode outSpi = sa.has("spi") ? sa.path("spi").path("outbound") : sa.path("outboundSpi");
            out.add(name + "  in " + orDash(Timeline.spi(in)) + "  out " + orDash(Timeline.spi(outSpi)));
        }
        return out;
    }

    /** A tunnel's state as {@code key  value} lines under a heading. */
    public static List<String> state(JsonNode v, String heading) {
        List<String> out = new ArrayList<>();
        out.add(heading);
        Table t = new Table("FIELD", "VALUE");
        t.row("configured", v.path("configured").asBoolean() ? "yes" : "no");
        t.row("kind", text(v, "kind"));
        t.row("status", text(v, "status"));
        if (v.has("reachability")) {
            t.row("ping", text(v, "reachability"));
        }
        t.row("admin", text(v, "admin"));
        t.row("peer", text(v, "peer"));
        t.row("IKE SA", text(v, "ikeSa"));
        if (v.path("ikeSas").size() > 1) { // an any-peer tunnel: one IKE SA per peer
            List<String> all = new ArrayList<>();
            v.path("ikeSas").forEach(i -> all.add(text(i, "peer") + " " + text(i, "name")));
            t.row("IKE SAs", String.join("; ", all));
        }
        List<String> sas = saList(v.path("sas"));
        t.row("SAs", sas.isEmpty() ? "-" : String.join("; ", sas));
        t.row("since", Timeline.time(text(v, "since")));
        t.row("last failure", text(v, "lastFailure"));
        t.row("spec", text(v, "spec"));
        t.render().lines().skip(1).forEach(l -> out.add("  " + l));
        return out;
    }

    /** The status, with the ping's verdict when there is one: {@code up (unreachable)}. */
    static String status(JsonNode v) {
        String r = text(v, "reachability");
        return text(v, "status") + (r.isEmpty() ? "" : " (" + r + ")");
    }

    /** A field as text; empty for null or missing. */
    static String text(JsonNode v, String field) {
        JsonNode f = v.path(field);
        return f.isMissingNode() || f.isNull() ? "" : f.asText();
    }

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
