package net.palisade.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import net.palisade.ops.client.SessionScript;
import net.palisade.ops.client.SessionScript.Step;
import net.palisade.ops.client.Table;
import net.palisade.ops.client.Timeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade configure -- SCRIPT}: show, edit and commit the running configuration of a node, in the words of
 * a firewall session: {@code palisade configure -- edit ipsec -- replace peer 192.0.2.2 with peer 192.0.2.3 --
 * commit -time 60 "try backup"}. See {@link SessionScript} for the statements.
 */
@Command(name = "configure", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show, edit and commit the running configuration of a node (a session script after '--').",
            "The words after '--' are statements, separated by '--':",
            "  show [ipsec] | show commits | show diff A [B]",
            "  edit ipsec -- replace OLD WORDS with NEW WORDS -- delete LABEL",
            "    -- commit [-time N] [\"message\"]",
            "  load FILE [-time N] [\"message\"]      (FILE - reads standard input)",
            "  commit-confirm ID | rollback [ID]",
            "A commit with -time N is rolled back by the node unless confirmed within N seconds."
                + " Edits are applied on the node, so secrets never leave it; without 'commit' nothing is sent."},
        footer = {"", "Example:",
            "  palisade configure -- edit ipsec -- replace peer 192.0.2.2 with peer 192.0.2.3 \\",
            "      -- commit -time 60 \"try backup\"",
            "  palisade configure -- commit-confirm c-4"})
final class ConfigureCommand extends ClientCommand {
    @Parameters(paramLabel = "SCRIPT", arity = "0..*", description = "the session script (after '--')")
    List<String> words = new ArrayList<>();

    @Override
    int run(PrintWriter out, PrintWriter err) {
        SessionScript.Parsed script;
        try {
            script = SessionScript.parse(words);
        } catch (SessionScript.ScriptException e) {
            throw CliFailure.usage("configure: " + e.getMessage());
        }
        if (!script.uncommitted().isEmpty()) {
            err.println("palisade: configure: nothing sent, the edit has no 'commit'; it would:");
            script.uncommitted().forEach(e -> err.println("  " + SessionScript.describe(e)));
            err.println("palisade: end the script with '-- commit [-time N] [\"message\"]' to send it");
            return CliFailure.INVALID;
        }
        for (Step step : script.steps()) {
            switch (step) {
                case SessionScript.ShowConfig s -> showConfig(out);
                case SessionScript.ShowCommits s -> showCommits(out);
                case SessionScript.ShowDiff d -> showDiff(d, out);
                case SessionScript.Commit c -> commit(c, out, err);
                case SessionScript.Load l -> load(l, out, err);
                case SessionScript.Confirm c -> confirm(c.id(), out, err);
                case SessionScript.Rollback r -> rollback(r.to(), out, err);
            }
            out.flush();
        }
        return 0;
    }

    private void showConfig(PrintWriter out) {
        ApiClient.Response r = api().getText("/v1/config");
        String revision = r.revision().filter(id -> !id.equals("none")).orElse(null);
        out.println(revision == null ? "# no configuration committed yet" : "# running revision " + revision);
        out.print(r.body().endsWith("\n") || r.body().isEmpty() ? r.body() : r.body() + "\n");
    }

    private void showCommits(PrintWriter out) {
        JsonNode list = api().getJson("/v1/config/commits");
        if (list.isEmpty()) {
            out.println("no commits yet");
            return;
        }
        Table t = new Table("ID", "STATUS", "RUNNING", "TIME", "AUTHOR", "TUNNELS", "CONFIRM BY", "MESSAGE");
        for (JsonNode c : list) {
            t.row(c.path("id").asText(), c.path("status").asText(), c.path("running").asBoolean() ? "yes" : "",
                    Timeline.time(c.path("time").asText()), c.path("author").asText(), c.path("tunnels").asText(),
                    "pending".equals(c.path("status").asText()) ? Timeline.time(c.path("confirmDeadline").asText()) : "",
                    c.path("message").asText());
        }
        out.print(t.render());
    }

