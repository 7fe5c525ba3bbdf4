/**
 * The control plane's one door to the dataplane's SA table: {@link net.palisade.controlplane.sa.SaPort} (install a
 * tunnel's first pair, add a rekey's pair beside it, retire one pair, remove them all) and
 * {@link net.palisade.controlplane.sa.DataplaneSaPort}, the port on this node's dataplane.
 *
 * <p>Who calls it, in the order the journal records:
 * <ul>
 *   <li>manual tunnels: the tunnel entity, through {@code DataplanePorts}, after the event that decides the
 *       install or removal is persisted;
 *   <li>IKE tunnels: {@code ike.IkeOutcomes}, on the IKE outcome lane. A Child SA goes in before its
 *       {@code child-sa-installed} event is durable (the protocol requires it, see {@code IkeOutcomes}); when the
 *       tunnel entity refuses that report it journals {@code negotiation-failed} and has the SA retired.
 * </ul>
 *
 * <p>{@link net.palisade.controlplane.sa.JournalSequences} keeps the dataplane's outbound sequence-number
 * reservations in the tunnels' journals, where a node resuming an SA finds them.
 */
package net.palisade.controlplane.sa;
