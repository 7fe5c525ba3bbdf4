package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.IdPayload;
import org.junit.jupiter.api.Test;

/**
 * The peer's identity, as IKE_AUTH authenticated it, is part of an IKE SA's takeover state, so that an IKE SA of an
 * any-peer tunnel resumed from the journal goes to the session actor of its own site and that actor holds the site's
 * identity: another site's IKE SA reaching it goes on to its own actor instead of joining it. State written before
 * the identity was kept still reads, without one.
 */
class ResumedIdentityTest {
    private static final IkeTunnel T = IkeLoop.gcm("identity secret", DhGroup.CURVE25519);

    /** The responder's state after IKE_AUTH (we answer: the any-peer tunnel's side). */
    private static IkeSaSnapshot responderState(IkeLoop loop) {
        return loop.events(false, IkeOutput.IkeSaState.class).getFirst().snapshot();
    }

    private static IkeTunnel road() {
        IkeTunnel t = (IkeTunnel) Fixtures.config().tunnel("road").orElseThrow();
        assertThat(SessionKeys.anyPeer(t)).isTrue();
        return t;
    }

    @Test
    void theResponderKeepsTheIdentityTheInitiatorAuthenticatedWith() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeSaSnapshot b = responderState(loop);

        // the initiator's IDi: without a local id, its address (RFC 7296 3.5, ID_IPV4_ADDR = 1)
        IdPayload expected = IdPayload.address(true, IkeLoop.A.getAddress());
        assertThat(b.peerId()).contains(expected);
        assertThat(SiteIdentity.key(b.peerId().orElseThrow())).isEqualTo("1:192.0.2.1");
        // the initiator's own state has no peer identity: it is kept for responders, which sort sites by it
        assertThat(loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot().peerId()).isEmpty();
    }

    @Test
    void theIdentityComesBackFromTheSealedBytesAndStateWithoutOneStillReads() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeSaSnapshot b = responderState(loop);

        IkeSaSnapshot back = SnapshotCodec.decodeIke(SnapshotCodec.encode(b));
        assertThat(back.peerId()).isEqualTo(b.peerId());
        assertThat(back.id()).isEqualTo(b.id());

        IkeSaSnapshot a = loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot();
        byte[] older = SnapshotCodec.encode(a);
        // without an identity the state is written as before (version 0x494b02), which older nodes read
        assertThat(java.util.Arrays.copyOf(older, 4)).containsExactly(0, 0x49, 0x4b, 0x02);
        assertThat(SnapshotCodec.decodeIke(older).peerId()).isEmpty();
    }

    @Test
    void aResumedIkeSaGoesToItsSitesActorAndTheEngineKnowsThePeerAgain() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeSaSnapshot b = responderState(loop);
        IkeOutput.ChildSaInstalled child = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeTunnel road = road();
        IkeResumption.Prepared p = new IkeResumption.Prepared(b, List.of(child));

        assertThat(IkeResumption.keys(road, p)).containsExactly("road@id:1:192.0.2.1", "road@192.0.2.1");
        // journaled before identities were kept: by address only, as an unauthenticated arrival is
        IkeSaSnapshot anonymous = SnapshotCodec.decodeIke(SnapshotCodec.encode(
                loop.events(true, IkeOutput.IkeSaState.class).getFirst().snapshot()));
        assertThat(IkeResumption.keys(road, new IkeResumption.Prepared(anonymous, List.of(child))))
                .containsExactly("road@192.0.2.2");
        // a tunnel with a peer has one actor
        assertThat(IkeResumption.keys(T, p)).containsExactly(T.label());

        IkeSession resumed = IkeSession.resume(IkeLoop.mirror(T), b, List.of(child), List.of(),
                ResumeTest.env(7, loop), IkeSettings.DEFAULT.withTakeoverState(true));
        assertThat(resumed.peerId()).isEqualTo(b.peerId());
    }

    @Test
    void theResumedSitesActorHoldsItsIdentityAndSendsAnotherSiteOn() {
        IkeLoop loop = new IkeLoop(T, IkeLoop.mirror(T), IkeSettings.DEFAULT.withTakeoverState(true)).start();
        IkeSaSnapshot b = responderState(loop);
        IkeOutput.ChildSaInstalled child = loop.events(false, IkeOutput.ChildSaInstalled.class).getFirst();
        IkeSession resumed = IkeSession.resume(IkeLoop.mirror(T), b, List.of(child), List.of(),
                ResumeTest.env(8, loop), IkeSettings.DEFAULT.withTakeoverState(true));

        SiteIdentity identity = new SiteIdentity(road(), false);
        assertThat(identity.resumed(resumed)).isSameAs(resumed);
        assertThat(identity.held()).contains("1:192.0.2.1");
        // another site authenticated in this actor (its IKE_SA_INIT came from this site's address) goes on, even if
        // nobody holds that identity yet: this actor is the first site's
        assertThat(identity.authenticated(Optional.of("2:other.example"), id -> true)).contains("2:other.example");
        // the site itself again stays
        assertThat(identity.authenticated(Optional.of("1:192.0.2.1"), id -> true)).isEmpty();
    }
}
