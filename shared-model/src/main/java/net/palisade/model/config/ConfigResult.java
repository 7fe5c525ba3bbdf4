package net.palisade.model.config;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.palisade.model.IpsecConfig;

/**
 * The outcome of reading a config (text or JSON): the config when there is no error, the errors, and the
 * warnings (present either way). Both lists are sorted by position.
 */
public record ConfigResult(Optional<IpsecConfig> config, List<Diagnostic> errors, List<Diagnostic> warnings) {
    public ConfigResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        if (config.isPresent() != errors.isEmpty()) {
            throw new IllegalArgumentException("a config is present exactly when there are no errors");
        }
    }

    /** True when there is no error. */
    public boolean ok() {
        return errors.isEmpty();
    }

    /** Errors then warnings. */
    public List<Diagnostic> diagnostics() {
        return Stream.concat(errors.stream(), warnings.stream()).toList();
    }

    /**
     * The config.
     *
     * @throws ConfigException listing every error
     */
    public IpsecConfig orThrow() {
        return config.orElseThrow(() -> new ConfigException(errors));
    }
}
