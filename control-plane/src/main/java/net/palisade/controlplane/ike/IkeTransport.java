package net.palisade.controlplane.ike;

/**
 * Where IKE datagrams leave the node: {@link UdpIkeTransport} (port 500 socket, port 4500 through the dataplane), or
 * an in-memory fake in tests. What arrives goes to an {@link net.palisade.dataplane.worker.IkeSink} (the
 * {@link IkeDispatcher}'s), for both ports alike.
 */
interface IkeTransport extends AutoCloseable {

    /** Sends nothing: for a node whose transport is not open yet. */
    IkeTransport NONE = s -> { };

    /**
     * Sends one message: from port 4500 with the non-ESP marker, a NAT-T keepalive as its one octet, else from port
     * 500. Never throws and never waits long: a failure is logged (the first to a destination) and counted (the
     * engine retransmits).
     */
    void send(IkeOutput.Send s);

    /** Its counters ({@code ike.send-failed}, {@link SendFailures}), each once nonzero. */
    default java.util.Map<String, Long> counters() {
        return java.util.Map.of();
    }

    /** Stops receiving and closes the sockets it owns. */
    @Override
    default void close() {
    }
}
