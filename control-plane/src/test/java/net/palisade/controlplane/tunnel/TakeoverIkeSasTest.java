package net.palisade.controlplane.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.SaId;
import net.palisade.model.event.SealedState;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;

/**
 * The takeover state of an any-peer tunnel, which holds one IKE SA per site: each live IKE SA's sealed state is kept
 * with its own Child SAs, one going takes only its own, and takeover state journaled in the one-IKE-SA form (events
 * and snapshots written before) still reads.
 */
class TakeoverIkeSasTest {
    private static final Instant T0 = Instant.parse("2026-12-06T23:00:00Z");
    private static final String LABEL = "road";

    private static IkeTunnel road() {
        return (IkeTunnel) Fixtures.config().tunnel(LABEL).orElseThrow();
    }

    private static SealedState sealed(int n) {
        return new SealedState("kid-1", new byte[12], new byte[] {(byte) n, 1, 2, 3});
    }

    private static ChildSa child(int n, Optional<String> ike) {
        SpiPair spi = new SpiPair(Spi.of(0xc000 + 2 * n), Spi.of(0xc001 + 2 * n));
        ChildSa c = new ChildSa(SaId.child(spi.inbound().value()), spi);
        return ike.map(c::under).orElse(c);
    }

    private static TunnelState apply(TunnelState s, TunnelEvent... events) {
        for (TunnelEvent e : events) {
            s = s.apply(e);
        }
        return s;
    }

    private static TunnelEvent up(String ike, String peer) {
        return new TunnelEvent.Phase1Up(LABEL, T0, "node-1", Cause.PEER, peer, ike);
    }

    private static TunnelEvent installed(ChildSa c) {
        return new TunnelEvent.ChildSaInstalled(LABEL, T0, "node-1", Cause.PEER, c);
    }

    private static TunnelEvent ikeState(String ike, int n) {
        return new TunnelEvent.TakeoverState(LABEL, T0, "node-1", Cause.NODE, TunnelEvent.TakeoverState.IKE_SA,
                SaId.of(ike), sealed(n));
    }

    private static TunnelEvent childState(ChildSa c, int n) {
        return new TunnelEvent.TakeoverState(LABEL, T0, "node-1", Cause.NODE, TunnelEvent.TakeoverState.CHILD_SA,
                c.id(), sealed(n));
    }

    /** Three sites up, each IKE SA with one Child SA, everything journaled. */
    private static TunnelState threeSites() {
        TunnelState s = apply(TunnelState.empty(LABEL),
                new TunnelEvent.Configured(LABEL, T0, "node-1", Cause.NODE, road()));
        for (int i = 1; i <= 3; i++) {
            String ike = "ike-" + i;
            ChildSa c = child(i, Optional.of(ike));
            s = apply(s, up(ike, "198.51.100." + i), ikeState(ike, 10 + i), installed(c), childState(c, 20 + i));
        }
        return s;
    }

    @Test
    void everyLiveIkeSaIsKeptWithItsOwnChildSas() {
        Takeover t = threeSites().takeover();

        assertThat(t.ikeSas()).containsOnlyKeys("ike-1", "ike-2", "ike-3");
        for (int i = 1; i <= 3; i++) {
            assertThat(t.ikeSas().get("ike-" + i).children()).containsExactly(child(i, Optional.empty()).id().value());
            assertThat(t.ikeSas().get("ike-" + i).state()).isEqualTo(sealed(10 + i));
        }
        assertThat(t.ikeSa()).contains("ike-3");
        List<Takeover.Resume> resume = t.resumable();
        assertThat(resume).extracting(Takeover.Resume::ikeSa).containsExactly("ike-1", "ike-2", "ike-3");
        assertThat(resume.get(1).children()).containsOnlyKeys(child(2, Optional.empty()).id().value());
        assertThat(resume.get(1).ikeState()).isEqualTo(sealed(12));
    }

    @Test
    void aSiteJournaledAgainStaysItsOwn() {
        // DPD of site 1 journals its IKE SA's state again, ahead of the request: it must not become the newest
        Takeover t = apply(threeSites(), ikeState("ike-1", 31)).takeover();

        assertThat(t.ikeSa()).contains("ike-3");
        assertThat(t.ikeSas().get("ike-1").state()).isEqualTo(sealed(31));
        assertThat(t.ikeSas().get("ike-1").children()).containsExactly(child(1, Optional.empty()).id().value());
    }

