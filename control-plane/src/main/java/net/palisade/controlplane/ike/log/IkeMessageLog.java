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
 * The last {@link #PER_TUNNEL} IKEv2 messages of each tunnel: what {@code palisade ike-log LABEL} shows. A message is
 * kept as the engine saw it (header and decoded payloads, which hold no keys) and summarized only when read ({@link
 * MessageSummary}): the IKE responder benchmark found summarizing every message as it passed at 1.6 % of the node's
 * CPU, for a log that is rarely read. Kept in memory only, lost at a restart; a message's payloads are a few hundred
 * octets (an IKE_AUTH with certificates a few kilobytes, until later messages push it out).
 */
public final class IkeMessageLog implements MessageTrace {
    /** Messages kept per tunnel, the oldest dropped first. */
    public static final int PER_TUNNEL = 64;

    /** One message: when it was sent or accepted, which way, with whom, and what it held. */
    public static final class Entry {
        private final Instant time;
        private final boolean sent;
        private final InetSocketAddress peer;
        private final IkeHeader header;
        private final List<Payload> payloads;

        Entry(Instant time, boolean sent, InetSocketAddress peer, IkeHeader header, List<Payload> payloads) {
            this.time = time;
            this.sent = sent;
            this.peer = peer;
            this.header = header;
            this.payloads = payloads;
        }

        /** When it was sent or accepted. */
        public Instant time() {
            return time;
        }

        /** We sent it (else we received it). */
        public boolean sent() {
            return sent;
        }

        /** The peer's address and port, {@code ADDRESS:PORT}; empty if unknown. */
        public String peer() {
            return peer == null ? "" : peer.getAddress().getHostAddress() + ":" + peer.getPort();
        }

        /** What it held. */
        public MessageSummary.Summary summary() {
            return MessageSummary.of(header, payloads);
        }
    }

    private final Clock clock;
    private final Map<String, ArrayDeque<Entry>> tunnels = new ConcurrentHashMap<>();

    public IkeMessageLog(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void message(String label, boolean sent, InetSocketAddress peer, IkeHeader header,
            List<Payload> payloads) {
        Entry e = new Entry(clock.instant(), sent, peer, header, List.copyOf(payloads));
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
