package net.palisade.controlplane.journal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.SealedState;
import net.palisade.model.secret.Secret;

/**
 * How the journal (and node-to-node messages) write the config model. The model's own Jackson form is the API's:
 * secrets print as {@code "[redacted]"} and reading validates. Neither fits a journal, so this class adds mix-ins:
 * <ul>
 *   <li>{@link Secret} is written sealed with the node key ({@code {"kid","text","nonce","ct"}}, AES-256-GCM, see
 *       {@link SecretSealer}) and unsealed on read. Nothing else in the model holds key material.
 *   <li>{@link IpsecConfig}, {@link TunnelSpec} and {@link DirectionalKeys} are read straight into their records
 *       instead of through the validating deserializers: a journal is history, and a rule added to the validator
 *       later must not make an old event unreadable. Values ({@code Network}, {@code Spi}...) still check
 *       themselves.
 *   <li>{@link SealedState} (takeover state, already sealed with the pair key) is written as its fields
 *       ({@code {"kid","nonce","ct"}}) where the model's own form shows only its length.
 *   <li>{@link TunnelSpec} and {@link IkeAuth} get explicit polymorphism ({@code "type"}: {@code ike}/{@code manual};
 *       PSK vs certificates deduced from the property names).
 * </ul>
 */
public final class JournalJson {
    private JournalJson() {}

    /** Adds the mix-ins and the sealing (de)serializers to {@code mapper}; returns it. */
    public static ObjectMapper configure(ObjectMapper mapper, SecretSealer sealer) {
        mapper.addMixIn(Secret.class, SecretMixIn.class);
        mapper.addMixIn(DirectionalKeys.class, PlainRecordMixIn.class);
        mapper.addMixIn(IpsecConfig.class, PlainRecordMixIn.class);
        mapper.addMixIn(TunnelSpec.class, TunnelSpecMixIn.class);
        mapper.addMixIn(IkeTunnel.class, PlainRecordMixIn.class);
        mapper.addMixIn(ManualTunnel.class, PlainRecordMixIn.class);
        mapper.addMixIn(IkeAuth.class, IkeAuthMixIn.class);
        mapper.addMixIn(SealedState.class, SealedStateMixIn.class);
        SimpleModule sealing = new SimpleModule("palisade-sealed-secrets");
        sealing.addSerializer(Secret.class, new SealingSerializer(sealer));
        sealing.addDeserializer(Secret.class, new UnsealingDeserializer(sealer));
        sealing.addSerializer(SealedState.class, new SealedStateSerializer());
        sealing.addDeserializer(SealedState.class, new SealedStateDeserializer());
        mapper.registerModule(sealing);
        return mapper;
    }

    /** Drops the model's redacting {@code @JsonValue} and its text deserializer; the module supplies both. */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    abstract static class SecretMixIn {
        @JsonValue(false)
        @Override
        public abstract String toString();
    }

    /** Drops the model's summary {@code @JsonValue}; the module writes the fields. */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    abstract static class SealedStateMixIn {
        @JsonValue(false)
        public abstract String summary();
    }

    /** Reads the record through its canonical constructor, without validation. */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    abstract static class PlainRecordMixIn {}

