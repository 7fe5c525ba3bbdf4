package net.palisade.controlplane.ike;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongConsumer;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.sa.SaPort;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.dataplane.sa.KeyOrigin;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.SealedState;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.wire.ikev2.TrafficSelector;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of IKE SAs in the dataplane: turns what the IKE sessions report ({@link IkeOutput.Event}) into SA
 * changes through the {@link SaPort} and into reports to the tunnel entity, which journals them. Every method runs
 * on the IKE outcome lane ({@code IkeManager}), so SA changes and reports keep the order the sessions produced them.
 *
 * <p><b>Why a Child SA goes in before its event is durable.</b> Manual SAs are installed after their event is
 * persisted; IKE Child SAs cannot wait for the journal. A responder's Child SA must be in the dataplane before its
 * IKE_AUTH (or CREATE_CHILD_SA) response leaves: the initiator may send ESP as soon as it reads the response, and
 * packets for an SPI the dataplane does not know are dropped. The engine emits the install before that response,
 * and the lane applies them in that order; waiting for a journal round trip between the two would hold every
 * response back by a write. So the install comes first and the report after. The tunnel entity may refuse that
 * report (phase 1 not up in its journal, the rekeyed SA unknown): it then journals {@code negotiation-failed} and
 * has the pair retired ({@link #retire}), so the dataplane never keeps an SA the journal does not mention. An
 * install the dataplane refuses is journaled the same way, with reason {@code INSTALL_FAILED}.
 */
final class IkeOutcomes {
    private static final Logger log = LoggerFactory.getLogger(IkeOutcomes.class);
    /** The cause of a rekey the dataplane asked for: the old outbound SA neared the end of its sequence numbers. */
    static final Cause SEQUENCE_SOFT_LIMIT = Cause.of("dataplane:outbound sequence numbers near exhaustion");

    /** Where reports go: the tunnel entities (a {@link ControlPlane} in a node, a fake in tests). */
    interface Reporter {
        /** One report for tunnel {@code label}; the stage fails if the tunnel refused it. */
        CompletionStage<?> report(String label, Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input);

        /** Several reports for one tunnel, in order, persisted together; refused ones are left out. */
        CompletionStage<?> reportAll(String label,
                List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs);

        /** The reporter of a control plane. */
        static Reporter of(ControlPlane cp) {
            return new Reporter() {
                @Override
                public CompletionStage<?> report(String label,
                        Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
                    return cp.report(label, input);
                }

                @Override
                public CompletionStage<?> reportAll(String label,
                        List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs) {
                    return cp.reportAll(label, inputs);
                }
            };
        }
    }

    private final Executor lane;
    private final Function<String, Optional<IkeTunnel>> tunnels;
    private final LongConsumer authenticated;
    private final Map<String, Reports> reports = new ConcurrentHashMap<>();
    private final Set<String> replacedChildren = ConcurrentHashMap.newKeySet();
    /** What NAT detection found for a tunnel's IKE SA being set up, for its up line. Outcome lane only. */
    private final Map<String, String> nat = new HashMap<>();
    /** The IKE SA of each Child SA of the any-peer tunnels (one IKE SA per peer). Outcome lane only. */
    private final PeerIkeSas peerSas = new PeerIkeSas();
    private volatile SaPort sas;
    private volatile Reporter reporter;
    /** Seals takeover state with the pair key; absent: nothing secret is journaled. */
    private volatile Optional<TakeoverSealer> takeover = Optional.empty();

    /**
     * @param lane          the outcome lane: one thread, in order (deliveries of reports are queued on it)
     * @param tunnels       the tunnels this node runs, by label (for the configured networks)
     * @param authenticated told the initiator SPI of every IKE SA that came up (it is no longer half-open)
     */
    IkeOutcomes(Executor lane, Function<String, Optional<IkeTunnel>> tunnels, LongConsumer authenticated) {
        this.lane = Objects.requireNonNull(lane, "lane");
        this.tunnels = Objects.requireNonNull(tunnels, "tunnels");
        this.authenticated = Objects.requireNonNull(authenticated, "authenticated");
    }

    /** The dataplane is open: SAs can be installed. */
    void open(SaPort port) {
        this.sas = Objects.requireNonNull(port, "port");
    }

    /** The control plane is up: reports can be delivered. */
    void attach(Reporter r) {
        this.reporter = Objects.requireNonNull(r, "reporter");
    }

    /**
     * The node holds the gateway pair's key: from now on the IKE SA's state and every installed Child SA's keys are
     * journaled sealed with it ({@code takeover-state}), so that a node can go on with them without renegotiating.
     */
    void takeover(TakeoverSealer sealer) {
        this.takeover = Optional.of(sealer);
    }

    /** Turns an engine outcome into dataplane changes and a tunnel event. */
    void event(String label, IkeOutput.Event e) {
        event(label, e, new CompletableFuture<>());
    }

    /**
     * {@link #event(String, IkeOutput.Event)}; {@code journaled} completes once the journal has its tunnel event
     * (or refused it, or it has none): the session holds its next datagrams behind an IKE SA state written ahead of
     * a request and behind a Child SA's deletion ({@link JournalFirst}). Other outcomes complete it at once.
     */
    void event(String label, IkeOutput.Event e, CompletableFuture<Void> journaled) {
        switch (e) {
            case IkeOutput.Phase1Up p -> {
                authenticated.accept(p.id().initiatorSpi());
                log.info("tunnel {}: IKE SA {} up with {}{}", label, p.id(), p.peer(),
                        Optional.ofNullable(nat.remove(label)).orElse(""));
                Optional<Integer> version = tunnels.apply(label).map(t -> t.exchange().version());
                if (anyPeer(label)) {
                    peerSas.up(label, p.peer(), p.id().toString());
                }
                report(label, r -> new TunnelCommand.Phase1Up(Host.of(p.peer().getAddress()).toString(),
                        p.id().toString(), Cause.PEER, r, version));
            }
            case IkeOutput.ChildSaInstalled c -> {
                try {
                    if (install(label, c, Install.REPLACE, KeyOrigin.NEGOTIATED)) {
                        ChildSa sa = new ChildSa(SaId.child(c.inboundSpi()), spis(c), c.pfs(), c.esn());
                        Optional<String> owner = anyPeer(label) ? peerSas.owner(label, c.remote())
                                : Optional.empty();
                        owner.ifPresent(o -> peerSas.child(label, o, c.inboundSpi()));
                        ChildSa reported = owner.map(sa::under).orElse(sa);
                        reportWithState(label, r -> new TunnelCommand.ChildSaInstalled(reported, Cause.PEER, r), c);
                    }
                } finally {
                    // installed (the dataplane keeps its own transforms) and sealed, or refused: no longer needed
                    c.wipeKeys();
                }
            }
            case IkeOutput.ChildSaRekeyed k -> {
                IkeOutput.ChildSaInstalled c = k.replacement();
                // make-before-break: the old pair keeps receiving until its delete; the rekey's initiator sends on
                // the new pair at once, its responder once the old pair is deleted
                try {
                    // keys a node before may have sent with (our rekey resent after a takeover): above the first
                    // block and reserved first, as any resumed SA's (KeyOrigin.RESUMED)
                    if (install(label, c, k.switchOutbound() ? Install.REKEY_SWITCH : Install.REKEY_KEEP,
                            k.resent() ? KeyOrigin.RESUMED : KeyOrigin.NEGOTIATED)) {
                        if (takeover.isEmpty()) {
                            replacedChildren.add(label + "/" + SaId.child(k.oldInboundSpi()));
                        }
                        // else its Delete is journaled (ours answered, or the peer's): until then a node taking over
                        // resumes it (Takeover.replaced)
                        if (anyPeer(label)) {
                            peerSas.ownerOf(label, k.oldInboundSpi())
                                    .or(() -> peerSas.owner(label, c.remote()))
                                    .ifPresent(o -> peerSas.child(label, o, c.inboundSpi()));
                        }
                        Cause cause = k.sequenceNumbers() ? SEQUENCE_SOFT_LIMIT : k.byUs() ? Cause.TIMER : Cause.PEER;
                        reportWithState(label, r -> new TunnelCommand.Rekeyed(SaId.child(k.oldInboundSpi()),
                                SaId.child(c.inboundSpi()), Optional.of(spis(c)), c.pfs(), c.esn(), cause, r), c);
                    }
                } finally {
                    c.wipeKeys();
                }
            }
            case IkeOutput.IkeSaState st -> ikeState(label, st, journaled);
            case IkeOutput.IsakmpSaState st -> isakmpState(label, st.snapshot(), journaled);
            case IkeOutput.IkeSaRekeyed k -> {
                log.info("tunnel {}: IKE SA {} rekeyed to {}{}", label, k.replaced(), k.replacement(),
                        k.byUs() ? "" : " by the peer");
                peerSas.rekeyed(label, k.replaced().toString(), k.replacement().toString());
                k.peer().ifPresent(at -> peerSas.moved(label, k.replacement().toString(), at));
                report(label, r -> new TunnelCommand.Rekeyed(SaId.of(k.replaced().toString()),
                        SaId.of(k.replacement().toString()),
                        Optional.empty(), k.byUs() ? Cause.TIMER : Cause.PEER, r));
            }
            case IkeOutput.ChildSaDeleted d -> {
                SaPort port = sas;
                if (port != null) {
                    try {
                        // the newest remaining pair takes over sending; the last pair takes the routes with it
                        port.retire(label, Spi.of(d.inboundSpi()));
                    } catch (IOException | RuntimeException ex) {
                        log.warn("tunnel {}: cannot remove Child SA {}: {}", label, Long.toHexString(d.inboundSpi()),
                                ex.getMessage());
                    }
                }
                peerSas.childGone(label, d.inboundSpi());
                if (!replacedChildren.remove(label + "/" + SaId.child(d.inboundSpi()))) {
                    report(label, r -> new TunnelCommand.ChildSaDeleted(SaId.child(d.inboundSpi()), Cause.PEER, r),
                            journaled);
                } else {
                    journaled.complete(null); // replaced by a rekey: its end is journaled with the rekey
                }
            }
            case IkeOutput.ChildSaSending s -> {
                SaPort port = sas;
                if (port != null && !port.activate(label, Spi.of(s.inboundSpi()))) {
                    log.warn("tunnel {}: no Child SA {} to send on", label, Long.toHexString(s.inboundSpi()));
                }
            }
            case IkeOutput.Phase1Down p -> {
                log.info("tunnel {}: IKE SA {} down{}", label, p.id(), p.detail().isEmpty() ? "" : ": " + p.detail());
                Optional<String> one = removeSas(label, p.id());
                String reason = p.reason().map(Enum::name).map(n -> n.toLowerCase(java.util.Locale.ROOT))
                        .orElse("deleted") + (p.detail().isEmpty() ? "" : ": " + p.detail());
                report(label, r -> new TunnelCommand.Phase1Down(reason, p.reason().isPresent() ? Cause.TIMER
                        : Cause.PEER, r, one));
            }
            case IkeOutput.NegotiationFailed f -> {
                log.warn("tunnel {}: negotiation failed: {} {}", label, f.reason(), f.detail());
                report(label, r -> new TunnelCommand.NegotiationFailed(f.reason(), f.detail(),
                        f.reason() == FailureReason.TIMEOUT || f.reason() == FailureReason.ADDRESS_UNAVAILABLE
                                ? Cause.TIMER : Cause.PEER, r));
            }
            case IkeOutput.NatDetected n -> {
                // said on the IKE SA's up line: one line per setup fewer
                log.debug("tunnel {}: NAT detected: local {}, remote {}", label, n.localBehindNat(),
                        n.remoteBehindNat());
                nat.put(label, n.localBehindNat() && n.remoteBehindNat() ? " (NAT on both sides)"
                        : n.localBehindNat() ? " (this node behind NAT)"
                        : n.remoteBehindNat() ? " (peer behind NAT)" : "");
            }
            case IkeOutput.PeerAlive a -> log.debug("tunnel {}: peer alive", label);
        }
        if (!(e instanceof IkeOutput.IkeSaState) && !(e instanceof IkeOutput.ChildSaDeleted)
                && !(e instanceof IkeOutput.IsakmpSaState)) {
            journaled.complete(null);
        }
    }

    /**
     * Journals the IKE SA's state sealed with the pair key, if the node has one; {@code journaled} completes once the
     * journal has it (or refused it, or there is nothing to journal): the session holds a request behind it
     * ({@link IkeOutput.IkeSaState#beforeRequest}).
     */
    void ikeState(String label, IkeOutput.IkeSaState st, CompletableFuture<Void> journaled) {
        try {
            sealIkeState(label, st.snapshot().id(), () -> SnapshotCodec.encode(st.snapshot()), journaled);
        } finally {
            st.snapshot().keys().wipe(); // the engine's copy for us: sealed or unwanted, it is not needed again
            st.snapshot().rekey().ifPresent(IkeSaSnapshot.RekeyInFlight::wipe);
            st.snapshot().child().ifPresent(ChildRequestInFlight::wipe);
        }
    }

    /**
     * IKE SA {@code ikeSa} of {@code label}, journaled established, could not be resumed here while others of the
     * tunnel were: no session holds it, so the journal says it is down ({@code phase1-down}, naming it and why).
     * None of its Child SAs was installed.
     */
    void notResumed(String label, String ikeSa, String why) {
        report(label, r -> new TunnelCommand.Phase1Down("node restart: cannot resume it: " + why, Cause.NODE, r,
                Optional.of(ikeSa)));
    }

    /** {@link #ikeState} for an IKEv1 ISAKMP SA: the same scope, named by its cookies. */
    private void isakmpState(String label, net.palisade.controlplane.ikev1.Ikev1Snapshot st,
            CompletableFuture<Void> journaled) {
        try {
            sealIkeState(label, st.id(), () -> net.palisade.controlplane.ikev1.Ikev1SnapshotCodec.encode(st),
                    journaled);
        } finally {
            st.wipe();
        }
    }

    /**
     * Seals the IKE (or ISAKMP) SA {@code id}'s state that {@code encode} gives with the pair key and journals it;
     * {@code journaled} completes once the journal has it, or at once when the node has no pair key.
     */
    private void sealIkeState(String label, IkeSaId id, java.util.function.Supplier<byte[]> encode,
            CompletableFuture<Void> journaled) {
        takeover.ifPresentOrElse(sealer -> {
            SaId sa = SaId.of(id.toString());
            byte[] plain = encode.get();
            SealedState sealed;
            try {
                sealed = sealer.seal(label, TunnelEvent.TakeoverState.IKE_SA, sa.value(), plain);
            } finally {
                SnapshotCodec.wipe(plain);
            }
            report(label, r -> new TunnelCommand.TakeoverState(TunnelEvent.TakeoverState.IKE_SA, sa, sealed,
                    Cause.NODE, r), journaled);
        }, () -> journaled.complete(null));
    }

    /** The tunnel's ping went unanswered {@code lost} times in a row: journal {@code ping-lost}. */
    void pingLost(String label, String from, String to, int lost) {
        report(label, r -> new TunnelCommand.PingLost(from, to, lost, Cause.TIMER, r));
    }

    /** The tunnel's ping is answered: journal {@code ping-ok}. */
    void pingOk(String label, String from, String to) {
        report(label, r -> new TunnelCommand.PingOk(from, to, Cause.PEER, r));
    }

    /**
     * The peer of {@code label}'s established IKE SA stopped answering ({@code down} has reason TIMEOUT): its SAs go,
     * and the tunnel journals {@code dpd-lost} (which, like phase1-down, ends phase 1).
     */
    void dpdLost(String label, IkeOutput.Phase1Down down) {
        log.warn("tunnel {}: dead peer detected, IKE SA {} down: {}", label, down.id(), down.detail());
        Optional<String> one = removeSas(label, down.id());
        report(label, r -> new TunnelCommand.DpdLost(Cause.TIMER, r, one));
    }

    /** True for a tunnel that answers any peer: it holds one IKE SA per peer. */
    private boolean anyPeer(String label) {
        return tunnels.apply(label).filter(t -> t.peers().isEmpty()).isPresent();
    }

    /**
     * IKE SA {@code id} of {@code label} ended: on an any-peer tunnel only its own Child SAs leave the dataplane
     * (another peer's failed or half-open IKE SA takes none), and its name is returned for the tunnel's report;
     * on any other tunnel every SA goes, and the report names none (the tunnel held that one IKE SA).
     */
    private Optional<String> removeSas(String label, IkeSaId id) {
        if (!anyPeer(label)) {
            removeSas(label);
            return Optional.empty();
        }
        String name = id.toString();
        if (!peerSas.holds(label, name)) {
            if (!peerSas.any(label)) {
                removeSas(label); // nothing known per peer (a resumed IKE SA's Child SAs): as a one-peer tunnel
            }
            return Optional.of(name);
        }
        List<Long> children = peerSas.down(label, name);
        if (!peerSas.any(label)) {
            removeSas(label); // the last peer: whatever is left goes too
            return Optional.of(name);
        }
        SaPort port = sas;
        for (long spi : children) {
            try {
                if (port != null) {
                    port.retire(label, Spi.of(spi));
                }
            } catch (IOException | RuntimeException e) {
                log.warn("tunnel {}: cannot remove Child SA {} of IKE SA {}: {}", label, Long.toHexString(spi), name,
                        e.getMessage());
            }
        }
        return Optional.of(name);
    }

    /** {@code label}'s initiator now negotiates with {@code to}: the tunnel journals {@code peer-switched}. */
    void peerSwitched(String label, Host to, Cause cause) {
        log.info("tunnel {}: switching to peer {}", label, to);
        report(label, r -> new TunnelCommand.PeerSwitched(to.toString(), cause, r));
    }

    /**
     * Removes a Child SA that is in the dataplane but that the tunnel's journal refused (the tunnel entity has
     * journaled why). The session still counts it as its own until it rekeys or deletes it; those find it gone.
     */
    void retire(String label, ChildSa sa) {
        SaPort port = sas;
        if (port == null) {
            return;
        }
        try {
            peerSas.childGone(label, sa.spi().inbound().value());
            if (port.retire(label, sa.spi().inbound())) {
                log.warn("tunnel {}: Child SA {} removed: the tunnel did not accept it", label, sa.id());
            }
        } catch (IOException | RuntimeException e) {
            log.error("tunnel {}: cannot remove Child SA {}: {}", label, sa.id(), e.getMessage());
        }
    }

    /**
     * Reports {@code installed} (a Child SA installed or a rekey's new one) together with the keys of Child SA
     * {@code c} sealed with the pair key, if the node has one: both in one delivery, so the journal writes them in
     * one atomic write. Apart, a node killed between the two journaled a Child SA it could not resume, and
     * {@link net.palisade.controlplane.tunnel.Takeover#resumable} then left out the whole IKE SA.
     */
    private void reportWithState(String label, Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> installed,
            IkeOutput.ChildSaInstalled c) {
        List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs = new ArrayList<>(2);
        inputs.add(installed);
        takeover.ifPresent(sealer -> {
            SaId sa = SaId.child(c.inboundSpi());
            byte[] plain = SnapshotCodec.encode(c);
            SealedState sealed;
            try {
                sealed = sealer.seal(label, TunnelEvent.TakeoverState.CHILD_SA, sa.value(), plain);
            } finally {
                SnapshotCodec.wipe(plain);
            }
            inputs.add(r -> new TunnelCommand.TakeoverState(TunnelEvent.TakeoverState.CHILD_SA, sa, sealed,
                    Cause.NODE, r));
        });
        report(label, inputs, null);
    }

    /** How a Child SA enters the dataplane. */
    private enum Install { REPLACE, REKEY_SWITCH, REKEY_KEEP }

    /**
     * Installs {@code c}; false if it is not installed. An install the dataplane refuses is reported as
     * {@code negotiation-failed} with reason {@code INSTALL_FAILED}.
     */
    private boolean install(String label, IkeOutput.ChildSaInstalled c, Install how, KeyOrigin origin) {
        return install(label, c, how, origin, 0);
    }

    /** {@link #install(String, IkeOutput.ChildSaInstalled, Install, KeyOrigin)} holding a journaled window. */
    private boolean install(String label, IkeOutput.ChildSaInstalled c, Install how, KeyOrigin origin,
            long journaledUpTo) {
        SaPort port = sas;
        try {
            Optional<SaKeys> keys = keys(label, c, origin, journaledUpTo);
            if (port == null || keys.isEmpty()) {
                // stopped meanwhile (its removal is queued before this) or no dataplane: nothing to install or report
                return false;
            }
            switch (how) {
                case REPLACE -> port.install(keys.get());
                case REKEY_SWITCH -> port.add(keys.get(), true);
                case REKEY_KEEP -> port.add(keys.get(), false);
            }
            installed(port, label, c, how);
            return true;
        } catch (IOException | RuntimeException ex) {
            installFailed(label, c, ex);
            return false;
        }
    }

    /** What the dataplane installs for {@code c}; empty when the tunnel is not wanted here (stopped meanwhile). */
    private Optional<SaKeys> keys(String label, IkeOutput.ChildSaInstalled c, KeyOrigin origin, long journaledUpTo) {
        Optional<IkeTunnel> tunnel = tunnels.apply(label);
        if (tunnel.isEmpty()) {
            return Optional.empty();
        }
        IkeTunnel t = tunnel.get();
        // the negotiated selectors (the peer may have narrowed ours); the configured networks if they say nothing
        List<Prefix> localPrefixes = prefixes(c.localSelectors());
        List<Prefix> remotePrefixes = prefixes(c.remoteSelectors());
        if (localPrefixes.isEmpty() || remotePrefixes.isEmpty()) {
            localPrefixes = new ArrayList<>();
            remotePrefixes = new ArrayList<>();
            for (var n : t.from()) {
                localPrefixes.addAll(Prefix.of(n));
            }
            for (var n : t.to()) {
                remotePrefixes.addAll(Prefix.of(n));
            }
        }
        Optional<DirectionalKeys> auth = c.inbound().integrity().isPresent() && c.outbound().integrity().isPresent()
                ? Optional.of(new DirectionalKeys(c.inbound().integrity().get(), c.outbound().integrity().get()))
                : Optional.empty();
        InetSocketAddress peer = c.udpEncapsulation() ? c.remote() : new InetSocketAddress(c.remote().getAddress(), 0);
        return Optional.of(new SaKeys(label, c.local().getAddress(), peer, c.encryption(), c.integrity(),
                (int) c.inboundSpi(), (int) c.outboundSpi(),
                new DirectionalKeys(c.inbound().encryption(), c.outbound().encryption()), auth, localPrefixes,
                remotePrefixes, c.esn(), origin, journaledUpTo));
    }

    /** {@code c} is in the dataplane: its byte limit, and the log line. */
    private void installed(SaPort port, String label, IkeOutput.ChildSaInstalled c, Install how) throws IOException {
        if (c.lifetimeKilobytes().isPresent()) {
            // replaced at 90 % of the negotiated volume, before the peer's hard limit ends it
            long kb = c.lifetimeKilobytes().getAsLong();
            long bytes = kb > Long.MAX_VALUE / 1024 ? Long.MAX_VALUE : kb * 1024 / 10 * 9;
            port.limitBytes(label, Spi.of(c.inboundSpi()), Math.max(1, bytes));
        }
        log.info("tunnel {}: Child SA installed (in spi {}, out spi {}, {}{}{})", label,
                Long.toHexString(c.inboundSpi()), Long.toHexString(c.outboundSpi()), c.encryption().keyword(),
                c.esn() ? ", esn" : "", how == Install.REKEY_KEEP ? ", sending on the old SA until it is deleted" : "");
    }

    /** The dataplane refused {@code c}: journaled as {@code negotiation-failed}, reason {@code INSTALL_FAILED}. */
    private void installFailed(String label, IkeOutput.ChildSaInstalled c, Exception ex) {
        log.error("tunnel {}: cannot install the Child SA in the dataplane: {}", label, ex.getMessage());
        String detail = "Child SA " + SaId.child(c.inboundSpi()) + " not installed: " + ex.getMessage();
        report(label, r -> new TunnelCommand.NegotiationFailed(FailureReason.INSTALL_FAILED, detail, Cause.NODE, r));
    }

    /** A tunnel's resumed IKE SAs whose Child SAs wait for the next round of installs ({@link #resumeLater}). */
    private record Resumed(String label, List<IkeResumption.Prepared> sas, Map<Long, Long> reserved,
            java.util.function.BooleanSupplier live, Runnable then) {}

    private final java.util.Queue<Resumed> toResume = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean resumeRound = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * {@code label}'s IKE SAs {@code sas}, from the journal, go on: their Child SAs are installed in the next round of
     * installs (reporting nothing: the journal has them already), each holding the first window of outbound sequence
     * numbers the tunnel journaled for its SPI before ({@code reserved}, {@link KeyOrigin#resumedWindow}; none: it
     * asks for one and sends once that is durable). Per IKE SA the first replaces what the tunnel had, the others go
     * beside it and the last sends: the Child SAs the peer rekeyed whose Delete was not journaled come last (the peer
     * may not have the Child SAs our answers made) until the peer's Delete retires them; those our rekey replaced
     * whose Delete was not answered come first (receiving only, until our Delete is answered). On an any-peer tunnel
     * they are known as their IKE SA's (its going takes only them out). Every tunnel handed in until that round runs is
     * installed in it, all in one round of the dataplane
     * ({@link SaPort#installAll}), since a takeover resumes hundreds at once; then {@code then} runs (the tunnel's
     * sessions start). On the lane only, after whatever the tunnel had queued before (its SAs' removal): the round
     * comes later on the lane, and nothing of the tunnel's new sessions is queued before it. Nothing is installed if
     * by then {@code live} is false (the tunnel was stopped or started again meanwhile).
     */
    void resumeLater(String label, List<IkeResumption.Prepared> sas, Map<Long, Long> reserved,
            java.util.function.BooleanSupplier live, Runnable then) {
        toResume.add(new Resumed(label, sas, reserved, live, then));
        if (resumeRound.compareAndSet(false, true)) {
            lane.execute(this::resumeRound);
        }
    }

    private void resumeRound() {
        resumeRound.set(false); // those handed in from now on may wait for the next round; this one takes them too
        List<IkeOutput.ChildSaInstalled> children = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<IkeOutput.ChildSaInstalled> installing = new ArrayList<>();
        List<net.palisade.dataplane.Dataplane.Install> installs = new ArrayList<>();
        List<Runnable> then = new ArrayList<>();
        try {
            for (Resumed r; (r = toResume.poll()) != null; ) {
                boolean live = r.live().getAsBoolean();
                if (live) {
                    then.add(r.then());
                }
                for (IkeResumption.Prepared p : r.sas()) {
                    String label = r.label();
                    boolean first = true;
                    if (!live) {
                        children.addAll(p.children()); // not installed: only their keys wiped, below
                        p.replaced().forEach(o -> children.add(o.sa()));
                        continue;
                    }
                    if (anyPeer(label)) {
                        String id = p.id().toString();
                        peerSas.up(label, p.remote(), id);
                        p.children().forEach(c -> peerSas.child(label, id, c.inboundSpi()));
                        p.replaced().forEach(o -> peerSas.child(label, id, o.sa().inboundSpi()));
                    }
                    // those we rekeyed first (they receive until our Delete is answered; the next sends), the
                    // peer's rekeyed ones last (they send until the peer deletes them)
                    List<IkeOutput.ChildSaInstalled> all = new ArrayList<>();
                    p.replaced().stream().filter(IkeResumption.Old::ours).forEach(o -> all.add(o.sa()));
                    all.addAll(p.children());
                    p.replaced().stream().filter(o -> !o.ours()).forEach(o -> all.add(o.sa()));
                    for (IkeOutput.ChildSaInstalled c : all) {
                        children.add(c);
                        try {
                            Optional<SaKeys> keys = keys(label, c, KeyOrigin.RESUMED,
                                    r.reserved().getOrDefault(c.outboundSpi(), 0L));
                            if (keys.isPresent()) {
                                // the IKE SA's first replaces its flow; the others go beside it, the last sending
                                installs.add(new net.palisade.dataplane.Dataplane.Install(keys.get(), first));
                                labels.add(label);
                                installing.add(c);
                                first = false;
                            }
                        } catch (RuntimeException e) {
                            installFailed(label, c, e);
                        }
                    }
                }
            }
            SaPort port = sas;
            if (port != null && !installs.isEmpty()) {
                List<Exception> failed = port.installAll(installs);
                for (int i = 0; i < installs.size(); i++) {
                    IkeOutput.ChildSaInstalled c = installing.get(i);
                    try {
                        if (failed.get(i) != null) {
                            installFailed(labels.get(i), c, failed.get(i));
                        } else {
                            installed(port, labels.get(i), c,
                                    installs.get(i).replace() ? Install.REPLACE : Install.REKEY_SWITCH);
                        }
                    } catch (IOException | RuntimeException e) {
                        installFailed(labels.get(i), c, e);
                    }
                }
            }
        } finally {
            children.forEach(IkeOutput.ChildSaInstalled::wipeKeys);
        }
        for (Runnable r : then) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("resumed sessions not started", e);
            }
        }
    }

    /** The address ranges of {@code selectors} as prefixes (protocols and ports are not matched by the dataplane). */
    static List<Prefix> prefixes(List<TrafficSelector> selectors) {
        List<Prefix> out = new ArrayList<>();
        for (TrafficSelector ts : selectors) {
            if (ts instanceof TrafficSelector.AddressRange r) {
                out.addAll(prefixes(r.startAddress(), r.endAddress()));
            }
        }
        return out;
    }

    /** The fewest prefixes that cover exactly {@code from}..{@code to} (at most 256: a wider spread is cut short). */
    static List<Prefix> prefixes(InetAddress from, InetAddress to) {
        int bits = from.getAddress().length * 8;
        BigInteger start = new BigInteger(1, from.getAddress());
        BigInteger end = new BigInteger(1, to.getAddress());
        List<Prefix> out = new ArrayList<>();
        while (start.compareTo(end) <= 0 && out.size() < 256) {
            int k = start.signum() == 0 ? bits : Math.min(bits, start.getLowestSetBit());
            while (start.add(BigInteger.ONE.shiftLeft(k)).subtract(BigInteger.ONE).compareTo(end) > 0) {
                k--;
            }
            out.add(Prefix.of(address(start, bits), bits - k));
            start = start.add(BigInteger.ONE.shiftLeft(k));
        }
        return out;
    }

    private static InetAddress address(BigInteger value, int bits) {
        byte[] raw = value.toByteArray();
        byte[] a = new byte[bits / 8];
        int n = Math.min(raw.length, a.length);
        System.arraycopy(raw, raw.length - n, a, a.length - n, n);
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Removes every SA of {@code label} (its IKE SA ended, or the tunnel stopped). */
    void removeSas(String label) {
        peerSas.forget(label);
        SaPort port = sas;
        if (port == null) {
            return;
        }
        try {
            port.remove(label);
        } catch (IOException | RuntimeException e) {
            log.warn("tunnel {}: cannot remove its SAs: {}", label, e.getMessage());
        }
    }

    /**
     * Reports in order, one delivery per tunnel at a time: the reports that arrive while one is being persisted go
     * together in the next ({@link Reporter#reportAll}), so a tunnel whose entity is busy catches up in one
     * journal write rather than one write per report. A delivery starts from the back of the outcome lane, so the
     * reports of one engine step (an IKE_AUTH's phase1-up and child-sa-installed) usually go together too. A
     * rejected report does not hold up the next.
     */
    private void report(String label, Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input) {
        report(label, input, null);
    }

    /** {@link #report(String, Function)}; {@code delivered} (if not null) completes when the delivery holding it did. */
    private void report(String label, Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput> input,
            CompletableFuture<Void> delivered) {
        report(label, List.of(input), delivered);
    }

    /** Queues {@code inputs} for one delivery (they are never split over two). */
    private void report(String label, List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> inputs,
            CompletableFuture<Void> delivered) {
        Reporter to = reporter;
        if (to == null) {
            if (delivered != null) {
                delivered.complete(null);
            }
            return;
        }
        Reports r = reports.computeIfAbsent(label, k -> new Reports());
        boolean deliver;
        synchronized (r) {
            r.queued.addAll(inputs);
            if (delivered != null) {
                r.awaited.add(delivered);
            }
            deliver = !r.inFlight;
            r.inFlight = true;
        }
        if (deliver) {
            lane.execute(() -> deliver(to, label, r));
        }
    }

    private void deliver(Reporter to, String label, Reports r) {
        List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> batch;
        List<CompletableFuture<Void>> awaited;
        synchronized (r) {
            if (r.queued.isEmpty()) {
                r.inFlight = false;
                return;
            }
            batch = List.copyOf(r.queued);
            r.queued.clear();
            awaited = List.copyOf(r.awaited);
            r.awaited.clear();
        }
        CompletionStage<?> s;
        try {
            s = batch.size() == 1 ? to.report(label, batch.getFirst()) : to.reportAll(label, batch);
        } catch (RuntimeException e) {
            s = CompletableFuture.failedFuture(e);
        }
        s.whenComplete((v, ex) -> {
            if (ex != null) {
                log.warn("tunnel {}: report not accepted: {}", label, ex.getMessage());
            }
            awaited.forEach(f -> f.complete(null));
            deliver(to, label, r);
        });
    }

    /**
     * A tunnel's reports not yet delivered, those awaited among them (completed with their delivery), and whether a
     * delivery is in flight. Guarded by itself.
     */
    private static final class Reports {
        final List<Function<ActorRef<TunnelReply>, TunnelCommand.EngineInput>> queued = new ArrayList<>();
        final List<CompletableFuture<Void>> awaited = new ArrayList<>();
        boolean inFlight;
    }

    private static SpiPair spis(IkeOutput.ChildSaInstalled c) {
        return new SpiPair(Spi.of(c.inboundSpi()), Spi.of(c.outboundSpi()));
    }
}
