package net.palisade.model.wire.ikev2;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An IKEv2 message: header and payload chain. For an encrypted message the chain ends with an {@link SkPayload} (or
 * is a single {@link SkfPayload}) whose content stays opaque until the engine decrypts it; the decrypted inner
 * payloads can be paired with the header again through {@link #withPayloads(List)}.
 *
 * @param header   the fixed header
 * @param payloads the payloads in wire order
 */
public record IkeMessage(IkeHeader header, List<Payload> payloads) {

    /** Copies the payload list. */
    public IkeMessage {
        Objects.requireNonNull(header, "header");
        payloads = List.copyOf(payloads);
    }

    /** A message of {@code header} and {@code payloads}. */
    public static IkeMessage of(IkeHeader header, Payload... payloads) {
        return new IkeMessage(header, List.of(payloads));
    }

    /** The same header with other payloads (typically the inner payloads of the SK payload). */
    public IkeMessage withPayloads(List<Payload> inner) {
        return new IkeMessage(header, inner);
    }

    /** All payloads of class {@code type}, in order. */
    public <P extends Payload> List<P> all(Class<P> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The first payload of class {@code type}. */
    public <P extends Payload> Optional<P> first(Class<P> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    /** All Notify payloads, in order. */
    public List<NotifyPayload> notifies() {
        return all(NotifyPayload.class);
    }

    /** The first Notify payload of {@code type}. */
    public Optional<NotifyPayload> notify(NotifyType type) {
        return notifies().stream().filter(n -> n.notifyType().equals(type)).findFirst();
    }

    /** True if the message carries an SK or SKF payload. */
    public boolean encrypted() {
        return payloads.stream().anyMatch(p -> p instanceof SkPayload || p instanceof SkfPayload);
    }
}
