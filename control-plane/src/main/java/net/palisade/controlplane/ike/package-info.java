/**
 * IKE for the control plane: the IKEv2 protocol engine (RFC 7296), pure state machines with no actors and no sockets,
 * and the actors and socket owner that drive it ({@code IkeSessionActor}, {@code IkeManager}). The same layer drives
 * the IKEv1 engine of {@code controlplane.ikev1}: {@code IkeDispatcher} routes ISAKMP 1.0 datagrams by initiator
 * cookie, and {@code Ikev1SessionActor} drives an {@code Ikev1Engine} through the same driver, policy and outcomes.
 *
 * <h2>Using the engine</h2>
 * <ul>
 *   <li>Create: {@code IkeSession.initiator(tunnel, local, remote, env)} or {@code responder(...)} (for the first
 *       IKE_SA_INIT request from an unknown SPI), optionally with {@link net.palisade.controlplane.ike.IkeSettings}.
 *   <li>Drive: {@code handle(IkeInput)} with {@link net.palisade.controlplane.ike.IkeInput}: {@code Start},
 *       {@code Received(datagram, from, to)} (IKE message without the port-4500 non-ESP marker), {@code Tick},
 *       {@code CheckLiveness}, {@code RekeyChild}, {@code DeleteChild}, {@code RekeyIke}, {@code InboundTraffic},
 *       {@code Close}.
 *   <li>Obey: the returned {@code Step(state, outputs)} lists {@link net.palisade.controlplane.ike.IkeOutput}s in
 *       order: {@code Send(datagram, from, to)} (from port 4500 means ESP-in-UDP framing; a one-octet 0xFF datagram is
 *       a NAT-T keepalive, sent without the non-ESP marker), {@code SetTimer(at)} (one timer; deliver a {@code Tick}
 *       then), and events: {@code Phase1Up}, {@code ChildSaInstalled} (SPIs, algorithms, keys as {@code Secret},
 *       selectors, addresses, encapsulation), {@code ChildSaRekeyed}, {@code ChildSaDeleted}, {@code IkeSaRekeyed},
 *       {@code NatDetected}, {@code PeerAlive}, {@code NegotiationFailed(reason)}, {@code Phase1Down}, and, when the
 *       settings ask for it, {@code IkeSaState} (an {@code IkeSaSnapshot}: keys and message IDs, and our IKE SA
 *       rekey or {@code ChildRequestInFlight} when one is in flight, journaled sealed with the pair key through
 *       {@code SnapshotCodec}).
 * </ul>
 *
 * <p>Everything from outside comes through {@link net.palisade.controlplane.ike.IkeEnvironment}: clock, randomness,
 * key exchange, codec, and our certificate credentials (a {@code CredentialSource}; the engine reads no file), so
 * tests run two sessions against each other in memory on a fake clock.
 *
 * <h2>The IKEv2 engine, split by procedure (package-private classes)</h2>
 * <ul>
 *   <li>{@code IkeSession} — the coordinator and public face: owns the {@code IkeState} and its one
 *       {@code transition()}, the queue of our requests (one in flight), the receive path (old IKE SA routing, window
 *       verdict, decryption, reassembly, dispatch by exchange) and the timers.
 *   <li>{@code MessageWindow} — one IKE SA's message IDs, our request in flight and its retransmission schedule, the
 *       cached response that answers a retransmitted request, and fragment reassembly. It knows no message format
 *       (the engine's tag, {@code IkeSa.Sent}, carries the exchange type and purpose), so the IKEv1 engine can reuse
 *       it.
 *   <li>{@code IkeSa} — one IKE SA's SPIs, suite, keys, ciphers and window; {@code OldIkeSa} — an IKE SA replaced by
 *       a rekey, answering the peer and carrying our Delete on its own window until deleted.
 *   <li>{@code IkeSetup} — IKE_SA_INIT and IKE_AUTH in both roles: cookies, INVALID_KE_PAYLOAD, NAT detection, PSK
 *       and certificate authentication, the first Child SA's negotiation, the half-open limit.
 *   <li>{@code ChildSas} — the Child SAs: key derivation, CREATE_CHILD_SA rekeys both ways with collisions, the
 *       peer's deletes, lifetimes, redundancy; each {@code ChildSa} is a state machine over {@code ChildSa.State}
 *       ({@code INSTALLED}, {@code REKEY_LOCAL}, {@code REKEY_REMOTE}, {@code REKEYED}, {@code DELETE_LOCAL},
 *       {@code DELETED}) with its own checked {@code transition()}. The PFS rule lives here too: groups that are
 *       only the defaults are proposed, and a peer without KE is accepted; groups written in the config are required.
 *   <li>{@code ChildCreation} — new Child SAs (CREATE_CHILD_SA without REKEY_SA): an {@code active} or
 *       {@code dynamic} tunnel whose IKE SA lost its last Child SA creates one, with a growing pause after failures;
 *       every tunnel accepts the peer's within its selectors.
 *   <li>{@code IkeRekeying} — IKE SA rekey both ways with collisions, the switch to the new IKE SA, the IKE SA
 *       lifetime, and the old IKE SAs.
 *   <li>{@code Informational} — INFORMATIONAL requests and answers (Delete, liveness), when {@code dpd} checks are
 *       due, and NAT-T keepalives.
 *   <li>{@code EngineContext} — what the procedures share (tunnel, settings, environment, counters, outputs of the
 *       input being handled, addresses, the current {@code IkeSa}) and how they send and count; {@code Request} —
 *       what one of our requests is for.
 * </ul>
 *
 * <p>Shared by the procedures, and meant for the IKEv1 engine too: proposal negotiation ({@code ProposalPolicy}),
 * traffic selector narrowing ({@code SelectorPolicy}), identities ({@code Identities}), NAT detection
 * ({@code NatDetection}), fragments ({@code Fragments}), cookies ({@code Cookies}), the outputs vocabulary
 * ({@code IkeOutput}, {@code FailureReason}), named counters ({@code IkeCounters}); cryptography in
 * {@code ike.crypto}; certificate authentication (credentials, RFC 7427 signatures, the peer's certificate) in
 * {@code ike.auth}.
 *
 * <p>Several tunnels for one peer: the dispatcher hands an IKE_SA_INIT every IKEv2 tunnel that accepts its sender;
 * the responder's IKE_AUTH picks one ({@code TunnelChoice}), and an IKE SA that picked another tunnel than the one
 * whose actor answered is handed to that tunnel's actor ({@code IkeSessionActor.Adopt}, commands in
 * {@code IkeSessionCommands}; an actor's SPI routes in {@code SpiRoutes}).
 *
 * <p>Many peers for one tunnel: an any-peer {@code passive} tunnel has one session actor per peer, keyed by where a
 * new IKE SA comes from and by the identity it authenticates ({@code SessionKeys}); an IKE SA (IKEv2 or IKEv1) that
 * authenticated another identity than its actor holds goes to that identity's actor ({@code SiteIdentity},
 * {@code IkeSessionActor.Adopt}, {@code Ikev1SessionActor.Adopt}).
 */
package net.palisade.controlplane.ike;
