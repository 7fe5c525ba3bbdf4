package net.palisade.model.wire.ikev2;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.model.wire.Octets;

/**
 * Certificate Request payload (RFC 7296 section 3.7): encoding and certification authority data. For X.509 the
 * data is a concatenation of 20-octet SHA-1 hashes of trusted CAs' public keys (it may be empty).
 *
 * @param encoding certificate encoding
 * @param data     the certification authority data
 */
public record CertReqPayload(CertEncoding encoding, Octets data) implements Payload {
    /** Length of one SHA-1 key hash. */
    public static final int SHA1_LENGTH = 20;

    /** Checks the parts are present. */
    public CertReqPayload {
        java.util.Objects.requireNonNull(encoding, "encoding");
        java.util.Objects.requireNonNull(data, "data");
    }

    /** An X.509 request listing the SHA-1 hashes of trusted CAs' public keys. */
    public static CertReqPayload x509(List<Octets> keyHashes) {
        byte[] b = new byte[keyHashes.size() * SHA1_LENGTH];
        for (int i = 0; i < keyHashes.size(); i++) {
            if (keyHashes.get(i).length() != SHA1_LENGTH) {
                throw new IllegalArgumentException("a CA key hash is 20 octets, not " + keyHashes.get(i).length());
            }
            keyHashes.get(i).copyTo(b, i * SHA1_LENGTH);
        }
        return new CertReqPayload(CertEncoding.Known.X509_SIGNATURE, Octets.of(b));
    }

    /** The CA key hashes, if the encoding is X509_SIGNATURE and the data is a whole number of them. */
    public Optional<List<Octets>> authorityKeyHashes() {
        if (encoding != CertEncoding.Known.X509_SIGNATURE || data.length() % SHA1_LENGTH != 0) {
            return Optional.empty();
        }
        List<Octets> out = new ArrayList<>();
        for (int i = 0; i < data.length(); i += SHA1_LENGTH) {
            out.add(data.slice(i, i + SHA1_LENGTH));
        }
        return Optional.of(List.copyOf(out));
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.CERTREQ;
    }
}
