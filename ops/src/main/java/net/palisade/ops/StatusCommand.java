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
        description = {"Show the tunnels of a running node: label, kind, status (down, connecting, no-child-sa, up), admin"
                + " state, peer, since when, last failure; on a gateway pair first a line with each node's role.",
                "With LABEL, that tunnel and its configuration (secrets redacted)."})
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
        if (label == null) {
            pair(api().getJson("/v1/cluster")).ifPresent(out::println);
        }
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

    /**
     * One line on the gateway pair, e.g. {@code pair: 10.0.0.1:25520 active (this node, lease epoch 3),
     * 10.0.0.2:25520 standby}; empty for a node alone.
     */
    static java.util.Optional<String> pair(JsonNode cluster) {
        if (!cluster.path("role").isTextual() || "sole".equals(cluster.path("role").asText())) {
            return java.util.Optional.empty();
        }
        String self = cluster.path("self").asText();
        java.util.List<String> parts = new java.util.ArrayList<>();
        for (JsonNode m : cluster.path("members")) {
            String address = m.path("address").asText();
            StringBuilder b = new StringBuilder(address).append(m.path("active").asBoolean() ? " active" : " standby");
            java.util.List<String> notes = new java.util.ArrayList<>();
            if (address.equals(self)) {
                notes.add("this node");
            }
            if (m.path("active").asBoolean()) {
                notes.add("lease epoch " + cluster.path("lease").path("epoch").asLong());
            }
            if (!m.path("reachable").asBoolean(true)) {
                notes.add("unreachable");
            }
            if (!"up".equals(m.path("status").asText("up"))) {
                notes.add(m.path("status").asText());
            }
            if (!notes.isEmpty()) {
                b.append(" (").append(String.join(", ", notes)).append(')');
            }
            parts.add(b.toString());
        }
        if (cluster.path("active").isNull()) {
            parts.add("no node holds the active lease");
        }
        return java.util.Optional.of("pair: " + String.join(", ", parts));
    }
}
