package net.palisade.model.wire.ikev2;

import net.palisade.model.wire.Octets;

/**
 * Certificate payload (RFC 7296 section 3.6): encoding and data (for X509_SIGNATURE, a DER certificate). The decoder
 * refuses empty data.
 *
 * @param encoding certificate encoding
 * @param data     the certificate data
 */
public record CertPayload(CertEncoding encoding, Octets data) implements Payload {

    /** Checks the parts are present. */
    public CertPayload {
        java.util.Objects.requireNonNull(encoding, "encoding");
        java.util.Objects.requireNonNull(data, "data");
    }

    /** An X.509 certificate, DER-encoded. */
    public static CertPayload x509(Octets der) {
        return new CertPayload(CertEncoding.Known.X509_SIGNATURE, der);
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.CERT;
    }
}
