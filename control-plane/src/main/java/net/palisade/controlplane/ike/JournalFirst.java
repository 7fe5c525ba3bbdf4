package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's driver that holds its datagrams while an IKE SA state written ahead of one of our requests is on
 * its way to the journal ({@link IkeOutput.IkeSaState#beforeRequest}): the request, and whatever the session sends
 * after it, leave once the journal has that state. A node that takes over then knows of every request the peer may
 * have answered; written after the send, the state was lost when the node died within the journal's round trip
 * (docs/ha.md, "Resumption", item 8). The same for a Child SA's end ({@link #awaited}). Everything else goes straight
 * to the node's driver.
 *
 * <p>A journal that does not answer within {@link #MOST} releases the datagrams anyway: by then the node has lost
 * its active lease (it stands down after 1.35 s without renewing it) and its IKE is fenced, or it runs without a
 * pair and there is nothing to take over. Called from the session's actor; the release comes from the journal's
 * thread, hence the lock.
 */
final class JournalFirst implements SessionDriver {
    private static final Logger log = LoggerFactory.getLogger(JournalFirst.class);
    /** The longest a request waits for its state to be journaled. */
    static final Duration MOST = Duration.ofSeconds(2);

    private final SessionDriver node;
    /** Datagrams held, in the session's order. Guarded by this. */
    private final ArrayDeque<IkeOutput.Send> held = new ArrayDeque<>();
    /** States written ahead and not yet journaled. Guarded by this. */
    private int awaited;

    JournalFirst(SessionDriver node) {
        this.node = Objects.requireNonNull(node, "node");
    }

    @Override
    public synchronized void send(IkeOutput.Send s) {
        if (awaited > 0) {
            held.add(s);
        } else {
            node.send(s);
        }
    }

    /**
     * Whether the session's next datagrams wait for {@code e} to be journaled: the IKE SA's state written ahead of
     * one of our requests, and a Child SA's end — so that our answer to the peer's Delete of a Child SA leaves only
     * once the journal says it is gone (a node taking over in between resumed it as the one to send on, which the
     * peer no longer had; docs/ha.md), and every ISAKMP SA state (IKEv1): it is written ahead of the quick-mode
     * message that commits the peer to a new ESP SA pair.
     */
    static boolean awaited(IkeOutput.Event e) {
        return e instanceof IkeOutput.IkeSaState st && st.beforeRequest() || e instanceof IkeOutput.ChildSaDeleted
                || e instanceof IkeOutput.IsakmpSaState;
    }

    @Override
    public void event(String label, IkeOutput.Event e) {
        if (!awaited(e)) {
            node.event(label, e);
            return;
        }
        synchronized (this) {
            awaited++;
        }
        CompletionStage<?> journaled;
        try {
            journaled = node.journalFirst(label, e);
        } catch (RuntimeException ex) {
            journaled = java.util.concurrent.CompletableFuture.failedFuture(ex);
        }
        journaled.toCompletableFuture().orTimeout(MOST.toMillis(), TimeUnit.MILLISECONDS).whenComplete((v, ex) -> {
            if (ex != null) {
                log.warn("tunnel {}: {} was not journaled ({}); sending what waited for it anyway", label,
                        e.getClass().getSimpleName(), ex.getMessage());
            }
            release();
        });
    }

    private synchronized void release() {
        awaited--;
        if (awaited == 0) {
            while (!held.isEmpty()) {
                node.send(held.poll());
            }
        }
    }

    /** Datagrams held now (tests). */
    synchronized int held() {
        return held.size();
    }

    @Override
    public CompletionStage<?> journalFirst(String label, IkeOutput.Event e) {
        return node.journalFirst(label, e);
    }

    @Override
    public void batch(Runnable step) {
        node.batch(step);
    }

    @Override
    public void crashed(String label, String detail, List<IkeSaId> held) {
        node.crashed(label, detail, held);
    }

    @Override
    public void dpdLost(String label, IkeOutput.Phase1Down down) {
        node.dpdLost(label, down);
    }

    @Override
    public void peerSwitched(String label, Host to, Cause cause) {
        node.peerSwitched(label, to, cause);
    }

    @Override
    public CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
        return node.endpoints(tunnel, peer);
    }

    @Override
    public String hostName() {
        return node.hostName();
    }

    @Override
    public void register(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        node.register(initiatorSpi, actor);
    }

    @Override
    public void unregister(long initiatorSpi, ActorRef<IkeSessionActor.Command> actor) {
        node.unregister(initiatorSpi, actor);
    }

    @Override
    public void ended(String label, ActorRef<IkeSessionActor.Command> actor) {
        node.ended(label, actor);
    }

    @Override
    public boolean initialContact(InetAddress peer) {
        return node.initialContact(peer);
    }

    @Override
    public void contacted(InetAddress peer) {
        node.contacted(peer);
    }

    @Override
    public boolean claim(String label, String identity, ActorRef<IkeSessionActor.Command> actor) {
        return node.claim(label, identity, actor);
    }

    @Override
    public void adoptV1(String label, String identity, Ikev1SessionActor.Adopt adopt) {
        node.adoptV1(label, identity, adopt);
    }

    @Override
    public void adopt(String label, IkeSessionActor.Adopt adopt) {
        node.adopt(label, adopt);
    }

    @Override
    public void spare(String label, IkeSessionActor.Adopt negotiation) {
        node.spare(label, negotiation);
    }

    @Override
    public void refused(String label, IkeSession.Step refusal) {
        node.refused(label, refusal);
    }

    @Override
    public void closing(String label, IkeSessionActor.Adopt closing) {
        node.closing(label, closing);
    }

    @Override
    public void redispatch(IkeSessionActor.Inbound in) {
        node.redispatch(in);
    }
}
