package net.palisade.model.wire.ikev1;

import java.util.Locale;

/** Every reject branch of the IKEv1 decoder, each with its counter {@code ikev1.decode.<reason>}. */
public enum Ikev1RejectReason {
    /** Larger than 65535 octets. Checked first. */
    DATAGRAM_TOO_LONG,
    /** Shorter than the 28-octet header. */
    DATAGRAM_TOO_SHORT,
    /** Header Length differs from the datagram's length. */
    LENGTH_MISMATCH,
    /** Major version other than 1. */
    UNSUPPORTED_MAJOR_VERSION,
    /** Initiator cookie 0. */
    ZERO_INITIATOR_COOKIE,
    /** E flag with nothing after the header. */
    ENCRYPTED_EMPTY,
    /** More payloads than the limit. */
    TOO_MANY_PAYLOADS,
    /** A generic header or payload runs past the end. */
    PAYLOAD_TRUNCATED,
    /** A payload shorter than its type's fixed part. */
    PAYLOAD_TOO_SHORT,
    /** Octets after the last payload of a message in clear, or over 255 octets of padding after decrypted ones. */
    TRAILING_BYTES,
    /** A proposal or transform outside an SA payload. */
    MISPLACED_SUBSTRUCTURE,
    /** An SA whose DOI is not IPsec (1). */
    UNSUPPORTED_DOI,
    /** A situation other than SIT_IDENTITY_ONLY (labeled domains are not supported). */
    UNSUPPORTED_SITUATION,
    /** An SA without proposals. */
    SA_EMPTY,
    /** More proposals than the limit. */
    TOO_MANY_PROPOSALS,
    /** A proposal with a bad length, marker or SPI size. */
    PROPOSAL_MALFORMED,
    /** More transforms than the limit. */
    TOO_MANY_TRANSFORMS,
    /** A transform with a bad length or marker. */
    TRANSFORM_MALFORMED,
    /** A transform count that differs from the transforms present. */
    TRANSFORM_COUNT_MISMATCH,
    /** An attribute running past its container, or more attributes than the limit. */
    ATTRIBUTE_MALFORMED,
    /** KE, HASH, SIG, CERT or NAT-D without data. */
    EMPTY_PAYLOAD,
    /** A nonce shorter than 8 or longer than 256 octets (RFC 2409 section 5). */
    NONCE_LENGTH,
    /** Identification data that does not fit its type. */
    ID_MALFORMED,
    /** A notification whose SPI runs past the payload. */
    NOTIFY_MALFORMED,
    /** A delete whose SPIs do not fill the payload or do not fit the protocol. */
    DELETE_MALFORMED,
    /** A NAT-OA that is not an IPv4 or IPv6 address. */
    NAT_OA_MALFORMED;

    private final String counter = "ikev1.decode." + name().toLowerCase(Locale.ROOT);

    /** The counter this branch increments. */
    public String counter() {
        return counter;
    }
}
