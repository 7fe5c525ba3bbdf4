/**
 * The algorithm tables the config language, the IKE engines and the dataplane share — encryption, integrity and
 * Diffie-Hellman groups with their IANA numbers and key sizes — and {@link net.palisade.model.crypto.Names} for "did
 * you mean" suggestions on misspelled keywords.
 */
package net.palisade.model.crypto;
