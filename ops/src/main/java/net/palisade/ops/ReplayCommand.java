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
import java.util.List;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.OfflineReplay;
import net.palisade.controlplane.cluster.HaEvent;
import net.palisade.controlplane.journal.JournalSettings;
import net.palisade.controlplane.journal.NodeKey;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import net.palisade.ops.client.HeldBy;
import net.palisade.api.ApiJson;
import net.palisade.ops.client.TimeArg;
import net.palisade.ops.client.Timeline;
import net.palisade.ops.client.Tunnels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade replay LABEL [--at T]}: a tunnel's events up to T, its state at T and which node held it then,
 * from a running node; with {@code --data DIR}, from a copied data directory, and with {@code --journal-url} and
 * {@code --key}, from a pair's PostgreSQL journal — both with no node running and read-only. {@code --nodes} shows the
 * pair's node timeline instead: who was active when, each takeover with its cause and gap.
 */
@Command(name = "replay", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Show a tunnel's events up to T, its state at T and which node held it, rebuilt from the journal;"
                + " or, with --nodes, the pair's node timeline up to T.",
            "Online from a running node's API; offline with --data DIR from a copy of a stopped node's data directory"
                + " (journal.mv.db and node.key; nothing in DIR is written), or with --journal-url and --key from a"
                + " pair's PostgreSQL journal (one read-only transaction: nothing is written).",
            "T is an ISO-8601 instant (2026-11-27T03:12:00Z), a date, 'now', or back from now (-30m, -1h, -2d)."})
final class ReplayCommand extends ClientCommand {
    private static final Clock clock = Clock.systemUTC();

    @Parameters(paramLabel = "LABEL", arity = "0..1",
            description = "the tunnel; offline without LABEL: list the tunnels that have events")
    String label;

    @Option(names = "--at", paramLabel = "T", description = "the instant (default: now)")
    String at;

    @Option(names = "--nodes", description = "the pair's node timeline up to T and the node active at T, not a tunnel's")
    boolean nodes;

    @Option(names = "--data", paramLabel = "DIR", description = "read this copied data directory instead of asking a node")
    Path data;

    @Option(names = "--journal-url", paramLabel = "JDBC-URL",
            description = "read this PostgreSQL journal (a pair's, jdbc:postgresql://HOST:PORT/DB) instead of asking a"
                    + " node; needs --key")
    String journalUrl;

    @Option(names = "--journal-user", paramLabel = "USER", description = "the database user (SELECT is enough)")
    String journalUser;

    @Option(names = "--journal-password-file", paramLabel = "FILE", description = "file holding the journal password")
    Path journalPasswordFile;

    @Option(names = "--key", paramLabel = "DIR|FILE",
            description = "the pair's node key (node.key, or a data directory holding it) that opens the journal's"
                    + " secrets; with --data, default DIR/node.key")
    Path key;

