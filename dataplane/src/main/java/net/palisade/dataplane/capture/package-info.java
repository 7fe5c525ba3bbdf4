/**
 * Cleartext capture of one tunnel ({@code palisade capture LABEL}), the way {@code tcpdump -i enc0} showed the
 * decrypted traffic on the original gateways: {@link Captures} opens a packet socket on the dataplane's TUN device
 * (where the tunnels' traffic is plain IP on its way into the workers and out of them), {@link TunnelCapture} keeps
 * the packets between the tunnel's networks and writes them as pcap ({@link Pcap}). Nothing of it runs, and the
 * workers do not know of it, until a capture is asked for: the kernel copies packets to a packet socket only while
 * one is open.
 */
package net.palisade.dataplane.capture;
