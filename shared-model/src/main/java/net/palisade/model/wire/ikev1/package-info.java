/**
 * The IKEv1 (ISAKMP, RFC 2408/2409/2407, NAT-T RFC 3947) message codec: header, payload chain with SA proposals,
 * transforms and TV/TLV attributes, KE, nonce, ID, hash, signature, certificates, notifications, deletes, vendor IDs,
 * NAT-D/NAT-OA and Mode Config attributes. Encrypted messages stay ciphertext until the engine decrypts them.
 */
package net.palisade.model.wire.ikev1;
