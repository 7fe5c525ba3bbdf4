package net.palisade.model.wire.ikev2;

import java.util.Locale;

/**
 * Every reject branch of the IKEv2 decoder, each with the name of the counter that operators read. A decode result
 * carries one of these and a detail string; the engine increments {@link #counter()} and logs the detail.
 *
 * <p>Counters are named {@code ikev2.decode.<reason>}, e.g. {@code ikev2.decode.length_mismatch}.
 */
public enum RejectReason {
    /** The datagram is larger than the configured limit (64 KB by default). Checked first. */
    DATAGRAM_TOO_LONG,
    /** Shorter than the 28-byte IKE header. */
    DATAGRAM_TOO_SHORT,
    /** The header's Length field differs from the datagram's length. */
    LENGTH_MISMATCH,
    /** Major version other than 2 (1 is IKEv1, which the IKEv1 codec reads; higher ones are unknown). */
    UNSUPPORTED_MAJOR_VERSION,
    /** The initiator's SPI is zero, which RFC 7296 section 3.1 forbids. */
    ZERO_INITIATOR_SPI,
    /** More payloads in one chain than the limit. */
    TOO_MANY_PAYLOADS,
    /** A generic payload header, or a payload, runs past the end of the message. */
    PAYLOAD_TRUNCATED,
    /** A payload's length is shorter than its type's fixed part (or its generic header). */
    PAYLOAD_TOO_SHORT,
    /** Bytes left over after the payload marked last. */
    TRAILING_BYTES,
    /** An SK or SKF payload that is not the last payload, or more than one of them. */
    ENCRYPTED_NOT_LAST,
    /** SK or SKF inside an encrypted payload. */
    NESTED_ENCRYPTED,
    /** A payload type this codec does not implement, with the critical bit set (RFC 7296 section 2.5). */
    UNSUPPORTED_CRITICAL_PAYLOAD,
    /** An SA payload without proposals. */
    SA_EMPTY,
    /** More proposals in one SA payload than the limit. */
    TOO_MANY_PROPOSALS,
    /** A proposal substructure with a bad length or last-substructure marker. */
    PROPOSAL_MALFORMED,
    /** Proposal numbers not 1, 2, 3... in a request, or not exactly one proposal in a response. */
    PROPOSAL_NUMBERING,
    /** A SPI size that does not fit the protocol (IKE 0 or 8, AH and ESP 4). */
    BAD_SPI_SIZE,
    /** More transforms in one proposal than the limit. */
    TOO_MANY_TRANSFORMS,
    /** A transform substructure with a bad length or last-substructure marker. */
    TRANSFORM_MALFORMED,
    /** The proposal's transform count differs from the transforms present. */
    TRANSFORM_COUNT_MISMATCH,
    /** A data attribute runs past its transform, or more attributes than the limit. */
    ATTRIBUTE_MALFORMED,
    /** Key exchange data whose length does not match its group. */
    KE_MALFORMED,
    /** Nonce shorter than 16 or longer than 256 bytes (RFC 7296 section 3.9). */
    NONCE_LENGTH,
    /** Identification data that does not fit its type (IPv4 4 bytes, IPv6 16, names not empty). */
    ID_MALFORMED,
    /** A CERT payload without data. */
    CERT_MALFORMED,
    /** AUTH without data, or an RFC 7427 signature whose lengths do not add up. */
    AUTH_MALFORMED,
    /** A Notify whose SPI runs past the payload, or whose data does not fit its type. */
    NOTIFY_MALFORMED,
    /** A Delete payload whose SPI size or count does not fit its length or protocol. */
    DELETE_MALFORMED,
    /** A traffic selector with a bad length, or a count that differs from the selectors present. */
    TS_MALFORMED,
    /** More traffic selectors than the limit. */
    TOO_MANY_SELECTORS,
    /** An SKF payload numbered 0, or above its total. */
    FRAGMENT_NUMBERING,
    /** A configuration attribute runs past the payload, or more attributes than the limit. */
    CP_MALFORMED,
    /** The message has no SK payload where one is needed. */
    NO_ENCRYPTED_PAYLOAD,
    /** The SK or SKF payload is too short for its IV, at least one byte of ciphertext, and its ICV. */
    ENCRYPTED_TOO_SHORT,
    /** The decrypted pad length is longer than the plaintext. */
    BAD_PADDING;

    private final String counter = "ikev2.decode." + name().toLowerCase(Locale.ROOT);

    /** The counter this branch increments, {@code ikev2.decode.<reason>}. */
    public String counter() {
        return counter;
    }
}
