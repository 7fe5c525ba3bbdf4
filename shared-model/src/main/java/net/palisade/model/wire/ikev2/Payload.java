package net.palisade.model.wire.ikev2;

/**
 * One IKEv2 payload (RFC 7296 section 3.2 onwards): one record type per payload type, plus {@link UnsupportedPayload}
 * for the types this codec does not model. The generic payload header (next payload, critical bit, length) is not
 * part of the value: the encoder derives it from the chain.
 *
 * <p>The critical bit is kept only on {@link UnsupportedPayload}: for the payloads defined in RFC 7296 senders must
 * clear it and receivers that know the type must ignore it.
 */
public sealed interface Payload permits SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload, AuthPayload,
        NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload, TsPayload, SkPayload, SkfPayload, CpPayload,
        UnsupportedPayload {

    /** The payload type, as the previous payload's Next Payload field names it. */
    PayloadType type();

    /** The critical bit to send: false except for an {@link UnsupportedPayload} that had it set. */
    default boolean critical() {
        return false;
    }
}