    /** The spec's kind is its {@code "type"} property, which the records already write. */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = IkeTunnel.class, name = "ike"),
        @JsonSubTypes.Type(value = ManualTunnel.class, name = "manual")
    })
    interface TunnelSpecMixIn {}

    /** {@code {"psk": ...}} or {@code {"cert","key","ca"}}. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.DEDUCTION)
    @JsonSubTypes({@JsonSubTypes.Type(IkeAuth.Psk.class), @JsonSubTypes.Type(IkeAuth.Certificates.class)})
    interface IkeAuthMixIn {}

    /** Writes a secret sealed. */
    static final class SealingSerializer extends StdSerializer<Secret> {
        private static final long serialVersionUID = 1L;
        private final transient SecretSealer sealer;

        SealingSerializer(SecretSealer sealer) {
            super(Secret.class);
            this.sealer = sealer;
        }

        @Override
        public void serialize(Secret value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value.keep()) {
                // a commit of "[redacted]" on its way to the config store, which replaces it before anything persists
                gen.writeStartObject();
                gen.writeBooleanField("keep", true);
                gen.writeEndObject();
                return;
            }
            byte[] plain = value.revealBytes();
            SecretSealer.Sealed s;
            try {
                s = sealer.seal(plain, value.text());
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
            gen.writeStartObject();
            gen.writeStringField("kid", s.kid());
            gen.writeBooleanField("text", s.text());
            gen.writeBinaryField("nonce", s.nonce());
            gen.writeBinaryField("ct", s.ct());
            gen.writeEndObject();
        }
    }

    /**
     * Reads a sealed secret. A PSK given as text comes back through a {@code String} ({@link Secret#ofText}), the
     * only text constructor the model offers; that copy cannot be wiped.
     */
    static final class UnsealingDeserializer extends StdDeserializer<Secret> {
        private static final long serialVersionUID = 1L;
        private final transient SecretSealer sealer;

        UnsealingDeserializer(SecretSealer sealer) {
            super(Secret.class);
            this.sealer = sealer;
        }

        @Override
        public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                throw JsonMappingException.from(p, "expected a sealed secret {kid, text, nonce, ct}");
            }
            boolean keep = false;
            String kid = null;
            Boolean text = null;
            byte[] nonce = null;
            byte[] ct = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "keep" -> keep = p.getBooleanValue();
                    case "kid" -> kid = p.getValueAsString();
                    case "text" -> text = p.getBooleanValue();
                    case "nonce" -> nonce = p.getBinaryValue();
                    case "ct" -> ct = p.getBinaryValue();
                    default -> p.skipChildren();
                }
            }
            if (keep) {
                return Secret.KEEP;
            }
            if (kid == null || text == null || nonce == null || ct == null) {
                throw JsonMappingException.from(p, "sealed secret lacks kid, text, nonce or ct");
            }
            byte[] plain;
            try {
                plain = sealer.unseal(new SecretSealer.Sealed(kid, text, nonce, ct));
            } catch (IllegalStateException e) {
                throw JsonMappingException.from(p, e.getMessage());
            }
            if (!text) {
                return Secret.adopt(plain);
            }
            try {
                return Secret.ofText(new String(plain, StandardCharsets.UTF_8));
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /** Writes takeover state as stored: it is sealed already. */
    static final class SealedStateSerializer extends StdSerializer<SealedState> {
        private static final long serialVersionUID = 1L;

        SealedStateSerializer() {
            super(SealedState.class);
        }

        @Override
        public void serialize(SealedState value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeStartObject();
            gen.writeStringField("kid", value.kid());
            gen.writeBinaryField("nonce", value.nonce());
            gen.writeBinaryField("ct", value.ct());
            gen.writeEndObject();
        }
    }

    /** Reads takeover state as stored (it stays sealed: only the node that resumes opens it). */
    static final class SealedStateDeserializer extends StdDeserializer<SealedState> {
        private static final long serialVersionUID = 1L;

        SealedStateDeserializer() {
            super(SealedState.class);
        }

        @Override
        public SealedState deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                throw JsonMappingException.from(p, "expected sealed takeover state {kid, nonce, ct}");
            }
            String kid = null;
            byte[] nonce = null;
            byte[] ct = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "kid" -> kid = p.getValueAsString();
                    case "nonce" -> nonce = p.getBinaryValue();
                    case "ct" -> ct = p.getBinaryValue();
                    default -> p.skipChildren();
                }
            }
            if (kid == null || nonce == null || ct == null) {
                throw JsonMappingException.from(p, "sealed takeover state lacks kid, nonce or ct");
            }
            return new SealedState(kid, nonce, ct);
        }
    }
}
