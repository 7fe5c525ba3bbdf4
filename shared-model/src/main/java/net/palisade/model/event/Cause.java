package net.palisade.model.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who or what triggered an event: {@code kind} or {@code kind:detail}. The kinds in use:
 * <ul>
 *   <li>{@code api:<caller>} — an operator or tool through the HTTP API (the caller is the authenticated name);
 *   <li>{@code commit:<id>} — the reconciler applying config revision {@code id};
 *   <li>{@code file} — the config file given at start;
 *   <li>{@code timer} — a timer (commit confirmation deadline, lifetimes, retries);
 *   <li>{@code peer} — something the IKE peer sent (or failed to send);
 *   <li>{@code node} — the node's own life cycle (restart, recovery).
 * </ul>
 * JSON: the string itself.
 *
 * @param value {@code kind[:detail]}; kind is lower-case letters and dashes, detail is printable, at most 200 chars
 */
public record Cause(String value) {
    private static final Pattern FORM = Pattern.compile("[a-z][a-z-]{0,31}(:[\\x21-\\x7e][\\x20-\\x7e]{0,199})?");

    /** The cause every timer-driven event carries. */
    public static final Cause TIMER = new Cause("timer");
    /** Something the peer did. */
    public static final Cause PEER = new Cause("peer");
    /** The config file given at start. */
    public static final Cause FILE = new Cause("file");
    /** The node's own life cycle (e.g. a restart ended the IKE SAs). */
    public static final Cause NODE = new Cause("node");

    /** @throws IllegalArgumentException unless the value has the form {@code kind[:detail]} */
    public Cause {
        Objects.requireNonNull(value, "value");
        if (!FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("a cause is kind[:detail] (e.g. api:alice, commit:c-3, timer), found '"
                    + value.replaceAll("[^\\x20-\\x7e]", "?") + "'");
        }
    }

    /** Parses {@code kind[:detail]}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Cause of(String value) {
        return new Cause(value);
    }

    /** {@code api:<caller>}. */
    public static Cause api(String caller) {
        return new Cause("api:" + caller);
    }

    /** {@code commit:<id>}. */
    public static Cause commit(String revisionId) {
        return new Cause("commit:" + revisionId);
    }

    /** The part before the colon. */
    public String kind() {
        int colon = value.indexOf(':');
        return colon < 0 ? value : value.substring(0, colon);
    }

    @JsonValue
    @Override
    public String toString() {
        return value;
    }
}
