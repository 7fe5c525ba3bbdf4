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

    /*
     * Loops, not streams: an IKE setup asks a message for its payloads some dozens of times (each notify type,
     * each payload class), and a stream pipeline per question was a measurable share of the responder's
     * collection and stream samples (docs/benchmarks.md, issue 14).
     */

    /** All payloads of class {@code type}, in order. */
    public <P extends Payload> List<P> all(Class<P> type) {
        List<P> out = null;
        for (Payload p : payloads) {
            if (type.isInstance(p)) {
                if (out == null) {
                    out = new java.util.ArrayList<>(2);
                }
                out.add(type.cast(p));
            }
        }
        return out == null ? List.of() : java.util.Collections.unmodifiableList(out);
    }

    /** The first payload of class {@code type}. */
    public <P extends Payload> Optional<P> first(Class<P> type) {
        for (Payload p : payloads) {
            if (type.isInstance(p)) {
                return Optional.of(type.cast(p));
            }
        }
        return Optional.empty();
    }

    /** All Notify payloads, in order. */
    public List<NotifyPayload> notifies() {
        return all(NotifyPayload.class);
    }

    /** The first Notify payload of {@code type}. */
    public Optional<NotifyPayload> notify(NotifyType type) {
        for (Payload p : payloads) {
            if (p instanceof NotifyPayload n && n.notifyType().equals(type)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /** True if the message carries an SK or SKF payload. */
    public boolean encrypted() {
        for (Payload p : payloads) {
            if (p instanceof SkPayload || p instanceof SkfPayload) {
                return true;
            }
        }
        return false;
    }
}
