package net.palisade.model.config;

/**
 * One error or warning about a config. {@link #toString()} gives {@code FILE:LINE:COL: FIELD: message} for config
 * text (warnings: {@code FILE:LINE:COL: warning: FIELD: message}); for JSON, where there is no line, {@code line}
 * and {@code column} are 0 and {@code field} is the JSON path ({@code api: tunnels[0].childSa.enc[1]: message}).
 * Messages never contain a secret.
 *
 * @param severity error or warning
 * @param source the file name (or what the caller named the input)
 * @param line 1-based line of the offending token; 0 when unknown (JSON)
 * @param column 1-based column of the offending token; 0 when unknown
 * @param field the keyword at fault ({@code psk}, {@code enc}...), the statement keyword, or a JSON path
 * @param message what was expected and what was found
 */
public record Diagnostic(Severity severity, String source, int line, int column, String field, String message) {

    /**
     * Field and message may quote the input; a control character or a bidirectional override there would reach
     * the operator's terminal or log viewer as is (an ESC sequence in a config could recolour or hide text). They
     * are written as {@code \\uXXXX} instead.
     */
    public Diagnostic {
        field = visible(field);
        message = visible(message);
    }

    static String visible(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean hidden = Character.isISOControl(c) || (c >= '\u202A' && c <= '\u202E')
                    || (c >= '\u2066' && c <= '\u2069') || c == '\u2028' || c == '\u2029' || c == '\u200E'
                    || c == '\u200F' || c == '\u061C';
            if (hidden && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (hidden) {
                sb.append(String.format("\\u%04x", (int) c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** Error or warning. */
    public enum Severity {
        ERROR,
        WARNING
    }

    /** True for errors. */
    public boolean isError() {
        return severity == Severity.ERROR;
    }

    @Override
    public String toString() {
        String where = line > 0 ? source + ":" + line + ":" + column : source;
        String sev = severity == Severity.WARNING ? "warning: " : "";
        return where + ": " + sev + field + ": " + message;
    }
}
