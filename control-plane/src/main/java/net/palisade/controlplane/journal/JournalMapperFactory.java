package net.palisade.controlplane.journal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperFactory;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProviderSetup;

/**
 * Gives Pekko's Jackson serializers (the {@code jackson-cbor} binding of every
 * {@link net.palisade.model.event.CborSerializable}) the journal's mix-ins and the node key: see
 * {@link JournalJson}. Install it with {@link #setup(SecretSealer)} when creating the ActorSystem.
 */
public final class JournalMapperFactory extends JacksonObjectMapperFactory {
    private final SecretSealer sealer;

    public JournalMapperFactory(SecretSealer sealer) {
        this.sealer = sealer;
    }

    /** The ActorSystem setup that installs this factory. */
    public static JacksonObjectMapperProviderSetup setup(SecretSealer sealer) {
        return new JacksonObjectMapperProviderSetup(new JournalMapperFactory(sealer));
    }

    /**
     * Drops {@code ParameterNamesModule}: records need no parameter names, and with them Jackson reads a
     * one-argument {@code @JsonCreator} whose parameter matches a property ({@code Spi.of(long value)}) as
     * property-based rather than delegating.
     */
    @Override
    public scala.collection.immutable.Seq<Module> overrideConfiguredModules(String bindingName,
            scala.collection.immutable.Seq<Module> configuredModules) {
        java.util.List<Module> kept = scala.jdk.javaapi.CollectionConverters.asJava(configuredModules).stream()
                .filter(m -> !(m instanceof ParameterNamesModule)).toList();
        return scala.jdk.javaapi.CollectionConverters.asScala(kept).toSeq();
    }

    @Override
    public ObjectMapper newObjectMapper(String bindingName, JsonFactory jsonFactory) {
        return JournalJson.configure(super.newObjectMapper(bindingName, jsonFactory), sealer);
    }
}
