/**
 * The control plane of one node and the node's assembly.
 *
 * <ul>
 *   <li>{@link net.palisade.controlplane.Node}: dataplane, IKE and control plane started in order and stopped in
 *       reverse — what {@code palisade run} starts (adding the HTTP API) and what the lab tests start.</li>
 *   <li>{@link net.palisade.controlplane.ControlPlane}: the Pekko cluster node with its journal, the config store
 *       singleton and the tunnel entities (sharded; on a pair, run by the active node's tunnel host), and the
 *       calls the API and CLI make on them;
 *       {@link net.palisade.controlplane.Settings} and {@link net.palisade.controlplane.NodeConfig} configure it.</li>
 *   <li>{@link net.palisade.controlplane.OfflineReplay}: a copied data directory's journal read with no node
 *       running ({@code palisade replay}).</li>
 * </ul>
 */
package net.palisade.controlplane;
