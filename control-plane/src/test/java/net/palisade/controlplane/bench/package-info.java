/** Load generators for the IKE benchmarks ({@code ops/bench/ike-setup.sh}): programs with a {@code main}, not tests. */
package net.palisade.controlplane.bench;
