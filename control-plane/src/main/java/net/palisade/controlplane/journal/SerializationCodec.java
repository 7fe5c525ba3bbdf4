package net.palisade.controlplane.journal;

import java.util.Objects;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Rows of the journal's tables read and written with the ActorSystem's serialization: the serializer the journal
 * chose for an event, and the one snapshots use for a state (jackson-cbor, secrets sealed with the node key).
 *
 * @param <S> the state
 */
public final class SerializationCodec<S> implements StateCheckpoints.Codec<S>, EventQueries.Decoder {
    private final Serialization serialization;
    private final Class<S> stateType;

    public SerializationCodec(Serialization serialization, Class<S> stateType) {
        this.serialization = Objects.requireNonNull(serialization, "serialization");
        this.stateType = Objects.requireNonNull(stateType, "stateType");
    }

    @Override
    public Object decode(byte[] payload, int serializerId, String manifest) {
        return serialization.deserialize(payload, serializerId, manifest).get();
    }

    @Override
    public Object event(byte[] payload, int serializerId, String manifest) {
        return decode(payload, serializerId, manifest);
    }

    @Override
    public S state(byte[] payload, int serializerId, String manifest) {
        return stateType.cast(decode(payload, serializerId, manifest));
    }

    @Override
    public StateCheckpoints.Encoded encode(S state) {
        Serializer s = serialization.findSerializerFor(state);
        return new StateCheckpoints.Encoded(s.toBinary(state), s.identifier(), Serializers.manifestFor(s, state));
    }
}
