/**
 * Wire formats: byte-exact codecs for IKEv2 ({@link net.palisade.model.wire.ikev2}) and IKEv1
 * ({@link net.palisade.model.wire.ikev1}) messages, and the small value types they share ({@link
 * net.palisade.model.wire.Octets}, {@link net.palisade.model.wire.DataAttribute}).
 *
 * <p>Codecs here are pure: no sockets, no crypto, no clock. Decoders never throw on malformed input; they return a
 * typed result that says what the caller may do (accept, answer with a notify, or drop and count).
 */
package net.palisade.model.wire;
