package net.palisade.controlplane.journal;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.ContextualSerializer;
import com.fasterxml.jackson.databind.ser.ResolvableSerializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 *   <li>{@link Secret} is written sealed with the node key ({@code {"v","kid","text","nonce","ct"}}, AES-256-GCM,
 *       see {@link SecretSealer}) for its place: the label of the tunnel spec around it and the path of its field
 *       there, found from the generator's contexts. On read a {@link TunnelSpec} is taken as a tree first, its
 *       sealed values opened for the place where they are found (so a value moved to another tunnel or field does
 *       not open), then bound into the record. Nothing else in the model holds key material.
 *   <li>{@link IpsecConfig}, {@link TunnelSpec} and {@link DirectionalKeys} are read straight into their records
 *       instead of through the validating deserializers: a journal is history, and a rule added to the validator
 *       later must not make an old event unreadable. Values ({@code Network}, {@code Spi}...) still check
 *       themselves.
 *   <li>{@link SealedState} (takeover state, already sealed with the pair key) is written as its fields
 *       ({@code {"kid","nonce","ct"}}) where the model's own form shows only its length.
 *   <li>{@link TunnelSpec} is chosen by its {@code "type"} ({@code ike}/{@code manual}) in the tree reader above;
 *       {@link IkeAuth} is PSK or certificates deduced from the property names.
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
        sealing.addDeserializer(TunnelSpec.class, new TunnelSpecDeserializer(sealer));
        sealing.addSerializer(SealedState.class, new SealedStateSerializer());
        sealing.addDeserializer(SealedState.class, new SealedStateDeserializer());
        sealing.setSerializerModifier(new SpecSerializerModifier());
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

    /** Drops the model's validating deserializer; the module's {@link TunnelSpecDeserializer} reads the spec. */
    @JsonDeserialize(using = JsonDeserializer.None.class)
    interface TunnelSpecMixIn {}

    /** {@code {"psk": ...}} or {@code {"cert","key","ca"}}. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.DEDUCTION)
    @JsonSubTypes({@JsonSubTypes.Type(IkeAuth.Psk.class), @JsonSubTypes.Type(IkeAuth.Certificates.class)})
    interface IkeAuthMixIn {}

    /** Writes every tunnel spec through a {@link BufferedSpecSerializer}. */
    static final class SpecSerializerModifier extends BeanSerializerModifier {
        private static final long serialVersionUID = 1L;

        @Override
        @SuppressWarnings("unchecked")
        public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription desc,
                JsonSerializer<?> serializer) {
            return TunnelSpec.class.isAssignableFrom(desc.getBeanClass())
                    ? new BufferedSpecSerializer((JsonSerializer<Object>) serializer) : serializer;
        }
    }

    /**
     * Writes a tunnel spec into a token buffer first, then copies it out. The buffer's contexts keep the names of
     * the fields being written, which {@link #placeOf} needs to bind a secret to its field; CBOR's forget a name
     * once its value has started.
     */
    static final class BufferedSpecSerializer extends StdSerializer<Object>
            implements ResolvableSerializer, ContextualSerializer {
        private static final long serialVersionUID = 1L;
        private final transient JsonSerializer<Object> delegate;

        BufferedSpecSerializer(JsonSerializer<Object> delegate) {
            super(Object.class);
            this.delegate = delegate;
        }

        @Override
        public void resolve(SerializerProvider provider) throws JsonMappingException {
            if (delegate instanceof ResolvableSerializer r) {
                r.resolve(provider);
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public JsonSerializer<?> createContextual(SerializerProvider provider, BeanProperty property)
                throws JsonMappingException {
            JsonSerializer<?> d = delegate instanceof ContextualSerializer c
                    ? c.createContextual(provider, property) : delegate;
            return d == delegate ? this : new BufferedSpecSerializer((JsonSerializer<Object>) d);
        }

        @Override
        public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            try (TokenBuffer buffer = new TokenBuffer(gen.getCodec(), false)) {
                delegate.serialize(value, buffer, provider);
                buffer.serialize(gen);
            }
        }
    }

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
            // the object is started first: then the parent context names this field (and an array its index)
            gen.writeStartObject(value);
            SecretSealer.Place place = placeOf(gen.getOutputContext().getParent());
            byte[] plain = value.revealBytes();
            SecretSealer.Sealed s;
            try {
                s = sealer.seal(plain, value.text(), place);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
            gen.writeNumberField("v", s.format());
            gen.writeStringField("kid", s.kid());
            gen.writeBooleanField("text", s.text());
            gen.writeBinaryField("nonce", s.nonce());
            gen.writeBinaryField("ct", s.ct());
            gen.writeEndObject();
        }
    }

    /**
     * The place of a value written in {@code context}: the label of the nearest enclosing tunnel spec and the field
     * names (array indexes) from it down, joined by dots; {@link SecretSealer.Place#NONE} outside any spec.
     */
    static SecretSealer.Place placeOf(JsonStreamContext context) {
        List<String> path = new ArrayList<>();
        for (JsonStreamContext c = context; c != null; c = c.getParent()) {
            if (c.inObject()) {
                path.add(String.valueOf(c.getCurrentName()));
            } else if (c.inArray()) {
                path.add(Integer.toString(c.getCurrentIndex()));
            }
            if (c.getCurrentValue() instanceof TunnelSpec spec) {
                return new SecretSealer.Place(spec.label(), String.join(".", path.reversed()));
            }
        }
        return SecretSealer.Place.NONE;
    }

    /** The fields of a sealed secret as stored; format 1 (no {@code "v"}) is what older journals hold. */
    static SecretSealer.Sealed sealedOf(JsonNode n) throws IOException {
        JsonNode kid = n.get("kid");
        JsonNode text = n.get("text");
        JsonNode v = n.get("v");
        if (kid == null || !kid.isTextual() || text == null || !text.isBoolean() || !n.has("nonce")
                || !n.has("ct") || (v != null && !v.isInt())) {
            return null;
        }
        return new SecretSealer.Sealed(v == null ? SecretSealer.LEGACY_FORMAT : v.intValue(), kid.textValue(),
                text.booleanValue(), n.get("nonce").binaryValue(), n.get("ct").binaryValue());
    }

    /** Opens {@code s} found at {@code place} into a secret of its kind. */
    static Secret open(SecretSealer sealer, SecretSealer.Sealed s, SecretSealer.Place place) {
        byte[] plain = sealer.unseal(s, place);
        if (!s.text()) {
            return Secret.adopt(plain);
        }
        try {
            return Secret.ofText(new String(plain, StandardCharsets.UTF_8));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Reads a tunnel spec: as a tree, whose sealed secrets are opened for the place they are found at (this spec's
     * label, their path in it) and put back as the {@link Secret}s themselves, which {@link UnsealingDeserializer}
     * then takes as they are; the tree is then read into the record its {@code "type"} names.
     */
    static final class TunnelSpecDeserializer extends StdDeserializer<TunnelSpec> {
        private static final long serialVersionUID = 1L;
        private final transient SecretSealer sealer;

        TunnelSpecDeserializer(SecretSealer sealer) {
            super(TunnelSpec.class);
            this.sealer = sealer;
        }

        @Override
        public TunnelSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode tree = ctxt.readTree(p);
            if (!(tree instanceof ObjectNode spec)) {
                throw JsonMappingException.from(p, "expected a tunnel spec object");
            }
            Class<? extends TunnelSpec> type = switch (spec.path("type").asText("")) {
                case "ike" -> IkeTunnel.class;
                case "manual" -> ManualTunnel.class;
                default -> throw JsonMappingException.from(p, "tunnel spec has type \"" + spec.path("type").asText("")
                        + "\" (expected ike or manual)");
            };
            JsonNode label = spec.get("label");
            if (label == null || !label.isTextual()) {
                throw JsonMappingException.from(p, "tunnel spec lacks its label");
            }
            // read, not bound: the record's type() is derived
            spec.remove("type");
            List<Secret> opened = new ArrayList<>();
            try {
                openAll(spec, label.textValue(), new ArrayList<>(), opened);
                return ctxt.readTreeAsValue(spec, type);
            } catch (IllegalStateException e) {
                opened.forEach(Secret::close);
                throw JsonMappingException.from(p, e.getMessage());
            } catch (IOException | RuntimeException e) {
                opened.forEach(Secret::close);
                throw e;
            }
        }

        private void openAll(JsonNode node, String label, List<String> path, List<Secret> opened) throws IOException {
            if (node instanceof ObjectNode o) {
                for (var it = o.properties().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    path.add(e.getKey());
                    SecretSealer.Sealed s = e.getValue().isObject() ? sealedOf(e.getValue()) : null;
                    if (s != null) {
                        Secret secret = open(sealer, s, new SecretSealer.Place(label, String.join(".", path)));
                        opened.add(secret);
                        o.set(e.getKey(), new POJONode(secret));
                    } else {
                        openAll(e.getValue(), label, path, opened);
                    }
                    path.removeLast();
                }
            } else if (node instanceof ArrayNode a) {
                for (int i = 0; i < a.size(); i++) {
                    path.add(Integer.toString(i));
                    SecretSealer.Sealed s = a.get(i).isObject() ? sealedOf(a.get(i)) : null;
                    if (s != null) {
                        Secret secret = open(sealer, s, new SecretSealer.Place(label, String.join(".", path)));
                        opened.add(secret);
                        a.set(i, new POJONode(secret));
                    } else {
                        openAll(a.get(i), label, path, opened);
                    }
                    path.removeLast();
                }
            }
        }
    }

    /**
     * Reads a sealed secret: one a {@link TunnelSpecDeserializer} opened already (an embedded {@link Secret}), or a
     * sealed value outside any tunnel spec (opened for {@link SecretSealer.Place#NONE}). A PSK given as text comes back through a {@code String} ({@link Secret#ofText}), the
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
            if (p.currentToken() == JsonToken.VALUE_EMBEDDED_OBJECT && p.getEmbeddedObject() instanceof Secret s) {
                return s;
            }
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                throw JsonMappingException.from(p, "expected a sealed secret {kid, text, nonce, ct}");
            }
            boolean keep = false;
            int format = SecretSealer.LEGACY_FORMAT;
            String kid = null;
            Boolean text = null;
            byte[] nonce = null;
            byte[] ct = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "keep" -> keep = p.getBooleanValue();
                    case "v" -> format = p.getIntValue();
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
            try {
                return open(sealer, new SecretSealer.Sealed(format, kid, text, nonce, ct), SecretSealer.Place.NONE);
            } catch (IllegalStateException e) {
                throw JsonMappingException.from(p, e.getMessage());
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
