package net.palisade.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.OfflineReplay;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import net.palisade.api.ApiJson;
import net.palisade.ops.client.TimeArg;
import net.palisade.ops.client.Timeline;
import net.palisade.ops.client.Tunnels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade replay LABEL [--at T]}: a tunnel's events up to T and its state at T, from a running node; with
 * {@code --data DIR}, from a copied data directory with no node running (read-only: nothing in DIR is written).
 */
@Command(name = "replay", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show a tunnel's events up to T and its state at T, rebuilt from the journal.",
            "Online from a running node's API, or with --data DIR offline from a copy of a stopped node's data"
                + " directory (journal.mv.db and node.key; nothing in DIR is written).",
            "T is an ISO-8601 instant (2026-11-27T03:12:00Z), a date, 'now', or back from now (-30m, -1h, -2d)."})
final class ReplayCommand extends ClientCommand {
    private static final Clock clock = Clock.systemUTC();

    @Parameters(paramLabel = "LABEL", arity = "0..1",
            description = "the tunnel; offline without LABEL: list the tunnels that have events")
    String label;

    @Option(names = "--at", paramLabel = "T", description = "the instant (default: now)")
    String at;

    @Option(names = "--data", paramLabel = "DIR", description = "read this copied data directory instead of asking a node")
    Path data;

    @Option(names = "--json", description = "{label, at, events, state} as JSON, in the API's forms")
    boolean json;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        Instant when = at == null ? clock.instant() : TimeArg.parse("--at", at, clock);
        if (data != null) {
            return offline(when, out, err);
        }
        if (label == null) {
            throw CliFailure.usage("replay: give the tunnel's LABEL (offline, --data DIR alone lists them)");
        }
        JsonNode all = api().getJson("/v1/tunnels/" + ApiClient.segment(label) + "/events");
        JsonNode state = api().getJson("/v1/tunnels/" + ApiClient.segment(label) + "/state?at="
                + ApiClient.segment(when.toString()));
        if (all.isEmpty()) {
            throw CliFailure.invalid("replay: no events for tunnel '" + label + "'");
        }
        ArrayNode upTo = api().mapper().createArrayNode();
        for (JsonNode e : all) {
            if (!after(e, when)) {
                upTo.add(e);
            }
        }
        print(api().mapper(), when, upTo, state, out);
        return 0;
    }

    private int offline(Instant when, PrintWriter out, PrintWriter err) {
        if (!Files.isDirectory(data)) {
            throw CliFailure.usage("replay: --data " + data + ": not a directory");
        }
        ApiJson conv = new ApiJson();
        try (OfflineReplay replay = OfflineReplay.open(data)) {
            if (label == null) {
                List<String> labels = replay.labels();
                if (labels.isEmpty()) {
                    err.println("palisade: no tunnel events in " + data);
                }
                labels.forEach(out::println);
                return 0;
            }
            List<JournalEvent> timeline = replay.timeline(label);
            if (timeline.isEmpty()) {
                List<String> labels = replay.labels();
                throw CliFailure.invalid("replay: no events for tunnel '" + label + "' in " + data
                        + (labels.isEmpty() ? "" : "; tunnels with events: " + String.join(", ", labels)));
            }
            ArrayNode upTo = conv.mapper().createArrayNode();
            for (JournalEvent e : timeline) {
                if (!e.event().time().isAfter(when)) {
                    upTo.add(conv.event(e));
                }
            }
            print(conv.mapper(), when, upTo, conv.view(replay.stateAt(label, when)), out);
            return 0;
        } catch (IOException e) {
            throw CliFailure.usage("replay: " + e.getMessage());
        } catch (SQLException e) {
            throw CliFailure.usage("replay: cannot read the journal in " + data + ": " + firstLine(e.getMessage())
                    + " (copy the data directory of a stopped node and replay the copy)");
        }
    }

    private void print(ObjectMapper mapper, Instant when, ArrayNode events, JsonNode state, PrintWriter out) {
        if (json) {
            ObjectNode o = mapper.createObjectNode();
            o.put("label", label);
            o.put("at", when.toString());
            o.set("events", events);
            o.set("state", state);
            out.println(o.toPrettyString());
            return;
        }
        out.println("events of " + label + " up to " + Timeline.time(when.toString()) + ":");
        if (events.isEmpty()) {
            out.println("  none");
        }
        Timeline.lines(events, false).forEach(out::println);
        out.println();
        Tunnels.state(state, "state of " + label + " at " + Timeline.time(when.toString()) + ":").forEach(out::println);
    }

    private static boolean after(JsonNode event, Instant when) {
        try {
            return Instant.parse(event.path("time").asText()).isAfter(when);
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
