package net.palisade.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import net.palisade.ops.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code palisade ike-log LABEL [--json]}: the tunnel's recent IKEv2 messages, decoded, never keys. */
@Command(name = "ike-log", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show one tunnel's last 64 IKEv2 messages, decoded: exchange, message ID, payloads, and for"
                + " each its proposals, key exchange group, identities, traffic selectors, notifies and deletes."
                + " Never keys, nonces, key exchange values or AUTH data."})
final class IkeLogCommand extends ClientCommand {
    @Parameters(paramLabel = "LABEL", description = "the tunnel")
    String label;

    @Option(names = "--json", description = "the API's JSON: [{time, direction, peer, message, details}]")
    boolean json;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        JsonNode messages = api().getJson("/v1/tunnels/" + ApiClient.segment(label) + "/ike-log");
        if (json) {
            out.println(messages.toPrettyString());
            return 0;
        }
        if (messages.isEmpty()) {
            err.println("palisade: tunnel " + label + " exchanged no IKEv2 message since the node started"
                    + " (IKEv1 tunnels are not shown)");
            return 0;
        }
        for (JsonNode m : messages) {
            boolean sent = m.path("direction").asText().equals("sent");
            String head = m.path("time").asText() + "  " + (sent ? "sent to      " : "received from") + " "
                    + m.path("peer").asText() + "  ";
            out.println(head + m.path("message").asText());
            for (JsonNode d : m.path("details")) {
                out.println(" ".repeat(head.length() + 2) + d.asText());
            }
        }
        return 0;
    }
}
