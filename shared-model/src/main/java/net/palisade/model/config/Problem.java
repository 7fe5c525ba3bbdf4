package net.palisade.model.config;

import java.util.function.Function;

/**
 * A validation finding before it has a position: which tunnel (index in the input), which field and item (-1: the
 * field as a whole, 0..: a value), and the message. A message may contain {@code {ref}}, replaced by where the
 * related tunnel is ("line 3" in a file, "tunnels[0]" in JSON).
 */
record Problem(int tunnel, Field field, int item, Diagnostic.Severity severity, String message, Ref related) {

    /** Where a conflicting earlier use is. */
    record Ref(int tunnel, Field field, int item) {}

    static Problem error(int tunnel, Field field, int item, String message) {
        return new Problem(tunnel, field, item, Diagnostic.Severity.ERROR, message, null);
    }

    static Problem warning(int tunnel, Field field, int item, String message) {
        return new Problem(tunnel, field, item, Diagnostic.Severity.WARNING, message, null);
    }

    String render(Function<Ref, String> where) {
        return related == null ? message : message.replace("{ref}", where.apply(related));
    }
}
