package net.palisade.ops.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which node held a tunnel at an instant, from the API's JSON forms: the pair's node timeline (the events of
 * {@code GET /v1/cluster/events}) and the tunnel's own events (each names the node that wrote it). The timeline says
 * which node held the active role — the one whose {@code ha-active} or {@code ha-takeover} is the latest at or before
 * the instant, unless it recorded {@code ha-standby} since; the tunnel's events say which node wrote its last event.
 * Both answers are given, and when they differ, why that matters. Times are those the events carry: each node stamps
 * its own with its own clock.
 */
public final class HeldBy {
    private HeldBy() {}

    /**
     * The active node at {@code at} per the node timeline: {@code {node, since, epoch, cause}} (with {@code from} and
     * {@code gapMillis} when it took over); {@code {node: null, steppedDown, since, epoch, cause}} when the last holder
     * recorded {@code ha-standby} and no node became active since; {@code null} when the timeline holds nothing at or
     * before {@code at}.
     *
     * @param nodeEvents the node timeline, ordered by time
     */
    public static ObjectNode active(JsonNode nodeEvents, Instant at, ObjectMapper json) {
        ObjectNode current = null;
        for (JsonNode e : upTo(nodeEvents, at)) {
            String node = e.path("node").asText();
            switch (e.path("type").asText()) {
                case "ha-takeover" -> {
                    current = holder(json, e.path("to").asText(node), e);
                    current.put("from", e.path("from").asText());
                    current.put("gapMillis", e.path("gapMillis").asLong());
                }
                case "ha-active" -> {
                    // right after its own ha-takeover the new active records ha-active: the same tenure
                    boolean same = current != null && node.equals(current.path("node").asText(null))
                            && current.path("epoch").asLong() == e.path("epoch").asLong();
                    if (!same) {
                        current = holder(json, node, e);
                    }
                }
                case "ha-standby" -> {
                    if (current != null && node.equals(current.path("node").asText(null))) {
                        ObjectNode gone = json.createObjectNode();
                        gone.putNull("node");
                        gone.put("steppedDown", node);
                        gone.put("since", e.path("time").asText());
                        gone.put("epoch", e.path("epoch").asLong());
                        gone.put("cause", e.path("cause").asText());
                        current = gone;
                    }
                }
                default -> { } // a type of a later release: it changes no role this reader knows of
            }
        }
        return current;
    }

    private static ObjectNode holder(ObjectMapper json, String node, JsonNode e) {
        ObjectNode o = json.createObjectNode();
        o.put("node", node);
        o.put("since", e.path("time").asText());
        o.put("epoch", e.path("epoch").asLong());
        o.put("cause", e.path("cause").asText());
        return o;
    }

    /**
     * Who held the tunnel at {@code at}: {@code {node, basis, active, lastEvent, agree, conflict, note?}}.
     * {@code basis} is {@code node-timeline} when the journal has a node timeline up to {@code at} (a pair), else
     * {@code tunnel-events} (a node alone: the node that wrote the tunnel's last event). {@code agree} is false when
     * the timeline's active node is not the one that wrote the tunnel's last event, and {@code note} says which way;
     * {@code conflict} is true when that event was written after the active node took the role (or while no node
     * held it) — a write the fence should have refused, or clocks that differ — and false when the active node had
     * simply written nothing for the tunnel yet.
     *
     * @param nodeEvents the node timeline, ordered by time
     * @param tunnelEvents the tunnel's events up to {@code at}, oldest first
     */
    public static ObjectNode of(JsonNode nodeEvents, JsonNode tunnelEvents, Instant at, ObjectMapper json) {
        ObjectNode out = json.createObjectNode();
        ObjectNode active = active(nodeEvents, at, json);
        JsonNode last = tunnelEvents.isEmpty() ? null : tunnelEvents.get(tunnelEvents.size() - 1);
        ObjectNode lastEvent = null;
        if (last != null) {
            lastEvent = json.createObjectNode();
            lastEvent.put("node", last.path("node").asText());
            lastEvent.put("type", last.path("type").asText());
            lastEvent.put("time", last.path("time").asText());
            lastEvent.put("sequenceNr", last.path("sequenceNr").asLong());
        }
        String note = null;
        if (active == null) {
            out.put("node", last == null ? null : last.path("node").asText());
            out.put("basis", "tunnel-events");
        } else {
            out.set("node", active.get("node"));
            out.put("basis", "node-timeline");
            if (last != null) {
                note = disagreement(active, lastEvent);
            }
        }
        out.set("active", active);
        out.set("lastEvent", lastEvent);
        out.put("agree", note == null);
        // a conflict: written by another node while this one held the role (or while none did); otherwise the holder
        // simply had not written for the tunnel yet (a quiet tunnel after a takeover)
        out.put("conflict", note != null && !note.contains(NOT_YET));
        if (note != null) {
            out.put("note", note);
        }
        return out;
    }

    private static final String NOT_YET = "had written nothing for this tunnel yet";

