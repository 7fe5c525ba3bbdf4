package net.palisade.controlplane.ike;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.controlplane.ikev1.Ikev1Snapshot;
import net.palisade.controlplane.ikev1.Ikev1SnapshotCodec;
import net.palisade.controlplane.journal.TakeoverSealer;
import net.palisade.controlplane.tunnel.Takeover;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.event.SealedState;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A tunnel's IKE SAs and Child SAs resumed from the journal (a restarted node, or the other node of a pair taking
 * over): their sealed state opened with the pair key and decoded, then for each IKE SA a session actor that goes on
 * with it and its own Child SAs ({@link IkeSession#resume}) and re-synchronises message IDs with the peer. On an
 * any-peer tunnel each goes to the actor of the site whose identity it authenticated ({@link #keys}). Nothing here
 * decides whether to resume: the tunnel entity does, from what its journal holds.
 */
final class IkeResumption {
    private IkeResumption() {}

    /**
     * The decoded state.
     *
     * @param ike the IKE SA
     * @param children its Child SAs, as the engine reported them (keys included)
     * @param replaced Child SAs a rekey replaced before the takeover whose Delete was not journaled ({@link Old}):
     *     the peer's (it may never have received our answer: they keep sending) and ours (the peer sends on them
     *     until our Delete reaches it: they keep receiving)
     * @param v1 an IKEv1 ISAKMP SA's state instead of {@code ike} (null then); its ESP SA pairs are all in
     *     {@code children}, in the order they are installed (the last of a flow sends)
     */
    record Prepared(IkeSaSnapshot ike, List<IkeOutput.ChildSaInstalled> children, List<Old> replaced,
            Optional<Ikev1Snapshot> v1) {
        Prepared {
            children = List.copyOf(children);
            replaced = List.copyOf(replaced);
            v1 = v1 == null ? Optional.empty() : v1;
        }

        Prepared(IkeSaSnapshot ike, List<IkeOutput.ChildSaInstalled> children, List<Old> replaced) {
            this(ike, children, replaced, Optional.empty());
        }

        Prepared(IkeSaSnapshot ike, List<IkeOutput.ChildSaInstalled> children) {
            this(ike, children, List.of());
        }

        /** The IKE SA's SPIs (IKEv1: cookies). */
        IkeSaId id() {
            return v1.map(Ikev1Snapshot::id).orElseGet(() -> ike.id());
        }

        /** The peer's address and port. */
        java.net.InetSocketAddress remote() {
            return v1.map(Ikev1Snapshot::remote).orElseGet(() -> ike.remote());
        }

        /** The key of the identity the peer authenticated ({@link SiteIdentity#key}), if the state kept it. */
        Optional<String> identity() {
            return v1.isPresent() ? v1.get().peerId().map(SiteIdentity::key) : ike.peerId().map(SiteIdentity::key);
        }
    }

    /**
     * A Child SA a rekey replaced before the takeover, its Delete not journaled: the peer's rekey (resumed until the
     * peer deletes it, sending), or ours (resumed until our Delete of it is answered, receiving only).
     *
     * @param sa its state
     * @param successorSpiIn our inbound SPI of the Child SA the rekey made (0 if that one is not resumed)
     * @param ours we rekeyed it: the peer sends on it until our Delete reaches it (RFC 7296 section 2.8)
     */
    record Old(IkeOutput.ChildSaInstalled sa, long successorSpiIn, boolean ours) {
        /** One the peer rekeyed. */
        Old(IkeOutput.ChildSaInstalled sa, long successorSpiIn) {
            this(sa, successorSpiIn, false);
        }
    }

    /**
     * Opens and decodes each of {@code label}'s journaled IKE SAs {@code sas} with its Child SAs; one that cannot be
     * opened (no pair key, another one, unreadable state) is logged, told to {@code failed} (IKE SA name, why) and
     * left out.
     */
    static List<Prepared> openAll(Optional<TakeoverSealer> sealer, String label, List<Takeover.Resume> sas,
            org.slf4j.Logger log, java.util.function.BiConsumer<String, String> failed) {
        List<Prepared> out = new ArrayList<>();
        for (Takeover.Resume r : sas) {
            String why;
            if (sealer.isEmpty()) {
                why = "it was journaled with a pair key, and this node has none";
            } else {
                try {
                    out.add(open(sealer.get(), label, r.ikeSa(), r.ikeState(), r.children(), r.replaced()));
                    continue;
                } catch (RuntimeException e) {
                    why = why(e);
                }
            }
            log.warn("tunnel {}: cannot resume IKE SA {}: {}; negotiating anew", label, r.ikeSa(), why);
            failed.accept(r.ikeSa(), why);
        }
        return out;
    }

    /**
     * The keys of the session actor that goes on with {@code p} ({@link SessionKeys}): the tunnel's label; on an
     * any-peer tunnel, the peer's address and, when the journal kept the identity it authenticated, that identity's
     * key too, so that the site's next IKE SA, authenticated anywhere, comes to it.
     */
    static List<String> keys(IkeTunnel tunnel, Prepared p) {
        if (!SessionKeys.anyPeer(tunnel)) {
            return List.of(tunnel.label());
        }
        List<String> keys = new ArrayList<>();
        p.identity().ifPresent(id -> keys.add(SessionKeys.identity(tunnel.label(), id)));
        keys.add(SessionKeys.of(tunnel, p.remote()));
        return keys;
    }

    /**
     * Opens and decodes the journaled state of {@code label}'s IKE SA {@code ikeSa} and Child SAs.
     *
     * @throws IllegalStateException when a state was sealed with another key, for another SA, or altered
     * @throws IllegalArgumentException when a state is not one this version reads
     */
    static Prepared open(TakeoverSealer sealer, String label, String ikeSa, SealedState ike,
            Map<String, SealedState> children) {
        return open(sealer, label, ikeSa, ike, children, Map.of());
    }

    /** {@link #open(TakeoverSealer, String, String, SealedState, Map)} with the replaced Child SAs by name. */
    static Prepared open(TakeoverSealer sealer, String label, String ikeSa, SealedState ike,
            Map<String, SealedState> children, Map<String, Takeover.Replaced> replaced) {
        byte[] plain = sealer.open(label, TunnelEvent.TakeoverState.IKE_SA, ikeSa, ike);
        if (Ikev1SnapshotCodec.isIkev1(plain)) {
            Ikev1Snapshot v1;
            try {
                v1 = Ikev1SnapshotCodec.decode(plain);
            } finally {
                SnapshotCodec.wipe(plain);
            }
            return openV1(sealer, label, ikeSa, v1, children, replaced);
        }
        IkeSaSnapshot snapshot;
        try {
            snapshot = SnapshotCodec.decodeIke(plain);
        } finally {
            SnapshotCodec.wipe(plain);
        }
        if (!snapshot.id().toString().equals(ikeSa)) {
            throw new IllegalStateException("the journaled IKE SA " + ikeSa + " holds the state of " + snapshot.id());
        }
        List<IkeOutput.ChildSaInstalled> cs = new ArrayList<>();
        Map<String, Long> spiByName = new java.util.HashMap<>();
        for (Map.Entry<String, SealedState> e : children.entrySet()) {
            IkeOutput.ChildSaInstalled c = child(sealer, label, e.getKey(), e.getValue());
            cs.add(c);
            spiByName.put(e.getKey(), c.inboundSpi());
        }
        List<Old> old = new ArrayList<>();
        for (Map.Entry<String, Takeover.Replaced> e : replaced.entrySet()) {
            old.add(new Old(child(sealer, label, e.getKey(), e.getValue().state()),
                    spiByName.getOrDefault(e.getValue().by(), 0L), e.getValue().ours()));
        }
        return new Prepared(snapshot, cs, old);
    }

    /**
     * An ISAKMP SA's state with its ESP SA pairs: the journaled Child SAs (the pairs the peer replaced included)
     * that its state names, ordered so that the pair that was sending for a flow is installed last (the SA owner
     * makes the last one installed the sending one): pairs not yet sending, then those sending, then those our
     * quick mode replaced and that send until they are deleted.
     */
    private static Prepared openV1(TakeoverSealer sealer, String label, String ikeSa, Ikev1Snapshot v1,
            Map<String, SealedState> children, Map<String, Takeover.Replaced> replaced) {
        if (!v1.id().toString().equals(ikeSa)) {
            v1.wipe();
            throw new IllegalStateException("the journaled ISAKMP SA " + ikeSa + " holds the state of " + v1.id());
        }
        Map<Long, IkeOutput.ChildSaInstalled> bySpi = new java.util.HashMap<>();
        Map<String, SealedState> all = new java.util.HashMap<>(children);
        replaced.forEach((name, r) -> all.putIfAbsent(name, r.state()));
        for (Map.Entry<String, SealedState> e : all.entrySet()) {
            IkeOutput.ChildSaInstalled c = child(sealer, label, e.getKey(), e.getValue());
            bySpi.put(c.inboundSpi(), c);
        }
        List<IkeOutput.ChildSaInstalled> ordered = new ArrayList<>();
        for (List<Ikev1Snapshot.Status> group : List.of(
                List.of(Ikev1Snapshot.Status.OURS_UNSETTLED, Ikev1Snapshot.Status.RECEIVING),
                List.of(Ikev1Snapshot.Status.SENDING), List.of(Ikev1Snapshot.Status.RETIRING))) {
            for (Ikev1Snapshot.Pair pair : v1.pairs()) {
                IkeOutput.ChildSaInstalled c = group.contains(pair.status()) ? bySpi.remove(pair.spiIn()) : null;
                if (c != null) {
                    ordered.add(c);
                }
            }
        }
        // journaled Child SAs the ISAKMP SA's state does not name (a re-authentication's, not journaled yet) stay out
        bySpi.values().forEach(IkeOutput.ChildSaInstalled::wipeKeys);
        return new Prepared(null, ordered, List.of(), Optional.of(v1));
    }

    private static IkeOutput.ChildSaInstalled child(TakeoverSealer sealer, String label, String name,
            SealedState state) {
        byte[] p = sealer.open(label, TunnelEvent.TakeoverState.CHILD_SA, name, state);
        try {
            return SnapshotCodec.decodeChild(p);
        } finally {
            SnapshotCodec.wipe(p);
        }
    }

    /** The session actor of a resumed tunnel: an initiator's failover policy for active/dynamic tunnels. */
    static Behavior<IkeSessionActor.Command> actor(SessionDriver driver, IkeSettings nodeSettings,
            IkeTunnel tunnel, Prepared p) {
        // a longer first retransmission: the first request is the message ID sync, which must not be sent twice
        IkeSettings settings = nodeSettings.forResumption();
        Clock clock = Clock.systemUTC();
        boolean initiator = tunnel.mode() != IkeMode.PASSIVE && !tunnel.peers().isEmpty();
        TunnelPolicy policy = initiator ? TunnelPolicy.initiator(tunnel, settings, clock)
                : TunnelPolicy.responder(tunnel, settings, clock);
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new IkeSessionActor(driver, settings, tunnel,
                initiator, policy, clock, p.ike().local(), p.ike().remote(), ctx, timers).startResumed(
                        IkeSession.resume(tunnel, p.ike(), p.children(), p.replaced(), driver.environment(clock),
                                settings))));
    }

    /** For logs: which SA failed to open, and why (never key material: the sealer and codec say none). */
    static String why(RuntimeException e) {
        return Optional.ofNullable(e.getMessage()).orElse(e.getClass().getSimpleName());
    }
}
