package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionStage;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;

/**
 * What an {@link IkeSessionActor} needs from its node: the transport, SPI routing and the tunnel's events ({@link
 * IkeManager}).
 */
interface SessionDriver {
    /**
     * The environment a new engine gets: the standard one, drawing inbound Child SA SPIs around those the node's
     * dataplane receives on.
     */
    default IkeEnvironment environment(java.time.InstantSource clock) {
        return IkeEnvironment.standard(clock);
    }

    /** Sends a datagram. */
    void send(IkeOutput.Send s);

    /** Reports an engine outcome. */
    void event(String label, IkeOutput.Event e);

    /**
     * Reports {@code e}, an outcome the session's next datagrams must wait for ({@link JournalFirst#awaited}); the
     * stage completes once the journal has it, refused it, or nothing was to be journaled.
     */
    default CompletionStage<?> journalFirst(String label, IkeOutput.Event e) {
        event(label, e);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /**
     * A session failed (an exception, {@code detail}): reports {@code negotiation-failed} and the end of each IKE SA
     * it {@code held}, so that the tunnel journals it and their Child SAs leave the dataplane. A failure to report
     * is logged only.
     */
    default void crashed(String label, String detail, java.util.List<IkeSaId> held) {
        try {
            event(label, new IkeOutput.NegotiationFailed(net.palisade.model.event.FailureReason.OTHER, detail));
            for (IkeSaId id : held) {
                event(label, new IkeOutput.Phase1Down(id,
                        java.util.Optional.of(net.palisade.model.event.FailureReason.OTHER), detail));
            }
        } catch (RuntimeException again) {
            org.slf4j.LoggerFactory.getLogger(SessionDriver.class).error("tunnel {}: reporting the failure failed too",
                    label, again);
        }
    }

    /**
     * Runs {@code step} (a session's step: its sends and reports) and hands what it submitted to the node over in
     * one go when it returns, in the order submitted ({@link OutcomeLane#batch}).
     */
    default void batch(Runnable step) {
        step.run();
    }

    /** Reports the peer of an established IKE SA dead. */
    void dpdLost(String label, IkeOutput.Phase1Down down);

    /** Reports that the tunnel now negotiates with {@code to}. */
    void peerSwitched(String label, Host to, net.palisade.model.event.Cause cause);

    /**
     * The endpoints of a new initiator IKE SA of {@code tunnel} with {@code peer}, looked up now: the peer's name
     * resolved, our address the configured {@code local} or the kernel's source address towards the peer. Fails
     * (e.g. {@link UnknownHostException}) when the name does not resolve or no local address reaches the peer.
     * Must not block the caller.
     */
    CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer);

    /** This machine's host name (its FQDN if it has one): a {@code dynamic} tunnel's identity without srcid. */
    String hostName();

    /** Routes messages with this initiator SPI to {@code actor}. */
    void register(long initiatorSpi, org.apache.pekko.actor.typed.ActorRef<IkeSessionActor.Command> actor);

    /** Stops routing them. */
    void unregister(long initiatorSpi, org.apache.pekko.actor.typed.ActorRef<IkeSessionActor.Command> actor);

    /** The actor of {@code label} stops (a responder whose IKE SA ended): forget it. */
    default void ended(String label, org.apache.pekko.actor.typed.ActorRef<IkeSessionActor.Command> actor) {
    }

    /**
     * Whether a new initiator IKE SA with {@code peer} should carry N(INITIAL_CONTACT): no IKE SA with that peer
     * has come up since this node started ({@link #contacted}).
     */
    default boolean initialContact(InetAddress peer) {
        return false;
    }

    /** An IKE SA with {@code peer} came up: later ones no longer carry N(INITIAL_CONTACT). */
    default void contacted(InetAddress peer) {
    }

    /**
     * Makes {@code actor} the session of any-peer tunnel {@code label} that holds the IKE SAs of authenticated
     * identity {@code identity} ({@link SiteIdentity#key}), unless another actor holds them: true if {@code actor}
     * does now. Later IKE SAs of that identity are handed to it ({@link #adopt}).
     */
    default boolean claim(String label, String identity,
            org.apache.pekko.actor.typed.ActorRef<IkeSessionActor.Command> actor) {
        return true;
    }

    /**
     * Hands {@code adopt}'s ISAKMP SA (IKEv1), whose phase 1 authenticated {@code identity}, to the actor of
     * any-peer tunnel {@code label} that holds that identity's SAs (a new one if none does). Without such a tunnel
     * the ISAKMP SA is deleted.
     */
    default void adoptV1(String label, String identity, Ikev1SessionActor.Adopt adopt) {
        sendAll(adopt.engine().handle(new IkeInput.Close()).outputs());
    }

    /**
     * Runs {@code negotiation}, a half-open responder IKE SA that tunnel {@code label}'s actor cannot keep beside its
     * session (another is negotiating there), in an actor of its own until its IKE_AUTH ({@link SpareResponder}),
     * routing its initiator SPI there. By default it is dropped, nothing sent: the peer's retransmissions go
     * unanswered until it starts again.
     */
    default void spare(String label, IkeSessionActor.Adopt negotiation) {
    }

    /**
     * Sends the outputs of {@code refusal}, the first step of a responder engine that tunnel {@code label}'s actor
     * could not keep beside its session and that refused the IKE_SA_INIT at once (or answered it statelessly):
     * nothing is started or routed for it ({@link AsideHandoff#spare}). The node counts it with the spare responders
     * ({@code ikev2.dispatch.spare-responder}).
     */
    default void refused(String label, IkeSession.Step refusal) {
        sendAll(refusal.outputs());
    }

    /**
     * Runs {@code closing}, an IKE SA that tunnel {@code label}'s actor closed and forgot, whose Delete (sent by that
     * actor right after this call) awaits the peer's answer, in an actor of its own until answered or given up
     * ({@link ClosingIkeSa}; {@code closing.step()} holds its timer), routing its initiator SPIs there first. By
     * default it is forgotten: the Delete goes once, never retransmitted.
     */
    default void closing(String label, IkeSessionActor.Adopt closing) {
    }

    /**
     * Routes {@code in} again, as if it had just arrived: it reached an actor that no longer holds its IKE SA. By
     * default it is dropped (the peer retransmits).
     */
    default void redispatch(IkeSessionActor.Inbound in) {
    }

    /**
     * Hands {@code adopt}'s IKE SA to tunnel {@code label}'s actor (on an any-peer tunnel: the actor of the identity
     * it authenticated) (a passive tunnel without one gets one): its
     * IKE_AUTH chose that tunnel. Without such a tunnel the IKE SA is deleted.
     */
    default void adopt(String label, IkeSessionActor.Adopt adopt) {
        sendAll(adopt.engine().handle(new IkeInput.Close()).outputs());
    }

    /**
     * Sends the datagrams among {@code outputs}, in order, and nothing else of them: what an engine being let go of
     * (deleted at once, refused, closed) still has to say to the peer.
     */
    default void sendAll(java.util.List<IkeOutput> outputs) {
        for (IkeOutput o : outputs) {
            if (o instanceof IkeOutput.Send s) {
                send(s);
            }
        }
    }
}
