package net.palisade.model.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown by {@link ConfigResult#orThrow()}: the message lists every error, one per line. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> errors;

    public ConfigException(List<Diagnostic> errors) {
        super(errors.stream().map(Diagnostic::toString).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    /** The errors. */
    public List<Diagnostic> errors() {
        return errors;
    }
}
