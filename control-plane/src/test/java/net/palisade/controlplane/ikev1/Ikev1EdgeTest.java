package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev1.Ikev1Codec;
import net.palisade.model.wire.ikev1.Ikev1Header;
import net.palisade.model.wire.ikev1.Ikev1Message;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Lost, duplicated, reordered and forged messages, refusals, deletes, DPD and replacement between two engines. */
class Ikev1EdgeTest {

    private static IkeTunnel tunnel(IkeExchange x) {
        return Ikev1Loop.tunnel(x, "badpassword", List.of(DhGroup.MODP2048));
    }

    private static void settle(Ikev1Loop loop) {
        for (int i = 0; i < 8; i++) {
            loop.advance(Duration.ofSeconds(2));
        }
    }

    private static void assertUp(Ikev1Loop loop) {
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        Ikev1SessionTest.assertChildPair(loop);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8})
    void mainModeSurvivesTheLossOfAnyOneMessage(int lost) {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        int[] n = {0};
        loop.network = (f, l) -> n[0]++ == lost ? 0 : 1;
        loop.start();
        settle(loop);
        assertUp(loop);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void aggressiveModeSurvivesTheLossOfAnyOneMessage(int lost) {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_AGGRESSIVE);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        int[] n = {0};
        loop.network = (f, l) -> n[0]++ == lost ? 0 : 1;
        loop.start();
        settle(loop);
        assertUp(loop);
    }

    @ParameterizedTest
    @EnumSource(value = IkeExchange.class, names = {"IKEV1_MAIN", "IKEV1_AGGRESSIVE"})
    void everyMessageDuplicatedIsProcessedOnce(IkeExchange x) {
        IkeTunnel t = tunnel(x);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        loop.network = (f, l) -> 2;
        loop.start();
        assertUp(loop);
        assertThat(loop.a.counters().get("ikev1.engine.duplicate_just_answered")
                + loop.b.counters().get("ikev1.engine.duplicate_just_answered")).isPositive();
    }

    /** As IKEv2's engine: a Tick before the deadline still ends with the deadline set again (it used the timer). */
    @Test
    void anEarlyTickStillEndsWithTheNextDeadline() {
        Ikev1Engine e = Ikev1Engine.initiator(Ikev1Loop.main("badpassword"), Ikev1Loop.A, Ikev1Loop.B,
                new net.palisade.controlplane.ike.IkeEnvironment(new net.palisade.controlplane.MutableClock(
                        java.time.Instant.parse("2026-12-06T12:00:00Z")), new java.util.Random(3)::nextBytes,
                        net.palisade.controlplane.ike.crypto.KeyExchanges.standard(),
                        net.palisade.model.wire.ikev2.Ikev2Codec.standard()),
                net.palisade.controlplane.ike.IkeSettings.DEFAULT);
        java.util.List<IkeOutput> started = e.handle(new IkeInput.Start()).outputs();
        IkeOutput.SetTimer timer = started.stream().filter(IkeOutput.SetTimer.class::isInstance)
                .map(IkeOutput.SetTimer.class::cast).findFirst().orElseThrow();
        assertThat(e.handle(new IkeInput.Tick()).outputs()).containsExactly(timer);
    }

    @Test
    void quickModeOvertakingAggressiveMessage3IsRetriedAfterIt() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_AGGRESSIVE);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        List<Ikev1Loop.Flight> held = new ArrayList<>();
        int[] n = {0};
        // message 3 of aggressive mode (the third datagram) arrives after the first quick mode message
        loop.network = (f, l) -> {
            int i = n[0]++;
            if (i == 2) {
                held.add(f);
                return 0;
            }
            if (i == 3) {
                l.inFlight.addFirst(held.getFirst());
            }
            return 1;
        };
        loop.start();
        assertThat(loop.b.counters().get("ikev1.engine.protected_before_phase1")).isEqualTo(1);
        settle(loop);
        assertUp(loop);
    }

    @Test
    void aggressiveMessage3InClearIsAccepted() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_AGGRESSIVE);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        int[] n = {0};
        Ikev1Codec codec = Ikev1Codec.standard();
        loop.network = (f, l) -> {
            if (n[0]++ != 2) {
                return 1;
            }
            // as some peers send it (libreswan #230): the same payloads without encryption
            Ikev1Message.Encrypted m = (Ikev1Message.Encrypted) codec.decode(f.datagram()).orElseThrow();
            byte[] plain = l.b.current().isakmpSa().decrypt(0, m.ciphertext().toByteArray()).orElseThrow().plaintext();
            List<Ikev1Payload> payloads = codec.decodePayloads(m.firstPayload(), plain).orElseThrow();
            Ikev1Header h = m.header();
            byte[] clear = codec.encode(new Ikev1Message.Plain(new Ikev1Header(h.initiatorCookie(),
                    h.responderCookie(), 0, h.exchangeType(), 0, 0), payloads));
            l.feed(false, new IkeInput.Received(clear, f.from(), f.to()));
            return 0;
        };
        loop.start();
        assertThat(loop.b.counters().get("ikev1.engine.aggressive_message3_in_clear")).isEqualTo(1);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).hasSize(1);
        // (quick mode is not judged here: A encrypted message 3, so its phase-2 IVs chain from another block)
    }

    @Test
    void noPhase1ProposalChosenFailsBothSides() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        IkeTunnel other = Ikev1Loop.with(Ikev1Loop.mirror(t), new IkeSaSpec(List.of(EncryptionAlgorithm.AES_128),
                List.of(AuthAlgorithm.HMAC_SHA2_512), List.of(), List.of(DhGroup.ECP384), Duration.ofHours(8)),
                t.childSa(), Optional.empty());
        Ikev1Loop loop = new Ikev1Loop(t, other).start();
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.a.state()).isEqualTo(Ikev1State.CLOSED);
    }

    @Test
    void noQuickModeProposalChosenKeepsPhase1() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        IkeTunnel other = Ikev1Loop.with(Ikev1Loop.mirror(t), t.ikeSa(), new ChildSaSpec(
                List.of(EncryptionAlgorithm.TRIPLE_DES), List.of(AuthAlgorithm.HMAC_SHA1), List.of(DhGroup.MODP2048),
                Duration.ofHours(1)), Optional.empty());
        Ikev1Loop loop = new Ikev1Loop(t, other).start();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        // refused with PFS, then (PFS not required) once more without: refused again
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN, FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.events(true, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).isEmpty();
    }

    @Test
    void wrongModeIsRefused() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_AGGRESSIVE);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(tunnel(IkeExchange.IKEV1_MAIN))).start();
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).extracting(IkeOutput.NegotiationFailed::reason)
                .containsExactly(FailureReason.NO_PROPOSAL_CHOSEN);
        assertThat(loop.events(false, IkeOutput.Phase1Up.class)).isEmpty();
    }

    @Test
    void aForgedQuickModeMessageChangesNothingAndTheGenuineOneStillWorks() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        int[] n = {0};
        loop.network = (f, l) -> {
            if (n[0]++ == 6) {
                byte[] forged = f.datagram().clone();
                forged[forged.length - 20] ^= 1;
                l.feed(false, new IkeInput.Received(forged, f.from(), f.to()));
                return 0;
            }
            return 1;
        };
        loop.start();
        assertThat(loop.b.counters().get("ikev1.engine.quick_mode_bad_hash")
                + loop.b.counters().get("ikev1.engine.undecryptable")).isEqualTo(1);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).isEmpty();
        settle(loop);
        assertUp(loop);
    }

    @Test
    void aForgedDeleteIsDroppedAndTheGenuineOneEndsThePeersSa() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        loop.network = (f, l) -> {
            byte[] forged = f.datagram().clone();
            forged[forged.length - 1] ^= 1;
            l.feed(false, new IkeInput.Received(forged, f.from(), f.to()));
            return 0;
        };
        loop.feed(true, new IkeInput.Close());
        List<Ikev1Loop.Flight> sent = List.copyOf(loop.inFlight);
        loop.run();
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.events(false, IkeOutput.Phase1Down.class)).isEmpty();
        loop.network = (f, l) -> 1;
        loop.inFlight.addAll(sent);
        loop.run();
        assertThat(loop.a.state()).isEqualTo(Ikev1State.CLOSED);
        assertThat(loop.b.state()).isEqualTo(Ikev1State.CLOSED);
        assertThat(loop.events(false, IkeOutput.Phase1Down.class).getFirst().reason()).isEmpty();
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class)).hasSize(1);
    }

    @Test
    void deleteChildRemovesThePairOnBothSides() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        loop.feed(true, new IkeInput.DeleteChild());
        loop.run();
        IkeOutput.ChildSaDeleted da = loop.events(true, IkeOutput.ChildSaDeleted.class).getFirst();
        IkeOutput.ChildSaDeleted db = loop.events(false, IkeOutput.ChildSaDeleted.class).getFirst();
        assertThat(da.inboundSpi()).isEqualTo(db.outboundSpi());
        assertThat(loop.b.state()).isEqualTo(Ikev1State.ESTABLISHED);
    }

    @Test
    void initialContactReachesThePeer() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t));
        loop.a.sendInitialContact();
        loop.start();
        assertThat(loop.b.initialContact()).isTrue();
        assertThat(loop.a.initialContact()).isFalse();
        IkeTunnel agg = tunnel(IkeExchange.IKEV1_AGGRESSIVE);
        Ikev1Loop aggressive = new Ikev1Loop(agg, Ikev1Loop.mirror(agg));
        aggressive.a.sendInitialContact();
        aggressive.start();
        assertThat(aggressive.b.initialContact()).isTrue();
    }

    @Test
    void dpdAnsweredThenLost() {
        IkeTunnel t = Ikev1Loop.with(tunnel(IkeExchange.IKEV1_MAIN), tunnel(IkeExchange.IKEV1_MAIN).ikeSa(),
                tunnel(IkeExchange.IKEV1_MAIN).childSa(), Optional.of(Duration.ofSeconds(10)));
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        loop.advance(Duration.ofSeconds(11));
        assertThat(loop.events(true, IkeOutput.PeerAlive.class)).as(loop.a.counters() + " " + loop.b.counters()
                + loop.aOutputs).hasSize(1);
        assertThat(loop.b.counters().get("ikev1.engine.dpd_answered")).isEqualTo(1);
        // the peer is killed: nothing arrives either way
        loop.network = (f, l) -> 0;
        for (int i = 0; i < 60; i++) {
            loop.advance(Duration.ofSeconds(1));
        }
        IkeOutput.Phase1Down down = loop.events(true, IkeOutput.Phase1Down.class).getFirst();
        assertThat(down.reason()).contains(FailureReason.TIMEOUT);
        assertThat(down.detail()).contains("R-U-THERE");
        assertThat(loop.a.state()).isEqualTo(Ikev1State.CLOSED);
    }

    @Test
    void inboundTrafficPostponesDpd() {
        IkeTunnel t = Ikev1Loop.with(tunnel(IkeExchange.IKEV1_MAIN), tunnel(IkeExchange.IKEV1_MAIN).ikeSa(),
                tunnel(IkeExchange.IKEV1_MAIN).childSa(), Optional.of(Duration.ofSeconds(10)));
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        for (int i = 0; i < 5; i++) {
            loop.clock.advance(Duration.ofSeconds(5));
            loop.feed(true, new IkeInput.InboundTraffic());
            loop.advance(Duration.ZERO);
        }
        assertThat(loop.a.counters().get("ikev1.engine.dpd_sent")).isZero();
    }

    @Test
    void childSaIsReplacedBeforeItExpires() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        loop.advance(Duration.ofMinutes(55));
        IkeOutput.ChildSaRekeyed rekeyed = loop.events(true, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(rekeyed.oldInboundSpi()).isEqualTo(first.inboundSpi());
        assertThat(rekeyed.replacement().inboundSpi()).isNotEqualTo(first.inboundSpi());
        // B, the responder, replaces the pair it had for these flows: the new one receives (installed before B's
        // message 2 left) and sends once our message 3 came, the old one receives until our Delete
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).hasSize(1);
        IkeOutput.ChildSaRekeyed onB = loop.events(false, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(onB.oldOutboundSpi()).isEqualTo(first.inboundSpi());
        assertThat(onB.replacement().outboundSpi()).isEqualTo(rekeyed.replacement().inboundSpi());
        assertThat(onB.switchOutbound()).isFalse();
        assertThat(onB.byUs()).isFalse();
        assertThat(loop.events(false, IkeOutput.ChildSaSending.class)).extracting(IkeOutput.ChildSaSending::inboundSpi)
                .containsExactly(onB.replacement().inboundSpi());
        // our quick mode replaced it: the new pair receives at once, the old one sends a moment longer (the peer
        // installs its inbound SA only when our message 3 arrives), then our Delete reaches the peer
        assertThat(rekeyed.switchOutbound()).isFalse();
        assertThat(rekeyed.byUs()).isTrue();
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class)).isEmpty();
        loop.advance(Ikev1Session.SWITCH_GRACE.plusMillis(100));
        assertThat(loop.events(true, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .containsExactly(first.inboundSpi());
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::outboundSpi)
                .containsExactly(first.inboundSpi());
    }

    /**
     * Why the order matters: an initiator installs both directions on message 2 and may send on its new pair at once.
     * strongSwan does; a responder that installs only on message 3 drops whatever overtakes that message.
     */
    @Test
    void aQuickModeReplacingOurPairReceivesBeforeOurMessage2LeavesAndSendsOnceMessage3Came() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        IkeOutput.ChildSaInstalled first = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        int aMark = loop.aOutputs.size();
        int bMark = loop.bOutputs.size();
        // A's rekey: its message 1 arrives, its first message 3 is lost
        int[] toB = {0};
        loop.network = (f, l) -> f.toB() && ++toB[0] == 2 ? 0 : 1;
        loop.advance(Duration.ofMinutes(55));
        assertThat(toB[0]).as("A's message 1 and message 3 went out").isEqualTo(2);

        List<IkeOutput> bSince = loop.bOutputs.subList(bMark, loop.bOutputs.size());
        IkeOutput.ChildSaRekeyed onB = loop.events(false, IkeOutput.ChildSaRekeyed.class).getFirst();
        assertThat(bSince.stream().filter(o -> o instanceof IkeOutput.Send || o instanceof IkeOutput.ChildSaRekeyed)
                .findFirst()).as("B's new pair is installed before its message 2 leaves").containsSame(onB);
        assertThat(onB.oldOutboundSpi()).isEqualTo(first.inboundSpi());
        assertThat(onB.switchOutbound()).as("B sends on the old pair until message 3").isFalse();
        assertThat(loop.events(false, IkeOutput.ChildSaSending.class)).isEmpty();

        List<IkeOutput> aSince = loop.aOutputs.subList(aMark, loop.aOutputs.size());
        int aRekeyed = aSince.indexOf(loop.events(true, IkeOutput.ChildSaRekeyed.class).getFirst());
        assertThat(aSince.subList(0, aRekeyed).stream().filter(o -> o instanceof IkeOutput.Send).count())
                .as("A installs before its message 3 leaves: only its message 1 went out before").isEqualTo(1);

        // B sends message 2 again, A answers with message 3 again: B sends on the new pair from then
        loop.advance(IkeSettings.DEFAULT.retransmit().getFirst().plusMillis(100));
        assertThat(loop.events(false, IkeOutput.ChildSaSending.class)).extracting(IkeOutput.ChildSaSending::inboundSpi)
                .containsExactly(onB.replacement().inboundSpi());
        assertThat(loop.events(false, IkeOutput.NegotiationFailed.class)).isEmpty();
    }

    @Test
    void aQuickModeWhoseMessage3NeverComesTakesItsReceivingPairBackAndTheOldOneSendsOn() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        int[] toB = {0};
        // from A's rekey on, only its message 1 reaches B
        loop.network = (f, l) -> f.toB() && ++toB[0] > 1 ? 0 : 1;
        loop.advance(Duration.ofMinutes(55));
        IkeOutput.ChildSaRekeyed onB = loop.events(false, IkeOutput.ChildSaRekeyed.class).getFirst();
        for (Duration d : IkeSettings.DEFAULT.retransmit()) {
            loop.advance(d.plusMillis(100));
        }
        assertThat(loop.events(false, IkeOutput.ChildSaSending.class)).isEmpty();
        assertThat(loop.events(false, IkeOutput.ChildSaDeleted.class)).extracting(IkeOutput.ChildSaDeleted::inboundSpi)
                .contains(onB.replacement().inboundSpi())
                .doesNotContain(onB.oldInboundSpi());
    }

    @Test
    void theInitiatorReauthenticatesBeforePhase1ExpiresAndTheTunnelStaysUp() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        var firstId = loop.a.id();
        for (int i = 0; i < 46; i++) {
            loop.advance(Duration.ofMinutes(10));
        }
        IkeOutput.IkeSaRekeyed r = loop.events(true, IkeOutput.IkeSaRekeyed.class).getFirst();
        assertThat(r.replaced()).isEqualTo(firstId);
        assertThat(loop.a.id()).isEqualTo(r.replacement()).isNotEqualTo(firstId);
        assertThat(loop.a.state()).isEqualTo(Ikev1State.ESTABLISHED);
        assertThat(loop.events(true, IkeOutput.Phase1Down.class)).isEmpty();
        assertThat(loop.responders).hasSizeGreaterThanOrEqualTo(2);
        assertThat(loop.responders.get(0).state()).isEqualTo(Ikev1State.CLOSED);
        assertThat(loop.responders.get(1).state()).isEqualTo(Ikev1State.ESTABLISHED);
        // every ESP SA A has now is one B has, crosswise
        List<IkeOutput.ChildSaInstalled> aNew = new ArrayList<>(loop.events(true, IkeOutput.ChildSaInstalled.class));
        loop.events(true, IkeOutput.ChildSaRekeyed.class).forEach(x -> aNew.add(x.replacement()));
        IkeOutput.ChildSaInstalled last = aNew.getLast();
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).anyMatch(c ->
                c.inboundSpi() == last.outboundSpi() && c.outboundSpi() == last.inboundSpi()
                        && c.inbound().equals(last.outbound()));
        assertThat(loop.a.counters().get("ikev1.engine.main_mode_up")).isEqualTo(1);
    }

    @Test
    void twoFromNetworksMakeTwoQuickModes() {
        IkeTunnel base = tunnel(IkeExchange.IKEV1_MAIN);
        IkeTunnel t = new IkeTunnel(base.label(), base.mode(), base.exchange(), List.of(Network.parse("10.1.0.0/16"),
                Network.parse("10.3.0.0/16")), base.to(), base.local(), base.peers(), base.ikeSa(), base.childSa(),
                base.srcId(), base.dstId(), base.authentication(), base.dpd(), base.ping());
        Ikev1Loop loop = new Ikev1Loop(t, Ikev1Loop.mirror(t)).start();
        assertThat(loop.events(true, IkeOutput.ChildSaInstalled.class)).hasSize(2);
        assertThat(loop.events(false, IkeOutput.ChildSaInstalled.class)).extracting(c -> c.remoteSelectors().toString())
                .anyMatch(s -> s.contains("10.3.0.0")).anyMatch(s -> s.contains("10.1.0.0"));
    }

    @Test
    void aResponderWithAShorterLifetimeSaysSoAndTheInitiatorAdoptsIt() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        ChildSaSpec c = t.childSa();
        IkeTunnel other = Ikev1Loop.with(Ikev1Loop.mirror(t), t.ikeSa(), new ChildSaSpec(c.enc(), c.auth(),
                c.groups(), Duration.ofMinutes(20)), Optional.empty());
        Ikev1Loop loop = new Ikev1Loop(t, other).start();
        assertThat(loop.a.counters().get("ikev1.engine.responder_lifetime_adopted")).isEqualTo(1);
        // replaced before 20 minutes, not at 48
        loop.advance(Duration.ofMinutes(19));
        assertThat(loop.events(true, IkeOutput.ChildSaRekeyed.class)).hasSize(1);
    }

    @Test
    void forcedEncapsulationFloatsToPort4500() {
        IkeTunnel t = tunnel(IkeExchange.IKEV1_MAIN);
        Ikev1Loop loop = new Ikev1Loop(t.withEncap(true), Ikev1Loop.mirror(t)).start();
        assertThat(loop.delivered.get(4).to().getPort()).isEqualTo(4500);
        IkeOutput.ChildSaInstalled ca = loop.events(true, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeOutput.ChildSaInstalled cb = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        assertThat(ca.udpEncapsulation()).isTrue();
        assertThat(cb.udpEncapsulation()).isTrue();
        assertThat(cb.remote().getPort()).isEqualTo(4500);
        assertThat(loop.events(false, IkeOutput.NatDetected.class).getFirst().remoteBehindNat()).isTrue();
    }
}
