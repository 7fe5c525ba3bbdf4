package net.palisade.ops.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an error answer of the API (RFC 9457 problem+json) into readable lines:
 * {@code 422 Invalid configuration: 2 error(s)}, then each error as {@code LINE:COL: FIELD: message} (or
 * {@code FIELD: message}).
 */
public final class Problems {
    private Problems() {}

    /** The failure for an answer with status {@code status} (400 or more). */
    public static CliFailure failure(int status, String body, ObjectMapper json, Path tokenFile) {
        JsonNode problem = null;
        try {
            problem = body == null || body.isBlank() ? null : json.readTree(body);
        } catch (Exception e) {
            // not JSON: shown as text below
        }
        String headline;
        List<String> details = new ArrayList<>();
        if (problem != null && problem.isObject() && problem.hasNonNull("title")) {
            String title = problem.path("title").asText();
            String detail = problem.path("detail").asText("");
            JsonNode errors = problem.path("errors");
            if (errors.isArray() && errors.size() == 1 && !errors.get(0).hasNonNull("line")
                    && errors.get(0).path("message").asText().equals(detail)) {
                headline = status + " " + title + ": " + error(errors.get(0));
            } else {
                headline = status + " " + title + (detail.isBlank() ? "" : ": " + detail);
                if (errors.isArray()) {
                    errors.forEach(e -> details.add(error(e)));
                }
            }
        } else {
            headline = status + (body == null || body.isBlank() ? "" : ": " + excerpt(body));
        }
        if (status == 401) {
            details.add("palisade: the node refused the token in " + tokenFile + "; give the node's token file with"
                    + " --token-file or PALISADE_TOKEN_FILE (the node's is 'palisade run --token-file', default DATA/api-token)");
        }
        return new CliFailure(exitCode(status), headline, details);
    }

    /** 1 for a refused request (the input was wrong), 2 for a refused token or a failing node. */
    static int exitCode(int status) {
        if (status == 401 || status == 403 || status >= 500) {
            return CliFailure.USAGE;
        }
        return CliFailure.INVALID;
    }

    /** {@code LINE:COL: FIELD: message}, {@code LINE: FIELD: message} or {@code FIELD: message}. */
    static String error(JsonNode e) {
        StringBuilder sb = new StringBuilder();
        if (e.hasNonNull("line")) {
            sb.append(e.get("line").asInt()).append(':');
            if (e.hasNonNull("column")) {
                sb.append(e.get("column").asInt()).append(':');
            }
            sb.append(' ');
        }
        if (e.hasNonNull("field") && !e.get("field").asText().isBlank()) {
            sb.append(e.get("field").asText()).append(": ");
        }
        return sb.append(e.path("message").asText()).toString();
    }

    /** The first line of {@code text}, at most 200 characters. */
    static String excerpt(String text) {
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
