/**
 * Certificate authentication for IKEv2 (RFC 7296 section 2.15, RFC 7427, RFC 4754): our {@link
 * net.palisade.controlplane.ike.auth.Credentials} (PEM certificate chain, private key, trust anchors), signing and
 * verifying AUTH payloads ({@link net.palisade.controlplane.ike.auth.SignatureAuth}), the peer's certificate path,
 * dates and identity ({@link net.palisade.controlplane.ike.auth.PeerCertificates}), and the IKE_AUTH view of all
 * three ({@link net.palisade.controlplane.ike.auth.CertificateAuth}). No I/O except reading the PEM files; the
 * engine's clock is passed in. Revocation (CRL, OCSP) is not checked.
 */
package net.palisade.controlplane.ike.auth;
