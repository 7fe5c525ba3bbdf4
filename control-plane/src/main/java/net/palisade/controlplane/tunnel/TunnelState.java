package net.palisade.controlplane.tunnel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.CborSerializable;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.config.ConfigJson;
import net.palisade.model.config.ConfigPrinter;

/**
 * One tunnel's state, rebuilt from its events by {@link #apply(TunnelEvent)} — the pure event handler, used by the
 * entity, by {@code stateAt} queries and by offline replay alike. Holds the full spec (secrets included; sealed in
 * snapshots); {@link #view()} is the redacted read form.
 *
 * @param label the tunnel
 * @param spec the spec; empty when not configured (never, or removed)
 * @param admin what the operator wants
 * @param peer the peer in use (IKE: as reported by the engine; manual: the configured peer)
 * @param ikeSa the established IKE SA's name; empty when phase 1 is down
 * @param sas the installed Child SAs (manual: the static pair while admin up)
 * @param since when the last event happened
 * @param lastFailure the last negotiation failure or DPD loss, until phase 1 comes up again
 * @param reachability what the tunnel's {@code ping} found since its IKE SA came up: {@value #REACHABLE} or
 *     {@value #UNREACHABLE}; empty without ping, or before its first verdict
 * @param takeover what a node needs to go on with the SAs without renegotiating (not part of the view); absent in
 *     snapshots written before it existed
 * @param ikeSas every established IKE SA of the tunnel, oldest first: one at most, except on an any-peer passive
 *     tunnel, which holds one per peer; {@code ikeSa} and {@code peer} are the newest's. Absent in snapshots written
 *     before it existed (then {@code ikeSa} alone)
 */
