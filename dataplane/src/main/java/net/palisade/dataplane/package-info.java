/**
 * The user-space ESP dataplane: {@link net.palisade.dataplane.Dataplane} starts a TUN device and one worker per core
 * and installs tunnels in them; the subpackages hold its parts — {@code esp} (ESP transforms), {@code replay}
 * (anti-replay window, sequence numbers), {@code sa} (SAD/SPD), {@code packet} (inner IP packets: parsing, ICMP
 * errors, MSS clamping, TCP segmentation and coalescing), {@code worker} (the packet loop and its control handle)
 * and {@code io} (TUN, UDP and raw sockets through FFM).
 */
package net.palisade.dataplane;
