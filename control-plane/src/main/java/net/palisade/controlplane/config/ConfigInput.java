package net.palisade.controlplane.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Objects;
import net.palisade.model.IpsecConfig;
import net.palisade.model.event.CborSerializable;
import net.palisade.model.secret.Secret;

/** What a commit carries: config text (held as a {@link Secret}: it contains PSKs and keys) or a parsed config. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ConfigInput.Text.class, name = "text"),
    @JsonSubTypes.Type(value = ConfigInput.Parsed.class, name = "parsed")
})
public sealed interface ConfigInput extends CborSerializable {

    /**
     * Config language text, parsed and validated by the store.
     *
     * @param text the text; a Secret so that it is sealed whenever it is serialized
     * @param source the name diagnostics use (a file name, {@code api})
     */
    record Text(Secret text, String source) implements ConfigInput {
        public Text {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(source, "source");
        }
    }

    /** A config built elsewhere (e.g. from API JSON); validated again by the store. */
    record Parsed(IpsecConfig config) implements ConfigInput {
        public Parsed {
            Objects.requireNonNull(config, "config");
        }
    }
}
