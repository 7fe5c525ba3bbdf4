package net.palisade.controlplane.ikev1;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;

/**
 * One ISAKMP SA's takeover state (docs/ha.md, "IKEv1"): what its session reports for the journal ({@link
 * IkeOutput.IsakmpSaState}) and how a session goes on from it on another node or after a restart ({@link #resume}).
 *
 * <p>The state is reported when phase 1 comes up and in every step that changes the ESP SA pairs, placed ahead of
 * the first datagram that follows the change — our quick-mode message 3, our message 2 to the peer's quick mode —
 * so the session's driver holds that datagram until the journal has the state ({@code JournalFirst}): the peer
 * never holds a pair a node taking over does not know of. What a quick mode in flight leaves behind is settled on
 * resumption ({@link #beforeStep}):
 * <ul>
 *   <li>a pair our quick mode made in the last {@link Ikev1Session#SWITCH_GRACE} ({@link Ikev1Snapshot.Status
 *       #OURS_UNSETTLED}): our message 3 may never have left, so the peer may not have it. It is deleted (at the
 *       peer too) and a new quick mode for its flows starts at once, replacing the pair it was replacing, which
 *       sends meanwhile;</li>
 *   <li>a pair of the peer's quick mode whose message 3 we had not seen ({@link Ikev1Snapshot.Status#RECEIVING})
 *       receives only: if the peer has it, it deletes the pair it replaces, and this one sends from then on; if
 *       not, the peer sends its message 1 again and gets a new pair;</li>
 *   <li>a quick mode only started (message 1 of either side) is forgotten: the peer retries its own, ours starts
 *       anew when due. An initiator's flow without any pair gets a new quick mode at once.</li>
 * </ul>
 * R-U-THERE sequence numbers go on {@link #DPD_MARGIN} above the journaled one (RFC 3706: they must keep
 * increasing; the node before may have sent some after its state was written).
 */
final class Ikev1Takeover {
    /** How far a resumed ISAKMP SA's R-U-THERE numbers jump: a check a second for twelve days. */
    static final long DPD_MARGIN = 1L << 20;

    private final Ikev1Session s;
    private boolean dirty;
    /** Pairs of the peer's quick modes whose message 3 has not come (inbound SPIs). */
    private final Set<Long> receiving = new HashSet<>();
    /** Pairs our quick modes made just now, with when they count as settled. */
    private final Map<Long, Instant> unsettled = new HashMap<>();
    /** Resumed and not yet stepped: {@link #beforeStep} settles what the journal left open. */
    private boolean resumed;

    Ikev1Takeover(Ikev1Session session) {
        this.s = session;
    }

    /** The pairs changed (or phase 1 came up): the state is reported at the end of the step. */
    void changed() {
        dirty = true;
    }

    void installed(long spiIn, boolean byUs) {
        if (byUs) {
            unsettled.put(spiIn, s.ctx.now().plus(Ikev1Session.SWITCH_GRACE));
        }
        changed();
    }

    void receiving(long spiIn) {
        receiving.add(spiIn);
        changed();
    }

    void sending(long spiIn) {
        receiving.remove(spiIn);
        changed();
    }

    Optional<Instant> settleDue() {
        return unsettled.values().stream().min(Instant::compareTo);
    }

    void tick(Instant now) {
        if (unsettled.values().removeIf(at -> !now.isBefore(at))) {
            changed();
        }
    }

    /**
     * Adds the state to {@code outputs} if the step changed it: ahead of the first datagram after the first change of
     * a pair (the one that commits the peer to it), or last.
     */
    void flush(List<IkeOutput> outputs) {
        if (!dirty) {
            return;
        }
        dirty = false;
        if (!s.ctx.settings.takeoverState() || s.state != Ikev1State.ESTABLISHED || s.ctx.sa == null) {
            return;
        }
        int at = outputs.size();
        int change = -1;
        for (int i = 0; i < outputs.size() && change < 0; i++) {
            if (outputs.get(i) instanceof IkeOutput.ChildSaInstalled || outputs.get(i) instanceof IkeOutput.ChildSaRekeyed
                    || outputs.get(i) instanceof IkeOutput.Phase1Up) {
                change = i;
            }
        }
        for (int i = change + 1; change >= 0 && i < outputs.size(); i++) {
            if (outputs.get(i) instanceof IkeOutput.Send) {
                at = i;
                break;
            }
        }
        outputs.add(at, new IkeOutput.IsakmpSaState(snapshot()));
    }

    /** The state now, for the journal (copies of the keys: the receiver wipes them). */
    Ikev1Snapshot snapshot() {
        Ikev1Context c = s.ctx;
        IsakmpSa sa = c.sa;
        receiving.retainAll(s.children.stream().map(Ikev1Session.Child::spiIn).toList());
        unsettled.keySet().retainAll(s.children.stream().map(Ikev1Session.Child::spiIn).toList());
        List<Ikev1Snapshot.Pair> pairs = new ArrayList<>();
        for (Ikev1Session.Child ch : s.children) {
            boolean others = s.children.stream().anyMatch(o -> o != ch && o.local().equals(ch.local())
                    && o.remote().equals(ch.remote()));
            Ikev1Snapshot.Status st = unsettled.containsKey(ch.spiIn()) ? Ikev1Snapshot.Status.OURS_UNSETTLED
                    : receiving.contains(ch.spiIn()) && others ? Ikev1Snapshot.Status.RECEIVING
                    : Ikev1Snapshot.Status.SENDING;
            pairs.add(pair(ch, st, 0));
        }
        for (Ikev1Session.Retiring r : s.retiring) {
            if (r.was() != null) {
                pairs.add(pair(r.was(), Ikev1Snapshot.Status.RETIRING, r.deleteAt().toEpochMilli()));
            }
        }
        return new Ikev1Snapshot(c.ckyI, c.ckyR, c.initiator, s.phase1.aggressive(), sa.suite.encryption(),
                sa.suite.hash(), sa.suite.group(), sa.suite.lifetime(), sa.skeyidD.clone(), sa.skeyidA.clone(),
                sa.encryptionKey().clone(), sa.phase1Iv(), c.local, c.remote, c.natT.name(), c.peerDpd,
                c.udpEncapsulation, c.behindNat, s.phase1.peerId(), millis(s.phase1Expiry), millis(s.reauthAt),
                s.info.sequence(), pairs);
    }

