package net.palisade.model.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;

/**
 * Jackson deserializers bound to the model records: reading JSON into {@link IpsecConfig} or a tunnel goes through
 * the drafts and the {@link Validator}, never straight into a record, so every JSON door validates.
 */
public final class ValidatingDeserializers {
    private ValidatingDeserializers() {}

    private static ConfigResult read(JsonParser p, DeserializationContext ctxt, boolean whole) throws IOException {
        JsonNode node = ctxt.readTree(p);
        JsonDoor.Converter converter = new JsonDoor.Converter() {
            @Override
            public <T> T convert(JsonNode n, Class<T> type) throws IOException {
                return ctxt.readTreeAsValue(n, type);
            }
        };
        ConfigResult r = whole ? JsonDoor.readConfig(node, converter, "json") : JsonDoor.readTunnel(node, converter, "json");
        if (!r.ok()) {
            throw new InvalidConfigJsonException(p, r.errors());
        }
        return r;
    }

    /** For {@link IpsecConfig}. */
    public static final class ConfigDeserializer extends StdDeserializer<IpsecConfig> {
        private static final long serialVersionUID = 1L;

        public ConfigDeserializer() {
            super(IpsecConfig.class);
        }

        @Override
        public IpsecConfig deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return read(p, ctxt, true).orThrow();
        }
    }

    /** For {@link TunnelSpec}: validates the one tunnel (cross-tunnel rules need the whole config). */
    public static final class TunnelDeserializer extends StdDeserializer<TunnelSpec> {
        private static final long serialVersionUID = 1L;

        public TunnelDeserializer() {
            super(TunnelSpec.class);
        }

        @Override
        public TunnelSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return read(p, ctxt, false).orThrow().tunnels().getFirst();
        }
    }

    /** Reads one tunnel and checks that it is of the expected kind. */
    private abstract static class KindDeserializer<T extends TunnelSpec> extends StdDeserializer<T> {
        private static final long serialVersionUID = 1L;

        private final Class<T> kind;
        private final String type;

        KindDeserializer(Class<T> kind, String type) {
            super(kind);
            this.kind = kind;
            this.type = type;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            TunnelSpec t = read(p, ctxt, false).orThrow().tunnels().getFirst();
            if (kind.isInstance(t)) {
                return kind.cast(t);
            }
            return ctxt.reportInputMismatch(kind, "expected \"type\": \"" + type + "\"");
        }
    }

    /** For {@link IkeTunnel}. */
    public static final class IkeTunnelDeserializer extends KindDeserializer<IkeTunnel> {
        private static final long serialVersionUID = 1L;

        public IkeTunnelDeserializer() {
            super(IkeTunnel.class, "ike");
        }
    }

    /** For {@link ManualTunnel}. */
    public static final class ManualTunnelDeserializer extends KindDeserializer<ManualTunnel> {
        private static final long serialVersionUID = 1L;

        public ManualTunnelDeserializer() {
            super(ManualTunnel.class, "manual");
        }
    }
}
