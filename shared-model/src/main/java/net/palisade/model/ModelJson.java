package net.palisade.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.time.Duration;
import net.palisade.model.secret.Secret;
import net.palisade.model.secret.SecretJson;

/** Jackson (de)serializers for model values that have no natural JSON form. */
public final class ModelJson {
    private ModelJson() {}

    /** Writes a {@link Duration} as whole seconds. */
    public static final class DurationSerializer extends StdSerializer<Duration> {
        private static final long serialVersionUID = 1L;

        public DurationSerializer() {
            super(Duration.class);
        }

        @Override
        public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeNumber(value.getSeconds());
        }
    }

    /** Reads a {@link Duration} from a number of seconds or a DURATION string ({@code "45m"}). */
    public static final class DurationDeserializer extends StdDeserializer<Duration> {
        private static final long serialVersionUID = 1L;

        public DurationDeserializer() {
            super(Duration.class);
        }

        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            try {
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    return Durations.parse(Long.toString(p.getLongValue()));
                }
                if (t == JsonToken.VALUE_STRING) {
                    return Durations.parse(p.getText());
                }
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, e.getMessage());
            }
            throw JsonMappingException.from(p, "expected seconds as a number, or a string like \"45m\"");
        }
    }

    /** Reads {@link DirectionalKeys} from one string (both ways) or {@code {"inbound":..,"outbound":..}}. */
    public static final class DirectionalKeysDeserializer extends StdDeserializer<DirectionalKeys> {
        private static final long serialVersionUID = 1L;

        public DirectionalKeysDeserializer() {
            super(DirectionalKeys.class);
        }

        @Override
        public DirectionalKeys deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                return DirectionalKeys.both(secret(p));
            }
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                throw JsonMappingException.from(p, "expected a key string or {\"inbound\": ..., \"outbound\": ...}");
            }
            Secret in = null;
            Secret out = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "inbound" -> in = secret(p);
                    case "outbound" -> out = secret(p);
                    default -> {
                        p.skipChildren();
                        throw JsonMappingException.from(p, "unknown property '" + name + "'; expected inbound or outbound");
                    }
                }
            }
            if (in == null || out == null) {
                throw JsonMappingException.from(p, "needs both inbound and outbound (or one string for both)");
            }
            return new DirectionalKeys(in, out);
        }

        private static Secret secret(JsonParser p) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                p.skipChildren();
                throw JsonMappingException.from(p, "expected a key as a JSON string (0x-hex)");
            }
            try {
                return SecretJson.fromJsonText(p.getText());
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, e.getMessage());
            }
        }
    }
}
