package net.palisade.controlplane.ikev1;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.ike.IkeCounters;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSaId;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.model.IkeTunnel;

/**
 * The IKEv1 engine of one tunnel and peer: the entry point a driver feeds. It holds the {@link Ikev1Session} in use
 * and, while the original initiator re-authenticates, its successor. IKEv1 cannot rekey an ISAKMP SA (strongSwan
 * issue 3113): at 80 to 90 % of the phase-1 lifetime (or on {@link IkeInput.RekeyIke}) a new phase 1 runs beside the
 * old one, its quick modes replace the old ESP SAs one by one ({@link IkeOutput.ChildSaRekeyed}, then the old pair's
 * delete), and when none is left in flight the old ISAKMP SA is deleted and {@link IkeOutput.IkeSaRekeyed} reported.
 * Datagrams go to the session whose initiator cookie they carry.
 *
 * <p>Not thread-safe: one driver feeds one engine.
 */
public final class Ikev1Engine {
    /** How long a failed re-authentication waits before the next try. */
    static final Duration REAUTH_RETRY = Duration.ofSeconds(30);

    private final IkeTunnel tunnel;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final IkeEnvironment env;
    private final IkeSettings settings;
    private Ikev1Session current;
    private Ikev1Session next;
    private Instant retryAt;
    private Instant timerSet;

    private Ikev1Engine(Ikev1Session first, IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        this.current = first;
        this.tunnel = tunnel;
        this.local = local;
        this.remote = remote;
        this.env = env;
        this.settings = settings;
    }

    /** An engine that initiates (main or aggressive mode, as the tunnel says) to {@code remote} on Start. */
    public static Ikev1Engine initiator(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new Ikev1Engine(Ikev1Session.initiator(tunnel, local, remote, env, settings), tunnel, local, remote,
                env, settings);
    }

    /** An engine that answers a phase-1 message 1 from {@code remote}. */
    public static Ikev1Engine responder(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote,
            IkeEnvironment env, IkeSettings settings) {
        return new Ikev1Engine(Ikev1Session.responder(tunnel, local, remote, env, settings), tunnel, local, remote,
                env, settings);
    }

    /**
     * An engine that goes on with the journaled ISAKMP SA {@code state} and those of its ESP SA pairs whose keys the
     * journal has ({@code withKeys}, inbound SPIs; the SA owner installs them): no phase 1 or quick mode. Its first
     * input settles what a quick mode in flight left open ({@link Ikev1Takeover}).
     */
    public static Ikev1Engine resumed(IkeTunnel tunnel, Ikev1Snapshot state, Set<Long> withKeys, IkeEnvironment env,
            IkeSettings settings) {
        return new Ikev1Engine(Ikev1Takeover.resume(tunnel, state, withKeys, env, settings), tunnel, state.local(),
                state.remote(), env, settings);
    }

    /** Handles one input. */
    public Ikev1Session.Step handle(IkeInput input) {
        List<IkeOutput> out = new ArrayList<>();
        switch (input) {
            case IkeInput.Received r when next != null && cookie(r.datagram()) == next.initiatorCookie() ->
                    fromNext(next.handle(r), out);
            case IkeInput.Tick t -> {
                fromCurrent(current.handle(t), out);
                if (next != null) {
                    fromNext(next.handle(t), out);
                }
                Optional<Instant> due = reauthDue();
                if (due.isPresent() && !env.clock().instant().isBefore(due.get())) {
                    startReauthentication(out);
                }
            }
            case IkeInput.RekeyIke r -> {
                if (next == null && current.reauthAt().isPresent()) {
                    startReauthentication(out);
                } else {
                    current.counters().increment("ikev1.engine.reauthentication_refused");
                }
            }
            case IkeInput.Close c -> {
                if (next != null) {
                    next.handle(c);
                    next = null;
                }
                fromCurrent(current.handle(c), out);
            }
            default -> fromCurrent(current.handle(input), out);
        }
        Instant t = earliest(current.nextDeadline(), next == null ? null : next.nextDeadline());
        t = earliest(t, reauthDue().orElse(null));
        // a Tick used up the driver's timer and may come early (the driver's timers run on monotonic time, the
        // deadlines on the wall clock, which can step back): then the deadline is set again even though it did not
        // move. Not after a Tick at or past it: a deadline nothing acts on would spin.
        if (t != null && (!t.equals(timerSet) || input instanceof IkeInput.Tick && t.isAfter(env.clock().instant()))) {
            timerSet = t;
            out.add(new IkeOutput.SetTimer(t));
        }
        return new Ikev1Session.Step(current.state(), out);
    }

    /**
     * What a driver needs to pick the tunnel for a phase-1 message 1 that starts a new ISAKMP SA: its mode and, in
     * aggressive mode, the initiator's ID (RFC 2409: main mode's PSK can only be chosen by the peer's address, since
     * its ID comes encrypted; aggressive mode's by that ID). Empty unless {@code datagram} is a well-formed message 1
     * in clear (responder cookie 0, message ID 0).
     *
     * @param aggressive aggressive mode, else main mode
     * @param id         the initiator's ID (aggressive mode only)
     */
    public record FirstMessage(boolean aggressive, Optional<net.palisade.model.wire.ikev1.Ikev1Payload.Id> id) {}

