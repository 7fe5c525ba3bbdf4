package net.palisade.ops.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tunnel events (the API's JSON form) as a timeline, one line per event:
 * {@code 2026-11-27T03:12:07Z  negotiation-failed  peer  reason=NO_PROPOSAL_CHOSEN} — time, type, cause, then the
 * event's other fields as {@code key=value}. A secret is never shown (the API and the offline reader redact them;
 * a {@code [redacted]} value is left out too). The node is shown only when the events come from more than one.
 */
public final class Timeline {
    private static final Set<String> COMMON = Set.of("offset", "sequenceNr", "type", "label", "time", "node", "cause");
    private static final String REDACTED = "[redacted]";

    private Timeline() {}

    /**
     * @param events a JSON array of events, oldest first
     * @param withLabel whether to show each event's tunnel (events of several tunnels)
     */
    public static List<String> lines(JsonNode events, boolean withLabel) {
        Set<String> nodes = new HashSet<>();
        events.forEach(e -> nodes.add(e.path("node").asText()));
        boolean withNode = nodes.size() > 1;
        int typeWidth = 0;
        int causeWidth = 0;
        int labelWidth = 0;
        for (JsonNode e : events) {
            typeWidth = Math.max(typeWidth, e.path("type").asText().length());
            causeWidth = Math.max(causeWidth, e.path("cause").asText().length());
            labelWidth = Math.max(labelWidth, e.path("label").asText().length());
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            StringBuilder sb = new StringBuilder(time(e.path("time").asText()));
            if (withLabel) {
                sb.append("  ").append(pad(e.path("label").asText(), labelWidth));
            }
            sb.append("  ").append(pad(e.path("type").asText(), typeWidth));
            sb.append("  ").append(pad(e.path("cause").asText(), causeWidth));
            List<String> fields = fields(e);
            if (withNode) {
                fields.add(0, "node=" + value(e.path("node").asText()));
            }
            for (String f : fields) {
                sb.append("  ").append(f);
            }
            out.add(sb.toString().stripTrailing());
        }
        return out;
    }

    /** An ISO-8601 instant to the second ({@code 2026-11-27T03:12:07Z}); text that is not one as it is. */
    public static String time(String iso) {
        if (iso == null || iso.isBlank() || iso.equals("null")) {
            return "-";
        }
        try {
            return Instant.parse(iso).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException e) {
            return iso;
        }
    }

    /** The event's own fields as {@code key=value}, secrets and empty values left out. */
    static List<String> fields(JsonNode e) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = e.properties().iterator(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey();
            JsonNode v = f.getValue();
            if (COMMON.contains(key)) {
                continue;
            }
            switch (key) {
                case "spec" -> spec(v, out);
                case "sa" -> {
                    if (v.isTextual()) {
                        add(out, "sa", v); // takeover-state names the SA only
                    } else {
                        add(out, "sa", v.path("id"));
                        spiPair(v.path("spi"), out);
                    }
                }
                case "spi" -> {
                    if (v.isNumber()) {
                        add(out, "spi", spi(v)); // sequence-reserved: the outbound SPI alone
                    } else {
                        spiPair(v, out);
                    }
                }
                default -> flatten(key, v, out);
            }
        }
        return out;
    }

    /** A configured tunnel's spec, summed up: its kind and peers (the whole spec is in {@code --json}). */
    private static void spec(JsonNode spec, List<String> out) {
        add(out, "kind", spec.path("type"));
        add(out, "peer", spec.has("peers") ? spec.get("peers") : spec.path("peer"));
    }

    private static void spiPair(JsonNode spi, List<String> out) {
        if (spi.isObject()) {
            add(out, "in", spi(spi.path("inbound")));
            add(out, "out", spi(spi.path("outbound")));
        }
    }

    /** An SPI as compact hex ({@code 0x1000}); JSON numbers are decimal. */
    public static String spi(JsonNode v) {
        if (v.canConvertToLong() && v.isNumber()) {
            return "0x" + Long.toHexString(v.asLong());
        }
        return v.isMissingNode() || v.isNull() ? "" : v.asText();
    }

    private static void add(List<String> out, String key, String text) {
        if (!text.isBlank() && !text.equals(REDACTED)) {
            out.add(key + "=" + value(text));
        }
    }

    private static void add(List<String> out, String key, JsonNode v) {
        if (v.isNull() || v.isMissingNode()) {
            return;
        }
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            v.forEach(i -> {
                if (i.isValueNode() && !i.isNull() && !i.asText().equals(REDACTED)) {
                    items.add(i.asText());
                }
            });
            add(out, key, String.join(",", items));
        } else if (v.isValueNode()) {
            add(out, key, v.asText());
        }
    }

    private static void flatten(String key, JsonNode v, List<String> out) {
        if (v.isObject()) {
            v.properties().forEach(f -> flatten(key + "." + f.getKey(), f.getValue(), out));
        } else if (v.isArray() && !v.isEmpty() && !v.get(0).isValueNode()) {
            for (int i = 0; i < v.size(); i++) {
                flatten(key + "[" + i + "]", v.get(i), out);
            }
        } else {
            add(out, key, v);
        }
    }

    /** A value as is, or double-quoted when it has spaces, quotes or {@code =}. */
    static String value(String text) {
        if (text.chars().anyMatch(c -> Character.isWhitespace(c) || c == '"' || c == '=')) {
            return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
        }
        return text;
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
