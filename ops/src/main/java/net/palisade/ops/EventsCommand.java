package net.palisade.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import net.palisade.model.event.TunnelEvent;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import net.palisade.ops.client.TimeArg;
import net.palisade.ops.client.Timeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code palisade events LABEL|--all [--since T] [--until T] [--type TYPE] [--json]}: the audit timeline. */
@Command(name = "events", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show a tunnel's events (or every tunnel's, with --all) as a timeline, oldest first.",
            "One line per event: TIME  TYPE  CAUSE  FIELD=VALUE ... (secrets are never shown)",
            "T is an ISO-8601 instant (2026-11-27T03:12:00Z), a date, 'now', or back from now (-30m, -1h, -2d)."})
final class EventsCommand extends ClientCommand {
    private static final Clock clock = Clock.systemUTC();

    @Parameters(paramLabel = "LABEL", arity = "0..1", description = "the tunnel")
    String label;

    @Option(names = "--all", description = "every tunnel's events (each line names its tunnel)")
    boolean all;

    @Option(names = "--since", paramLabel = "T", description = "only events at or after T")
    String since;

    @Option(names = "--until", paramLabel = "T", description = "only events before T")
    String until;

    @Option(names = "--type", paramLabel = "TYPE", description = "only events of this type, e.g. negotiation-failed")
    String type;

    @Option(names = "--json", description = "the API's JSON as it is")
    boolean json;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        if (label == null && !all || label != null && all) {
            throw CliFailure.usage("events: give a tunnel's LABEL, or --all for every tunnel");
        }
        if (type != null && !TunnelEvent.TYPES.contains(type)) {
            throw CliFailure.usage("events: --type: unknown event type '" + type + "'; one of "
                    + String.join(", ", TunnelEvent.TYPES));
        }
        Map<String, Optional<String>> params = ApiClient.params();
        params.put("since", Optional.ofNullable(since).map(t -> TimeArg.parse("--since", t, clock).toString()));
        params.put("until", Optional.ofNullable(until).map(t -> TimeArg.parse("--until", t, clock).toString()));
        params.put("type", Optional.ofNullable(type));
        String path = (all ? "/v1/events" : "/v1/tunnels/" + ApiClient.segment(label) + "/events") + ApiClient.query(params);
        if (json) {
            out.println(api().getText(path).body().stripTrailing());
            return 0;
        }
        JsonNode events = api().getJson(path);
        if (events.isEmpty()) {
            err.println("palisade: no events" + (all ? "" : " for tunnel '" + label + "'")
                    + (since != null || until != null || type != null ? " that match" : ""));
            return 0;
        }
        Timeline.lines(events, all).forEach(out::println);
        return 0;
    }
}
