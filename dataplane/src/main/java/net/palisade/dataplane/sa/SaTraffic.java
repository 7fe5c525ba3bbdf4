package net.palisade.dataplane.sa;

/**
 * Packets and octets through one SA, for a {@link net.palisade.dataplane.DataplaneCounters} snapshot. Octets are
 * those of the inner IP packets (what the LANs exchange), not of the ESP packets on the wire.
 *
 * @param packets packets sealed (outbound SA) or accepted (inbound SA)
 * @param bytes their inner octets
 */
public record SaTraffic(long packets, long bytes) {
}
