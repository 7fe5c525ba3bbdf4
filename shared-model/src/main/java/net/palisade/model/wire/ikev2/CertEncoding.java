package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 certificate encodings (IANA "IKEv2 Certificate Encodings"; RFC 7296 section 3.6), used by CERT and CERTREQ
 * payloads.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface CertEncoding permits CertEncoding.Known, CertEncoding.Unknown {
    /** Largest value the field holds (8 bits). */
    int MAX_VALUE = 0xff;

    /** The number on the wire. */
    int value();

    /** The registry name of a known value, or {@code UNKNOWN(n)}. */
    String name();

    /**
     * The known constant for {@code value}, else an {@link Unknown} carrying it.
     *
     * @throws IllegalArgumentException if {@code value} does not fit the 8-bit field
     */
    static CertEncoding of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** The values this codec names. */
    enum Known implements CertEncoding {
        /** PKCS #7 wrapped X.509 certificate (1). */
        PKCS7_X509(1),
        /** PGP Certificate (2). */
        PGP(2),
        /** DNS Signed Key (3). */
        DNS_SIGNED_KEY(3),
        /** X.509 Certificate - Signature (4): DER certificate; in CERTREQ, SHA-1 hashes of CA public keys. */
        X509_SIGNATURE(4),
        /** Kerberos Token (6). */
        KERBEROS_TOKEN(6),
        /** Certificate Revocation List (7). */
        CRL(7),
        /** Authority Revocation List (8). */
        ARL(8),
        /** SPKI Certificate (9). */
        SPKI(9),
        /** X.509 Certificate - Attribute (10). */
        X509_ATTRIBUTE(10),
        /** Raw RSA Key (11), deprecated. */
        RAW_RSA_KEY(11),
        /** Hash and URL of X.509 certificate (12). */
        HASH_URL_X509_CERT(12),
        /** Hash and URL of X.509 bundle (13). */
        HASH_URL_X509_BUNDLE(13),
        /** OCSP Content (14, RFC 4806). */
        OCSP_CONTENT(14),
        /** Raw Public Key (15, RFC 7670). */
        RAW_PUBLIC_KEY(15);

        private static final Map<Integer, Known> BY_VALUE = new HashMap<>();

        static {
            for (Known k : values()) {
                BY_VALUE.put(k.value, k);
            }
        }

        private final int value;

        Known(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /**
     * A number without a name here. Never holds a known number:
     * {@link CertEncoding#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements CertEncoding {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("CertEncoding " + value + " does not fit 8 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "CertEncoding " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
            }
        }

        @Override
        public String name() {
            return "UNKNOWN(" + value + ")";
        }

        /** {@code UNKNOWN(n)}. */
        @Override
        public String toString() {
            return name();
        }
    }
}
