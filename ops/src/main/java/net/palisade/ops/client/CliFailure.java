package net.palisade.ops.client;

import java.util.List;

/**
 * A client command that cannot go on: the lines to print on standard error (each prefixed {@code palisade: } by the
 * first, the details as they are) and the exit status (1 invalid input, 2 usage error or unreachable node).
 */
public final class CliFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Invalid input: the node (or the CLI) refused what was asked; the errors are printed. */
    public static final int INVALID = 1;
    /** Usage error, or the node could not be reached or refused the token. */
    public static final int USAGE = 2;

    private final int exitCode;
    private final List<String> details;

    public CliFailure(int exitCode, String message, List<String> details) {
        super(message);
        this.exitCode = exitCode;
        this.details = List.copyOf(details);
    }

    public CliFailure(int exitCode, String message) {
        this(exitCode, message, List.of());
    }

    public static CliFailure usage(String message) {
        return new CliFailure(USAGE, message);
    }

    public static CliFailure invalid(String message) {
        return new CliFailure(INVALID, message);
    }

    public int exitCode() {
        return exitCode;
    }

    /** Further lines, printed as they are (e.g. {@code LINE:COL: FIELD: message}). */
    public List<String> details() {
        return details;
    }
}