    private static Ikev1Snapshot.Pair pair(Ikev1Session.Child ch, Ikev1Snapshot.Status st, long deleteAt) {
        return new Ikev1Snapshot.Pair(ch.spiIn(), ch.spiOut(), ch.local().base(), ch.local().prefix(),
                ch.remote().base(), ch.remote().prefix(), millis(ch.expireAt()), millis(ch.rekeyAt()), st, deleteAt);
    }

    private static long millis(Instant t) {
        return t == null ? 0 : t.toEpochMilli();
    }

    private static Instant instant(long ms) {
        return ms == 0 ? null : Instant.ofEpochMilli(ms);
    }

    /**
     * A session that goes on with the ISAKMP SA {@code st} and those of its pairs whose keys the journal has
     * ({@code withKeys}, inbound SPIs): established, no phase 1 or quick mode on the wire. Its first step settles
     * what the journal left open (class comment) and reports its state again with the new R-U-THERE numbers.
     */
    static Ikev1Session resume(IkeTunnel tunnel, Ikev1Snapshot st, Set<Long> withKeys, IkeEnvironment env,
            IkeSettings settings) {
        Ikev1Session s = new Ikev1Session(tunnel, st.initiator(), st.local(), st.remote(), env, settings);
        Ikev1Context c = s.ctx;
        c.ckyI = st.ckyI();
        c.ckyR = st.ckyR();
        c.sa = new IsakmpSa(new IsakmpSa.Suite(st.encryption(), st.hash(), st.group(), st.lifetime()), st.skeyidD(),
                st.skeyidA(), st.key(), st.phase1Iv());
        c.natT = VendorIds.NatT.valueOf(st.natT());
        c.peerDpd = st.peerDpd();
        c.udpEncapsulation = st.udpEncapsulation();
        c.behindNat = st.behindNat();
        c.lastInbound = c.now();
        s.phase1.resumed(st.aggressive(), st.peerId());
        s.state = Ikev1State.ESTABLISHED;
        s.phase1Expiry = instant(st.expiresAt());
        s.reauthAt = instant(st.reauthAt());
        s.info.resumeSequence(st.dpdSequence() + DPD_MARGIN);
        Ikev1Takeover t = s.takeover;
        for (Ikev1Snapshot.Pair p : st.pairs()) {
            if (!withKeys.contains(p.spiIn())) {
                c.count("resumed_pair_without_keys");
                continue;
            }
            Ikev1Session.Child ch = new Ikev1Session.Child(p.spiIn(), p.spiOut(), p.local(), p.remote(),
                    instant(p.rekeyAt()), instant(p.expiresAt()));
            switch (p.status()) {
                case RETIRING -> s.retiring.add(new Ikev1Session.Retiring(p.spiIn(), p.spiOut(),
                        c.now().plus(Ikev1Session.SWITCH_GRACE), ch));
                case OURS_UNSETTLED -> {
                    s.children.add(ch);
                    t.unsettled.put(p.spiIn(), Instant.MIN);
                }
                case RECEIVING -> {
                    s.children.add(ch);
                    t.receiving.add(p.spiIn());
                }
                case SENDING -> s.children.add(ch);
            }
        }
        t.resumed = true;
        t.dirty = true;
        c.count("resumed");
        return s;
    }

    /** First step of a resumed session: what the journal left open is settled (class comment). */
    void beforeStep() {
        if (!resumed) {
            return;
        }
        resumed = false;
        for (Ikev1Session.Child ch : List.copyOf(s.children)) {
            if (!Instant.MIN.equals(unsettled.get(ch.spiIn()))) {
                continue;
            }
            unsettled.remove(ch.spiIn());
            s.ctx.count("resumed_unsettled_quick_mode_redone");
            s.info.sendDeleteEsp(List.of(ch.spiIn()));
            s.removeChild(ch);
            Optional<Ikev1Session.Retiring> old = s.retiring.stream().filter(r -> r.was() != null
                    && r.was().local().equals(ch.local()) && r.was().remote().equals(ch.remote())).findFirst();
            old.ifPresent(r -> {
                s.retiring.remove(r);
                s.children.add(r.was());
            });
            s.quick.initiate(ch.local(), ch.remote(), old.map(Ikev1Session.Retiring::spiIn).orElse(0L));
        }
        if (s.ctx.initiator) {
            for (Network from : s.ctx.tunnel.from()) {
                for (Network to : s.ctx.tunnel.to()) {
                    IpFamily family = from.family().or(to::family)
                            .orElse(net.palisade.model.IpAddresses.family(s.ctx.remote.getAddress()));
                    Flow l = Flow.of(from, family);
                    Flow r = Flow.of(to, family);
                    boolean covered = s.children.stream().anyMatch(ch -> ch.local().equals(l) && ch.remote().equals(r))
                            || s.quick.inFlight(l, r);
                    if (!covered) {
                        s.ctx.count("resumed_flow_without_pair");
                        s.quick.initiate(l, r, 0);
                    }
                }
            }
        }
        changed();
    }
}
