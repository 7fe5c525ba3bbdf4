/**
 * What the journal records: {@link net.palisade.model.event.TunnelEvent}s with their
 * {@link net.palisade.model.event.Cause}, the Child SAs they name (SPIs, never keys) and failure reasons, and the marker
 * {@link net.palisade.model.event.CborSerializable} that binds them to the control plane's serializer. No event
 * holds a key in clear.
 */
package net.palisade.model.event;
