package net.palisade.controlplane.ike;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node's IKE side in memory, for tests of real session actors: routes by initiator SPI, the tunnels' actors, and
 * what they reported ({@code "label Event"} in {@link #journal}). A datagram reaches its IKE SA's actor, or, as a new
 * IKE_SA_INIT, the first candidate tunnel's actor (as an {@link IkeSessionActor.Answer}) or a new responder of it,
 * as {@link IkeDispatcher} routes them; IKE SAs handed over and spare responders get actors as {@link IkeManager}
 * gives them. A subclass may lose, repeat or hold datagrams ({@link #deliver}).
 */
class MemoryNode implements SessionDriver {
    final ActorTestKit kit;
    final IkeSettings settings;
    final Map<Long, ActorRef<IkeSessionActor.Command>> routes = new ConcurrentHashMap<>();
    final Map<String, ActorRef<IkeSessionActor.Command>> sessions = new ConcurrentHashMap<>();
    final List<String> journal = new CopyOnWriteArrayList<>();
    final InetSocketAddress me;
    /** The tunnels that accept a new IKE_SA_INIT, the first answering. */
    volatile List<IkeTunnel> candidates = List.of();
    volatile MemoryNode peer;

    MemoryNode(ActorTestKit kit, IkeSettings settings, InetSocketAddress me) {
        this.kit = kit;
        this.settings = settings;
        this.me = me;
    }

    /** Whether {@code d} is an IKE_AUTH message (exchange type 35). */
    static boolean auth(byte[] d) {
        return (d[18] & 0xff) == 35;
    }

    /** Whether {@code d} is a request (the Response flag clear). */
    static boolean request(byte[] d) {
        return (d[19] & 0x20) == 0;
    }

    /** A datagram from the peer arrives: {@link #deliver}ed once, unless a subclass says otherwise. */
    void receive(IkeOutput.Send s) {
        deliver(new IkeSessionActor.Inbound(s.datagram().clone(), s.from(), s.to()));
    }

    /** To its IKE SA's actor, or a new IKE_SA_INIT to the first candidate's (one at a time, as on the dispatch thread). */
    final synchronized void deliver(IkeSessionActor.Inbound in) {
        byte[] d = in.datagram();
        ByteBuffer h = ByteBuffer.wrap(d);
        ActorRef<IkeSessionActor.Command> to = routes.get(h.getLong(0));
        if (to != null) {
            to.tell(in);
        } else if (h.getLong(8) == 0 && (d[18] & 0xff) == 34 && !candidates.isEmpty()) {
            IkeTunnel first = candidates.getFirst();
            ActorRef<IkeSessionActor.Command> own = sessions.get(first.label());
            if (own != null) {
                own.tell(new IkeSessionActor.Answer(in, me, candidates));
            } else {
                sessions.put(first.label(), kit.spawn(IkeSessionActor.responder(this, settings, first, me, in,
                        candidates)));
            }
        }
    }

    @Override
    public void send(IkeOutput.Send s) {
        if (!s.isNatKeepalive()) {
            peer.receive(s);
        }
    }

    @Override
    public void event(String label, IkeOutput.Event e) {
        journal.add(label + " " + e.getClass().getSimpleName());
    }

    @Override
    public void dpdLost(String label, IkeOutput.Phase1Down down) {
        journal.add(label + " dpd-lost");
    }

    @Override
    public void peerSwitched(String label, Host to, Cause cause) {
        journal.add(label + " peer-switched");
    }

    @Override
    public java.util.concurrent.CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
        return java.util.concurrent.CompletableFuture.completedFuture(new IkeSessionActor.Endpoints(me,
                this.peer.me));
    }

    @Override
    public String hostName() {
        return "site.example";
    }

    @Override
    public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> a) {
        routes.put(initiatorSpi, a);
    }

    @Override
    public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> a) {
        routes.remove(initiatorSpi, a);
    }

    @Override
    public synchronized void ended(String label, ActorRef<IkeSessionActor.Command> actor) {
        sessions.values().removeIf(actor::equals);
    }

    @Override
    public synchronized void adopt(String label, IkeSessionActor.Adopt adopt) {
        journal.add(label + " adopted");
        ActorRef<IkeSessionActor.Command> a = sessions.get(label);
        IkeTunnel t = candidates.stream().filter(c -> c.label().equals(label)).findFirst().orElseThrow();
        if (a != null) {
            a.tell(adopt);
        } else {
            a = kit.spawn(IkeSessionActor.adopted(this, settings, t, adopt));
            sessions.put(label, a);
        }
        for (long spi : adopt.engine().initiatorSpis()) {
            routes.put(spi, a);
        }
    }

    @Override
    public void redispatch(IkeSessionActor.Inbound in) {
        deliver(in);
    }

    @Override
    public synchronized void closing(String label, IkeSessionActor.Adopt closing) {
        // read before its actor runs it
        java.util.Set<Long> spis = java.util.Set.copyOf(closing.engine().initiatorSpis());
        String key = label + "@closing:" + Long.toHexString(closing.engine().id().initiatorSpi());
        ActorRef<IkeSessionActor.Command> a = kit.spawn(ClosingIkeSa.of(this, label, closing));
        sessions.put(key, a);
        for (long spi : spis) {
            routes.put(spi, a);
        }
    }

    @Override
    public void refused(String label, IkeSession.Step refusal) {
        journal.add(label + " refused");
        SessionDriver.super.refused(label, refusal);
    }

    @Override
    public synchronized void spare(String label, IkeSessionActor.Adopt negotiation) {
        journal.add(label + " spare");
        ActorRef<IkeSessionActor.Command> a = kit.spawn(SpareResponder.of(this, label, negotiation));
        sessions.put(label + "@spare:" + Long.toHexString(negotiation.engine().id().initiatorSpi()), a);
        for (long spi : negotiation.engine().initiatorSpis()) {
            routes.put(spi, a);
        }
    }
}
