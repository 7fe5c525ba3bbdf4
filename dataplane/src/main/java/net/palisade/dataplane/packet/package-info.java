/**
 * Inner IP packets as the dataplane sees them between the TUN device and ESP: header parsing with length checks
 * ({@link net.palisade.dataplane.packet.IpPacket}), ICMP "fragmentation needed" and ICMPv6 "packet too big" errors
 * ({@link net.palisade.dataplane.packet.IcmpErrors}), TCP MSS clamping ({@link net.palisade.dataplane.packet.MssClamp})
 * and Internet checksums ({@link net.palisade.dataplane.packet.Checksum}).
 *
 * <p>Everything works on a {@code byte[]} with offset and length, allocates nothing, and never throws because of
 * packet contents: a malformed packet is reported by a return value, for the worker to drop and count.
 */
package net.palisade.dataplane.packet;
