package net.palisade.dataplane.worker;

/**
 * What a worker counts. Drops (packets thrown away) carry {@link #drop()} = true; the others count events.
 */
public enum Counter {
    /** Inbound: a duplicate, or left of the anti-replay window. */
    REPLAY("replay", true),
    /** Inbound: the ICV did not verify (forged, corrupted, wrong key). The replay window did not move. */
    ICV_FAILED("icv_failed", true),
    /** Inbound: no inbound SA has this SPI. */
    UNKNOWN_SPI("unknown_spi", true),
    /** Inbound: the decrypted packet's addresses are outside the SA's selectors. */
    POLICY_MISMATCH("policy_mismatch", true),
    /**
     * Malformed: an inner packet whose IP header lengths do not add up, an ESP packet too short, truncated or
     * badly padded, an inner packet whose next header is neither IPv4 nor IPv6.
     */
    MALFORMED("malformed", true),
    /** Outbound: no policy matches the packet's source and destination. */
    NO_SA("no_sa", true),
    /** Outbound: the packet does not fit the SA's path MTU and may not be fragmented (an ICMP error went back). */
    MTU_EXCEEDED("mtu_exceeded", true),
    /** Outbound: the SA has used up its sequence numbers. */
    SEQ_EXHAUSTED("seq_exhausted", true),
    /** Outbound: the journal has not (yet) recorded a reservation covering the next sequence number. */
    SEQ_UNRESERVED("seq_unreserved", true),
    /** Outbound: IPv6 link-scope noise from the kernel (neighbour discovery, router solicitation, MLD). */
    IPV6_LINK_SCOPE("ipv6_link_scope", true),
    /** Inbound: a dummy packet (next header 59, RFC 4303 Section 2.6), dropped as the RFC says. */
    DUMMY("dummy", true),
    /** Inbound: the kernel refused the decrypted packet written to the TUN device. */
    TUN_WRITE_FAILED("tun_write_failed", true),
    /** Outbound: the kernel refused to send the ESP packet (no route to the peer, message too long...). */
    SEND_FAILED("send_failed", true),
    /**
     * Inbound: datagrams (ESP in UDP) or packets (plain ESP) the kernel dropped on a worker's socket before the worker
     * read them, mostly because its receive buffer was full (SO_RXQ_OVFL). Counted when the socket's next datagram
     * is read; a dropped GRO datagram counts once, though it may have carried up to 64 ESP packets.
     */
    SOCKET_DROPS("socket_drops", true),
    /** Inbound: a NAT-T keepalive (one 0xFF octet, RFC 3948 Section 2.3), ignored. */
    KEEPALIVE("keepalive", false),
    /** Inbound: an IKE message behind the non-ESP marker (RFC 3948 Section 2.2), handed to the IKE sink. */
    IKE("ike", false),
    /** Outbound: ICMP "fragmentation needed" or ICMPv6 "packet too big" written back into the TUN. */
    ICMP_TOO_BIG_SENT("icmp_too_big_sent", false),
    /** A TCP SYN whose MSS option was lowered (either direction). */
    MSS_CLAMPED("mss_clamped", false),
    /** Outbound: ESP packets sent. */
    SEALED("sealed", false),
    /** Inbound: ESP packets accepted and written to the TUN device. */
    OPENED("opened", false),
    /** Outbound: UDP datagrams handed to sendmmsg; with GSO one carries several ESP packets. */
    UDP_DATAGRAMS_SENT("udp_datagrams_sent", false),
    /** Inbound: recvmmsg entries received; with GRO one carries several ESP packets. */
    UDP_DATAGRAMS_RECEIVED("udp_datagrams_received", false),
    /** Outbound: sendmmsg batches of plain ESP handed to a raw ESP socket; SEALED over this is the batch size. */
    RAW_ESP_SEND_BATCHES("raw_esp_send_batches", false),
    /** Inbound: recvmmsg batches read from the raw ESP sockets. */
    RAW_ESP_RECEIVE_BATCHES("raw_esp_receive_batches", false),
    /** Outbound: TCP super-packets (TSO) read from the TUN device and cut into segments here. */
    TSO_SUPER_PACKETS("tso_super_packets", false),
    /** Inbound: coalesced TCP super-packets (of two segments or more) written to the TUN device. */
    GRO_SUPER_PACKETS("gro_super_packets", false),
    /** Inbound: echo replies to a tunnel's {@code ping}, kept from the TUN device ({@link TunnelPings}). */
    PING_REPLIES("ping_replies", false),
    /** Wake-ups of the worker's poll(2): fewer per packet means larger batches. */
    POLL_WAKEUPS("poll_wakeups", false);

    private final String key;
    private final boolean drop;

    Counter(String key, boolean drop) {
        this.key = key;
        this.drop = drop;
    }

    /** The name in metrics and logs, e.g. {@code icv_failed}. */
    public String key() {
        return key;
    }

    /** True if this counts dropped packets. */
    public boolean drop() {
        return drop;
    }
}
