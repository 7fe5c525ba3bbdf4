package net.palisade.model.event;

/**
 * Marker for every message the control plane persists or sends between nodes (events, snapshots, commands,
 * replies). The control plane binds it to Pekko's {@code jackson-cbor} serializer; shared-model itself has no
 * Pekko dependency, so the marker lives here where the events are.
 */
public interface CborSerializable {}
