/**
 * IKEv2 cryptography for the pure engine: the PRF and prf+ (RFC 7296 section 2.13), the key derivations (sections
 * 2.14, 2.17), PSK authentication data (section 2.15), Diffie-Hellman and ECDH key exchange (RFC 3526, RFC 5903,
 * RFC 8031) and SK payload protection (RFC 7296 section 3.14, RFC 5282). Randomness and key exchange come in through
 * interfaces so tests can drive the engine deterministically.
 */
package net.palisade.controlplane.ike.crypto;