    private static String disagreement(ObjectNode active, ObjectNode last) {
        String writer = last.path("node").asText();
        Instant written = instant(last.path("time").asText());
        Instant since = instant(active.path("since").asText());
        if (written == null || since == null) { // not instants: compare the nodes alone
            written = Instant.MIN;
            since = Instant.MIN;
        }
        String event = last.path("type").asText() + " at " + ms(last.path("time").asText());
        if (active.path("node").isNull()) {
            String old = active.path("steppedDown").asText();
            if (writer.equals(old) && !written.isAfter(since)) {
                return null; // written while it held the role, before it stepped down
            }
            return "no node held the active role at that instant (" + old + " stepped down at "
                    + ms(active.path("since").asText()) + "), yet the tunnel's last event up to it (" + event
                    + ") was written by " + writer + (written.isAfter(since) ? " after that" : "");
        }
        String holder = active.path("node").asText();
        if (writer.equals(holder)) {
            return null;
        }
        if (written.isBefore(since)) {
            return "the node timeline says " + holder + " held the active role, but the tunnel's last event up to"
                    + " that instant (" + event + ") was written by " + writer + " before " + holder
                    + " became active at " + ms(active.path("since").asText()) + ": " + holder + " " + NOT_YET;
        }
        return "the node timeline says " + holder + " held the active role from " + ms(active.path("since").asText())
                + ", but the tunnel's last event up to that instant (" + event + ") was written by " + writer
                + " after that: a write by a node that did not hold the active role, or the two nodes' clocks differ"
                + " (each stamps its own events)";
    }

    /** The lines of {@code palisade replay}'s held-by answer. */
    public static List<String> lines(JsonNode heldBy) {
        List<String> out = new ArrayList<>();
        JsonNode active = heldBy.path("active");
        JsonNode last = heldBy.path("lastEvent");
        String lastText = last.isObject() ? last.path("node").asText() + " (" + last.path("type").asText() + " at "
                + ms(last.path("time").asText()) + ")" : "none";
        if (!"node-timeline".equals(heldBy.path("basis").asText())) {
            out.add("held by: " + (last.isObject() ? last.path("node").asText() + " (it wrote the tunnel's last event, "
                    + last.path("type").asText() + " at " + ms(last.path("time").asText()) + "; no node timeline up to"
                    + " this instant: a node alone)" : "no node (no event up to this instant)"));
            return out;
        }
        out.add("held by: " + role(active));
        out.add("  last event by: " + lastText);
        if (heldBy.has("note")) {
            String kind = heldBy.path("conflict").asBoolean() ? "  DISAGREE: " : "  differs: ";
            out.add(kind + heldBy.path("note").asText());
        }
        return out;
    }

    /**
     * The active role as one phrase: {@code B (active since T, epoch 2; took over from A: lease-expired, gap 1800
     * ms)}.
     */
    public static String role(JsonNode active) {
        if (active == null || !active.isObject()) {
            return "no node (the node timeline has no event up to this instant)";
        }
        if (active.path("node").isNull()) {
            return "no node (" + active.path("steppedDown").asText() + " stepped down at "
                    + ms(active.path("since").asText()) + ": " + active.path("cause").asText() + ", epoch " + active.path("epoch").asLong()
                    + "; no node active since)";
        }
        StringBuilder sb = new StringBuilder(active.path("node").asText()).append(" (active since ")
                .append(ms(active.path("since").asText())).append(", epoch ").append(active.path("epoch").asLong());
        if (active.has("from")) {
            sb.append("; took over from ").append(active.path("from").asText()).append(": ")
                    .append(active.path("cause").asText()).append(", gap ").append(active.path("gapMillis").asLong())
                    .append(" ms");
        } else {
            sb.append("; ").append(active.path("cause").asText());
        }
        return sb.append(')').toString();
    }

    /** The events of {@code events} at or before {@code at}, in their order. */
    public static ArrayNode upTo(JsonNode events, Instant at) {
        ArrayNode out = new ObjectMapper().createArrayNode();
        for (JsonNode e : events) {
            Instant t = instant(e.path("time").asText());
            if (t == null || !t.isAfter(at)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The takeovers among {@code nodeEvents}, one line each: time, from → to, cause, gap, epoch. */
    public static List<String> takeovers(JsonNode nodeEvents) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : nodeEvents) {
            if ("ha-takeover".equals(e.path("type").asText())) {
                out.add("  " + ms(e.path("time").asText()) + "  " + e.path("from").asText() + " -> "
                        + e.path("to").asText() + "  " + e.path("cause").asText() + ", gap "
                        + e.path("gapMillis").asLong() + " ms, epoch " + e.path("epoch").asLong());
            }
        }
        return out;
    }

    /** An instant to the millisecond ({@code 2026-12-07T01:06:37.003Z}); text that is not one as it is. */
    public static String ms(String iso) {
        Instant t = instant(iso);
        return t == null ? iso : t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
    }

    private static Instant instant(String iso) {
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
