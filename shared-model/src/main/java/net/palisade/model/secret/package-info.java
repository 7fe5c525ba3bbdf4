/**
 * {@link net.palisade.model.secret.Secret}: the only holder of key and PSK bytes in the model — redacted in
 * {@code toString} and JSON, compared in constant time, wipeable — and its JSON binding.
 */
package net.palisade.model.secret;