    @Test
    void anIkeSaGoingTakesOnlyItsOwnState() {
        TunnelState s = apply(threeSites(), new TunnelEvent.Phase1Down(LABEL, T0, "node-1", Cause.PEER, "deleted",
                Optional.of("ike-2")));
        Takeover t = s.takeover();

        assertThat(t.ikeSas()).containsOnlyKeys("ike-1", "ike-3");
        assertThat(t.children()).containsOnlyKeys(child(1, Optional.empty()).id().value(),
                child(3, Optional.empty()).id().value());
        assertThat(t.resumable()).extracting(Takeover.Resume::ikeSa).containsExactly("ike-1", "ike-3");
        // the newest going leaves the one before it newest
        t = apply(s, new TunnelEvent.Phase1Down(LABEL, T0, "node-1", Cause.PEER, "deleted", Optional.of("ike-3")))
                .takeover();
        assertThat(t.ikeSa()).contains("ike-1");
        assertThat(t.ikeSas()).containsOnlyKeys("ike-1");
    }

    @Test
    void anIkeSaRekeyedAwayLeavesItsStateUntilTheNewOnesIsJournaled() {
        TunnelState s = apply(threeSites(), new TunnelEvent.Rekeyed(LABEL, T0, "node-1", Cause.PEER,
                SaId.of("ike-2"), SaId.of("ike-2b"), Optional.empty()));
        assertThat(s.takeover().ikeSas()).containsOnlyKeys("ike-1", "ike-3");
        assertThat(s.takeover().resumable()).extracting(Takeover.Resume::ikeSa).containsExactly("ike-1", "ike-3");

        Takeover t = apply(s, ikeState("ike-2b", 40)).takeover();
        assertThat(t.ikeSas()).containsOnlyKeys("ike-1", "ike-2b", "ike-3");
        assertThat(t.ikeSas().get("ike-2b").children()).containsExactly(child(2, Optional.empty()).id().value());
    }

    @Test
    void anIkeSaWithoutItsChildSasStatesIsNotResumable() {
        TunnelState s = threeSites();
        ChildSa extra = child(7, Optional.of("ike-2"));
        Takeover t = apply(s, installed(extra)).takeover();

        assertThat(t.resumable()).extracting(Takeover.Resume::ikeSa).containsExactly("ike-1", "ike-3");
    }

    @Test
    void eventsOfOneIkeSaWithoutOwnersReplayAsBefore() {
        // a tunnel with a peer: its Child SAs are journaled without their IKE SA; they all go with the one
        TunnelState s = apply(TunnelState.empty("site-b"), new TunnelEvent.Configured("site-b", T0, "node-1",
                Cause.NODE, Fixtures.config().tunnel("site-b").orElseThrow()));
        ChildSa c1 = child(1, Optional.empty());
        ChildSa c2 = child(2, Optional.empty());
        for (TunnelEvent e : List.of(
                new TunnelEvent.Phase1Up("site-b", T0, "node-1", Cause.PEER, "198.51.100.9", "ike-9"),
                new TunnelEvent.TakeoverState("site-b", T0, "node-1", Cause.NODE, TunnelEvent.TakeoverState.IKE_SA,
                        SaId.of("ike-9"), sealed(9)),
                new TunnelEvent.ChildSaInstalled("site-b", T0, "node-1", Cause.PEER, c1),
                new TunnelEvent.TakeoverState("site-b", T0, "node-1", Cause.NODE,
                        TunnelEvent.TakeoverState.CHILD_SA, c1.id(), sealed(1)),
                new TunnelEvent.ChildSaInstalled("site-b", T0, "node-1", Cause.PEER, c2),
                new TunnelEvent.TakeoverState("site-b", T0, "node-1", Cause.NODE,
                        TunnelEvent.TakeoverState.CHILD_SA, c2.id(), sealed(2)))) {
            s = s.apply(e);
        }
        List<Takeover.Resume> resume = s.takeover().resumable();

        assertThat(resume).hasSize(1);
        assertThat(resume.getFirst().ikeSa()).isEqualTo("ike-9");
        assertThat(resume.getFirst().children()).containsOnlyKeys(c1.id().value(), c2.id().value());
    }

