package net.palisade.model.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when Jackson reads an {@link net.palisade.model.IpsecConfig} or {@link net.palisade.model.TunnelSpec}
 * that fails validation. {@link #errors()} holds every error, with JSON paths; no message contains a secret.
 */
public final class InvalidConfigJsonException extends JsonMappingException {
    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> errors;

    public InvalidConfigJsonException(JsonParser p, List<Diagnostic> errors) {
        super(p, errors.stream().map(Diagnostic::toString).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    /** The validation errors. */
    public List<Diagnostic> errors() {
        return errors;
    }
}
