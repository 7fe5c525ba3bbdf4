package net.palisade.model.secret;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;

/**
 * JSON input of secrets. Errors never contain the value: Jackson's own messages quote bad input, so this type
 * reads the token itself. To persist secrets (sealed) rather than redact them, override with a Jackson mix-in.
 */
public final class SecretJson {
    private SecretJson() {}

    /**
     * Reads JSON text as a secret: {@code 0x}-hex (an even number of digits) as bytes, other text as a PSK.
     *
     * {@value Secret#REDACTED} is {@link Secret#KEEP}: keep the running tunnel's secret (resolved at commit).
     *
     * @throws IllegalArgumentException for empty text, never quoting the value
     */
    public static Secret fromJsonText(String s) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty secret");
        }
        if (s.equals(Secret.REDACTED)) {
            return Secret.KEEP;
        }
        if ((s.startsWith("0x") || s.startsWith("0X")) && s.length() > 2) {
            boolean allHex = s.substring(2).chars().allMatch(c -> Character.digit(c, 16) >= 0);
            if (allHex) {
                return Secret.parseHex(s);
            }
        }
        return Secret.ofText(s);
    }

    /** Reads a secret from a JSON string; refuses other tokens without quoting them. */
    public static final class Deserializer extends StdDeserializer<Secret> {
        private static final long serialVersionUID = 1L;

        public Deserializer() {
            super(Secret.class);
        }

        @Override
        public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                p.skipChildren();
                throw JsonMappingException.from(p, "expected a secret as a JSON string (text, or 0x-hex)");
            }
            try {
                return fromJsonText(p.getText());
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, e.getMessage());
            }
        }
    }
}
