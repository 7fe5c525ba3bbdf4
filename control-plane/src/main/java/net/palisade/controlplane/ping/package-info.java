/**
 * A tunnel's {@code ping}: an ICMP echo through the tunnel every {@link PingMonitor#INTERVAL}, from the first address
 * of its local networks to the first of its remote ones ({@link PingTarget}), once its Child SA is up. {@link
 * PingMonitor} is the pure verdict ({@code reachable} after a reply, {@code unreachable} after {@link
 * PingMonitor#LOST_AFTER} echoes unanswered in a row); {@link Pinger} drives the monitors on one thread and hands
 * the echoes to the dataplane, which seals them into the tunnel and keeps their replies from the TUN device. What a
 * verdict does (journal {@code ping-ok}/{@code ping-lost}; restart the IKE SA of an {@code active} or {@code dynamic}
 * tunnel) is the IKE layer's ({@code ike.IkeManager}).
 */
package net.palisade.controlplane.ping;
