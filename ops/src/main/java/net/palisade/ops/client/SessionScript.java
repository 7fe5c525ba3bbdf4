package net.palisade.ops.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The words after {@code palisade configure --}: a small session script, statements separated by {@code --}.
 *
 * <pre>
 * show [ipsec]                 the running configuration
 * show commits                 the revisions
 * show diff A [B]              A against B (default: running)
 * edit ipsec                   opens an edit of the running configuration
 * replace WORDS with WORDS     text replaced in the running configuration (on the node: secrets stay there)
 * delete LABEL                 removes a tunnel
 * commit [-time N] [MESSAGE]   sends the edits as one commit; with -time, rolled back unless confirmed in N s
 * load FILE [-time N] [MESSAGE]  commits a whole file ({@code -}: standard input)
 * commit-confirm ID            confirms a commit made with -time
 * rollback [ID]                runs ID again (default: the revision before the running one)
 * </pre>
 *
 * Parsing checks the whole script before anything is sent; an error names the word at fault.
 */
public final class SessionScript {
    /** Longest confirmation time the node takes. */
    public static final long MAX_CONFIRM_SECONDS = 86_400;
    static final String COMMANDS = "show, edit, replace, delete, commit, load, commit-confirm, rollback";

    /** One thing the script does. */
    public sealed interface Step {}

    public record ShowConfig() implements Step {}

    public record ShowCommits() implements Step {}

    public record ShowDiff(String from, String to) implements Step {}

    /** An edit of the running configuration: {@code replace}+{@code with}, or {@code delete}. */
    public sealed interface Edit {}

    public record Replace(String replace, String with) implements Edit {}

    public record Delete(String label) implements Edit {}

    public record Commit(List<Edit> edits, OptionalLong confirmWithinSeconds, Optional<String> message) implements Step {
        public Commit {
            edits = List.copyOf(edits);
        }
    }

    public record Load(String file, OptionalLong confirmWithinSeconds, Optional<String> message) implements Step {}

    public record Confirm(String id) implements Step {}

    public record Rollback(Optional<String> to) implements Step {}

    /** A script that cannot run; {@link #word()} is the word at fault. */
    public static final class ScriptException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String word;

        ScriptException(String word, String message) {
            super(message);
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /**
     * @param steps what to do, in order
     * @param uncommitted edits with no {@code commit} after them: the script must not run
     */
    public record Parsed(List<Step> steps, List<Edit> uncommitted) {
        public Parsed {
            steps = List.copyOf(steps);
            uncommitted = List.copyOf(uncommitted);
        }
    }

    private SessionScript() {}

    public static Parsed parse(List<String> words) throws ScriptException {
        List<List<String>> statements = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String w : words) {
            if (w.equals("--")) {
                statements.add(current);
                current = new ArrayList<>();
            } else {
                current.add(w);
            }
        }
        statements.add(current);
        statements.removeIf(List::isEmpty);
        if (statements.isEmpty()) {
            throw new ScriptException("--", "nothing to do: give a session script after '--', e.g."
                    + " palisade configure -- show ipsec");
        }

        List<Step> steps = new ArrayList<>();
        List<Edit> edits = new ArrayList<>();
        boolean editing = false;
        for (List<String> s : statements) {
            String head = s.get(0);
            List<String> args = s.subList(1, s.size());
            switch (head.toLowerCase(Locale.ROOT)) {
                case "show" -> steps.add(show(head, args));
                case "edit" -> {
                    if (args.isEmpty()) {
                        throw new ScriptException(head, "'edit' needs what to edit: edit ipsec");
                    }
                    if (!args.get(0).equalsIgnoreCase("ipsec")) {
                        throw new ScriptException(args.get(0), "cannot edit '" + args.get(0) + "': only 'edit ipsec'");
                    }
                    noMore(head, args, 1);
                    editing = true;
                }
                case "replace" -> {
                    requireEditing(editing, head);
                    int with = indexOfIgnoreCase(args, "with");
                    if (with < 0) {
                        throw new ScriptException(head, "'replace' needs 'with': replace OLD TEXT with NEW TEXT");
                    }
                    if (with == 0) {
                        throw new ScriptException(args.get(0), "nothing to replace before 'with': replace OLD TEXT with NEW TEXT");
                    }
                    if (with == args.size() - 1) {
                        throw new ScriptException(args.get(with), "nothing after 'with': replace OLD TEXT with NEW TEXT"
                                + " (to remove a tunnel: delete LABEL)");
                    }
                    edits.add(new Replace(String.join(" ", args.subList(0, with)),
                            String.join(" ", args.subList(with + 1, args.size()))));
                }
                case "delete" -> {
                    requireEditing(editing, head);
                    if (args.isEmpty()) {
                        throw new ScriptException(head, "'delete' needs the label of the tunnel to remove: delete LABEL");
                    }
                    noMore(head, args, 1);
                    edits.add(new Delete(args.get(0)));
                }
                case "commit" -> {
                    if (edits.isEmpty()) {
                        throw new ScriptException(head, editing
                                ? "nothing to commit: no 'replace' or 'delete' since 'edit ipsec'"
                                : "nothing to commit: start with 'edit ipsec', then 'replace ... with ...' or 'delete LABEL'"
                                        + " (to commit a file: load FILE)");
                    }
                    CommitArgs c = commitArgs(head, args, false);
                    steps.add(new Commit(edits, c.time, c.message));
                    edits = new ArrayList<>();
                }
                case "load" -> {
                    if (!edits.isEmpty()) {
                        throw new ScriptException(head, "'load' after uncommitted edits: commit them first, or load alone");
                    }
                    CommitArgs c = commitArgs(head, args, true);
                    steps.add(new Load(c.file, c.time, c.message));
                }
                case "commit-confirm", "confirm" -> {
                    if (args.isEmpty()) {
                        throw new ScriptException(head, "'" + head + "' needs the commit id, e.g. commit-confirm c-4");
                    }
                    noMore(head, args, 1);
                    steps.add(new Confirm(args.get(0)));
                }
                case "rollback" -> {
                    noMore(head, args, 1);
                    steps.add(new Rollback(args.isEmpty() ? Optional.empty() : Optional.of(args.get(0))));
                }
                default -> throw new ScriptException(head, "'" + head + "' is not a session command; use " + COMMANDS
                        + (head.startsWith("-") ? " (options such as --api go before the first '--')" : ""));
            }
        }
        return new Parsed(steps, edits);
    }

