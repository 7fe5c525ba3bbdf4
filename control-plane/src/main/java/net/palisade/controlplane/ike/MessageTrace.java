package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.util.List;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Payload;

/**
 * Told every IKEv2 message an {@link IkeSession} sends (as built, before encryption) or accepts (as decoded, after
 * decryption and reassembly): what {@code palisade ike-log} shows. The payloads include nonces, public key exchange
 * values and AUTH data, never an SA key; a trace keeps what it shows, not the payloads.
 *
 * <p>Called on the session's thread in the middle of an input: it must be quick and must not throw.
 */
@FunctionalInterface
public interface MessageTrace {
    /** No trace. */
    MessageTrace NONE = (label, sent, peer, header, payloads) -> {};

    /**
     * One message.
     *
     * @param label    the tunnel
     * @param sent     we sent it (else we received it)
     * @param peer     the peer's address and port
     * @param header   its header
     * @param payloads its payloads (the inner ones of an encrypted message)
     */
    void message(String label, boolean sent, InetSocketAddress peer, IkeHeader header, List<Payload> payloads);
}
