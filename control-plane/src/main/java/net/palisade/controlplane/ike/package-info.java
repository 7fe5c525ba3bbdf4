/**
 * The IKEv2 protocol engine (RFC 7296): one pure state machine per IKE SA, {@link
 * net.palisade.controlplane.ike.IkeSession}, with no actors and no sockets.
 *
 * <ul>
 *   <li>Create: {@code IkeSession.initiator(tunnel, local, remote, env)} or {@code responder(...)} (for the first
 *       IKE_SA_INIT request from an unknown SPI), optionally with {@link net.palisade.controlplane.ike.IkeSettings}.
 *   <li>Drive: {@code handle(IkeInput)} with {@link net.palisade.controlplane.ike.IkeInput}: {@code Start},
 *       {@code Received(datagram, from, to)} (IKE message without the port-4500 non-ESP marker), {@code Tick},
 *       {@code CheckLiveness}, {@code RekeyChild}, {@code InboundTraffic}, {@code Close}.
 *   <li>Obey: the returned {@code Step(state, outputs)} lists {@link net.palisade.controlplane.ike.IkeOutput}s in
 *       order: {@code Send(datagram, from, to)} (from port 4500 means ESP-in-UDP framing; a one-octet 0xFF datagram is
 *       a NAT-T keepalive, sent without the non-ESP marker), {@code SetTimer(at)} (one
 *       timer; deliver a {@code Tick} then), and events: {@code Phase1Up}, {@code ChildSaInstalled} (SPIs,
 *       algorithms, keys as {@code Secret}, selectors, addresses, encapsulation), {@code ChildSaRekeyed},
 *       {@code ChildSaDeleted}, {@code NatDetected}, {@code PeerAlive}, {@code NegotiationFailed(reason)},
 *       {@code Phase1Down}.
 * </ul>
 *
 * <p>Clock, randomness and key exchange are injected through {@link net.palisade.controlplane.ike.IkeEnvironment},
 * so tests run two sessions against each other in memory with a fake clock. Procedures live in their own classes:
 * proposal negotiation ({@code ProposalPolicy}), traffic selector narrowing ({@code SelectorPolicy}), identities
 * ({@code Identities}), NAT detection ({@code NatDetection}); cryptography in {@code ike.crypto}; certificate
 * authentication (credentials, RFC 7427 signatures, the peer's certificate) in {@code ike.auth}.
 */
package net.palisade.controlplane.ike;
