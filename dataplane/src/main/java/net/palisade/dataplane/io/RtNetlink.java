package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A NETLINK_ROUTE socket for the few changes a gateway makes to its own TUN device: link up/down and MTU
 * (RTM_NEWLINK), addresses (RTM_NEWADDR/RTM_DELADDR) and device routes (RTM_NEWROUTE/RTM_DELROUTE), IPv4 and IPv6.
 *
 * <p>Every request carries NLM_F_ACK and waits for the kernel's NLMSG_ERROR answer with the same sequence number;
 * a non-zero error becomes an {@link ErrnoException} naming the request, the errno and, when the kernel supplies one
 * (NETLINK_EXT_ACK), its own explanation — e.g. {@code "RTM_NEWROUTE 198.18.0.0/16 dev pal0: EEXIST (File exists)"}.
 *
 * <p>Control path only: each request allocates. Methods are synchronized; one socket may serve many devices.
 * Operates in the network namespace of the thread that called {@link #open()}.
 */
public final class RtNetlink implements AutoCloseable {
    // <linux/netlink.h>
    private static final int NETLINK_ROUTE = 0;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int NLMSG_HDRLEN = 16; // struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final short NLM_F_REQUEST = 0x01;
    private static final short NLM_F_ACK = 0x04;
    private static final short NLM_F_EXCL = 0x200;
    private static final short NLM_F_CREATE = 0x400;
    private static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;
    // <linux/rtnetlink.h>
    private static final short RTM_NEWLINK = 16;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_DELADDR = 21;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_DELROUTE = 25;
    private static final int RT_TABLE_MAIN = 254;
    private static final int RTPROT_STATIC = 4;
    private static final int RT_SCOPE_UNIVERSE = 0;
    private static final int RT_SCOPE_LINK = 253;
    private static final int RT_SCOPE_NOWHERE = 255;
    private static final int RTN_UNICAST = 1;
    private static final short RTA_DST = 1;
    private static final short RTA_OIF = 4;
    private static final short RTA_PREFSRC = 7;
    // <linux/if_addr.h>
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_LOCAL = 2;
    private static final short IFA_FLAGS = 8;
    private static final int IFA_F_NODAD = 0x02;
    // <linux/if_link.h>, <linux/if.h>
    private static final short IFLA_MTU = 4;
    private static final int IFF_UP = 0x1;

    private static final int RECV_BUFFER = 32 * 1024;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment rx;
    private final MemorySegment tx;
    private final MemorySegment callState;
    private int seq = (int) (System.nanoTime() & 0x3fffffff);
    private boolean closed;

    private RtNetlink(int fd) {
        this.fd = fd;
        this.rx = arena.allocate(RECV_BUFFER, 8);
        this.tx = arena.allocate(4096, 8);
        this.callState = Libc.newCallState(arena);
    }

    /** Opens and binds a NETLINK_ROUTE socket in the calling thread's network namespace. */
    public static RtNetlink open() throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // int socket(int domain, int type, int protocol)
            fd = (int) Libc.SOCKET.invokeExact(state, Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, NETLINK_ROUTE);
            if (fd < 0) {
                throw Libc.error("socket(AF_NETLINK, NETLINK_ROUTE)", state);
            }
            // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
            MemorySegment nl = a.allocate(12, 4);
            nl.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
            int rc = (int) Libc.BIND.invokeExact(state, fd, nl, 12);
            if (rc != 0) {
                ErrnoException e = Libc.error("bind(AF_NETLINK)", state);
                Libc.closeQuietly(fd);
                throw e;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        // Best effort: short ACKs and the kernel's explanatory text in errors (Linux 4.12+).
        try {
            Libc.setIntSockOpt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
            Libc.setIntSockOpt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
        } catch (ErrnoException ignored) {
            // older kernel: plain errno only
        }
        return new RtNetlink(fd);
    }

    // ---- link ------------------------------------------------------------------------------------------

    public void setLinkUp(int ifIndex, boolean up) throws IOException {
        setLinkUp(ifIndex, up, "ifindex " + ifIndex);
    }

    synchronized void setLinkUp(int ifIndex, boolean up, String dev) throws IOException {
        ByteBuffer m = message(RTM_NEWLINK, (short) 0);
        ifinfomsg(m, ifIndex, up ? IFF_UP : 0, IFF_UP);
        request(m, "RTM_NEWLINK " + dev + (up ? " up" : " down"));
    }

    public void setMtu(int ifIndex, int mtu) throws IOException {
        setMtu(ifIndex, mtu, "ifindex " + ifIndex);
    }

    synchronized void setMtu(int ifIndex, int mtu, String dev) throws IOException {
        ByteBuffer m = message(RTM_NEWLINK, (short) 0);
        ifinfomsg(m, ifIndex, 0, 0);
        attrInt(m, IFLA_MTU, mtu);
        request(m, "RTM_NEWLINK " + dev + " mtu " + mtu);
    }

    // ---- addresses -------------------------------------------------------------------------------------

    /** Like {@code ip addr add ADDR/LEN dev IF} (IPv6 with nodad). */
    public void addAddress(int ifIndex, InetAddress address, int prefixLength) throws IOException {
        addAddress(ifIndex, address, prefixLength, "ifindex " + ifIndex);
    }

    void addAddress(int ifIndex, InetAddress address, int prefixLength, String dev) throws IOException {
        address(RTM_NEWADDR, (short) (NLM_F_CREATE | NLM_F_EXCL), ifIndex, address, prefixLength, dev);
    }

    /** Like {@code ip addr del ADDR/LEN dev IF}. */
    public void removeAddress(int ifIndex, InetAddress address, int prefixLength) throws IOException {
        removeAddress(ifIndex, address, prefixLength, "ifindex " + ifIndex);
    }

    void removeAddress(int ifIndex, InetAddress address, int prefixLength, String dev) throws IOException {
        address(RTM_DELADDR, (short) 0, ifIndex, address, prefixLength, dev);
    }

    private synchronized void address(short type, short flags, int ifIndex, InetAddress address, int prefixLength, String dev)
            throws IOException {
        boolean v4 = address instanceof Inet4Address;
        int max = v4 ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range 0.." + max);
        }
        ByteBuffer m = message(type, flags);
        // struct ifaddrmsg { __u8 ifa_family; __u8 ifa_prefixlen; __u8 ifa_flags; __u8 ifa_scope; __u32 ifa_index; }
        m.put((byte) (v4 ? Libc.AF_INET : Libc.AF_INET6)).put((byte) prefixLength).put((byte) 0)
                .put((byte) RT_SCOPE_UNIVERSE).putInt(ifIndex);
        attr(m, IFA_LOCAL, address.getAddress());
        attr(m, IFA_ADDRESS, address.getAddress());
        if (!v4 && type == RTM_NEWADDR) {
            attrInt(m, IFA_FLAGS, IFA_F_NODAD);
        }
        String op = type == RTM_NEWADDR ? "RTM_NEWADDR " : "RTM_DELADDR ";
        request(m, op + address.getHostAddress() + "/" + prefixLength + " dev " + dev);
    }

    // ---- routes ----------------------------------------------------------------------------------------

    /**
     * Like {@code ip route add DST dev IF [src SRC]} in the main table (protocol static, scope link for IPv4).
     * A route that already exists fails with EEXIST.
     *
     * @param preferredSource the source address the kernel picks for locally originated packets, or null
     */
    public void addRoute(IpPrefix destination, int ifIndex, InetAddress preferredSource) throws IOException {
        addRoute(destination, ifIndex, preferredSource, "ifindex " + ifIndex);
    }

    void addRoute(IpPrefix destination, int ifIndex, InetAddress preferredSource, String dev) throws IOException {
        route(RTM_NEWROUTE, destination, ifIndex, preferredSource, dev);
    }

    /** Like {@code ip route del DST dev IF}; ESRCH if there is no such route. */
    public void removeRoute(IpPrefix destination, int ifIndex) throws IOException {
        removeRoute(destination, ifIndex, "ifindex " + ifIndex);
    }

    void removeRoute(IpPrefix destination, int ifIndex, String dev) throws IOException {
        route(RTM_DELROUTE, destination, ifIndex, null, dev);
    }

    private synchronized void route(short type, IpPrefix dst, int ifIndex, InetAddress src, String dev) throws IOException {
        boolean v6 = dst.isIpv6();
        if (src != null && (src instanceof Inet4Address) == v6) {
            throw new IllegalArgumentException("source " + src.getHostAddress() + " and route " + dst + " differ in family");
        }
        boolean add = type == RTM_NEWROUTE;
        ByteBuffer m = message(type, add ? (short) (NLM_F_CREATE | NLM_F_EXCL) : (short) 0);
        // struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
        int scope = add ? (v6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK) : RT_SCOPE_NOWHERE;
        m.put((byte) (v6 ? Libc.AF_INET6 : Libc.AF_INET)).put((byte) dst.length()).put((byte) 0).put((byte) 0)
                .put((byte) RT_TABLE_MAIN).put((byte) (add ? RTPROT_STATIC : 0)).put((byte) scope)
                .put((byte) (add ? RTN_UNICAST : 0)).putInt(0);
        attr(m, RTA_DST, dst.address().getAddress());
        attrInt(m, RTA_OIF, ifIndex);
        if (src != null) {
            attr(m, RTA_PREFSRC, src.getAddress());
        }
        String op = (add ? "RTM_NEWROUTE " : "RTM_DELROUTE ") + dst + " dev " + dev
                + (src != null ? " src " + src.getHostAddress() : "");
        request(m, op);
    }

    // ---- message plumbing ------------------------------------------------------------------------------

    private ByteBuffer message(short type, short extraFlags) {
        ByteBuffer m = ByteBuffer.allocate(1024).order(ByteOrder.nativeOrder());
        m.putInt(0); // nlmsg_len, patched in request()
        m.putShort(type);
        m.putShort((short) (NLM_F_REQUEST | NLM_F_ACK | extraFlags));
        m.putInt(++seq);
        m.putInt(0); // nlmsg_pid: 0 lets the kernel fill in our port id
        return m;
    }

    private static void ifinfomsg(ByteBuffer m, int ifIndex, int flags, int change) {
        // struct ifinfomsg { u8 ifi_family; u8 pad; u16 ifi_type; s32 ifi_index; u32 ifi_flags; u32 ifi_change; }
        m.put((byte) Libc.AF_UNSPEC).put((byte) 0).putShort((short) 0).putInt(ifIndex).putInt(flags).putInt(change);
    }

    private static void attr(ByteBuffer m, short type, byte[] value) {
        // struct rtattr { unsigned short rta_len; unsigned short rta_type; } + value, padded to 4 bytes
        m.putShort((short) (4 + value.length)).putShort(type).put(value);
        while ((m.position() & 3) != 0) {
            m.put((byte) 0);
        }
    }

    private static void attrInt(ByteBuffer m, short type, int value) {
        m.putShort((short) 8).putShort(type).putInt(value);
    }

    private void request(ByteBuffer m, String operation) throws IOException {
        if (closed) {
            throw new IOException(operation + ": netlink socket closed");
        }
        int len = m.position();
        m.putInt(0, len);
        int mySeq = m.getInt(8);
        MemorySegment.copy(m.array(), 0, tx, JAVA_BYTE, 0, len);
        try {
            long sent;
            do {
                // ssize_t send(int sockfd, const void *buf, size_t len, int flags): to the kernel (port 0)
                sent = (long) Libc.SEND.invokeExact(callState, fd, tx, (long) len, 0);
            } while (sent < 0 && Libc.errno(callState) == Libc.EINTR);
            if (sent < 0) {
                throw Libc.error(operation + ": netlink send", callState);
            }
            while (true) {
                // ssize_t recv(int sockfd, void *buf, size_t len, int flags)
                long n = (long) Libc.RECV.invokeExact(callState, fd, rx, (long) RECV_BUFFER, 0);
                if (n < 0) {
                    if (Libc.errno(callState) == Libc.EINTR) {
                        continue;
                    }
                    throw Libc.error(operation + ": netlink recv", callState);
                }
                if (answered(n, mySeq, operation)) {
                    return;
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** Scans one datagram of netlink messages; true once our ACK was seen, throws on our error. */
    private boolean answered(long n, int mySeq, String operation) throws ErrnoException {
        ByteBuffer b = rx.asSlice(0, n).asByteBuffer().order(ByteOrder.nativeOrder());
        int off = 0;
        while (off + NLMSG_HDRLEN <= n) {
            int msgLen = b.getInt(off);
            int type = b.getShort(off + 4) & 0xffff;
            int flags = b.getShort(off + 6) & 0xffff;
            int msgSeq = b.getInt(off + 8);
            if (msgLen < NLMSG_HDRLEN || off + msgLen > n) {
                break;
            }
            if (msgSeq == mySeq && (type == NLMSG_ERROR || type == NLMSG_DONE)) {
                int error = type == NLMSG_ERROR ? b.getInt(off + NLMSG_HDRLEN) : 0;
                if (error == 0) {
                    return true;
                }
                throw new ErrnoException(operation, -error, extAckMessage(b, off, msgLen, flags));
            }
            off += (msgLen + 3) & ~3;
        }
        return false;
    }

    /** NLMSGERR_ATTR_MSG from an extended ACK, or null. */
    private static String extAckMessage(ByteBuffer b, int off, int msgLen, int flags) {
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        // struct nlmsgerr { int error; struct nlmsghdr msg; } then, unless capped, the request payload; then TLVs.
        int origLen = b.getInt(off + NLMSG_HDRLEN + 4);
        boolean capped = (flags & 0x100) != 0; // NLM_F_CAPPED
        int tlv = off + NLMSG_HDRLEN + 4 + (capped ? NLMSG_HDRLEN : ((origLen + 3) & ~3));
        int end = off + msgLen;
        while (tlv + 4 <= end) {
            int len = b.getShort(tlv) & 0xffff;
            int type = b.getShort(tlv + 2) & 0x3fff;
            if (len < 4 || tlv + len > end) {
                break;
            }
            if (type == NLMSGERR_ATTR_MSG) {
                byte[] s = new byte[len - 4];
                b.get(tlv + 4, s);
                int z = 0;
                while (z < s.length && s[z] != 0) {
                    z++;
                }
                return new String(s, 0, z, StandardCharsets.UTF_8);
            }
            tlv += (len + 3) & ~3;
        }
        return null;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.closeQuietly(fd);
        arena.close();
    }
}
