package net.palisade.model.config;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import net.palisade.model.IpsecConfig;
import net.palisade.model.config.Drafts.IkeTunnelDraft;
import net.palisade.model.config.Drafts.ManualTunnelDraft;
import net.palisade.model.config.Drafts.TunnelDraft;
import net.palisade.model.crypto.Names;

/**
 * JSON input: tree to drafts (Jackson), drafts to model ({@link Validator}), problems to diagnostics with JSON
 * paths. Structural errors (a bad network, an unknown property) stop that tunnel; validation problems are all
 * collected. No message contains a secret.
 */
final class JsonDoor {
    private static final List<String> SECRET_PATHS = List.of("psk", "encKey", "authKey");

    /** Converts a JSON tree to a draft class; Jackson's {@code treeToValue} or a context's {@code readTreeAsValue}. */
    interface Converter {
        <T> T convert(JsonNode node, Class<T> type) throws IOException;
    }

    private final String source;
    private final Converter converter;
    private final List<Diagnostic> diagnostics = new ArrayList<>();

    private JsonDoor(String source, Converter converter) {
        this.source = source;
        this.converter = converter;
    }

    /** A whole config: {@code {"tunnels": [...]}}. */
    static ConfigResult readConfig(JsonNode root, Converter converter, String source) {
        JsonDoor d = new JsonDoor(source, converter);
        List<TunnelDraft> drafts = new ArrayList<>();
        if (root == null || root.isMissingNode()) {
            d.error("json", "empty input");
            return d.finish(drafts, "tunnels");
        }
        if (!root.isObject()) {
            d.error("json", "expected an object {\"tunnels\": [...]}");
            return d.finish(drafts, "tunnels");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("tunnels")) {
                d.error(name, "unknown property '" + name + "'" + suggestion(name, List.of("tunnels")));
            }
        }
        JsonNode tunnels = root.get("tunnels");
        if (tunnels == null || !tunnels.isArray()) {
            d.error("tunnels", tunnels == null ? "missing" : "expected an array of tunnels");
        } else {
            for (int i = 0; i < tunnels.size(); i++) {
                drafts.add(d.draft(tunnels.get(i), "tunnels[" + i + "]"));
            }
        }
        return d.finish(drafts, "tunnels");
    }

    /** One tunnel object. */
    static ConfigResult readTunnel(JsonNode node, Converter converter, String source) {
        JsonDoor d = new JsonDoor(source, converter);
        List<TunnelDraft> drafts = new ArrayList<>();
        if (node == null || node.isMissingNode()) {
            d.error("json", "empty input");
            return d.finish(drafts, null);
        }
        drafts.add(d.draft(node, ""));
        return d.finish(drafts, null);
    }

    /**
     * Validates a config built in code; diagnostics name JSON paths. Its {@code "[redacted]"} secrets become those of
     * {@code running}'s tunnels with the same labels (errors where there are none); the config is the result's.
     */
    static ConfigResult validate(IpsecConfig config, String source, Support support, IpsecConfig running) {
        JsonDoor d = new JsonDoor(source, null);
        Validator.Outcome outcome = Validator.validate(config, support, running);
        d.addProblems(outcome, "tunnels");
        List<Diagnostic> all = d.sorted();
        List<Diagnostic> errors = all.stream().filter(Diagnostic::isError).toList();
        return new ConfigResult(errors.isEmpty() ? Optional.of(new IpsecConfig(outcome.tunnels())) : Optional.empty(),
                errors, all.stream().filter(x -> !x.isError()).toList());
    }

    private TunnelDraft draft(JsonNode node, String prefix) {
        if (node == null || !node.isObject()) {
            error(prefix, "expected a tunnel object with \"type\": \"ike\" or \"manual\"");
            return null;
        }
        JsonNode type = node.get("type");
        Class<? extends TunnelDraft> cls;
        if (type == null) {
            error(path(prefix, "type"), "missing; expected \"ike\" or \"manual\"");
            return null;
        } else if (type.isTextual() && type.asText().equals("ike")) {
            cls = IkeTunnelDraft.class;
        } else if (type.isTextual() && type.asText().equals("manual")) {
            cls = ManualTunnelDraft.class;
        } else {
            error(path(prefix, "type"), "expected \"ike\" or \"manual\"");
            return null;
        }
        try {
            return converter.convert(node, cls);
        } catch (JsonMappingException e) {
            String where = prefix;
            for (JsonMappingException.Reference r : e.getPath()) {
                where = r.getFieldName() != null ? path(where, r.getFieldName()) : where + "[" + r.getIndex() + "]";
            }
            error(where, message(e, where));
            return null;
        } catch (IOException e) {
            error(prefix, "unreadable tunnel");
            return null;
        }
    }

    /** Our own messages are safe; Jackson's may quote input, so under a secret they are replaced. */
    private static String message(JsonMappingException e, String where) {
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = u.getKnownPropertyIds() == null ? List.of()
                    : u.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
            return "unknown property '" + u.getPropertyName() + "'" + suggestion(u.getPropertyName(), known);
        }
        if (e.getCause() instanceof IllegalArgumentException iae && iae.getMessage() != null) {
            return iae.getMessage();
        }
        boolean secret = SECRET_PATHS.stream().anyMatch(s -> where.contains(s));
        if (secret && e.getClass() != JsonMappingException.class) {
            return "invalid secret (expected a JSON string: text, or 0x-hex)";
        }
        if (e instanceof MismatchedInputException mi) {
            // Jackson's own wording quotes the input; name the expected type instead.
            return "expected " + expected(mi.getTargetType());
        }
        String m = e.getOriginalMessage();
        return m == null ? "invalid value" : m.lines().findFirst().orElse(m);
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "a different value";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == String.class || type.isEnum()) {
            return "a string";
        }
        return "an object";
    }

    private static String suggestion(String word, List<String> known) {
        return Names.closest(word, known).map(s -> "; did you mean '" + s + "'?").orElse("");
    }

    private static String path(String prefix, String field) {
        if (field.isEmpty()) {
            return prefix;
        }
        return prefix.isEmpty() ? field : prefix + "." + field;
    }

    /** The model of the drafts; {@code "[redacted]"} secrets stay placeholders, for the commit to resolve. */
    private ConfigResult finish(List<TunnelDraft> drafts, String listName) {
        Validator.Outcome outcome = Validator.validate(drafts, Support.LANGUAGE, null);
        addProblems(outcome, listName);
        List<Diagnostic> all = sorted();
        List<Diagnostic> errors = all.stream().filter(Diagnostic::isError).toList();
        List<Diagnostic> warnings = all.stream().filter(x -> !x.isError()).toList();
        Optional<IpsecConfig> config = errors.isEmpty()
                ? Optional.of(new IpsecConfig(outcome.tunnels()))
                : Optional.empty();
        return new ConfigResult(config, errors, warnings);
    }

    private void addProblems(Validator.Outcome outcome, String listName) {
        for (Problem p : outcome.problems()) {
            String prefix = listName == null ? "" : listName + "[" + p.tunnel() + "]";
            String where = p.field() == Field.STATEMENT ? prefix : path(prefix, p.field().jsonPath(p.item()));
            String message = p.render(ref -> listName == null ? "tunnel " + ref.tunnel() : listName + "[" + ref.tunnel() + "]");
            diagnostics.add(new Diagnostic(p.severity(), source, 0, 0, where.isEmpty() ? "tunnel" : where, message));
        }
    }

    private List<Diagnostic> sorted() {
        List<Diagnostic> out = new ArrayList<>(diagnostics);
        out.sort(Comparator.comparing(Diagnostic::field, JsonDoor::comparePaths));
        return out;
    }

    /** Orders paths so that tunnels[2] comes before tunnels[10]. */
    private static int comparePaths(String a, String b) {
        return Integer.compare(index(a), index(b));
    }

    private static int index(String p) {
        int open = p.indexOf('[');
        int close = p.indexOf(']');
        if (open < 0 || close < open) {
            return -1;
        }
        try {
            return Integer.parseInt(p.substring(open + 1, close));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void error(String where, String message) {
        diagnostics.add(new Diagnostic(Diagnostic.Severity.ERROR, source, 0, 0, where.isEmpty() ? "tunnel" : where, message));
    }
}
