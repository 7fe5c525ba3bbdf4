/**
 * Manual-keying helpers for the CLI ({@code palisade key}): a random key of the length an algorithm needs, and
 * ASCII keys converted to hex and back; no error message shows a key.
 */
package net.palisade.model.keys;
