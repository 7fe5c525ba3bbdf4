package net.palisade.model.wire.ikev1;

import java.util.HexFormat;
import java.util.Objects;

/**
 * The ISAKMP header (RFC 2408 section 3.1) without Next Payload and Length, which the encoder derives (the decoder
 * checks them: Length must equal the datagram's length). Major version is always 1; {@code flags} is the raw flags
 * octet: Encryption {@code 0x01}, Commit {@code 0x02}, Authentication Only {@code 0x04}.
 *
 * @param initiatorCookie initiator's cookie (SPI), never 0 on a valid message
 * @param responderCookie responder's cookie, 0 in the first message
 * @param minorVersion    0-15
 * @param exchangeType    the exchange
 * @param flags           the flags octet
 * @param messageId       0 in phase 1, random in phase 2 and informational exchanges
 */
public record Ikev1Header(long initiatorCookie, long responderCookie, int minorVersion, Ikev1ExchangeType exchangeType,
        int flags, long messageId) {
    /** Length of the header in octets. */
    public static final int LENGTH = 28;
    /** The major version of ISAKMP. */
    public static final int MAJOR_VERSION = 1;
    /** E: the payloads are encrypted. */
    public static final int FLAG_ENCRYPTION = 0x01;
    /** C: commit. */
    public static final int FLAG_COMMIT = 0x02;
    /** A: authentication only. */
    public static final int FLAG_AUTHENTICATION_ONLY = 0x04;

    /** Validates the ranges. */
    public Ikev1Header {
        Objects.requireNonNull(exchangeType, "exchangeType");
        if (minorVersion < 0 || minorVersion > 15 || flags < 0 || flags > 0xff || messageId < 0
                || messageId > 0xffff_ffffL) {
            throw new IllegalArgumentException("minor version, flags or message ID out of range");
        }
    }

    /** The E flag. */
    public boolean encrypted() {
        return (flags & FLAG_ENCRYPTION) != 0;
    }

    /** The C flag. */
    public boolean commit() {
        return (flags & FLAG_COMMIT) != 0;
    }

    /** Exchange, cookies and message ID, e.g. {@code QUICK_MODE E 0123...:4567... #129763492}. */
    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return exchangeType.name() + (encrypted() ? " E " : " ") + hex.toHexDigits(initiatorCookie) + ":"
                + hex.toHexDigits(responderCookie) + " #" + messageId;
    }
}
