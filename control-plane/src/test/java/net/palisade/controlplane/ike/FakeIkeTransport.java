package net.palisade.controlplane.ike;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory {@link IkeTransport} (as wireguard-go's {@code conn/bindtest}): what the code under test sends is kept
 * in order for the test to read; nothing touches a socket.
 */
final class FakeIkeTransport implements IkeTransport {
    final List<IkeOutput.Send> sent = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public void send(IkeOutput.Send s) {
        if (!closed) {
            sent.add(s);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
