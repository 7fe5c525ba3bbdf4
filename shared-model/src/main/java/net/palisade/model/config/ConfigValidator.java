package net.palisade.model.config;

import java.util.List;
import net.palisade.model.IpsecConfig;

/**
 * Validates a config built in code (records constructed directly rather than parsed), with the rules the parser
 * and JSON input use. Diagnostics name JSON paths, since there is no source text.
 */
public final class ConfigValidator {
    private ConfigValidator() {}

    /** Errors and warnings; empty when the config is valid and raises no warning. */
    public static List<Diagnostic> validate(IpsecConfig config, String sourceName) {
        return validate(config, sourceName, Support.LANGUAGE);
    }

    /** As {@link #validate(IpsecConfig, String)}, for a node that can do what {@code support} says. */
    public static List<Diagnostic> validate(IpsecConfig config, String sourceName, Support support) {
        return JsonDoor.validate(config, sourceName, support);
    }
}
