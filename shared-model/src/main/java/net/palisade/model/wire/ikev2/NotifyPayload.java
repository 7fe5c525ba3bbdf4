package net.palisade.model.wire.ikev2;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.Octets;

/**
 * Notify payload (RFC 7296 section 3.10): protocol, SPI, notify type, data. A notify about the IKE SA or about no SA
 * has protocol {@link ProtocolId.Known#NONE} (or IKE) and no SPI; one about a Child SA names ESP or AH and its
 * 4-octet SPI.
 *
 * <p>The decoder checks the data length of the types whose data RFC 7296 and its extensions fix:
 * NAT_DETECTION_*_IP (20 octets), INVALID_KE_PAYLOAD (2), COOKIE (1-64), SIGNATURE_HASH_ALGORITHMS (an even
 * number), SET_WINDOW_SIZE (4), UNSUPPORTED_CRITICAL_PAYLOAD (1). The typed accessors below read those data.
 *
 * @param protocol   protocol of the SA concerned; the protocol field is kept as received
 * @param spi        SPI of the SA concerned, usually empty
 * @param notifyType the notify message type
 * @param data       notification data
 */
public record NotifyPayload(ProtocolId protocol, Octets spi, NotifyType notifyType, Octets data) implements Payload {

    /** Validates the SPI size and that the parts are present. */
    public NotifyPayload {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(notifyType, "notifyType");
        Objects.requireNonNull(data, "data");
        if (spi.length() > 255) {
            throw new IllegalArgumentException("SPI of " + spi.length() + " octets is too long");
        }
    }

    /** A notify about no particular SA: protocol 0, no SPI. */
    public static NotifyPayload of(NotifyType type, Octets data) {
        return new NotifyPayload(ProtocolId.Known.NONE, Octets.empty(), type, data);
    }

    /** A notify without data about no particular SA. */
    public static NotifyPayload of(NotifyType type) {
        return of(type, Octets.empty());
    }

    /** A notify about a Child SA (e.g. REKEY_SA, CHILD_SA_NOT_FOUND): ESP or AH and its SPI. */
    public static NotifyPayload childSa(NotifyType type, ProtocolId protocol, long spi, Octets data) {
        return new NotifyPayload(protocol, Octets.ofUnsigned(spi, 4), type, data);
    }

    /** INVALID_KE_PAYLOAD naming the group the responder accepts. */
    public static NotifyPayload invalidKe(DhGroup accepted) {
        return of(NotifyType.Known.INVALID_KE_PAYLOAD, Octets.ofUnsigned(accepted.ikev2Id(), 2));
    }

    /** SIGNATURE_HASH_ALGORITHMS listing {@code algorithms}. */
    public static NotifyPayload signatureHashAlgorithms(List<HashAlgorithm> algorithms) {
        byte[] b = new byte[algorithms.size() * 2];
        for (int i = 0; i < algorithms.size(); i++) {
            b[2 * i] = (byte) (algorithms.get(i).value() >>> 8);
            b[2 * i + 1] = (byte) algorithms.get(i).value();
        }
        return of(NotifyType.Known.SIGNATURE_HASH_ALGORITHMS, Octets.of(b));
    }

    /** UNSUPPORTED_CRITICAL_PAYLOAD naming the payload type. */
    public static NotifyPayload unsupportedCritical(int payloadType) {
        return of(NotifyType.Known.UNSUPPORTED_CRITICAL_PAYLOAD, Octets.of((byte) payloadType));
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.NOTIFY;
    }

    /** True for error types (below 16384). */
    public boolean isError() {
        return notifyType.isError();
    }

    /** For INVALID_KE_PAYLOAD: the group number the responder wants. */
    public OptionalInt acceptedGroup() {
        if (notifyType == NotifyType.Known.INVALID_KE_PAYLOAD && data.length() == 2) {
            return OptionalInt.of((int) data.toUnsignedLong());
        }
        return OptionalInt.empty();
    }

    /** For SIGNATURE_HASH_ALGORITHMS: the hash algorithms, in order. */
    public Optional<List<HashAlgorithm>> hashAlgorithms() {
        if (notifyType != NotifyType.Known.SIGNATURE_HASH_ALGORITHMS || data.length() % 2 != 0) {
            return Optional.empty();
        }
        List<HashAlgorithm> out = new ArrayList<>();
        for (int i = 0; i < data.length(); i += 2) {
            out.add(HashAlgorithm.of((data.get(i) << 8) | data.get(i + 1)));
        }
        return Optional.of(List.copyOf(out));
    }

    /** For UNSUPPORTED_CRITICAL_PAYLOAD: the payload type the peer refused. */
    public OptionalInt unsupportedPayloadType() {
        if (notifyType == NotifyType.Known.UNSUPPORTED_CRITICAL_PAYLOAD && data.length() == 1) {
            return OptionalInt.of(data.get(0));
        }
        return OptionalInt.empty();
    }

    /** The SPI as an unsigned number (0 when empty; SPIs up to 8 octets). */
    public long spiValue() {
        return spi.length() <= 8 ? spi.toUnsignedLong() : 0;
    }

    /**
     * Checks the data length for the types whose data is fixed; empty if fine, else the problem.
     */
    static Optional<String> checkData(NotifyType type, int length) {
        if (!(type instanceof NotifyType.Known k)) {
            return Optional.empty();
        }
        boolean ok = switch (k) {
            case NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP -> length == 20;
            case INVALID_KE_PAYLOAD -> length == 2;
            case COOKIE -> length >= 1 && length <= 64;
            case SIGNATURE_HASH_ALGORITHMS -> length % 2 == 0;
            case SET_WINDOW_SIZE -> length == 4;
            case UNSUPPORTED_CRITICAL_PAYLOAD -> length == 1;
            default -> true;
        };
        return ok ? Optional.empty() : Optional.of(k.name() + " with " + length + " octets of data");
    }
}
