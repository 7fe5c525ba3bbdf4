/**
 * Load generators that the {@code ops/bench} scripts run in the namespace lab (not part of the product, not run by the
 * suite): {@link net.palisade.ops.bench.IkeFloodGenerator} sends spoofed IKE_SA_INIT requests for
 * {@code ops/bench/ike-flood.sh}.
 */
package net.palisade.ops.bench;
