package net.palisade.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.Tunnels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code palisade sas [LABEL] [--json]}: per tunnel its SAs (names and SPIs, never keys) and dataplane counters. */
@Command(name = "sas", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show each tunnel's SAs (names and SPIs) and this node's dataplane counters: packets and bytes"
                + " in and out, drops."})
final class SasCommand extends ClientCommand {
    @Parameters(paramLabel = "LABEL", arity = "0..1", description = "one tunnel only")
    String label;

    @Option(names = "--json", description = "per tunnel: label, ikeSa, sas and counters as JSON")
    boolean json;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        JsonNode answer = api().getJson(label == null ? "/v1/tunnels" : "/v1/tunnels/" + ApiClient.segment(label));
        ArrayNode tunnels = label == null ? (ArrayNode) answer : api().mapper().createArrayNode().add(answer);
        if (json) {
            ArrayNode projected = api().mapper().createArrayNode();
            for (JsonNode t : tunnels) {
                var o = projected.addObject();
                o.set("label", t.path("label"));
                o.set("ikeSa", t.path("ikeSa"));
                o.set("sas", t.path("sas"));
                if (t.has("counters")) {
                    o.set("counters", t.get("counters"));
                }
            }
            out.println(projected.toPrettyString());
            return 0;
        }
        if (tunnels.isEmpty()) {
            err.println("palisade: no tunnels in the running configuration");
            return 0;
        }
        Tunnels.sas(tunnels).forEach(out::println);
        return 0;
    }
}
