/**
 * The IKEv2 message codec (RFC 7296; RFC 7383 fragments; RFC 5282 AEAD layout; RFC 7427 signatures): one record per
 * payload type ({@link net.palisade.model.wire.ikev2.Payload}), open enums for every protocol number, and
 * {@link net.palisade.model.wire.ikev2.Ikev2Codec}, which decodes into a typed
 * {@link net.palisade.model.wire.ikev2.DecodeResult} (ok, protected error that may be answered, unprotected error to
 * drop) and encodes byte-exactly. No crypto: the codec locates the SK payload's IV, ciphertext, ICV and AAD
 * boundaries ({@link net.palisade.model.wire.ikev2.EncryptedRegions}) for the engine's cipher.
 */
package net.palisade.model.wire.ikev2;
