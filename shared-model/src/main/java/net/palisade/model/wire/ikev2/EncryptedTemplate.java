package net.palisade.model.wire.ikev2;

/**
 * A protected message ready for the engine's cipher: {@code datagram} holds the IKE header and the SK (or SKF)
 * generic header with every length already final, and zeros where IV, ciphertext and ICV go. The engine writes the
 * IV, encrypts the padded inner payloads (from {@link Ikev2Codec#encodeInner(java.util.List, int)}) into the
 * ciphertext region, and writes the ICV: AEAD over {@code regions.aad(datagram)}, or HMAC over
 * {@code regions.integrityInput(datagram)}.
 *
 * @param datagram the message, to be filled in place
 * @param regions  where IV, ciphertext and ICV go
 */
public record EncryptedTemplate(byte[] datagram, EncryptedRegions regions) {}
