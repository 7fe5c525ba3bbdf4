package net.palisade.model.wire.ikev2;

import java.util.Optional;
import net.palisade.model.wire.Octets;

/**
 * Authentication payload (RFC 7296 section 3.8): method and authentication data. The decoder refuses empty data and,
 * for {@link AuthMethod.Known#DIGITAL_SIGNATURE}, data whose RFC 7427 lengths do not add up.
 *
 * @param method authentication method
 * @param data   authentication data (a MAC for PSK, a signature, or an RFC 7427 structure)
 */
public record AuthPayload(AuthMethod method, Octets data) implements Payload {

    /** Checks the parts are present. */
    public AuthPayload {
        java.util.Objects.requireNonNull(method, "method");
        java.util.Objects.requireNonNull(data, "data");
    }

    /** An RFC 7427 Digital Signature (method 14) AUTH payload. */
    public static AuthPayload of(DigitalSignature signature) {
        return new AuthPayload(AuthMethod.Known.DIGITAL_SIGNATURE, signature.encode());
    }

    /** The RFC 7427 structure, if the method is Digital Signature (14) and the lengths add up. */
    public Optional<DigitalSignature> digitalSignature() {
        return method == AuthMethod.Known.DIGITAL_SIGNATURE ? DigitalSignature.parse(data) : Optional.empty();
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.AUTH;
    }

    /**
     * The authentication data of method 14 (RFC 7427 section 3): a one-octet length, the DER AlgorithmIdentifier
     * of that length, then the signature.
     *
     * @param algorithmIdentifier DER-encoded AlgorithmIdentifier, 1-255 octets
     * @param signature           the signature value, at least one octet
     */
    public record DigitalSignature(Octets algorithmIdentifier, Octets signature) {

        /** Validates the lengths. */
        public DigitalSignature {
            if (algorithmIdentifier.isEmpty() || algorithmIdentifier.length() > 255) {
                throw new IllegalArgumentException("AlgorithmIdentifier of " + algorithmIdentifier.length()
                        + " octets; RFC 7427 allows 1-255");
            }
            if (signature.isEmpty()) {
                throw new IllegalArgumentException("empty signature");
            }
        }

        /** Parses the structure; empty if the lengths do not add up. */
        public static Optional<DigitalSignature> parse(Octets data) {
            if (data.length() < 2) {
                return Optional.empty();
            }
            int n = data.get(0);
            if (n == 0 || data.length() < 1 + n + 1) {
                return Optional.empty();
            }
            return Optional.of(new DigitalSignature(data.slice(1, 1 + n), data.slice(1 + n, data.length())));
        }

        /** Length octet, AlgorithmIdentifier, signature. */
        public Octets encode() {
            byte[] b = new byte[1 + algorithmIdentifier.length() + signature.length()];
            b[0] = (byte) algorithmIdentifier.length();
            algorithmIdentifier.copyTo(b, 1);
            signature.copyTo(b, 1 + algorithmIdentifier.length());
            return Octets.of(b);
        }
    }
}