    /** The journal's JSON mapping of snapshots, with a new node key. */
    private static com.fasterxml.jackson.databind.ObjectMapper journalJson() {
        return net.palisade.controlplane.journal.JournalJson.configure(
                new com.fasterxml.jackson.databind.ObjectMapper().registerModule(
                        new com.fasterxml.jackson.datatype.jdk8.Jdk8Module()),
                new net.palisade.controlplane.journal.SecretSealer(net.palisade.controlplane.journal.NodeKey.random()));
    }

    /** A snapshot holds each IKE SA's sealed state once, and reads back with the newest as {@code ikeState}. */
    @Test
    void aSnapshotHoldsTheNewestIkeSasStateOnceAndReadsItBack() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = journalJson();
        Takeover t = threeSites().takeover();
        String written = json.writeValueAsString(t);
        // the newest IKE SA's sealed bytes (13, 1, 2, 3) once: under ikeSas, not again as ikeState
        String newest = java.util.Base64.getEncoder().encodeToString(sealed(13).ct());
        assertThat(written).doesNotContain("\"ikeState\"");
        assertThat(written.split(java.util.regex.Pattern.quote(newest), -1)).hasSize(2);

        Takeover read = json.readValue(written, Takeover.class);
        assertThat(read.ikeSa()).contains("ike-3");
        assertThat(read.ikeState()).hasValueSatisfying(st -> assertThat(st.ct()).isEqualTo(sealed(13).ct()));
        assertThat(read.resumable()).extracting(Takeover.Resume::ikeSa).containsExactly("ike-1", "ike-2", "ike-3");
    }

    /**
     * A Child SA our rekey replaced is kept until our Delete of it is answered (since 2026-12-07), marked as ours; a
     * snapshot written before that mark existed (only the peer's rekeys were kept) reads as the peer's.
     */
    @Test
    void aReplacedChildSaKeepsWhoseRekeyItWasAndOlderSnapshotsReadAsThePeers() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = journalJson();
        ChildSa old = child(1, Optional.of("ike-1"));
        ChildSa fresh = child(2, Optional.of("ike-1"));
        TunnelState s = apply(TunnelState.empty(LABEL), new TunnelEvent.Configured(LABEL, T0, "node-1", Cause.NODE,
                road()), up("ike-1", "198.51.100.1"), ikeState("ike-1", 11), installed(old), childState(old, 21),
                new TunnelEvent.Rekeyed(LABEL, T0, "node-1", Cause.TIMER, old.id(), fresh.id(),
                        Optional.of(fresh.spi()), Optional.empty(), false),
                childState(fresh, 22));
        assertThat(s.takeover().replaced()).containsOnlyKeys(old.id().value());
        assertThat(s.takeover().resumable()).singleElement().satisfies(r -> assertThat(r.replaced().get(
                old.id().value()).ours()).isTrue());

        String written = json.writeValueAsString(s.takeover());
        assertThat(json.readValue(written, Takeover.class).replaced().get(old.id().value()).ours()).isTrue();
        String before = written.replace(",\"ours\":true", "");
        assertThat(before).isNotEqualTo(written).doesNotContain("ours");
        assertThat(json.readValue(before, Takeover.class).replaced().get(old.id().value()).ours()).isFalse();
    }

    @Test
    void aSnapshotInTheOneIkeSaFormReads() {
        // as a snapshot written before several IKE SAs were kept: no ikeSas, the one IKE SA with every Child SA
        Takeover old = new Takeover(Optional.of("ike-1"), Optional.of(sealed(1)), Map.of("child-a", sealed(2),
                "child-b", sealed(3)), Map.of(), Map.of(), null);

        assertThat(old.ikeSas()).containsOnlyKeys("ike-1");
        assertThat(old.resumable()).singleElement().satisfies(r -> {
            assertThat(r.ikeSa()).isEqualTo("ike-1");
            assertThat(r.children()).containsOnlyKeys("child-a", "child-b");
        });
        assertThat(Takeover.NONE.ikeSas()).isEmpty();
        assertThat(Takeover.NONE.resumable()).isEmpty();
    }
}
