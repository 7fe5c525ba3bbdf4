package net.palisade.api;

import java.util.ArrayList;
import java.util.List;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.ConfigPrinter;

/**
 * Applies {@code configure} edits ({@code replace TEXT with TEXT}, {@code delete LABEL}) to the running
 * configuration on the node, so that secrets never travel to the client and back. The result is config text for
 * a normal commit, which validates it like any other.
 */
final class ConfigEdits {
    /** One edit: exactly one of {@code replace}+{@code with}, or {@code delete}. */
    record Edit(String replace, String with, String delete) {}

    /** An edit that cannot be applied; nothing is committed. */
    static final class EditException extends Exception {
        private static final long serialVersionUID = 1L;
        final String field;

        EditException(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    private ConfigEdits() {}

    /** The full configuration text (secrets included) after the edits, in order. */
    static String apply(IpsecConfig running, List<Edit> edits) throws EditException {
        if (edits == null || edits.isEmpty()) {
            throw new EditException("edits", "no edits given");
        }
        List<TunnelSpec> tunnels = new ArrayList<>(running.tunnels());
        // statements as full text, edited in place; redacted twins tell whether a match touches a secret
        List<String> full = new ArrayList<>();
        List<String> redacted = new ArrayList<>();
        for (TunnelSpec t : tunnels) {
            full.add(ConfigPrinter.printStatement(t));
            redacted.add(ConfigPrinter.printStatementRedacted(t));
        }
        for (int i = 0; i < edits.size(); i++) {
            Edit e = edits.get(i);
            String where = "edits[" + i + "]";
            if (e.delete() != null && e.replace() == null && e.with() == null) {
                int idx = indexOfLabel(tunnels, e.delete());
                if (idx < 0) {
                    throw new EditException(where + ".delete", "no tunnel labelled '" + e.delete() + "'");
                }
                tunnels.remove(idx);
                full.remove(idx);
                redacted.remove(idx);
            } else if (e.replace() != null && e.with() != null && e.delete() == null) {
                String from = e.replace().strip();
                String to = e.with().strip();
                if (from.isEmpty()) {
                    throw new EditException(where + ".replace", "nothing to replace");
                }
                if (from.contains("redacted") || to.contains("redacted")) {
                    throw new EditException(where + ".replace", "secrets cannot be edited by text; commit the tunnel with its new secret");
                }
                int matches = 0;
                for (int s = 0; s < full.size(); s++) {
                    int inRedacted = occurrences(redacted.get(s), from);
                    if (inRedacted == 0) {
                        continue;
                    }
                    if (occurrences(full.get(s), from) != inRedacted) {
                        throw new EditException(where + ".replace", "'" + from + "' also occurs inside a secret of tunnel "
                                + tunnels.get(s).label() + "; give more context");
                    }
                    full.set(s, replaceWords(full.get(s), from, to));
                    redacted.set(s, replaceWords(redacted.get(s), from, to));
                    matches += inRedacted;
                }
                if (matches == 0) {
                    throw new EditException(where + ".replace", "'" + from + "' is not in the running configuration");
                }
            } else {
                throw new EditException(where, "an edit is {\"replace\": TEXT, \"with\": TEXT} or {\"delete\": LABEL}");
            }
        }
        StringBuilder sb = new StringBuilder("ipsec {\n");
        for (String s : full) {
            sb.append("  ").append(s).append('\n');
        }
        return sb.append("}\n").toString();
    }

    private static int indexOfLabel(List<TunnelSpec> tunnels, String label) {
        for (int i = 0; i < tunnels.size(); i++) {
            if (tunnels.get(i).label().equals(label)) {
                return i;
            }
        }
        return -1;
    }

    /** Occurrences of {@code word} (a run of tokens) on token boundaries. */
    static int occurrences(String text, String word) {
        int n = 0;
        for (int i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length())) {
            if (boundary(text, i, word.length())) {
                n++;
            }
        }
        return n;
    }

    static String replaceWords(String text, String word, String with) {
        StringBuilder sb = new StringBuilder();
        int last = 0;
        for (int i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length())) {
            if (boundary(text, i, word.length())) {
                sb.append(text, last, i).append(with);
                last = i + word.length();
            }
        }
        return sb.append(text.substring(last)).toString();
    }

    private static boolean boundary(String text, int start, int length) {
        boolean before = start == 0 || Character.isWhitespace(text.charAt(start - 1));
        int end = start + length;
        boolean after = end == text.length() || Character.isWhitespace(text.charAt(end));
        return before && after;
    }
}
