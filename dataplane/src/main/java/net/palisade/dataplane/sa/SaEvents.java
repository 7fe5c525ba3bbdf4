package net.palisade.dataplane.sa;

/**
 * What the dataplane tells the control plane about an SA's life. Called on a worker thread, at most once per SA and
 * event: return quickly and never block (hand the event to an actor or a queue).
 */
public interface SaEvents {

    /** Ignores every event. */
    SaEvents NONE = new SaEvents() {
    };

    /** The outbound SA reached its soft sequence limit: rekey now, traffic still flows. */
    default void outboundSoftLimit(String label, long spi) {
    }

    /**
     * The outbound SA carried the bytes its negotiated lifetime allows before a replacement is due (an IKEv1 peer's
     * kilobyte lifetime, {@link OutboundSa#limitBytes}): rekey now, traffic still flows.
     */
    default void outboundByteLimit(String label, long spi) {
    }

    /** The outbound SA used up its sequence numbers: it sends nothing more until replaced (RFC 4303 3.3.3). */
    default void outboundExhausted(String label, long spi) {
    }
}
