/**
 * Dataplane benchmarks: JMH for ESP seal/open ({@code ops/bench/esp-crypto.sh}) and the UDP transport comparison
 * with Netty ({@code ops/bench/udp-transport.sh}). Programs, not tests.
 */
package net.palisade.dataplane.bench;