    @Option(names = "--json", description = "{label, at, events, state, heldBy} (with --nodes {at, events, active})"
            + " as JSON, in the API's forms")
    boolean json;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        Instant when = at == null ? clock.instant() : TimeArg.parse("--at", at, clock);
        if (nodes && label != null) {
            throw CliFailure.usage("replay: --nodes shows the pair's node timeline; give it no LABEL");
        }
        if (data != null && journalUrl != null) {
            throw CliFailure.usage("replay: --data and --journal-url each name a journal; give one");
        }
        if (data == null && journalUrl == null) {
            if (key != null || journalUser != null || journalPasswordFile != null) {
                throw CliFailure.usage("replay: --key, --journal-user and --journal-password-file go with --data"
                        + " or --journal-url");
            }
            return online(when, out);
        }
        return offline(when, out, err);
    }

    private int online(Instant when, PrintWriter out) {
        JsonNode nodeEvents = api().getJson("/v1/cluster/events");
        if (nodes) {
            printNodes(api().mapper(), when, nodeEvents, out);
            return 0;
        }
        if (label == null) {
            throw CliFailure.usage("replay: give the tunnel's LABEL (offline, --data DIR or --journal-url alone lists"
                    + " them)");
        }
        JsonNode all = api().getJson("/v1/tunnels/" + ApiClient.segment(label) + "/events");
        JsonNode state = api().getJson("/v1/tunnels/" + ApiClient.segment(label) + "/state?at="
                + ApiClient.segment(when.toString()));
        if (all.isEmpty()) {
            throw CliFailure.invalid("replay: no events for tunnel '" + label + "'");
        }
        print(api().mapper(), when, HeldBy.upTo(all, when), state, nodeEvents, out);
        return 0;
    }

    private int offline(Instant when, PrintWriter out, PrintWriter err) {
        ApiJson conv = new ApiJson();
        String where;
        try (OfflineReplay replay = openJournal()) {
            where = data != null ? data.toString() : JournalSettings.postgres(journalUrl, "", "").redactedUrl();
            ArrayNode nodeEvents = conv.mapper().createArrayNode();
            for (HaEvent e : replay.nodeTimeline()) {
                nodeEvents.add(conv.haEvent(e));
            }
            if (nodes) {
                printNodes(conv.mapper(), when, nodeEvents, out);
                return 0;
            }
            if (label == null) {
                List<String> labels = replay.labels();
                if (labels.isEmpty()) {
                    err.println("palisade: no tunnel events in " + where);
                }
                labels.forEach(out::println);
                return 0;
            }
            List<JournalEvent> timeline = replay.timeline(label);
            if (timeline.isEmpty()) {
                List<String> labels = replay.labels();
                throw CliFailure.invalid("replay: no events for tunnel '" + label + "' in " + where
                        + (labels.isEmpty() ? "" : "; tunnels with events: " + String.join(", ", labels)));
            }
            ArrayNode upTo = conv.mapper().createArrayNode();
            for (JournalEvent e : timeline) {
                if (!e.event().time().isAfter(when)) {
                    upTo.add(conv.event(e));
                }
            }
            print(conv.mapper(), when, upTo, conv.view(replay.stateAt(label, when)), nodeEvents, out);
            return 0;
        } catch (OfflineReplay.UnreadableEvent e) {
            if (e.sealedWithAnotherKey()) {
                throw CliFailure.usage("replay: " + keyOption() + " does not open the journal's secrets: "
                        + e.getMessage() + " (give the node.key of the nodes that wrote this journal)");
            }
            throw CliFailure.invalid("replay: " + e.getMessage());
        } catch (SQLException e) {
            throw CliFailure.usage("replay: " + sqlProblem(e));
        }
    }

    private String keyOption() {
        return key != null ? "--key " + key : "the node key " + data.resolve(NodeKey.FILE_NAME);
    }

    /** The journal of --data or --journal-url, read-only, with the key of --key (or DIR's). */
    private OfflineReplay openJournal() throws SQLException {
        NodeKey nodeKey = null;
        try {
            if (data != null && !Files.isDirectory(data)) {
                throw CliFailure.usage("replay: --data " + data + ": not a directory");
            }
            if (key != null) {
                nodeKey = NodeKey.loadFrom(key);
            } else if (journalUrl != null) {
                throw CliFailure.usage("replay: --journal-url needs --key DIR|FILE: the pair's node.key (both nodes"
                        + " hold the same), or a data directory holding it");
            }
        } catch (IOException | IllegalStateException e) {
            throw CliFailure.usage("replay: --key " + key + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "no such file" : e.getMessage()));
        }
        if (data != null) {
            try {
                return nodeKey == null ? OfflineReplay.open(data) : OfflineReplay.open(data, nodeKey);
            } catch (IOException | IllegalStateException e) {
                if (e instanceof OfflineReplay.UnreadableEvent u) {
                    throw u;
                }
                throw CliFailure.usage("replay: " + e.getMessage());
            }
        }
        JournalSettings pg;
        try {
            pg = JournalOptions.postgres(journalUrl, journalUser, journalPasswordFile);
        } catch (IllegalArgumentException e) {
            throw CliFailure.usage("replay: " + e.getMessage());
        }
        return OfflineReplay.openPostgres(pg, nodeKey);
    }

    /** What went wrong with the journal database, naming the option to look at. Never the password. */
    private String sqlProblem(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String msg = firstLine(e.getMessage());
        if (data != null) {
            return "cannot read the journal in " + data + ": " + msg
                    + " (copy the data directory of a stopped node and replay the copy)";
        }
        String url = JournalSettings.postgres(journalUrl, "", "").redactedUrl();
        if (state.startsWith("08")) {
            return "--journal-url " + url + ": cannot reach the database: " + msg;
        }
        if (state.startsWith("28")) {
            return "--journal-user/--journal-password-file: the database refused the login: " + msg;
        }
        if (state.equals("3D000") || state.equals("42P01")) {
            return "--journal-url " + url + ": " + msg;
        }
        if (state.equals("42501")) {
            return "--journal-user " + (journalUser == null ? "" : journalUser) + ": " + msg
                    + " (the user needs SELECT on event_journal)";
        }
        return "cannot read the journal at " + url + ": " + msg;
    }

    private void print(ObjectMapper mapper, Instant when, ArrayNode events, JsonNode state, JsonNode nodeEvents,
            PrintWriter out) {
        ObjectNode heldBy = HeldBy.of(nodeEvents, events, when, mapper);
        if (json) {
            ObjectNode o = mapper.createObjectNode();
            o.put("label", label);
            o.put("at", when.toString());
            o.set("events", events);
            o.set("state", state);
            o.set("heldBy", heldBy);
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
        HeldBy.lines(heldBy).forEach(out::println);
    }

    private void printNodes(ObjectMapper mapper, Instant when, JsonNode nodeEvents, PrintWriter out) {
        ArrayNode upTo = HeldBy.upTo(nodeEvents, when);
        ObjectNode active = HeldBy.active(nodeEvents, when, mapper);
        if (json) {
            ObjectNode o = mapper.createObjectNode();
            o.put("at", when.toString());
            o.set("events", upTo);
            o.set("active", active);
            out.println(o.toPrettyString());
            return;
        }
        out.println("node timeline up to " + Timeline.time(when.toString()) + ":");
        if (upTo.isEmpty()) {
            out.println("  none (a node alone keeps no node timeline)");
        }
        Timeline.lines(upTo, false).forEach(l -> out.println("  " + l));
        List<String> takeovers = HeldBy.takeovers(upTo);
        if (!takeovers.isEmpty()) {
            out.println("takeovers:");
            takeovers.forEach(out::println);
        }
        out.println("active at " + HeldBy.ms(when.toString()) + ": " + HeldBy.role(active));
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
