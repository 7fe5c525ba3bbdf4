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
        return resolve(config, new IpsecConfig(List.of()), sourceName, support).diagnostics();
    }

    /**
     * Validates {@code config} (e.g. read from the API's JSON) to be committed over {@code running}: every secret
     * given as {@code "[redacted]"} ({@link net.palisade.model.secret.Secret#KEEP}) becomes the secret of
     * {@code running}'s tunnel with the same label, an error naming the JSON path where there is none. The result's
     * config holds the secrets themselves.
     */
    public static ConfigResult resolve(IpsecConfig config, IpsecConfig running, String sourceName, Support support) {
        return JsonDoor.validate(config, sourceName, support, running);
    }
}
