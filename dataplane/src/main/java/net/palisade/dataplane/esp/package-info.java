/**
 * ESP (RFC 4303) packet transforms for the user-space dataplane: AES-GCM (RFC 4106), ChaCha20-Poly1305
 * (RFC 7634), AES-CBC (RFC 3602) and 3DES-CBC with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA2 (RFC 4868).
 *
 * <p>Algorithms are the shared model's {@link net.palisade.model.crypto.EncryptionAlgorithm} and
 * {@link net.palisade.model.crypto.AuthAlgorithm}: one table for the config language, IKE, manual keying and
 * this package, which takes key, salt, IV, block and ICV lengths and the JCA names from it. This package has no
 * algorithm enum of its own and implements every algorithm of that table (AES-192 is in neither).
 *
 * <p>Entry points: {@link net.palisade.dataplane.esp.EspTransforms#create} builds an
 * {@link net.palisade.dataplane.esp.EspTransform} for one SA; {@code seal} and {@code open} work on byte
 * arrays with offsets and do not throw on hostile input: {@code open} answers an
 * {@link net.palisade.dataplane.esp.EspOutcome}.
 *
 * <p>A transform instance holds ready JCE objects and scratch buffers: it is not thread-safe. Build one per SA
 * per worker thread.
 */
package net.palisade.dataplane.esp;