    private void showDiff(SessionScript.ShowDiff d, PrintWriter out) {
        var params = ApiClient.params();
        params.put("from", Optional.of(d.from()));
        params.put("to", Optional.of(d.to()));
        JsonNode diff = api().getJson("/v1/config/diff" + ApiClient.query(params));
        out.println("--- " + diff.path("from").asText(d.from()));
        out.println("+++ " + diff.path("to").asText(d.to()));
        diff.path("lines").forEach(l -> out.println(l.asText()));
    }

    private void commit(SessionScript.Commit c, PrintWriter out, PrintWriter err) {
        ObjectNode body = api().mapper().createObjectNode();
        ArrayNode edits = body.putArray("edits");
        for (SessionScript.Edit e : c.edits()) {
            switch (e) {
                case SessionScript.Replace r -> edits.addObject().put("replace", r.replace()).put("with", r.with());
                case SessionScript.Delete d -> edits.addObject().put("delete", d.label());
            }
        }
        c.message().ifPresent(m -> body.put("message", m));
        c.confirmWithinSeconds().ifPresent(n -> body.put("confirmWithinSeconds", n));
        committed(api().postJson("/v1/config/edits", body), c.confirmWithinSeconds(), out, err);
    }

    private void load(SessionScript.Load l, PrintWriter out, PrintWriter err) {
        String text;
        try {
            text = l.file().equals("-")
                    ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(l.file()), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw CliFailure.usage("configure: load: no such file: " + l.file());
        } catch (IOException e) {
            throw CliFailure.usage("configure: load: cannot read " + l.file() + ": " + e.getMessage());
        }
        Map<String, Optional<String>> params = ApiClient.params();
        params.put("message", l.message().or(() -> Optional.of("load " + l.file())));
        params.put("confirmWithinSeconds", l.confirmWithinSeconds().isPresent()
                ? Optional.of(Long.toString(l.confirmWithinSeconds().getAsLong())) : Optional.empty());
        committed(api().postText("/v1/config/commits" + ApiClient.query(params), text), l.confirmWithinSeconds(), out, err);
    }

    /** Prints the new revision's id on stdout, its warnings and the confirmation deadline on stderr. */
    private void committed(JsonNode answer, OptionalLong within, PrintWriter out, PrintWriter err) {
        String id = answer.path("revision").path("id").asText();
        for (JsonNode w : answer.path("warnings")) {
            err.println("palisade: warning: " + warning(w));
        }
        out.println(id);
        out.flush();
        if (within.isPresent()) {
            err.printf("palisade: %s is running; it will be rolled back in %d s unless you run: palisade configure --"
                    + " commit-confirm %s%n", id, within.getAsLong(), id);
        }
    }

    private static String warning(JsonNode w) {
        StringBuilder sb = new StringBuilder();
        if (w.hasNonNull("line")) {
            sb.append(w.get("line").asInt()).append(':');
            if (w.hasNonNull("column")) {
                sb.append(w.get("column").asInt()).append(':');
            }
            sb.append(' ');
        }
        if (w.hasNonNull("field")) {
            sb.append(w.get("field").asText()).append(": ");
        }
        return sb.append(w.path("message").asText()).toString();
    }

    private void confirm(String id, PrintWriter out, PrintWriter err) {
        JsonNode r = api().postJson("/v1/config/commits/" + ApiClient.segment(id) + "/confirm", null);
        out.println(r.path("id").asText(id));
        err.println("palisade: " + r.path("id").asText(id) + " " + r.path("status").asText("confirmed"));
    }

    private void rollback(Optional<String> to, PrintWriter out, PrintWriter err) {
        JsonNode r = api().postJson("/v1/config/rollback", to.map(id -> Map.of("to", id)).orElse(null));
        out.println(r.path("id").asText());
        err.println("palisade: " + r.path("id").asText() + " is running");
    }
}