    /** The mode and aggressive-mode ID of a phase-1 message 1, if {@code datagram} is one. */
    public static Optional<FirstMessage> firstMessage(byte[] datagram) {
        var decoded = net.palisade.model.wire.ikev1.Ikev1Codec.standard().decode(datagram).toOptional();
        if (decoded.isEmpty() || !(decoded.get() instanceof net.palisade.model.wire.ikev1.Ikev1Message.Plain m)
                || m.header().responderCookie() != 0 || m.header().messageId() != 0) {
            return Optional.empty();
        }
        var x = m.header().exchangeType();
        if (x == net.palisade.model.wire.ikev1.Ikev1ExchangeType.Known.AGGRESSIVE) {
            return Optional.of(new FirstMessage(true, m.first(net.palisade.model.wire.ikev1.Ikev1Payload.Id.class)));
        }
        if (x == net.palisade.model.wire.ikev1.Ikev1ExchangeType.Known.IDENTITY_PROTECTION) {
            return Optional.of(new FirstMessage(false, Optional.empty()));
        }
        return Optional.empty();
    }

    /** The state of the ISAKMP SA in use. */
    public Ikev1State state() {
        return current.state();
    }

    /** The cookie pair of the ISAKMP SA in use. */
    public IkeSaId id() {
        return current.id();
    }

    /** The initiator cookies of this engine's ISAKMP SAs: the driver routes datagrams carrying them here. */
    public Set<Long> initiatorCookies() {
        Set<Long> s = new LinkedHashSet<>();
        s.add(current.initiatorCookie());
        if (next != null) {
            s.add(next.initiatorCookie());
        }
        return s;
    }

    /** Counters of the ISAKMP SA in use. */
    public IkeCounters counters() {
        return current.counters();
    }

    /** True if the peer sent INITIAL-CONTACT. */
    public boolean initialContact() {
        return current.initialContact();
    }

    /** The ID the peer authenticated with in the ISAKMP SA in use, once it is up. */
    public Optional<net.palisade.model.wire.ikev1.Ikev1Payload.Id> peerId() {
        return current.peerId();
    }

    /** Sends INITIAL-CONTACT in our last phase-1 message. */
    public void sendInitialContact() {
        current.sendInitialContact();
    }

    /** The session in use, for tests in this package. */
    Ikev1Session current() {
        return current;
    }

    private Optional<Instant> reauthDue() {
        if (next != null) {
            return Optional.empty();
        }
        return current.reauthAt().map(at -> retryAt != null && retryAt.isAfter(at) ? retryAt : at);
    }

    private void startReauthentication(List<IkeOutput> out) {
        current.counters().increment("ikev1.engine.reauthentication_started");
        next = Ikev1Session.initiator(tunnel, local, remote, env, settings);
        fromNext(next.handle(new IkeInput.Start()), out);
    }

    private static void fromCurrent(Ikev1Session.Step step, List<IkeOutput> out) {
        step.outputs().stream().filter(o -> !(o instanceof IkeOutput.SetTimer)).forEach(out::add);
    }

    private void fromNext(Ikev1Session.Step step, List<IkeOutput> out) {
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.SetTimer t -> { }
                // journaled once it replaced the current one (the journal holds that name only from then)
                case IkeOutput.IsakmpSaState t -> t.snapshot().wipe();
                // the tunnel is up already: the new ISAKMP SA is reported once it replaced the old one
                case IkeOutput.Phase1Up u -> { }
                case IkeOutput.ChildSaInstalled c -> {
                    Optional<long[]> old = current.childFor(c);
                    if (old.isPresent()) {
                        // our quick mode: the old pair keeps sending for Ikev1Session.SWITCH_GRACE, then the new
                        // ISAKMP SA deletes it (the old one may be gone by then)
                        out.add(new IkeOutput.ChildSaRekeyed(old.get()[0], old.get()[1], c, false, false, true));
                        next.retireLater(old.get()[0], old.get()[1], current.forgetChild(old.get()[0]).orElse(null));
                    } else {
                        out.add(c);
                    }
                }
                default -> out.add(o);
            }
        }
        if (next.state() == Ikev1State.CLOSED) {
            current.counters().increment("ikev1.engine.reauthentication_failed");
            retryAt = env.clock().instant().plus(REAUTH_RETRY);
            next = null;
        } else if (next.state() == Ikev1State.ESTABLISHED && !next.quickModesInFlight()) {
            IkeSaId replaced = current.id();
            out.addAll(current.retire());
            current = next;
            next = null;
            retryAt = null;
            out.add(new IkeOutput.IkeSaRekeyed(replaced, current.id(), true));
            if (settings.takeoverState()) {
                out.add(new IkeOutput.IsakmpSaState(current.takeover.snapshot()));
            }
        }
    }

    private static long cookie(byte[] datagram) {
        long v = 0;
        for (int i = 0; i < 8 && i < datagram.length; i++) {
            v = (v << 8) | (datagram[i] & 0xff);
        }
        return v;
    }

    private static Instant earliest(Instant a, Instant b) {
        if (b == null) {
            return a;
        }
        return a == null || b.isBefore(a) ? b : a;
    }
}
