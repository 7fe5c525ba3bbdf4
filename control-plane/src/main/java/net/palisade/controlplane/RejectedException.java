package net.palisade.controlplane;

import java.util.List;
import net.palisade.model.config.Diagnostic;

/**
 * A command was refused and nothing changed: an invalid config (with its {@link #diagnostics()}), an unknown
 * revision, a tunnel command that makes no sense in the tunnel's state. The HTTP edge maps it to a 4xx answer.
 */
public final class RejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> diagnostics;

    public RejectedException(String message, List<Diagnostic> diagnostics) {
        super(message);
        this.diagnostics = List.copyOf(diagnostics);
    }

    /** Config errors and warnings of a refused commit; empty otherwise. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