    private static Step show(String head, List<String> args) throws ScriptException {
        if (args.isEmpty()) {
            return new ShowConfig();
        }
        String what = args.get(0);
        return switch (what.toLowerCase(Locale.ROOT)) {
            case "ipsec", "config", "configuration", "running" -> {
                noMore(head, args, 1);
                yield new ShowConfig();
            }
            case "commits", "commit", "revisions", "history" -> {
                noMore(head, args, 1);
                yield new ShowCommits();
            }
            case "diff" -> {
                if (args.size() < 2) {
                    throw new ScriptException(what, "'show diff' needs a revision: show diff A [B] (B defaults to running)");
                }
                noMore(head, args, 3);
                yield new ShowDiff(args.get(1), args.size() > 2 ? args.get(2) : "running");
            }
            default -> throw new ScriptException(what, "cannot show '" + what + "'; use show ipsec, show commits or"
                    + " show diff A [B]");
        };
    }

    private record CommitArgs(String file, OptionalLong time, Optional<String> message) {}

    private static CommitArgs commitArgs(String head, List<String> args, boolean needsFile) throws ScriptException {
        String file = null;
        OptionalLong time = OptionalLong.empty();
        Optional<String> message = Optional.empty();
        for (int i = 0; i < args.size(); i++) {
            String w = args.get(i);
            if (w.equals("-time") || w.equals("--time")) {
                if (i + 1 == args.size()) {
                    throw new ScriptException(w, "'" + w + "' needs the seconds to wait for commit-confirm, e.g. -time 60");
                }
                String n = args.get(++i);
                long seconds;
                try {
                    seconds = Long.parseLong(n);
                } catch (NumberFormatException e) {
                    throw new ScriptException(n, "'" + n + "' after -time is not a whole number of seconds");
                }
                if (seconds < 1 || seconds > MAX_CONFIRM_SECONDS) {
                    throw new ScriptException(n, "-time " + n + ": must be 1-" + MAX_CONFIRM_SECONDS + " seconds");
                }
                if (time.isPresent()) {
                    throw new ScriptException(w, "'-time' given twice");
                }
                time = OptionalLong.of(seconds);
            } else if (w.startsWith("-") && !w.equals("-")) {
                throw new ScriptException(w, "'" + w + "' is not an option of '" + head + "'; it takes -time N");
            } else if (needsFile && file == null) {
                file = w;
            } else if (message.isEmpty()) {
                message = Optional.of(w);
            } else {
                throw new ScriptException(w, "'" + w + "' follows the message '" + message.get()
                        + "': quote a message of several words, e.g. \"try backup\"");
            }
        }
        if (needsFile && file == null) {
            throw new ScriptException(head, "'load' needs a file: load FILE [-time N] [\"message\"] (- for standard input)");
        }
        return new CommitArgs(file, time, message);
    }

    private static void requireEditing(boolean editing, String head) throws ScriptException {
        if (!editing) {
            throw new ScriptException(head, "'" + head + "' edits the configuration: open the edit first with 'edit ipsec --'");
        }
    }

    private static void noMore(String head, List<String> args, int allowed) throws ScriptException {
        if (args.size() > allowed) {
            String statement = String.join(" ", List.of(head, String.join(" ", args.subList(0, allowed)))).strip();
            throw new ScriptException(args.get(allowed), "unexpected '" + args.get(allowed) + "' after '" + statement
                    + "' (statements are separated by '--')");
        }
    }

    private static int indexOfIgnoreCase(List<String> words, String word) {
        for (int i = 0; i < words.size(); i++) {
            if (words.get(i).equalsIgnoreCase(word)) {
                return i;
            }
        }
        return -1;
    }

    /** What an edit would do, for the dry run. */
    public static String describe(Edit e) {
        return switch (e) {
            case Replace r -> "replace '" + r.replace() + "' with '" + r.with() + "'";
            case Delete d -> "delete tunnel '" + d.label() + "'";
        };
    }
}
