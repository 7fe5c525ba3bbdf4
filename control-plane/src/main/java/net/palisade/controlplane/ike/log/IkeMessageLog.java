package net.palisade.controlplane.ike.log;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.palisade.controlplane.ike.MessageTrace;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Payload;

/**
 * The last {@link #PER_TUNNEL} IKEv2 messages of each tunnel, summarized when they pass ({@link MessageSummary}):
 * what {@code palisade ike-log LABEL} shows. Kept in memory only, lost at a restart; a few hundred octets per
 * message, so a tunnel costs at most about 20 KB.
 */
public final class IkeMessageLog implements MessageTrace {
    /** Messages kept per tunnel, the oldest dropped first. */
    public static final int PER_TUNNEL = 64;

    /**
     * One message.
     *
     * @param time    when it was sent or accepted
     * @param sent    we sent it (else we received it)
     * @param peer    the peer's address and port
     * @param summary what it held
     */
    public record Entry(Instant time, boolean sent, String peer, MessageSummary.Summary summary) {}

    private final Clock clock;
    private final Map<String, ArrayDeque<Entry>> tunnels = new ConcurrentHashMap<>();

    public IkeMessageLog(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void message(String label, boolean sent, InetSocketAddress peer, IkeHeader header,
            List<Payload> payloads) {
        Entry e = new Entry(clock.instant(), sent, peer == null ? "" : peer.getAddress().getHostAddress() + ":"
                + peer.getPort(), MessageSummary.of(header, payloads));
        ArrayDeque<Entry> q = tunnels.computeIfAbsent(label, l -> new ArrayDeque<>());
        synchronized (q) {
            if (q.size() == PER_TUNNEL) {
                q.removeFirst();
            }
            q.addLast(e);
        }
    }

    /** The messages of {@code label} kept now, oldest first; empty for a tunnel that exchanged none. */
    public List<Entry> of(String label) {
        ArrayDeque<Entry> q = tunnels.get(label);
        if (q == null) {
            return List.of();
        }
        synchronized (q) {
            return List.copyOf(q);
        }
    }
}
