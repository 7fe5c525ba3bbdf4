/**
 * The cluster the nodes form (Pekko Artery) and the gateway pair on it. {@link
 * net.palisade.controlplane.cluster.ClusterTls} makes the cluster port mutual TLS with one certificate the members
 * share ({@code DATA/cluster.p12}, its password derived from the node key).
 *
 * <p>The pair: {@link net.palisade.controlplane.cluster.PgLease} is Pekko's lease on a PostgreSQL row
 * ({@link net.palisade.controlplane.cluster.LeaseTable}), used by the split-brain resolver ({@code lease-majority})
 * and by {@link net.palisade.controlplane.cluster.ActiveRole}, which makes the holder of the active lease the one
 * node whose tunnels run: {@link net.palisade.controlplane.cluster.ActivePorts} gates the tunnel entities' ports,
 * {@link net.palisade.controlplane.cluster.TunnelHost} runs the tunnel entities on the active node only (started
 * the moment it holds the lease, not when membership has caught up), and
 * {@link net.palisade.controlplane.cluster.NodeTimeline} journals each node's role changes
 * ({@link net.palisade.controlplane.cluster.HaEvent}). docs/ha.md has the design and its limits.
 */
package net.palisade.controlplane.cluster;
