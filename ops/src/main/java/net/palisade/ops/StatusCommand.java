package net.palisade.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.Tunnels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code palisade status [LABEL] [--json]}: the tunnels of a running node and their state. */
@Command(name = "status", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show the tunnels of a running node: label, kind, status (down, connecting, no-child-sa, up), admin state,"
                + " peer, since when, last failure.", "With LABEL, that tunnel and its configuration (secrets redacted)."})
final class StatusCommand extends ClientCommand {
    @Parameters(paramLabel = "LABEL", arity = "0..1", description = "one tunnel only")
    String label;

    @Option(names = "--json", description = "the API's JSON as it is")
    boolean json;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        String path = label == null ? "/v1/tunnels" : "/v1/tunnels/" + ApiClient.segment(label);
        if (json) {
            out.println(api().getText(path).body().stripTrailing());
            return 0;
        }
        JsonNode answer = api().getJson(path);
        JsonNode tunnels = label == null ? answer : api().mapper().createArrayNode().add(answer);
        if (tunnels.isEmpty()) {
            err.println("palisade: no tunnels in the running configuration");
            return 0;
        }
        out.print(Tunnels.statusTable(tunnels));
        if (label != null && answer.hasNonNull("spec")) {
            out.println();
            out.println(answer.get("spec").asText());
        }
        return 0;
    }
}
