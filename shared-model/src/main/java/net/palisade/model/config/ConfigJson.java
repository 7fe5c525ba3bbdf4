package net.palisade.model.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;

/**
 * The JSON door to the model (for the HTTP API). Output redacts every secret ({@code "[redacted]"}); input is
 * validated by the same rules as the config language, with defaults applied, and errors carry JSON paths
 * ({@code api: tunnels[0].childSa.enc[1]: ...}).
 *
 * <p>The records are Jackson-annotated, so {@code mapper.readValue(json, IpsecConfig.class)} also validates
 * (throwing {@link InvalidConfigJsonException}); such a mapper needs {@link #configure(ObjectMapper)} (it registers
 * {@code Jdk8Module} for the {@code Optional} fields). {@link #read(String, String)} returns warnings too and never
 * throws.
 */
public final class ConfigJson {
    private static final ObjectMapper MAPPER = newMapper();
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '([A-Za-z0-9_]{1,64})'.*", Pattern.DOTALL);

    private ConfigJson() {}

    /** A mapper set up for the model. */
    public static ObjectMapper newMapper() {
        return configure(new ObjectMapper());
    }

    /**
     * Sets up {@code mapper} for the model: Jdk8Module (Optional), strict input (unknown properties, duplicate keys
     * and trailing tokens are errors; a single value is accepted where a list is expected), and no input echoed in
     * locations.
     */
    public static ObjectMapper configure(ObjectMapper mapper) {
        mapper.registerModule(new Jdk8Module());
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        mapper.disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        mapper.getFactory().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION.mappedFeature());
        mapper.getFactory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        return mapper;
    }

    /** The config as pretty JSON, secrets redacted. */
    public static String write(IpsecConfig config) {
        return writeValue(config);
    }

    /** One tunnel as pretty JSON, secrets redacted. */
    public static String write(TunnelSpec tunnel) {
        return writeValue(tunnel);
    }

    private static String writeValue(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("model does not serialize: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads and validates a config: {@code {"tunnels": [ {"type": "ike", ...}, ... ]}}.
     *
     * @param sourceName what to call the input in diagnostics (e.g. {@code "api"})
     */
    public static ConfigResult read(String json, String sourceName) {
        if (json.length() > Defaults.MAX_INPUT_CHARS) {
            return ConfigParser.tooLarge(sourceName, json.length());
        }
        Optional<JsonNode> tree = tree(json, sourceName);
        if (tree.isEmpty()) {
            return malformed(json, sourceName);
        }
        return JsonDoor.readConfig(tree.get(), MAPPER::treeToValue, sourceName);
    }

    /** Reads and validates one tunnel object; the result holds a config of that one tunnel. */
    public static ConfigResult readTunnel(String json, String sourceName) {
        if (json.length() > Defaults.MAX_INPUT_CHARS) {
            return ConfigParser.tooLarge(sourceName, json.length());
        }
        Optional<JsonNode> tree = tree(json, sourceName);
        if (tree.isEmpty()) {
            return malformed(json, sourceName);
        }
        return JsonDoor.readTunnel(tree.get(), MAPPER::treeToValue, sourceName);
    }

    private static Optional<JsonNode> tree(String json, String source) {
        try {
            return Optional.ofNullable(MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** Malformed JSON: the position only. Jackson's message quotes the input, which may hold a secret. */
    private static ConfigResult malformed(String json, String source) {
        int line = 0;
        int col = 0;
        String message = "malformed JSON";
        try {
            MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            if (e.getLocation() != null) {
                line = e.getLocation().getLineNr();
                col = e.getLocation().getColumnNr();
            }
            Matcher m = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
            if (m.matches()) {
                message = "duplicate property '" + m.group(1) + "'";
            }
        }
        return new ConfigResult(Optional.empty(),
                List.of(new Diagnostic(Diagnostic.Severity.ERROR, source, Math.max(line, 0), Math.max(col, 0), "json",
                        message)), List.of());
    }
}
