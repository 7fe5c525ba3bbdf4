package net.palisade.model.wire.ikev1;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.wire.Octets;

/**
 * An IKEv1 message: in clear (header and payloads) or encrypted (header, the type of the first payload, and the
 * ciphertext that the engine decrypts and hands to {@link Ikev1Codec#decodePayloads}).
 */
public sealed interface Ikev1Message permits Ikev1Message.Plain, Ikev1Message.Encrypted {

    /** The header. */
    Ikev1Header header();

    /**
     * A message in clear.
     *
     * @param header   header without the E flag
     * @param payloads payloads in wire order
     */
    record Plain(Ikev1Header header, List<Ikev1Payload> payloads) implements Ikev1Message {
        /** Copies the list; refuses a header with the E flag. */
        public Plain {
            Objects.requireNonNull(header, "header");
            if (header.encrypted()) {
                throw new IllegalArgumentException("a message in clear has no E flag");
            }
            payloads = List.copyOf(payloads);
        }

        /** The first payload of class {@code type}. */
        public <P extends Ikev1Payload> Optional<P> first(Class<P> type) {
            return payloads.stream().filter(type::isInstance).map(type::cast).findFirst();
        }

        /** All payloads of class {@code type}. */
        public <P extends Ikev1Payload> List<P> all(Class<P> type) {
            return payloads.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    /**
     * An encrypted message (E flag): everything after the header is ciphertext, padded to the cipher's block.
     *
     * @param header       header with the E flag
     * @param firstPayload the header's Next Payload: the type of the first encrypted payload
     * @param ciphertext   the octets after the header
     */
    record Encrypted(Ikev1Header header, Ikev1PayloadType firstPayload, Octets ciphertext) implements Ikev1Message {
        /** Refuses a header without the E flag. */
        public Encrypted {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(firstPayload, "firstPayload");
            Objects.requireNonNull(ciphertext, "ciphertext");
            if (!header.encrypted()) {
                throw new IllegalArgumentException("an encrypted message has the E flag");
            }
        }
    }
}
