package net.palisade.model.wire.ikev2;

import java.util.HexFormat;

/**
 * The fixed IKE header (RFC 7296 section 3.1), without the two fields that the encoder derives from the payloads:
 * Next Payload and Length. The decoder checks both (Length must equal the datagram's length; Next Payload starts the
 * chain), so re-encoding a decoded message gives back the same bytes.
 *
 * <p>The major version is always 2 (anything else is rejected by the decoder); the minor version is kept as received
 * (senders set 0; receivers ignore it). {@code flags} is the raw flags octet, reserved bits included, so that it
 * round-trips; use {@link #initiator()}, {@link #response()} and {@link #higherVersion()} to read it.
 *
 * @param initiatorSpi IKE SA initiator's SPI (8 octets, never 0 on a valid message)
 * @param responderSpi IKE SA responder's SPI (0 in the first IKE_SA_INIT request)
 * @param minorVersion 0-15
 * @param exchangeType the exchange
 * @param flags        the flags octet: I {@code 0x08}, V {@code 0x10}, R {@code 0x20}
 * @param messageId    0 to 2^32-1
 */
public record IkeHeader(long initiatorSpi, long responderSpi, int minorVersion, ExchangeType exchangeType, int flags,
        long messageId) {

    /** Length of the fixed header in octets. */
    public static final int LENGTH = 28;
    /** The major version this codec speaks. */
    public static final int MAJOR_VERSION = 2;
    /** I: set by the original initiator of the IKE SA. */
    public static final int FLAG_INITIATOR = 0x08;
    /** V: the sender can speak a higher major version. */
    public static final int FLAG_VERSION = 0x10;
    /** R: this message is a response. */
    public static final int FLAG_RESPONSE = 0x20;

    /** Validates the ranges of the fixed-size fields. */
    public IkeHeader {
        if (minorVersion < 0 || minorVersion > 15) {
            throw new IllegalArgumentException("minor version " + minorVersion + " does not fit 4 bits");
        }
        if (flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("flags " + flags + " do not fit one octet");
        }
        if (messageId < 0 || messageId > 0xffff_ffffL) {
            throw new IllegalArgumentException("message ID " + messageId + " does not fit 32 bits");
        }
        java.util.Objects.requireNonNull(exchangeType, "exchangeType");
    }

    /**
     * A request header (R clear), version 2.0.
     *
     * @param fromOriginalInitiator whether the sender initiated the IKE SA (sets I)
     */
    public static IkeHeader request(long initiatorSpi, long responderSpi, ExchangeType exchangeType, long messageId,
            boolean fromOriginalInitiator) {
        return new IkeHeader(initiatorSpi, responderSpi, 0, exchangeType,
                fromOriginalInitiator ? FLAG_INITIATOR : 0, messageId);
    }

    /**
     * A response header (R set), version 2.0.
     *
     * @param fromOriginalInitiator whether the sender initiated the IKE SA (sets I)
     */
    public static IkeHeader response(long initiatorSpi, long responderSpi, ExchangeType exchangeType, long messageId,
            boolean fromOriginalInitiator) {
        return new IkeHeader(initiatorSpi, responderSpi, 0, exchangeType,
                FLAG_RESPONSE | (fromOriginalInitiator ? FLAG_INITIATOR : 0), messageId);
    }

    /** The I flag: sent by the original initiator of the IKE SA. */
    public boolean initiator() {
        return (flags & FLAG_INITIATOR) != 0;
    }

    /** The R flag: this is a response. */
    public boolean response() {
        return (flags & FLAG_RESPONSE) != 0;
    }

    /** The V flag: the sender speaks a higher major version than 2. */
    public boolean higherVersion() {
        return (flags & FLAG_VERSION) != 0;
    }

    /** The same header with another responder SPI. */
    public IkeHeader withResponderSpi(long spi) {
        return new IkeHeader(initiatorSpi, spi, minorVersion, exchangeType, flags, messageId);
    }

    /** The same header with another message ID. */
    public IkeHeader withMessageId(long id) {
        return new IkeHeader(initiatorSpi, responderSpi, minorVersion, exchangeType, flags, id);
    }

    /** SPIs in hex, exchange, flags and message ID, e.g. {@code IKE_SA_INIT request I 0123...:0000... #0}. */
    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        StringBuilder sb = new StringBuilder()
                .append(exchangeType.name()).append(response() ? " response" : " request");
        if (initiator()) {
            sb.append(" I");
        }
        if (higherVersion()) {
            sb.append(" V");
        }
        return sb.append(' ').append(hex.toHexDigits(initiatorSpi)).append(':').append(hex.toHexDigits(responderSpi))
                .append(" #").append(messageId).toString();
    }
}
