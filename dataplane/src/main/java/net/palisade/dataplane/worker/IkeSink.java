package net.palisade.dataplane.worker;

import java.net.InetSocketAddress;

/**
 * Receives the IKE messages that arrive on the workers' UDP port 4500 behind the non-ESP marker (RFC 3948
 * Section 2.2). Called on a worker thread: return quickly, never block (hand the message to the control plane).
 */
@FunctionalInterface
public interface IkeSink {

    /** Drops every message. */
    IkeSink DISCARD = (from, local, message) -> { };

    /**
     * @param from the sender's address and port
     * @param local the address and port of the socket it arrived on (may be a wildcard address)
     * @param message the IKE message, without the four-octet marker; the callee owns the array
     */
    void ike(InetSocketAddress from, InetSocketAddress local, byte[] message);
}
