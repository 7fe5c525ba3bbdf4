/**
 * The security association database (SAD) and security policy database (SPD) of the user-space dataplane
 * (RFC 4301 Section 4.4).
 *
 * <ul>
 *   <li>{@link net.palisade.dataplane.sa.OutboundSa} and {@link net.palisade.dataplane.sa.InboundSa}: the state of
 *       one SA that every worker shares — its sequence counter or anti-replay window, its selectors, its
 *       counters. The cipher objects are not here: an {@code EspTransform} is not thread-safe, so each worker
 *       holds its own for each SA (see {@code net.palisade.dataplane.worker}).</li>
 *   <li>{@link net.palisade.dataplane.sa.Spd}: ordered policies, first match wins, looked up by the inner packet's
 *       source and destination; {@link net.palisade.dataplane.sa.SpiMap}: inbound SAs by SPI.</li>
 *   <li>{@link net.palisade.dataplane.sa.TunnelSas}: both SAs and the policies of one manually keyed tunnel, built
 *       from the shared model by {@link net.palisade.dataplane.sa.ManualKeying}.</li>
 *   <li>{@link net.palisade.dataplane.sa.SaPairs}: the SA pairs of one tunnel while a rekey overlaps the old pair
 *       and the new, and which of them sends.</li>
 * </ul>
 *
 * <p>Tables are immutable once built; a change builds a new table and publishes it with one volatile write, so the
 * packet path never takes a lock for a lookup.
 */
package net.palisade.dataplane.sa;