public record TunnelState(String label, Optional<TunnelSpec> spec, AdminState admin, Optional<String> peer,
        Optional<String> ikeSa, List<ChildSa> sas, Optional<Instant> since, Optional<String> lastFailure,
        Optional<String> reachability, Takeover takeover, List<IkeSa> ikeSas) implements CborSerializable {

    /** {@link #reachability}: the ping is answered. */
    public static final String REACHABLE = "reachable";
    /** {@link #reachability}: the ping is not answered. */
    public static final String UNREACHABLE = "unreachable";

    /** The id of a manual tunnel's static SA pair. */
    public static final SaId MANUAL_SA = SaId.MANUAL;

    public TunnelState {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(ikeSa, "ikeSa");
        sas = List.copyOf(sas);
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(lastFailure, "lastFailure");
        reachability = reachability == null ? Optional.empty() : reachability; // snapshots from before ping
        takeover = takeover == null ? Takeover.NONE : takeover; // snapshots from before takeover records
        if (ikeSas == null) { // snapshots from before several IKE SAs
            ikeSas = ikeSa.map(n -> List.of(new IkeSa(n, peer.orElse("")))).orElse(List.of());
        }
        ikeSas = List.copyOf(ikeSas);
    }

    /**
     * One established IKE SA of the tunnel.
     *
     * @param name its name, as in phase1-up
     * @param peer the peer it was established with
     */
    public record IkeSa(String name, String peer) {
        public IkeSa {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(peer, "peer");
        }
    }

    /** A state with one IKE SA at most, {@code ikeSa}. */
    public TunnelState(String label, Optional<TunnelSpec> spec, AdminState admin, Optional<String> peer,
            Optional<String> ikeSa, List<ChildSa> sas, Optional<Instant> since, Optional<String> lastFailure,
            Optional<String> reachability, Takeover takeover) {
        this(label, spec, admin, peer, ikeSa, sas, since, lastFailure, reachability, takeover, null);
    }

    /** A state without a ping verdict or takeover records (the form before they existed). */
    public TunnelState(String label, Optional<TunnelSpec> spec, AdminState admin, Optional<String> peer,
            Optional<String> ikeSa, List<ChildSa> sas, Optional<Instant> since, Optional<String> lastFailure) {
        this(label, spec, admin, peer, ikeSa, sas, since, lastFailure, Optional.empty(), Takeover.NONE);
    }

    /** A tunnel that has never been configured. */
    public static TunnelState empty(String label) {
        return new TunnelState(label, Optional.empty(), AdminState.UP, Optional.empty(), Optional.empty(), List.of(),
                Optional.empty(), Optional.empty());
    }

    /** True when the tunnel has a spec. */
    public boolean configured() {
        return spec.isPresent();
    }

    /** True when configured and the operator wants it up. */
    public boolean adminUp() {
        return configured() && admin == AdminState.UP;
    }

    /** True for a configured IKE tunnel. */
    public boolean ike() {
        return spec.filter(IkeTunnel.class::isInstance).isPresent();
    }

    /** True for a configured manual tunnel. */
    public boolean manual() {
        return spec.filter(ManualTunnel.class::isInstance).isPresent();
    }

    /** True for an IKE tunnel that answers any peer, and so may hold one IKE SA per peer at once. */
    public boolean anyPeer() {
        return spec.filter(t -> t instanceof IkeTunnel i && i.peers().isEmpty()).isPresent();
    }

    /** True when {@code name} is one of the tunnel's established IKE SAs. */
    public boolean holdsIkeSa(String name) {
        return ikeSas.stream().anyMatch(i -> i.name().equals(name));
    }

    /**
     * True when Child SAs negotiated under IKE SA {@code name} are still installed: a peer's IKE SA replaced by its
     * newer one keeps its Child SAs until its own end is reported.
     */
    public boolean holdsChildrenOf(String name) {
        return sas.stream().anyMatch(c -> c.ikeSa().filter(name::equals).isPresent());
    }

    /** The Child SA named {@code id}. */
    public Optional<ChildSa> sa(SaId id) {
        return sas.stream().filter(s -> s.id().equals(id)).findFirst();
    }

    /** Derived operational status. */
    public TunnelStatus status() {
        if (!adminUp()) {
            return TunnelStatus.DOWN;
        }
        if (manual()) {
            return sas.isEmpty() ? TunnelStatus.DOWN : TunnelStatus.UP;
        }
        if (!sas.isEmpty()) {
            return TunnelStatus.UP;
        }
        return ikeSa.isPresent() ? TunnelStatus.NO_CHILD_SA : TunnelStatus.CONNECTING;
    }

    /** The state after {@code event}. Pure: no clock, no I/O. */
    public TunnelState apply(TunnelEvent event) {
        TunnelState s = switch (event) {
            case TunnelEvent.Configured e -> spec.isEmpty()
                    ? new TunnelState(label, Optional.of(e.spec()), AdminState.UP, Optional.empty(), Optional.empty(),
                            List.of(), since, Optional.empty(), Optional.empty(), takeover)
                    // A changed spec restarts IKE: the old SAs are gone.
                    : new TunnelState(label, Optional.of(e.spec()), admin, Optional.empty(), Optional.empty(),
                            List.of(), since, Optional.empty(), Optional.empty(), takeover);
            case TunnelEvent.Removed e -> empty(label).withTakeover(takeover);
            case TunnelEvent.AdminUp e -> withAdmin(AdminState.UP);
            case TunnelEvent.AdminDown e -> withAdmin(AdminState.DOWN).phase1Gone();
            case TunnelEvent.Phase1Up e -> phase1Up(e);
            case TunnelEvent.Phase1Down e -> e.ikeSa().map(this::ikeSaGone).orElseGet(this::phase1Gone);
            case TunnelEvent.ChildSaInstalled e -> withSas(replace(sas, e.sa().id(), e.sa()));
            case TunnelEvent.ChildSaDeleted e -> withSas(without(sas, e.saId()));
            case TunnelEvent.Rekeyed e -> rekeyed(e);
            case TunnelEvent.DpdLost e -> e.ikeSa().map(this::ikeSaGone).orElseGet(this::phase1Gone)
                    .withFailure("dpd-lost: " + e.peer());
            case TunnelEvent.PeerSwitched e -> new TunnelState(label, spec, admin, Optional.of(e.to()), ikeSa, sas,
                    since, lastFailure, reachability, takeover, ikeSas);
            case TunnelEvent.NegotiationFailed e -> withFailure(
                    e.reason().name() + (e.detail().isEmpty() ? "" : ": " + e.detail()));
            case TunnelEvent.SaExpired e -> holdsIkeSa(e.saId().value())
                    ? ikeSaGone(e.saId().value()) : withSas(without(sas, e.saId()));
            case TunnelEvent.PingLost e -> withReachability(UNREACHABLE)
                    .withFailure("ping-lost: " + e.lost() + " echoes to " + e.to() + " unanswered");
            case TunnelEvent.PingOk e -> withReachability(REACHABLE);
            case TunnelEvent.TakeoverState e -> withTakeover(e.scope().equals(TunnelEvent.TakeoverState.IKE_SA)
                    ? takeover.withIke(e.sa().value(), e.state()) : takeover.withChild(e.sa().value(), e.state()));
            case TunnelEvent.SequenceReserved e -> withTakeover(takeover.withReserved(e.spi(), e.upTo()));
            case TunnelEvent.Resumed e -> this;
        };
        boolean reinstall = event instanceof TunnelEvent.Configured || event instanceof TunnelEvent.AdminUp;
        TunnelState n = s.normalized(reinstall);
        return n.withTakeover(n.prunedTakeover(this, event)).at(event.time());
    }

    /**
     * Takeover records of what is gone: an IKE SA's when it left the tunnel, a Child SA's when it left the list, the
     * reservations of IKE Child SAs that left it. A manual SA's reservations stay, whatever happens to the tunnel: the
     * same key may be committed again, and its numbers must go on above them.
     *
     * <p>A rekeyed Child SA leaves the list but not the records: it moves to {@link Takeover#replaced} with its
     * reservations, until its {@code child-sa-deleted} or the end of phase 1. The peer's rekey ({@code rekeyed} with
     * cause peer: we answered, and keep sending on it until the peer deletes it): a node that takes over in between
     * cannot know whether the peer ever received our answer, and resumes both. Ours (since 2026-12-07): the peer
     * sends on it until our Delete of it reaches it, and a node that takes over before that Delete was answered
     * receives on it.
     *
     * <p>Each live IKE SA's record names its Child SAs (by the IKE SA each was journaled under; the newest takes
     * those of unknown IKE SA), so that each resumes with its own.
     */
    private Takeover prunedTakeover(TunnelState before, TunnelEvent event) {
        java.util.Set<String> live = new java.util.HashSet<>();
        sas.forEach(c -> live.add(c.id().value()));
        java.util.Set<Long> dropped = new java.util.HashSet<>();
        for (ChildSa old : before.sas) {
            if (!old.id().equals(MANUAL_SA) && !live.contains(old.id().value())) {
                dropped.add(old.spi().outbound().value());
            }
        }
        java.util.Map<String, Takeover.Replaced> replaced = new java.util.HashMap<>(takeover.replaced());
        switch (event) {
            case TunnelEvent.Rekeyed r when r.spi().isPresent() -> {
                String old = r.replaced().value();
                Takeover.Replaced earlier = replaced.get(old);
                java.util.Optional<net.palisade.model.event.SealedState> st = java.util.Optional
                        .ofNullable(takeover.children().get(old))
                        .or(() -> java.util.Optional.ofNullable(earlier).map(Takeover.Replaced::state));
                java.util.Optional<Long> out = before.sa(r.replaced()).map(c -> c.spi().outbound().value())
                        .or(() -> java.util.Optional.ofNullable(earlier).map(Takeover.Replaced::outboundSpi));
                if (st.isPresent() && out.isPresent()) {
                    replaced.put(old, new Takeover.Replaced(st.get(), r.replacement().value(), out.get(),
                            !net.palisade.model.event.Cause.PEER.equals(r.cause())));
                    dropped.remove(out.get());
                }
            }
            case TunnelEvent.ChildSaDeleted d -> gone(replaced, d.saId().value(), dropped);
            case TunnelEvent.SaExpired x -> gone(replaced, x.saId().value(), dropped);
            default -> { }
        }
        if (ikeSa.isEmpty()) {
            replaced.values().forEach(r -> dropped.add(r.outboundSpi()));
            replaced.clear();
        }
        java.util.Map<String, String> owners = new java.util.HashMap<>();
        sas.forEach(c -> c.ikeSa().ifPresent(o -> owners.put(c.id().value(), o)));
        return takeover.keeping(live, ikeSas.stream().map(IkeSa::name).toList(), owners, dropped, replaced);
    }

    private static void gone(java.util.Map<String, Takeover.Replaced> replaced, String sa,
            java.util.Set<Long> dropped) {
        Takeover.Replaced r = replaced.remove(sa);
        if (r != null) {
            dropped.add(r.outboundSpi());
        }
    }

    private TunnelState withTakeover(Takeover t) {
        return new TunnelState(label, spec, admin, peer, ikeSa, sas, since, lastFailure, reachability, t, ikeSas);
    }

    /**
     * A new IKE SA: it replaces the tunnel's one; on an any-peer tunnel it comes beside the others, even of the same
     * peer address (sites behind one NAT share it), and an IKE SA it replaces leaves with its own end (the session
     * that replaced it reports its {@code phase1-down}, or an IKEv1 phase 1's {@code rekeyed}), with its Child SAs.
     */
    private TunnelState phase1Up(TunnelEvent.Phase1Up e) {
        List<IkeSa> kept = anyPeer() ? ikeSas.stream().filter(i -> !i.name().equals(e.ikeSa())).toList()
                : List.of();
        List<IkeSa> all = new ArrayList<>(kept);
        all.add(new IkeSa(e.ikeSa(), e.peer()));
        return new TunnelState(label, spec, admin, Optional.of(e.peer()), Optional.of(e.ikeSa()), sas, since,
                Optional.empty(), Optional.empty(), takeover, all);
    }

    /**
     * The IKE SA {@code name} and the Child SAs negotiated under it are gone; the tunnel's other IKE SAs and theirs
     * stay. When it was the last, every Child SA goes (those journaled without their IKE SA too).
     */
    private TunnelState ikeSaGone(String name) {
        List<IkeSa> rest = ikeSas.stream().filter(i -> !i.name().equals(name)).toList();
        if (rest.isEmpty()) {
            return phase1Gone();
        }
        IkeSa newest = rest.getLast();
        List<ChildSa> left = sas.stream().filter(c -> !c.ikeSa().filter(name::equals).isPresent()).toList();
        return new TunnelState(label, spec, admin, Optional.of(newest.peer()), Optional.of(newest.name()), left,
                since, lastFailure, reachability, takeover, rest);
    }

    private TunnelState rekeyed(TunnelEvent.Rekeyed e) {
        if (e.spi().isEmpty()) {
            String old = e.replaced().value();
            String now = e.replacement().value();
            List<IkeSa> renamed = ikeSas.stream()
                    .map(i -> i.name().equals(old) ? new IkeSa(now, i.peer()) : i).toList();
            if (ikeSas.isEmpty()) {
                renamed = List.of(new IkeSa(now, peer.orElse("")));
            }
            List<ChildSa> moved = sas.stream()
                    .map(c -> c.ikeSa().filter(old::equals).isPresent() ? c.under(now) : c).toList();
            Optional<String> current = ikeSa.filter(old::equals).isPresent() || ikeSa.isEmpty()
                    ? Optional.of(now) : ikeSa;
            return new TunnelState(label, spec, admin, peer, current, moved, since, lastFailure, reachability,
                    takeover, renamed);
        }
        Optional<String> owner = sa(e.replaced()).flatMap(ChildSa::ikeSa);
        return withSas(replace(sas, e.replaced(),
                new ChildSa(e.replacement(), e.spi().get(), e.pfs(), e.esn(), owner)));
    }

    /**
     * Manual tunnels have the static pair while admin up, from the moment it is (re)installed — a new spec or admin
     * up — until the dataplane reports it expired (sequence numbers used up); nothing runs while admin down.
     */
    private TunnelState normalized(boolean reinstall) {
        if (spec.isPresent() && spec.get() instanceof ManualTunnel m) {
            boolean installed = admin == AdminState.UP && (reinstall || !sas.isEmpty());
            List<ChildSa> pair = installed ? List.of(new ChildSa(MANUAL_SA, m.spi())) : List.of();
            Optional<String> failure = installed || admin == AdminState.DOWN ? Optional.empty()
                    : Optional.of("manual SA expired: its sequence numbers are used up; commit new keys and SPIs");
            return new TunnelState(label, spec, admin, Optional.of(m.peer().toString()), Optional.empty(), pair, since,
                    failure, Optional.empty(), takeover, List.of());
        }
        if (spec.isPresent() && admin == AdminState.DOWN) {
            return phase1Gone();
        }
        return this;
    }

    private TunnelState withAdmin(AdminState a) {
        return new TunnelState(label, spec, a, peer, ikeSa, sas, since, lastFailure, reachability, takeover, ikeSas);
    }

    private TunnelState withSas(List<ChildSa> s) {
        return new TunnelState(label, spec, admin, peer, ikeSa, s, since, lastFailure, reachability, takeover, ikeSas);
    }

    private TunnelState withFailure(String f) {
        return new TunnelState(label, spec, admin, peer, ikeSa, sas, since, Optional.of(f), reachability, takeover,
                ikeSas);
    }

    private TunnelState withReachability(String r) {
        return new TunnelState(label, spec, admin, peer, ikeSa, sas, since, lastFailure, Optional.of(r), takeover,
                ikeSas);
    }

    /** No IKE SA and no Child SA: the ping stops, its verdict goes with them. */
    private TunnelState phase1Gone() {
        return new TunnelState(label, spec, admin, peer, Optional.empty(), List.of(), since, lastFailure,
                Optional.empty(), takeover, List.of());
    }

    private TunnelState at(Instant t) {
        return new TunnelState(label, spec, admin, peer, ikeSa, sas, Optional.of(t), lastFailure, reachability,
                takeover, ikeSas);
    }

    private static List<ChildSa> replace(List<ChildSa> list, SaId id, ChildSa sa) {
        List<ChildSa> out = new ArrayList<>(list.size() + 1);
        boolean replaced = false;
        for (ChildSa s : list) {
            if (s.id().equals(id)) {
                out.add(sa);
                replaced = true;
            } else {
                out.add(s);
            }
        }
        if (!replaced) {
            out.add(sa);
        }
        return out;
    }

    private static List<ChildSa> without(List<ChildSa> list, SaId id) {
        return list.stream().filter(s -> !s.id().equals(id)).toList();
    }

    /** The redacted read form. */
    public TunnelView view() {
        return view(spec.map(PrintedSpec::of));
    }

    /**
     * The redacted read form, with the spec's texts already printed ({@link PrintedSpec#of}); the entity keeps them
     * while its spec stays the same object, so that answering an engine report does not print the spec again.
     *
     * @throws IllegalArgumentException if {@code printed} is not of this state's spec
     */
    public TunnelView view(Optional<PrintedSpec> printed) {
        if (printed.map(PrintedSpec::spec).orElse(null) != spec.orElse(null)) {
            throw new IllegalArgumentException("tunnel " + label + ": the printed spec is not this state's spec");
        }
        return new TunnelView(label, configured(), spec.map(TunnelSpec::type), status(), admin, peer, ikeSa, sas,
                since, lastFailure, printed.map(PrintedSpec::statement), printed.map(PrintedSpec::json), reachability,
                ikeSas);
    }

    /**
     * A spec's redacted texts as {@link TunnelView} shows them.
     *
     * @param spec the spec they were printed from
     * @param statement the config statement, secrets as {@code [redacted]}
     * @param json the API's JSON, secrets as {@code "[redacted]"}
     */
    public record PrintedSpec(TunnelSpec spec, String statement, String json) {
        public PrintedSpec {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(statement, "statement");
            Objects.requireNonNull(json, "json");
        }

        /** Prints {@code spec}. */
        public static PrintedSpec of(TunnelSpec spec) {
            return new PrintedSpec(spec, ConfigPrinter.printStatementRedacted(spec), ConfigJson.write(spec));
        }
    }
}
